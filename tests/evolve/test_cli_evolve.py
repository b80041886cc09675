"""`aoi evolve` end to end on a recorded failure: mine, repair, guidance list/show/rm, samples."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from evolve_trajectories import probe, run_episode, submit

from aoi.cli import main


def test_mine_repair_guidance_and_samples_from_the_command_line(aoi_home: Path) -> None:
    run_episode(aoi_home, [probe(("get_resources", {"resource_type": "pods"})), submit(["frontend"])])
    cli = CliRunner()
    mined = cli.invoke(main, ["evolve", "mine", "--json"])
    assert mined.exit_code == 0, mined.output
    assert [(m["thread_id"], m["mode"]) for m in json.loads(mined.output)] == [("ep-1", "premature_submission")]
    assert "1 failed episodes: premature_submission 1" in cli.invoke(main, ["evolve", "mine"]).output
    repaired = cli.invoke(main, ["evolve", "repair", "--policy", "hindsight", "--split", "all", "--json"])
    assert repaired.exit_code == 0, repaired.output
    assert json.loads(repaired.output)["repaired"] == 1
    listed = json.loads(cli.invoke(main, ["evolve", "guidance", "list", "--json"]).output)
    assert [i["failure_mode"] for i in listed] == ["premature_submission"]
    shown = cli.invoke(main, ["evolve", "guidance", "show", str(listed[0]["id"])])
    assert "thread_id=ep-1" in shown.output and "signature: tasklocalization" in shown.output
    out = aoi_home / "samples.jsonl"
    written = cli.invoke(main, ["evolve", "samples", "--jsonl", str(out)])
    assert "wrote 2 samples" in written.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["provenance"] for r in rows] == ["evolver:repair:ep-1:1", "evolver:repair:ep-1:2"]
    no_export = cli.invoke(main, ["evolve", "samples", "--out", str(aoi_home / "nowhere")])
    assert no_export.exit_code != 0 and "aoi export" in no_export.output
    assert cli.invoke(main, ["evolve", "guidance", "rm", str(listed[0]["id"])]).exit_code == 0
    gone = cli.invoke(main, ["evolve", "guidance", "show", str(listed[0]["id"])])
    assert gone.exit_code == 1 and "no lesson" in gone.output
