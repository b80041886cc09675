"""`aoi diagnose --json` and `aoi episodes`: the contract outside scripts rely on."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner
from scripted_plans import probe, submit

from aoi.cli import main
from aoi.store.db import connect
from aoi.store.episodes import EpisodeStore

HOTEL = "sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo"
PLANS_FILE = Path(__file__).with_name("scripted_plans.py")

DECISIONS = [
    {"summary": "start", "phase": "triage", "hypothesis": "unknown", "confidence": 10, "action": "probe",
     "tool_calls": [{"tool": "get_alerts", "args": {}}]},
    {"summary": "alerts fire", "phase": "conclude", "hypothesis": "adservice is down", "confidence": 90,
     "action": "submit", "tool_calls": [], "submission": "Yes"},
]


def test_diagnose_json_reports_thread_submission_steps_outcome_and_success(aoi_home: Path, tmp_path: Path) -> None:
    script = tmp_path / "decisions.jsonl"
    script.write_text("\n".join(json.dumps(d) for d in DECISIONS) + "\n")
    runner = CliRunner()
    result = runner.invoke(main, ["diagnose", "--cluster", "sim:online-boutique/oom_killed", "--task", "detection",
                                  "--model", f"scripted:{script}", "--json", "--thread", "cli-1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {k: report[k] for k in ("thread_id", "submission", "steps", "outcome", "success")} == {
        "thread_id": "cli-1", "submission": "Yes", "steps": 1, "outcome": "submitted", "success": True}
    listed = json.loads(runner.invoke(main, ["episodes", "list", "--json"]).output)
    assert [(e["thread_id"], e["success"]) for e in listed] == [("cli-1", 1.0)]
    shown = json.loads(runner.invoke(main, ["episodes", "show", "cli-1", "--json"]).output)
    assert [s["node"] for s in shown["steps_detail"]] == ["reason", "observe", "reason"]
    assert shown["steps_detail"][0]["prompt"][0]["role"] == "system"


def test_the_episode_table_keeps_a_long_thread_id_apart_from_its_task(aoi_home: Path, tmp_path: Path) -> None:
    script = tmp_path / "decisions.jsonl"
    script.write_text("\n".join(json.dumps(d) for d in DECISIONS) + "\n")
    thread = "eval-embedded-heldout-k8s_target_port-misconfig-detection-1-r0"
    runner = CliRunner()
    assert runner.invoke(main, ["diagnose", "--cluster", "sim:online-boutique/oom_killed", "--task", "detection",
                                "--model", f"scripted:{script}", "--thread", thread]).exit_code == 0

    header, row = runner.invoke(main, ["episodes", "list"]).output.splitlines()
    assert row.split()[:2] == [thread, "detection"]
    assert row[header.index("TASK"):].startswith("detection ")


def test_an_unsupported_cluster_spec_is_one_error_line_and_exit_1(aoi_home: Path) -> None:
    result = CliRunner().invoke(main, ["diagnose", "--cluster", "kube:prod", "--task", "detection",
                                       "--model", "scripted:/nonexistent.jsonl"])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("Error: ")


def test_ctrl_c_in_chat_pauses_and_resume_finishes_the_same_thread(tmp_path: Path) -> None:
    """Ctrl-C while the Observer thinks at step 2: the step finishes and is checkpointed, the process says how to
    resume, and `--resume` completes the episode without asking the model for anything already decided."""
    plan = [probe(("get_resources", {"resource_type": "pods"})),
            probe(("get_logs", {"target": "geo", "previous": True})), submit("geo crashes: mongodb auth failed")]
    script_file = tmp_path / "plan.jsonl"
    script_file.write_text("".join(json.dumps(d) + "\n" for d in plan))
    env = {**os.environ, "AOI_HOME": str(tmp_path)}
    interrupted = textwrap.dedent(f"""
        import importlib.util, os, signal, sys
        spec = importlib.util.spec_from_file_location("scripted_plans", {str(PLANS_FILE)!r})
        plans = importlib.util.module_from_spec(spec); spec.loader.exec_module(plans)
        import aoi.graph.runner as runner
        from aoi.graph.models.scripted import ScriptedModel
        import json
        plan = [json.loads(l) for l in open({str(script_file)!r})]
        def policy(messages):
            if plans.step_of(messages) == 2:
                os.kill(os.getpid(), signal.SIGINT)
            return plan[plans.step_of(messages)]
        runner.load_model = lambda spec, seed=0: ScriptedModel(policy)
        from aoi.cli import main
        main(["chat", "--cluster", {HOTEL!r}], prog_name="aoi")
    """)
    first = subprocess.run([sys.executable, "-c", interrupted], input="why does search fail?\n", env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 130, first.stderr[-2000:]
    match = re.search(r"aoi chat --resume (chat-[0-9a-f]+)", first.stderr)
    assert match, first.stderr[-2000:]
    thread = match.group(1)
    assert "pausing after this step" in first.stderr
    nothing = tmp_path / "nothing.jsonl"  # step 2's decision was checkpointed before the pause: no model call now
    nothing.write_text("")
    resumed = subprocess.run([sys.executable, "-m", "aoi.cli", "chat", "--resume", thread, "--model",
                              f"scripted:{nothing}"], env=env, capture_output=True, text=True, timeout=120,
                             check=False)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"thread {thread}: done" in resumed.stdout
    store = EpisodeStore(connect(tmp_path / "aoi.db"))
    assert [(s["step"], s["node"]) for s in store.steps(thread)] == [
        (0, "reason"), (0, "observe"), (1, "reason"), (1, "observe"), (2, "reason")]
    episode = store.episode(thread)
    assert (episode["status"], episode["outcome"], episode["submission"]) == (
        "done", "submitted", "geo crashes: mongodb auth failed")


def test_a_path_like_thread_is_refused_before_anything_is_opened(aoi_home: Path) -> None:
    result = CliRunner().invoke(main, ["diagnose", "--cluster", "sim:online-boutique", "--task", "detection",
                                       "--thread", "../../../x/evil"])
    assert result.exit_code != 0 and "Error: invalid thread id" in result.output
    assert "Traceback" not in result.output
    assert not list(aoi_home.rglob("*evil*"))
