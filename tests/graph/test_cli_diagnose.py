"""`aoi diagnose --json` and `aoi episodes`: the contract outside scripts rely on."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from aoi.cli import main

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


def test_an_unsupported_cluster_spec_is_a_usage_error(aoi_home: Path) -> None:
    result = CliRunner().invoke(main, ["diagnose", "--cluster", "kube:prod", "--task", "detection",
                                       "--model", "scripted:/nonexistent.jsonl"])
    assert result.exit_code == 2
