"""`aoi eval`: run an evaluation suite, report on stored runs, compare two runs, list the problems.

Heavy modules (the graph, the model, matplotlib) are imported inside the commands; results go to stdout, progress
and notes to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

SUITES = ("aiopslab-sim", "k8s-sim", "cloud-opsbench")
AGENTS = ("aoi", "expert", "react", "random")
DB_OPTION = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                         help="Database file (default: $AOI_HOME/aoi.db).")


@click.group("eval", invoke_without_command=True)
@click.option("--suite", type=click.Choice(SUITES), default="aiopslab-sim", show_default=True,
              help="aiopslab-sim: AIOpsLab's registry on the simulator; k8s-sim: the simulator's Kubernetes faults; "
                   "cloud-opsbench: replay of recorded Cloud-OpsBench cases (--path).")
@click.option("--split", type=click.Choice(["train", "heldout", "all"]), default="all", show_default=True)
@click.option("--problems", "patterns", multiple=True, metavar="GLOB",
              help="Only problems whose id matches (repeatable, or comma-separated), e.g. 'revoke_auth_mongodb-*'.")
@click.option("--agent", type=click.Choice(AGENTS), default="aoi", show_default=True)
@click.option("--model", default="embedded", show_default=True,
              help="embedded | PATH.gguf[+lora:ADAPTER.gguf] | openai:NAME | scripted:FILE.jsonl")
@click.option("--runs", "runs", default=1, show_default=True, type=click.IntRange(1, 100), help="k: runs per problem.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--seed", default=0, show_default=True, type=int, help="Run i uses seed + i (cluster and model).")
@click.option("--max-steps", default=15, show_default=True, type=click.IntRange(1, 200), help="Per episode.")
@click.option("--max-seconds", default=300.0, show_default=True, type=click.FloatRange(0),
              help="Wall-clock seconds per episode (0: no limit).")
@click.option("--max-tokens", default=400_000, show_default=True, type=click.IntRange(1), help="Per episode.")
@click.option("--name", default=None, help="Run name (default: derived from the settings, so the same command "
                                           "resumes the same run).")
@click.option("--guidance", type=click.Choice(["on", "off"]), default="off", show_default=True,
              help="Show the evolver's guidance to the Observer.")
@click.option("--path", "data_path", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="cloud-opsbench: the folder of recorded cases.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print {overall, by_task, ...} as JSON.")
@click.pass_context
def eval_group(ctx: click.Context, suite: str, split: str, patterns: tuple[str, ...], agent: str, model: str,
               runs: int, workers: int, seed: int, max_steps: int, max_seconds: float, max_tokens: int,
               name: str | None, guidance: str, data_path: Path | None, db: Path | None, as_json: bool) -> None:
    """Evaluate an agent: k runs of every problem, best@k / avg@k per task type, stored in SQLite.

    An interrupted evaluation resumes when started again with the same settings (or --name): finished episodes
    are skipped and an interrupted one continues from its checkpoint.

    \b
    Examples:
      aoi eval --suite aiopslab-sim --agent expert --runs 1
      aoi eval --split heldout --agent aoi --model embedded --runs 5 --workers 2 --json
      aoi eval --problems 'revoke_auth_mongodb-*' --agent react --runs 3
      aoi eval --suite cloud-opsbench --path ../shared/data/cloud-opsbench-dev --agent expert
      aoi eval runs                      # stored runs
      aoi eval report RUN --out reports/RUN
      aoi eval compare RUN_A RUN_B
      aoi eval problems --split train
    """
    if ctx.invoked_subcommand is not None:
        return
    patterns = tuple(p.strip() for item in patterns for p in item.split(",") if p.strip())
    from aoi.graph.state import Budget

    budget = Budget(max_steps=max_steps, max_tokens=max_tokens, max_seconds=max_seconds or None)
    if suite == "cloud-opsbench":
        _cloud_opsbench(data_path, agent, model, runs, workers, seed, db, budget, as_json)
        return
    from aoi.evals.results import EvalStoreError
    from aoi.evals.runner import EvalConfig, run_evaluation

    config = EvalConfig(suite, split, patterns, agent, model, runs, workers, seed,  # type: ignore[arg-type]
                        budget, guidance == "on", name, db)
    from concurrent.futures.process import BrokenProcessPool

    progress = _Progress()
    try:
        result = run_evaluation(config, on_start=progress.start, on_episode=progress.episode)
    except (ValueError, EvalStoreError) as exc:
        raise click.ClickException(str(exc)) from exc
    except BrokenProcessPool as exc:
        raise click.ClickException(f"a worker process died ({exc}); run the same command again to resume the "
                                   f"evaluation where it stopped") from exc
    finally:
        progress.close()
    summary = {**result.summary(), "suite": suite, "split": split, "agent": agent, "model": model}
    click.echo(f"run {result.name}: {result.ran} episode(s) run, {result.skipped} already finished, "
               f"{result.wall_s:.1f} s; `aoi eval report {result.name}` for plots", err=True)
    for error in result.errors[:5]:
        click.echo(f"  error in {error['problem_id']} run {error['run_index']}: {error['error']}", err=True)
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True, default=str))
    else:
        from aoi.evals.report import markdown

        click.echo(markdown(summary, title=f"{result.name} ({agent}, {model})"), nl=False)


class _Progress:
    """Progress on stderr with the running success rate of the episodes finished in this invocation: a bar on a
    terminal, a line per tenth of the work otherwise (logs)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._ok = self._seen = self._total = 0
        self._next_line = 0

    def start(self, total: int, skipped: int) -> None:
        self._total = total
        if skipped:
            click.echo(f"resuming: {skipped} of {total} episodes already finished", err=True)
        if sys.stderr.isatty():
            self._bar = click.progressbar(length=total, label="evaluating", file=sys.stderr, show_pos=True,
                                          show_eta=True, item_show_func=lambda item: item)
            self._bar.__enter__()
            self._bar.update(skipped)

    def episode(self, record: Any, finished: int, total: int) -> None:
        self._seen += 1
        self._ok += bool(record.success)
        rate = f"success {self._ok}/{self._seen} ({100 * self._ok / self._seen:.0f}%)"
        if self._bar is not None:
            self._bar.update(1, rate)
        elif finished >= self._next_line or finished == total:
            click.echo(f"evaluating: {finished}/{total} episodes, {rate}", err=True)
            self._next_line = finished + max(1, total // 10)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _cloud_opsbench(path: Path | None, agent: str, model: str, runs: int, workers: int, seed: int, db: Path | None,
                    budget: Any, as_json: bool) -> None:
    if path is None:
        raise click.ClickException("--suite cloud-opsbench needs --path DIR (a folder of recorded cases, e.g. "
                                   "../shared/data/cloud-opsbench-dev)")
    try:
        from aoi.evals.opsbench_suite import evaluate
    except ImportError as exc:
        raise click.ClickException(f"the Cloud-OpsBench replay suite is not available in this checkout ({exc})") \
            from exc
    summary = evaluate(path, agent=agent, model=model, runs=runs, workers=workers, seed=seed, db=db, budget=budget)
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True, default=str))
        return
    keys = ("cases", "root_cause_a1", "root_cause_a3", "object_a1", "object_a3")
    click.echo("  ".join(f"{k} {summary.get(k)}" for k in keys))


