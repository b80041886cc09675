"""`aoi triage`: ranked hypotheses as text or JSON from a cluster spec, read-only, and bad input as one line, exit 1."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from aoi.cli import _read_only_view, main
from aoi.cluster.interface import WRITE_METHODS
from aoi.cluster.readonly import ReadOnlyView
from aoi.evals.opsbench import case_dirs, dev_split_dir

OOM = "sim:online-boutique/oom_killed"


def _triage(*args: str) -> Result:
    return CliRunner().invoke(main, ["triage", *args])


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_text_output_ranks_the_injected_fault_first() -> None:
    result = _triage("--cluster", OOM)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Triage of namespace boutique: ")
    assert lines[1].startswith("1. oom_killed on service/adservice (score ")


def test_json_output_parses_and_its_first_hypothesis_is_the_fault() -> None:
    result = _triage("--cluster", OOM, "--json", "--limit", "1")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["namespace"] == "boutique"
    assert len(report["hypotheses"]) == 1
    first = report["hypotheses"][0]
    assert (first["cause"], first["object"]) == ("oom_killed", "service/adservice")
    assert first["evidence"] and first["confirm"]
    assert "list_services()" in report["reads"]


def test_service_narrows_the_report() -> None:
    result = _triage("--cluster", OOM, "--service", "frontend", "--json")
    assert result.exit_code == 0, result.output
    assert all(h["object"] != "service/adservice" for h in json.loads(result.stdout)["hypotheses"])


def test_a_bad_spec_is_one_line_with_exit_code_two() -> None:
    line = _one_line_error(_triage("--cluster", "sim:nope"))
    assert "unknown app 'nope'" in line and "online-boutique" in line
    assert "must start with one of" in _one_line_error(_triage("--cluster", "bogus"))
    assert "not a snapshot folder" in _one_line_error(_triage("--cluster", "replay:/nonexistent/case"))


def test_an_unknown_service_is_one_line_naming_the_valid_services() -> None:
    line = _one_line_error(_triage("--cluster", OOM, "--service", "payments"))
    assert "service 'payments' not found" in line and "paymentservice" in line and "adservice" in line


def test_the_command_holds_only_a_read_only_view() -> None:
    view, namespace = _read_only_view(OOM)
    assert isinstance(view, ReadOnlyView) and namespace == "boutique"
    assert not [m for m in WRITE_METHODS if hasattr(view, m)]


def test_a_replayed_snapshot_is_triaged() -> None:
    root = dev_split_dir()
    if root is None:
        pytest.skip("Cloud-OpsBench dev split not found (set AOI_OPSBENCH_DEV_DIR)")
    result = _triage("--cluster", f"replay:{case_dirs(root)[0]}", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["hypotheses"]
