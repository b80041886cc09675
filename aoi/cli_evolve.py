"""`aoi evolve`: learn from failed episodes — classify, repair in the simulator, keep guidance and samples."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

_DB = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                   help="The AOI database (default: $AOI_HOME/aoi.db).")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def _conn(db: Path | None) -> Any:
    from aoi.store.db import connect

    return connect(db)


@click.group()
def evolve() -> None:
    """Turn failed episodes into guidance and corrective training samples.

    \b
    aoi evolve mine                          # classify every failed episode by failure mode
    aoi evolve repair --policy expert        # replay failures in the simulator and repair them (train split)
    aoi evolve guidance list                 # the lessons learned; show ID, rm ID
    aoi evolve samples --out data/export     # append corrective samples to an `aoi export` folder
    """


@evolve.command("mine")
@click.option("--since", default=None, help="Only episodes created at or after this ISO time (e.g. 2026-01-05).")
@click.option("--reclassify", is_flag=True, help="Classify again episodes that already have a failure mode.")
@_DB
@_JSON
def mine_cmd(since: str | None, reclassify: bool, db: Path | None, as_json: bool) -> None:
    """Find failed episodes and store each one's failure mode."""
    from aoi.evolve.evolver import mine

    found = mine(_conn(db), since=since, reclassify=reclassify)
    if as_json:
        click.echo(json.dumps([{"thread_id": t, **d.to_dict()} for t, d in found], indent=2))
        return
    if not found:
        click.echo("No failed episodes" + (f" since {since}" if since else "") + ".")
        return
    for thread, d in found:
        click.echo(f"{thread:<28} {d.mode:<22} step {d.failed_step:<3} {d.reason}")
    counts: dict[str, int] = {}
    for _, d in found:
        counts[d.mode] = counts.get(d.mode, 0) + 1
    click.echo(f"\n{len(found)} failed episodes: " + ", ".join(f"{m} {n}" for m, n in sorted(counts.items())))


@evolve.command("repair")
@click.argument("threads", nargs=-1)
@click.option("--policy", "policy_names", multiple=True, default=("expert", "hindsight"), show_default=True,
              type=click.Choice(["expert", "hindsight"]), help="Repair policies, tried in order.")
@click.option("--with-model", default=None, help="Also try this model (a `--model` spec) with the failure's "
                                                 "candidate lesson as guidance.")
@click.option("--split", type=click.Choice(["train", "heldout", "all"]), default="train", show_default=True,
              help="Only evolve episodes of this split (guidance must come from the train split).")
@click.option("--since", default=None, help="Only failures created at or after this ISO time.")
@click.option("--max-attempts", default=6, show_default=True, type=click.IntRange(1, 50),
              help="Repair attempts per failed episode (branch points × policies).")
@click.option("--limit", default=None, type=click.IntRange(1), help="Repair at most this many episodes.")
@_DB
@_JSON
def repair_cmd(threads: tuple[str, ...], policy_names: tuple[str, ...], with_model: str | None, split: str,
               since: str | None, max_attempts: int, limit: int | None, db: Path | None, as_json: bool) -> None:
    """Replay failed episodes from their last good step and keep the repairs the oracle accepts.

    Each verified repair adds a lesson to the guidance memory and corrective samples to the store.
    """
    from aoi.evolve.evolver import evolve as run_evolve
    from aoi.evolve.repair import POLICIES, model_policy

    policies = [POLICIES[name]() for name in dict.fromkeys(policy_names)]
    if with_model:
        policies.append(model_policy(with_model))

    def progress(thread: str, attempt: Any) -> None:
        click.echo(f"{thread} step {attempt.branch_step} {attempt.policy}: {attempt.status} — {attempt.reason}",
                   err=True)

    report = run_evolve(_conn(db), policies, split=split, threads=threads, since=since, max_attempts=max_attempts,
                        limit=limit, on_repair=None if as_json else progress)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    click.echo(f"{report.repaired} of {report.failures} failed episodes repaired; attempts "
               f"{dict(report.attempts)}; {len(set(report.lessons))} lessons, {report.samples} new samples")
    for mode, (n, ok) in sorted(report.by_mode.items()):
        click.echo(f"  {mode:<22} {ok}/{n}")
    if report.skipped:
        click.echo("skipped: " + ", ".join(f"{why} {n}" for why, n in report.skipped.items()))


