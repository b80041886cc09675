"""Running an evaluation: k runs of every selected problem, in worker processes, resumable.

Each (problem, run index) is one episode whose thread id is derived from the run name, so invoking the same
evaluation again skips the episodes already graded and continues an interrupted one from its checkpoint. Run i of
a problem uses seed `seed + i` for both the simulated cluster and the model. Workers are separate processes (spawned,
not forked: no inherited locks or threads) writing to the same SQLite file in WAL mode; each episode has its own
simulator state file. Only this process writes the evaluation tables.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aoi.baselines import AGENTS
from aoi.evals.episode import Job, Outcome, run_job
from aoi.evals.metrics import EpisodeRecord, evaluate
from aoi.evals.problems import Problem, Suite, select
from aoi.evals.results import EvalStore, thread_id_for
from aoi.graph.state import Budget
from aoi.store.db import connect, default_db_path

ProgressHandler = Callable[[EpisodeRecord, int, int], None]
"""Called in the parent process after each graded episode with (record, finished so far, total)."""
StartHandler = Callable[[int, int], None]
"""Called once before the first episode with (total episodes, already finished ones skipped)."""


@dataclass(frozen=True, slots=True)
class EvalConfig:
    suite: Suite
    split: str = "all"
    patterns: tuple[str, ...] = ()
    """Glob patterns over problem ids (`revoke_auth_mongodb-*`); empty: every problem of the split."""
    agent: str = "aoi"
    model: str = "embedded"
    runs: int = 1
    workers: int = 1
    seed: int = 0
    budget: Budget = field(default_factory=lambda: Budget(max_seconds=300.0))
    guidance: bool = False
    name: str | None = None
    db: Path | None = None

    def run_name(self) -> str:
        """The given name, else one derived from the settings (so the same command resumes the same run)."""
        if self.name:
            return self.name
        model = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(self.model.split(":", 1)[-1]).name or self.model)
        selection = f"-p{hashlib.sha1('|'.join(self.patterns).encode()).hexdigest()[:6]}" if self.patterns else ""
        guided = "-guided" if self.guidance else ""
        return f"{self.suite}-{self.split}-{self.agent}-{model}{guided}-k{self.runs}-s{self.seed}{selection}"


@dataclass(slots=True)
class EvalRun:
    name: str
    records: list[EpisodeRecord]
    """Every graded episode of the selected problems and runs (this invocation's and earlier ones')."""
    ran: int
    skipped: int
    wall_s: float
    errors: list[dict[str, Any]]

    def summary(self) -> dict[str, Any]:
        return {"run": self.name, **evaluate(self.records), "ran": self.ran, "skipped": self.skipped,
                "wall_s": self.wall_s, "errors": self.errors}


def run_evaluation(config: EvalConfig, *, on_start: StartHandler | None = None,
                   on_episode: ProgressHandler | None = None) -> EvalRun:
    """Run (or resume) an evaluation and return its graded episodes.

    Raises:
        ValueError: an unknown suite, split or agent, bad counts, or patterns that match nothing.
        EvalStoreError: the run name exists with other settings.
    """
    if config.agent not in AGENTS:
        raise ValueError(f"unknown agent {config.agent!r}; valid: {', '.join(AGENTS)}")
    if config.runs < 1 or config.workers < 1:
        raise ValueError("--runs and --workers must be at least 1")
    problems = select(config.suite, config.split, config.patterns)  # type: ignore[arg-type]
    db = Path(config.db) if config.db else default_db_path()
    from aoi.tools.grants import load_or_create_key

    load_or_create_key()  # before the workers start, so they do not race to create it
    conn = connect(db)
    try:
        return _run(config, problems, db, EvalStore(conn), on_start, on_episode)
    finally:
        conn.close()


def _run(config: EvalConfig, problems: list[Problem], db: Path, store: EvalStore, on_start: StartHandler | None,
         on_episode: ProgressHandler | None) -> EvalRun:
    name = config.run_name()
    store.start_run(name, suite=config.suite, split=config.split, agent=config.agent, model=config.model,
                    runs=config.runs, seed=config.seed, problems=[p.id for p in problems],
                    config={"patterns": list(config.patterns), "workers": config.workers,
                            "budget": asdict(config.budget), "guidance": config.guidance})
    wanted = [(p, k) for k in range(config.runs) for p in problems]  # run 0 of every problem first
    done = store.finished(name)
    jobs = [_job(config, name, db, p, k) for p, k in wanted if (p.id, k) not in done]
    started = time.perf_counter()
    finished = len(wanted) - len(jobs)
    if on_start is not None:
        on_start(len(wanted), finished)
    for outcome in _execute(jobs, config.workers):
        store.record(name, outcome.record, thread_id=outcome.thread_id, app=outcome.app, error=outcome.error)
        finished += 1
        if on_episode is not None:
            on_episode(outcome.record, finished, len(wanted))
    keys = {(p.id, k) for p, k in wanted}
    records = [r for r in store.records(name) if (r.problem_id, r.run_index) in keys]
    errors = [e for e in store.errors(name) if (e["problem_id"], e["run_index"]) in keys]
    return EvalRun(name, records, len(jobs), len(wanted) - len(jobs), time.perf_counter() - started, errors)


def _job(config: EvalConfig, name: str, db: Path, problem: Problem, run_index: int) -> Job:
    return Job(name, problem.id, run_index, thread_id_for(name, problem.id, run_index), config.agent, config.model,
               config.seed, str(db), asdict(config.budget), config.guidance)


def share_cpus(workers: int) -> None:
    """Run in each worker: its local model gets an equal share of the CPUs (at least one thread)."""
    from aoi.graph.models.llamacpp import THREADS_ENV, available_cpus

    os.environ.setdefault(THREADS_ENV, str(max(1, available_cpus() // workers)))


def _execute(jobs: list[Job], workers: int) -> Iterator[Outcome]:
    """Outcomes as episodes finish: in this process for one worker, else in a pool of spawned processes."""
    if workers == 1 or len(jobs) <= 1:
        for job in jobs:
            yield run_job(job)
        return
    workers = min(workers, len(jobs))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=share_cpus, initargs=(workers,))
    pending: set[Future[Outcome]] = {pool.submit(run_job, job) for job in jobs}
    try:
        while pending:
            complete, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in complete:
                yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