@eval_group.command("report")
@click.argument("run")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write report.json, report.md, tasks.png and families.png here.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON instead of a table.")
def eval_report(run: str, out_dir: Path | None, db: Path | None, as_json: bool) -> None:
    """Metrics of a stored run: a Markdown table (or JSON), and with --out the files and PNG plots.

    \b
    Example:
      aoi eval report aiopslab-sim-all-expert-embedded-k1-s0 --out reports/expert
    """
    from aoi.evals.report import markdown, write_report

    summary = _stored_summary(run, db)
    if out_dir is not None:
        for path in write_report(summary, out_dir, title=run):
            click.echo(f"wrote {path}", err=True)
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True, default=str))
    else:
        click.echo(markdown(summary, title=run), nl=False)


@eval_group.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True)
def eval_compare(run_a: str, run_b: str, db: Path | None, as_json: bool) -> None:
    """Two stored runs side by side per task type (B − A), e.g. before and after training."""
    from aoi.evals.report import compare, compare_markdown

    diff = compare(_stored_summary(run_a, db), _stored_summary(run_b, db))
    if as_json:
        click.echo(json.dumps({"a": run_a, "b": run_b, "by_task": diff}, indent=2, sort_keys=True))
    else:
        click.echo(compare_markdown(diff, run_a, run_b), nl=False)


@eval_group.command("runs")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True)
def eval_runs(db: Path | None, as_json: bool) -> None:
    """Stored evaluation runs, newest first."""
    from aoi.evals.results import EvalStore
    from aoi.store.db import connect

    rows = EvalStore(connect(db)).runs()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['name']:<60} {r['agent']:<7} {r['model']:<20} k={r['runs']:<3} {r['episodes']:>5} episodes "
                   f" {r['created_at'][:19]}")


@eval_group.command("problems")
@click.option("--suite", type=click.Choice(SUITES[:2]), default="aiopslab-sim", show_default=True)
@click.option("--split", type=click.Choice(["train", "heldout", "all"]), default="all", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def eval_problems(suite: str, split: str, as_json: bool) -> None:
    """The problems of a suite and split, with their cluster specs."""
    from aoi.evals.problems import select

    problems = select(suite, split)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps([{"id": p.id, "family": p.family, "app": p.app, "task": p.task, "target": p.target,
                                "split": p.split, "cluster": p.cluster()} for p in problems], indent=2))
        return
    for p in problems:
        click.echo(f"{p.id:<62} {p.task:<13} {p.split:<8} {p.cluster()}")


def _stored_summary(run: str, db: Path | None) -> dict[str, Any]:
    from aoi.evals.metrics import evaluate
    from aoi.evals.results import EvalStore, EvalStoreError
    from aoi.store.db import connect

    store = EvalStore(connect(db))
    try:
        records = store.records(run)
    except EvalStoreError as exc:
        raise click.ClickException(str(exc)) from exc
    meta = store.run(run) or {}
    return {"run": run, **{k: meta.get(k) for k in ("suite", "split", "agent", "model", "runs", "seed")},
            **evaluate(records)}