@evolve.group("guidance")
def guidance() -> None:
    """The guidance memory: lessons keyed by symptom signature."""


@guidance.command("list")
@click.option("--task", "task_type", default=None, help="Only lessons for this task type.")
@click.option("--limit", default=50, show_default=True)
@_DB
@_JSON
def guidance_list(task_type: str | None, limit: int, db: Path | None, as_json: bool) -> None:
    from aoi.evolve.memory import GuidanceMemory

    items = GuidanceMemory(_conn(db)).list(task_type=task_type, limit=limit)
    if as_json:
        click.echo(json.dumps([i.to_dict() for i in items], indent=2))
        return
    if not items:
        click.echo("No lessons yet: run `aoi evolve repair` after some failed episodes.")
    for item in items:
        click.echo(f"#{item.id:<4} {item.task_type:<12} ×{item.support:<3} {item.failure_mode:<22} "
                   f"{item.signature}\n      {item.lesson}")


@guidance.command("show")
@click.argument("item_id", type=int)
@_DB
@_JSON
def guidance_show(item_id: int, db: Path | None, as_json: bool) -> None:
    from aoi.evolve.memory import GuidanceMemory

    item = GuidanceMemory(_conn(db)).get(item_id)
    if item is None:
        click.echo(f"no lesson #{item_id}; see `aoi evolve guidance list`", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(item.to_dict(), indent=2))
        return
    click.echo(f"lesson #{item.id} ({item.task_type}, {item.failure_mode}, support {item.support})\n"
               f"signature: {item.signature}\n{item.lesson}\nsources:")
    for source in item.sources:
        click.echo("  " + ", ".join(f"{k}={v}" for k, v in sorted(source.items())))


@guidance.command("rm")
@click.argument("item_ids", type=int, nargs=-1, required=True)
@_DB
def guidance_rm(item_ids: tuple[int, ...], db: Path | None) -> None:
    from aoi.evolve.memory import GuidanceMemory

    memory = GuidanceMemory(_conn(db))
    missing = [i for i in item_ids if not memory.remove(i)]
    click.echo(f"removed {len(item_ids) - len(missing)} lesson(s)")
    if missing:
        click.echo(f"no lesson {', '.join(f'#{i}' for i in missing)}", err=True)
        sys.exit(1)


@evolve.command("samples")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="An `aoi export` folder: append the samples to its steps.jsonl and dataset.")
@click.option("--jsonl", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the samples (with their evolver provenance) to this JSONL file instead.")
@click.option("--kind", type=click.Choice(["corrective", "continuation"]), default=None,
              help="Only this kind of sample (default: both).")
@_DB
def samples_cmd(out: Path | None, jsonl: Path | None, kind: str | None, db: Path | None) -> None:
    """Export the corrective samples of verified repairs."""
    from aoi.evolve import records
    from aoi.evolve.samples import for_export, provenance

    if (out is None) == (jsonl is None):
        raise click.UsageError("give exactly one of --out (an `aoi export` folder) or --jsonl FILE")
    rows = records.samples(_conn(db), kind=kind)
    if jsonl is not None:
        jsonl.parent.mkdir(parents=True, exist_ok=True)
        with jsonl.open("w") as handle:
            for row in rows:
                handle.write(json.dumps({**row, "provenance": provenance(row)}, sort_keys=True) + "\n")
        click.echo(f"wrote {len(rows)} samples to {jsonl}")
        return
    from aoi.training.export import ExportError, append_samples

    added = 0
    try:
        for row in rows:
            added += append_samples(out, [for_export(row)], provenance=provenance(row), datasets=False)
        if rows:
            append_samples(out, [], provenance="evolver", datasets=True)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"appended {added} new samples ({len(rows) - added} already there) to {out}")
