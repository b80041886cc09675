"""`aoi eval`: the --json shape of a real (scripted) evaluation, and report / compare / runs / problems on stored
runs."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from aoi.cli import main
from aoi.evals.metrics import EpisodeRecord
from aoi.evals.results import EvalStore
from aoi.store.db import connect

KEYS = {"best_at_k", "avg_at_k", "gap", "std", "episodes"}


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_eval_json_prints_overall_and_by_task_with_the_k_run_metrics(aoi_home: Path, script) -> None:
    args = ("eval", "--problems", "revoke_auth_mongodb-detection-1,noop_detection_hotel_reservation-1", "--model",
            f"scripted:{script('yes', 'Yes')}")
    code, out, err = _cli(*args, "--runs", "1", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data["overall"]) >= KEYS and set(data["by_task"]) == {"detection"}
    assert set(data["by_task"]["detection"]) >= KEYS
    assert (data["overall"]["best_at_k"], data["overall"]["episodes"], data["errors"]) == (0.5, 2, [])
    assert data["overall"]["time_to_detect_steps"] == 1
    assert "run aiopslab-sim-all-aoi-yes.jsonl-k1-s0-p" in err and "evaluating: 2/2 episodes, success 1/2" in err
    # the same command again resumes: nothing left to run, same numbers
    code, out, err = _cli(*args, "--json")
    assert code == 0 and "resuming: 2 of 2" in err
    again = json.loads(out)
    assert again["ran"] == 0 and again["overall"]["best_at_k"] == 0.5


def test_the_cli_offers_exactly_the_baselines_agents() -> None:
    from aoi.baselines import AGENTS
    from aoi.cli_eval import AGENTS as CLI_AGENTS

    assert CLI_AGENTS == AGENTS


def test_eval_explains_bad_input(aoi_home: Path) -> None:
    code, _out, err = _cli("eval", "--problems", "no-such-*", "--model", "scripted:x.jsonl")
    assert code == 1 and "no problem of aiopslab-sim (all) matches no-such-*" in err
    code, _out, err = _cli("eval", "--suite", "cloud-opsbench")
    assert code == 1 and "needs --path DIR" in err


def _seed(db: Path) -> None:
    store = EvalStore(connect(db))
    for name, successes in (("before", (False, False, True)), ("after", (True, False, True))):
        store.start_run(name, suite="aiopslab-sim", split="heldout", agent="aoi", model="m", runs=1, seed=0,
                        config={}, problems=["d1", "d2", "l1"])
        tasks = ("detection", "detection", "localization")
        for pid, task, ok in zip(("d1", "d2", "l1"), tasks, successes, strict=True):
            store.record(name, EpisodeRecord(pid, 0, f"fam-{pid}", task, ok, float(ok), split="heldout", steps=3),
                         thread_id=f"{name}-{pid}", app="a")


def test_report_writes_json_markdown_and_plots(aoi_home: Path, tmp_path: Path) -> None:
    _seed(aoi_home / "aoi.db")
    out_dir = tmp_path / "rep"
    code, out, err = _cli("eval", "report", "after", "--out", str(out_dir))
    assert code == 0, err
    assert "| detection | 2 | 2 | 50.0 | 50.0 | 0.0 | 0.0 |" in out
    assert "| overall | 3 | 3 | 66.7 | 66.7 |" in out
    assert sorted(p.name for p in out_dir.iterdir()) == ["families.png", "report.json", "report.md", "tasks.png"]
    for png in ("families.png", "tasks.png"):
        assert (out_dir / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    stored = json.loads((out_dir / "report.json").read_text())
    assert stored["by_family"]["fam-d1"] == {"detection": 1.0} and stored["agent"] == "aoi"
    code, out, _ = _cli("eval", "report", "after", "--json")
    assert json.loads(out)["overall"]["best_at_k"] == stored["overall"]["best_at_k"]
    code, _out, err = _cli("eval", "report", "nope")
    assert code == 1 and "no evaluation run 'nope'" in err


def test_compare_shows_b_minus_a_per_task(aoi_home: Path) -> None:
    _seed(aoi_home / "aoi.db")
    code, out, _ = _cli("eval", "compare", "before", "after", "--json")
    assert code == 0
    diff = json.loads(out)["by_task"]
    assert diff["detection"]["avg_at_k"] == {"a": 0.0, "b": 0.5, "delta": 0.5}
    assert diff["localization"]["best_at_k"]["delta"] == 0.0
    code, out, _ = _cli("eval", "compare", "before", "after")
    assert "| detection | 0.0 | 50.0 | 50.0 |" in out


def test_runs_and_problems_listings(aoi_home: Path) -> None:
    _seed(aoi_home / "aoi.db")
    code, out, _ = _cli("eval", "runs", "--json")
    assert code == 0 and {r["name"]: r["episodes"] for r in json.loads(out)} == {"before": 3, "after": 3}
    code, out, _ = _cli("eval", "problems", "--split", "train", "--json")
    problems = json.loads(out)
    assert len(problems) == 27 and {p["split"] for p in problems} == {"train"}
    assert problems[0]["cluster"].startswith("sim:")
