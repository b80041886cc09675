"""Every `aoi` command meets a corrupt database, a bad cluster spec or a model that raises with one clear line
on stderr and exit code 1, never a traceback; an episode whose model fails is recorded `failed` with the reason."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from aoi.cli import main
from aoi.graph.models.scripted import ScriptedModel
from aoi.store.db import connect
from aoi.store.episodes import EpisodeStore


def _one_error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


@pytest.mark.parametrize("args", [
    ["episodes", "list"],
    ["episodes", "show", "t1"],
    ["diagnose", "--cluster", "sim:online-boutique", "--task", "detection", "--model", "scripted:x.jsonl"],
    ["chat", "--resume", "t1"],
    ["eval", "runs"],
    ["eval", "report", "run-1"],
    ["export", "--out", "exported"],
])
def test_a_corrupt_database_is_one_line_naming_the_file_and_the_way_out(aoi_home: Path, args: list[str]) -> None:
    (aoi_home / "aoi.db").write_bytes(os.urandom(20_000))
    line = _one_error_line(CliRunner().invoke(main, args))
    assert "aoi.db" in line and "Move it aside" in line


@pytest.mark.parametrize(("args", "stdin", "says"), [
    (["diagnose", "--cluster", "sim:no-such-app", "--task", "detection"], None, "unknown app"),
    (["diagnose", "--cluster", "sim:online-boutique?ticks=-5", "--task", "detection"], None, "ticks"),
    (["diagnose", "--cluster", "sim:online-boutique", "--task", "detection", "--model", "scripted:/nonexistent"],
     None, "cannot read the script"),
    (["diagnose", "--cluster", "sim:online-boutique", "--task", "detection", "--model", "nonsense"], None,
     "unknown model spec"),
    (["chat", "--cluster", "sim:no-such-app", "--model", "scripted:/nonexistent"], "why?\n", "unknown app"),
    (["triage", "--cluster", "sim:no-such-app"], None, "unknown app"),
    (["triage", "--cluster", "sim:online-boutique?ticks=-5"], None, "ticks"),
    (["triage", "--cluster", "sim:online-boutique/oom_killed", "--service", "no-such-service"], None,
     "no-such-service"),
    (["eval", "--agent", "expert", "--problems", "no-such-problem-*"], None, "matches no-such-problem-*"),
    (["eval", "--agent", "expert", "--problems", "revoke_auth_mongodb-*", "--name", "../evil"], None, "run name"),
    (["eval", "--suite", "cloud-opsbench", "--agent", "expert"], None, "needs --path"),
    (["eval", "report", "no-such-run"], None, "no evaluation run 'no-such-run'"),
    (["eval", "compare", "no-such-run", "other"], None, "no evaluation run 'no-such-run'"),
    (["episodes", "show", "no-such-thread"], None, "no episode 'no-such-thread'"),
    (["mcp", "probe", "--cluster", "sim:nope"], None, "unknown app 'nope'"),
])
def test_a_bad_spec_is_one_line_and_exit_1(aoi_home: Path, args: list[str], stdin: str | None, says: str) -> None:
    assert says in _one_error_line(CliRunner().invoke(main, args, input=stdin))


def test_click_usage_errors_for_unknown_options_and_choices_stay_exit_2(aoi_home: Path) -> None:
    for args in (["triage", "--no-such-option"], ["eval", "--suite", "no-such-suite"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "Usage:" in result.output, result.output


def test_a_model_that_raises_fails_the_episode_with_the_reason(aoi_home: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_messages: Any) -> Any:
        raise RuntimeError("the accelerator fell over")

    monkeypatch.setattr("aoi.graph.runner.load_model", lambda _spec, seed=0: ScriptedModel(broken))
    line = _one_error_line(CliRunner().invoke(main, ["diagnose", "--cluster", "sim:online-boutique", "--task",
                                                     "detection", "--thread", "m1", "--json"]))
    assert "episode m1 failed: RuntimeError: the accelerator fell over" in line
    episode = EpisodeStore(connect(aoi_home / "aoi.db")).episode("m1")
    assert episode["status"] == "failed"
    assert episode["error"] == "RuntimeError: the accelerator fell over"
    shown = CliRunner().invoke(main, ["episodes", "show", "m1"])
    assert shown.exit_code == 0 and "error: RuntimeError: the accelerator fell over" in shown.output


def test_resuming_on_another_cluster_is_one_line_naming_the_recorded_one(aoi_home: Path, tmp_path: Path) -> None:
    script = tmp_path / "d.jsonl"
    script.write_text('{"summary": "s", "phase": "conclude", "hypothesis": "h", "confidence": 90, '
                      '"action": "submit", "tool_calls": [], "submission": "Yes"}\n')
    base = ["diagnose", "--task", "detection", "--model", f"scripted:{script}", "--thread", "r1", "--json"]
    assert CliRunner().invoke(main, [*base, "--cluster", "sim:online-boutique/oom_killed"]).exit_code == 0
    line = _one_error_line(CliRunner().invoke(main, [*base, "--cluster", "sim:online-boutique"]))
    assert "started on cluster 'sim:online-boutique/oom_killed'" in line
