"""Crash safety of writes: SIGKILL the agent at random moments across the approve/act window, resume, count.

Each trial runs one mitigation episode with a scripted model on a simulated cluster, every write approved the
moment it is asked (through the approval interrupt, as a person at the terminal would), in a child
process that SIGKILLs itself at the Nth occurrence of a chosen kill point (a function in the write path, entered
or returned from, or a random Python line executed between the start of `approve` and the next `reason`). A
fresh child then resumes the thread to its end, as `aoi diagnose --thread` does; with `--rekill` odds that
resume is killed once more at another point. The parent then reads the thread's database and simulated cluster:

- lost: an approved write the cluster never received (and nothing retried it);
- repeated: a write the cluster received twice, or the executor audited as applied twice;
- early: a thread closed as done with fewer steps than the uninterrupted run, or another outcome;
- refused: the executor refused a retried write (a resume that can never run it), or a thread that could not be
  brought to its end in three resumes;
- verify: the verification after a write decided otherwise than in the uninterrupted run: a rollback not taken
  (or not recorded) because the re-run act node measured the cluster after its own write;
- audit: problems `AuditLog.verify` reports, or an execution left `pending`.

Writes the cluster receives are counted by a ledger kept inside the simulated cluster's own state, appended in
the same locked block as the write, so a kill can never separate a write from its ledger entry. Every child is
forked from this process after the imports, so a trial costs a second, not an interpreter start. Not a test:
it prints numbers (`make test` does not run it).

Run: .venv/bin/python benchmarks/kill_writes.py [--kills 100] [--seed 0] [--rekill 0.2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import langgraph.checkpoint.sqlite as lg_sqlite
from langchain_core.runnables import RunnableConfig

import aoi.graph.builder as builder
from aoi.cluster.interface import WRITE_METHODS, UndoRecord
from aoi.cluster.sim.session import SessionCluster, SimSession
from aoi.cluster.spec import parse_sim_spec
from aoi.graph.environment import Environment, episode_state_path
from aoi.graph.models.scripted import ScriptedModel
from aoi.graph.runner import EpisodeConfig, EpisodeRunner
from aoi.store.episodes import EpisodeStore
from aoi.tools.audit import AuditLog
from aoi.tools.executor import Executor
from aoi.tools.grants import GrantAuthority

_PLANS_PATH = Path(__file__).resolve().parent.parent / "tests" / "graph" / "scripted_plans.py"
_spec = importlib.util.spec_from_file_location("scripted_plans", _PLANS_PATH)
assert _spec is not None and _spec.loader is not None
plans = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plans)

CLUSTER = "sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo"
BAD_IMAGE = {"kind": "deployment", "name": "frontend", "namespace": plans.HOTEL_NS,
             "container": "hotel-reserv-frontend", "image": "registry.invalid/frontend:nope"}
SCENARIOS: dict[str, list[dict[str, Any]]] = {
    # Two approved writes (grant the lost role, restart geo), then verify and submit.
    "fix": plans.HOTEL_MITIGATION,
    # One approved write that verification finds harmful and undoes (a second write: the undo).
    "rollback": [plans.probe(("get_resources", {"resource_type": "pods"})),
                 plans.act("set_image", BAD_IMAGE, hypothesis="a new frontend image"),
                 plans.probe(("get_resources", {"resource_type": "deployments"})), plans.submit({})],
}
LEDGER = "_kill_writes_ledger"
RESUMES = 3


# -- what runs inside a child ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class KillPoint:
    """Where a child may die: on entering (`before`) or returning from (`after`) `owner.attr`, counted only while
    `node` runs (or, with `after_node`, after that node returned and before the next one started)."""

    owner: Any
    attr: str
    when: str
    node: str | None = None
    after_node: str | None = None
    match: Callable[[tuple[Any, ...], dict[str, Any]], bool] | None = None


ROLLBACK_MINT = "mint_rollback" if hasattr(GrantAuthority, "mint_rollback") else "mint_from_human"


def _server(name: str) -> Callable[[tuple[Any, ...], dict[str, Any]], bool]:
    return lambda args, _kw: args[1] == name


def _phase(name: str) -> Callable[[tuple[Any, ...], dict[str, Any]], bool]:
    return lambda _args, kw: kw.get("phase") == name


POINTS: dict[str, KillPoint] = {
    "approve: before the grant is minted": KillPoint(GrantAuthority, "mint_from_human", "before", "approve"),
    "approve: grant minted": KillPoint(GrantAuthority, "mint_from_human", "after", "approve"),
    "approve: approval recorded": KillPoint(EpisodeStore, "record_approval", "after", "approve"),
    "approve: before its checkpoint": KillPoint(lg_sqlite.SqliteSaver, "put", "before", after_node="approve"),
    "executor: before the intent": KillPoint(Executor, "_record_intent", "before", "act"),
    "executor: grant burnt, intent not committed": KillPoint(GrantAuthority, "burn", "after", "act"),
    "executor: undo record written, intent not committed": KillPoint(AuditLog, "append", "before", "act",
                                                                   match=_phase("intent")),
    "executor: intent committed": KillPoint(Executor, "_record_intent", "after", "act"),
    "executor: cluster written": KillPoint(Executor, "_call", "after", "act",
                                           match=lambda _a, kw: kw.get("dry_run") is False),
    "executor: outcome recorded": KillPoint(Executor, "_finish", "after", "act"),
    "executor: applied audited": KillPoint(AuditLog, "append", "after", "act", match=_phase("applied")),
    "executor: returned": KillPoint(Executor, "execute", "after", "act"),
    "act: write returned": KillPoint(Environment, "call", "after", "act", match=_server("executor")),
    "act: before the settle ticks": KillPoint(Environment, "advance_to", "before", "act"),
    "act: settled": KillPoint(Environment, "advance_to", "after", "act"),
    "act: verification probe": KillPoint(Environment, "call", "after", "act", match=_server("probe")),
    "act: rollback grant minted": KillPoint(GrantAuthority, ROLLBACK_MINT, "after", "act"),
    "act: step recorded": KillPoint(EpisodeStore, "record_step", "after", "act"),
    "checkpoint: act's writes": KillPoint(lg_sqlite.SqliteSaver, "put_writes", "before", after_node="act"),
    "checkpoint: act's checkpoint": KillPoint(lg_sqlite.SqliteSaver, "put", "before", after_node="act"),
}
RANDOM_LINE = "random line in approve..act"
"""Any Python line executed from the start of `approve` to the start of the next `reason` (nodes, executor,
MCP plumbing, LangGraph's checkpointing), counted with a line tracer."""
NAMES = [*POINTS, RANDOM_LINE]


@dataclass(slots=True)
class Hooks:
    """The child's instrumentation: node tracking, counters, and the kill."""

    kill_point: str | None = None
    kill_at: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    node: str | None = None
    last_node: str | None = None

    def hit(self, name: str) -> None:
        self.counts[name] += 1
        if name == self.kill_point and self.counts[name] == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def trace(self, frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "line":
            self.hit(RANDOM_LINE)
        return self.trace

    def start_tracing(self) -> None:
        if self.kill_point != RANDOM_LINE:
            return  # tracing triples a run's time; only the random line needs it
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:  # frames already running (LangGraph's loop) count their next lines too
            frame.f_trace = self.trace
            frame = frame.f_back
        sys.settrace(self.trace)
        threading.settrace(self.trace)  # threads started from here on (the MCP servers' workers)

    @staticmethod
    def stop_tracing() -> None:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]


def _install(hooks: Hooks) -> None:
    """Patch this (child) process: the ledger, the node tracker and every kill point."""
    original_call = SessionCluster._call

    def ledgered_call(self: SessionCluster, method: str, *args: Any, **kwargs: Any) -> Any:
        if method not in WRITE_METHODS or method == "resource_version" or kwargs.get("dry_run", False):
            return original_call(self, method, *args, **kwargs)
        with self._session.cluster() as cluster:  # the ledger is saved with the write, or neither is
            result = getattr(cluster, method)(*args, **kwargs)
            cluster.__dict__.setdefault(LEDGER, []).append(_ledger_entry(method, args))
            return result

    SessionCluster._call = ledgered_call  # type: ignore[method-assign]

    def tracked(factory: Callable[[Any], Any], name: str) -> Callable[[Any], Any]:
        def make(rt: Any) -> Any:
            node = factory(rt)

            def run(state: Any, config: RunnableConfig) -> Any:
                hooks.node = name
                if name == "approve":
                    hooks.start_tracing()
                elif name == "reason":
                    hooks.stop_tracing()
                try:
                    return node(state, config)
                finally:
                    hooks.node, hooks.last_node = None, name

            return run

        return make

    for factory_name, node_name in (("make_reason", "reason"), ("make_approve", "approve"), ("make_act", "act")):
        setattr(builder, factory_name, tracked(getattr(builder, factory_name), node_name))

    def wrap(name: str, point: KillPoint) -> None:
        raw = point.owner.__dict__[point.attr]
        is_static = isinstance(raw, staticmethod)
        inner = raw.__func__ if is_static else raw

        def hooked(*args: Any, **kwargs: Any) -> Any:
            counting = (point.node is None or hooks.node == point.node) and \
                (point.after_node is None or (hooks.node is None and hooks.last_node == point.after_node)) and \
                (point.match is None or point.match(args, kwargs))
            if counting and point.when == "before":
                hooks.hit(name)
            result = inner(*args, **kwargs)
            if counting and point.when == "after":
                hooks.hit(name)
            return result

        setattr(point.owner, point.attr, staticmethod(hooked) if is_static else hooked)

    for name, point in POINTS.items():
        wrap(name, point)


def _ledger_entry(method: str, args: tuple[Any, ...]) -> str:
    shown = [a.description if isinstance(a, UndoRecord) else a for a in args]
    return f"{method} {json.dumps(shown, sort_keys=True, default=str)}"


def _approve(_proposal: dict[str, Any]) -> dict[str, Any]:
    """The operator: approves every proposal the moment it is asked (`--approve auto` would decline a write no
    diagnosis backs, and this benchmark is about what happens to approved writes)."""
    return {"action": "approve", "approver": "kill-writes-operator"}


def _child(home: Path, scenario: str, thread: str, hooks: Hooks, out: Path) -> None:
    """Run (or resume) the thread; write the result, and the point counts, to `out`. Never returns."""
    code = 0
    try:
        os.environ["AOI_HOME"] = str(home)
        _install(hooks)
        runner = EpisodeRunner(EpisodeConfig(CLUSTER, "mitigation", model="scripted", approve="ask",
                                             thread_id=thread, db=home / "aoi.db"),
                               model=ScriptedModel(plans.by_step(SCENARIOS[scenario])), ask_approval=_approve)
        try:
            report: dict[str, Any] = runner.run().to_dict()
        except Exception as exc:  # an episode that failed is a result too
            report = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
        hooks.stop_tracing()
        report["counts"] = dict(hooks.counts)
        out.write_text(json.dumps(report, default=str))
    except BaseException:
        code = 3
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _fork(home: Path, scenario: str, thread: str, hooks: Hooks, out: Path) -> int:
    """Run `_child` in a forked process; its exit status (negative: the signal that ended it)."""
    out.unlink(missing_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(home, scenario, thread, hooks, out)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


# -- what the parent reads back ------------------------------------------------------------------------------------
@dataclass(slots=True)
class Observed:
    status: str
    outcome: str | None
    steps: list[tuple[int, str]]
    writes: list[tuple[Any, ...]]
    ledger: Counter[str]
    applied_audits: Counter[str]
    refusals: int
    audit_problems: list[str]
    pending: int
    approved: list[tuple[int, str]]


def _observe(home: Path, scenario: str, thread: str, result: dict[str, Any]) -> Observed:
    os.environ["AOI_HOME"] = str(home)
    session = SimSession(parse_sim_spec(CLUSTER), path=episode_state_path(thread), realtime=False)
    with session.cluster(save=False) as cluster:
        ledger = Counter(cluster.__dict__.get(LEDGER, []))
    conn = sqlite3.connect(home / "aoi.db")
    conn.row_factory = sqlite3.Row
    try:
        episode = conn.execute("SELECT status, outcome FROM episodes WHERE thread_id = ?", (thread,)).fetchone()
        steps = [(r["step"], r["node"]) for r in conn.execute(
            "SELECT step, node FROM steps WHERE thread_id = ? ORDER BY step, node", (thread,))]
        audits = list(conn.execute("SELECT phase, tool, undo_id FROM audit WHERE thread_id = ?", (thread,)))
        pending = conn.execute("SELECT COUNT(*) FROM executions WHERE status = 'pending'").fetchone()[0]
        approved = [(r["step"], r["tool"]) for r in conn.execute(
            "SELECT step, tool FROM approvals WHERE thread_id = ? AND decision = 'approve' ORDER BY step", (thread,))]
        problems = AuditLog(conn, (home / "grant.key").read_bytes()).verify()
    finally:
        conn.close()
    # "noop" is the executor's answer to a retried call that had been applied: applied, for what this counts.
    writes = [(w["step"], w["tool"], "applied" if w["status"] == "noop" else w["status"], w["rolled_back"],
               w["unhealthy_before"], w["unhealthy_after"]) for w in result.get("writes", [])]
    return Observed(episode["status"] if episode else "missing", episode["outcome"] if episode else None, steps,
                    writes, ledger, Counter(a["tool"] for a in audits if a["phase"] == "applied"),
                    sum(a["phase"] == "refused" for a in audits), problems, pending, approved)


COLUMNS = ("kills", "lost", "repeated", "early", "refused", "verify", "audit")


def _judge(ref: Observed, got: Observed, stuck: bool) -> Counter[str]:
    verdict: Counter[str] = Counter()
    missing, extra = ref.ledger - got.ledger, got.ledger - ref.ledger
    approved_methods = {_method_of(tool) for _step, tool in got.approved}
    # A missing ledger entry is a lost approved write when its write was approved; a missing undo is a rollback
    # verification did not take (counted under verify).
    verdict["lost"] = sum(n for entry, n in missing.items() if entry.split(" ", 1)[0] in approved_methods)
    verdict["repeated"] = max(sum(extra.values()), sum((got.applied_audits - ref.applied_audits).values()))
    ended_short = got.status == "done" and (len(got.steps) < len(ref.steps) or got.outcome != ref.outcome)
    verdict["early"] = int(ended_short)
    unapplied = sum(w[2] != "applied" for w in got.writes) - sum(w[2] != "applied" for w in ref.writes)
    verdict["refused"] = got.refusals + max(unapplied, 0) + int(stuck)
    rollbacks = [(w[0], w[3]) for w in got.writes], _undos(got.ledger)
    verdict["verify"] = int(rollbacks != ([(w[0], w[3]) for w in ref.writes], _undos(ref.ledger)))
    verdict["audit"] = len(got.audit_problems) + got.pending
    return verdict


def _undos(ledger: Counter[str]) -> int:
    return sum(n for entry, n in ledger.items() if entry.startswith("apply_undo "))


def _method_of(tool: str) -> str:
    return {"restart_workload": "rollout_restart", "undo": "apply_undo", "scale_workload": "scale",
            "patch_resource": "patch", "cordon_node": "cordon", "uncordon_node": "uncordon",
            "apply_manifest": "apply", "delete_resource": "delete",
            "rollback_deployment": "rollout_undo"}.get(tool, tool)


# -- the benchmark -------------------------------------------------------------------------------------------------
def _reference(root: Path, scenario: str) -> tuple[Observed, Counter[str]]:
    """The uninterrupted run of `scenario`, and how often each kill point occurs in it."""
    home = root / f"reference-{scenario}"
    home.mkdir()
    out = home / "result.json"
    if _fork(home, scenario, "ref", Hooks(kill_point=RANDOM_LINE, kill_at=-1), out) != 0:
        raise SystemExit(f"the reference run of {scenario} failed")
    result = json.loads(out.read_text())
    if result["status"] != "done":
        raise SystemExit(f"the reference run of {scenario} did not finish: {result}")
    return _observe(home, scenario, "ref", result), Counter(result["counts"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=100, help="threads to kill (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the kill schedule (default 0)")
    parser.add_argument("--rekill", type=float, default=0.2,
                        help="odds that the first resume is killed too (default 0.2)")
    parser.add_argument("--keep", type=Path, default=None, help="keep every trial's AOI home under this folder")
    parser.add_argument("--verbose", action="store_true", help="one line per trial")
    args = parser.parse_args()
    started = time.perf_counter()
    root = args.keep or Path(tempfile.mkdtemp(prefix="aoi-kill-writes-"))
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    try:
        refs = {name: _reference(root, name) for name in SCENARIOS}
        combos = [(s, p) for s in SCENARIOS for p in NAMES if refs[s][1][p] > 0]
        combos += [(s, RANDOM_LINE) for s in SCENARIOS] * 3  # the random line gets a quarter of the kills or so
        schedule: list[tuple[str, str]] = []
        table: dict[str, Counter[str]] = {p: Counter() for p in NAMES}
        rekilled = not_fired = 0
        trial = 0
        while sum(c["kills"] for c in table.values()) < args.kills:
            if not schedule:
                schedule = list(combos)
                rng.shuffle(schedule)
            scenario, point = schedule.pop()
            ref, counts = refs[scenario]
            trial += 1
            thread, home = f"k{trial}", root / f"trial-{trial}"
            home.mkdir()
            out = home / "result.json"
            kill_at = rng.randint(1, counts[point])
            rc = _fork(home, scenario, thread, Hooks(point, kill_at), out)
            if rc != -signal.SIGKILL:
                if rc != 0:
                    print(f"trial {trial}: the child exited {rc} before any kill", file=sys.stderr)
                not_fired += 1  # the run took a shorter path than the reference; draw again
                _cleanup(home, args.keep)
                continue
            kills = 1
            second = rng.choice(NAMES) if rng.random() < args.rekill else None
            result: dict[str, Any] = {}
            stuck = True
            for attempt in range(RESUMES + 1):
                hooks = Hooks(second, rng.randint(1, max(counts[second], 1))) if second and attempt == 0 else Hooks()
                rc = _fork(home, scenario, thread, hooks, out)
                if rc == -signal.SIGKILL:
                    kills += 1
                    rekilled += 1
                    continue
                result = json.loads(out.read_text()) if out.exists() else {"status": f"exit {rc}"}
                if result.get("status") == "done":
                    stuck = False
                    break
            got = _observe(home, scenario, thread, result)
            verdict = _judge(ref, got, stuck)
            table[point].update(verdict)
            table[point]["kills"] += kills
            if args.verbose or any(verdict[c] for c in COLUMNS[1:]):
                shown = ", ".join(f"{c} {verdict[c]}" for c in COLUMNS[1:] if verdict[c]) or "clean"
                print(f"trial {trial} {scenario} {point!r} #{kill_at}"
                      f"{f' then {second!r}' if kills > 1 else ''}: {shown}; writes {got.writes}; "
                      f"ledger {dict(got.ledger)}; refusals {got.refusals}; {result.get('error', '')}",
                      file=sys.stderr)
            _cleanup(home, args.keep)
        _print_table(table, time.perf_counter() - started, trial, rekilled, not_fired, args)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


def _cleanup(home: Path, keep: Path | None) -> None:
    if keep is None:
        shutil.rmtree(home, ignore_errors=True)


def _print_table(table: dict[str, Counter[str]], wall: float, trials: int, rekilled: int, not_fired: int,
                 args: argparse.Namespace) -> None:
    width = max(len(p) for p in NAMES)
    print(f"{'kill point':<{width}}  " + "  ".join(f"{c:>8}" for c in COLUMNS))
    totals: Counter[str] = Counter()
    for point in NAMES:
        totals.update(table[point])
        print(f"{point:<{width}}  " + "  ".join(f"{table[point][c]:>8}" for c in COLUMNS))
    print(f"{'total':<{width}}  " + "  ".join(f"{totals[c]:>8}" for c in COLUMNS))
    print(f"\n{totals['kills']} kills over {trials - not_fired} threads ({rekilled} of them killed again while "
          f"resuming; {not_fired} draws did not fire and were redrawn), seed {args.seed}, "
          f"{wall:.0f} s wall ({wall / max(trials, 1):.1f} s a thread)")


if __name__ == "__main__":
    main()
