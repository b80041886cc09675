"""Training episodes from the simulator, at scale: the expert over every (cluster, task) the split lets train.

The pool (`training_jobs`), for each seed below `K8S_EVAL_SEED_OFFSET` (noise on, so each seed is another cluster:
other history, alert rules, time since the fault, fault variant):

* the `aiopslab-sim` training problems (`TRAIN_FAMILIES`, with their targets and task types);
* every Kubernetes root cause that may train (`K8S_TRAIN_ROOT_CAUSES`) on every app it applies to: detection,
  localization (when the faulty object is a service), mitigation, and the Cloud-OpsBench task (`rca`: the root
  cause and the faulty object from the closed label set of all forty root causes, asked with the symptom a user
  would report, as the benchmark asks it);
* the healthy control (detection) on every app.

So every (root cause, task) gets the same number of episodes: the pool is balanced by construction. Held-out
families and root causes never appear, nor does any recorded benchmark case.

Every job has a thread id derived from its cluster and task, so a run that stops (killed, out of time) goes on where
it stopped: a job whose episode is already `done` in the database is skipped. `generate` runs the jobs in order
until the pool or the time budget is exhausted.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aoi.cluster.sim.apps.catalog import APPS, get_app
from aoi.cluster.sim.faults import FAULTS
from aoi.cluster.sim.faults.k8s import K8S_FAULTS
from aoi.evals.problems import K8S_EVAL_SEED_OFFSET, K8S_TRAIN_ROOT_CAUSES, select

RCA_QUESTION_HINT = "Find the root cause and the faulty object."


@dataclass(frozen=True, slots=True)
class Job:
    """One training episode to run."""

    cluster: str
    task: str

    @property
    def thread_id(self) -> str:
        return "gen-" + hashlib.sha256(f"{self.cluster}|{self.task}".encode()).hexdigest()[:16]


def training_jobs(seeds: range) -> list[Job]:
    """The pool for these seeds, seed-major (all of seed 0, then seed 1, ...), so a run cut short is still balanced.

    Raises:
        ValueError: a seed at or above `K8S_EVAL_SEED_OFFSET` (those clusters are the evaluation's).
    """
    if seeds and max(seeds) >= K8S_EVAL_SEED_OFFSET:
        raise ValueError(f"training seeds must stay below {K8S_EVAL_SEED_OFFSET}: the evaluation's clusters start "
                         "there")
    unique = {job.thread_id: job for seed in seeds for job in _jobs_of_seed(seed)}  # the healthy controls overlap
    return list(unique.values())


def _jobs_of_seed(seed: int) -> Iterator[Job]:
    for problem in select("aiopslab-sim", "train"):
        yield Job(problem.cluster(seed), problem.task)
    for family in sorted(K8S_TRAIN_ROOT_CAUSES):
        cls = K8S_FAULTS[family]
        for app in cls.apps:
            target = cls(app).target
            spec = f"sim:{app}/{family}?seed={seed}" + (f"&target={target}" if target else "")
            services = set(get_app(app).component_names)
            tasks = ["detection", *(["localization"] if target in services else []), "mitigation", "rca"]
            yield from (Job(spec, task) for task in tasks)
    for app in APPS:
        yield Job(f"sim:{app}/noop?seed={seed}" if app in FAULTS["noop"].apps else f"sim:{app}?seed={seed}",
                  "detection")


def rca_choices(app: str) -> dict[str, list[str]]:
    """The closed answer sets of an `rca` job on `app`: all forty root causes (the ones that never train too, so the
    label set is the benchmark's), and the app's services, nodes and namespace."""
    spec = get_app(app)
    objects = ([f"service/{c}" for c in spec.component_names] + [f"node/{n.name}" for n in spec.nodes]
               + [f"namespace/{spec.namespace}"])
    return {"root_causes": sorted(K8S_FAULTS), "fault_objects": objects}


def rca_question(cluster: str) -> str:
    """The symptom a user would report for the incident a spec describes (`aoi.evals.synthetic.symptom_query`)."""
    from aoi.cluster.sim.session import build_cluster
    from aoi.cluster.spec import parse_sim_spec
    from aoi.evals.synthetic import symptom_query

    return f"{symptom_query(build_cluster(parse_sim_spec(cluster)))} {RCA_QUESTION_HINT}"


@dataclass(slots=True)
class GenerateReport:
    ran: int = 0
    skipped: int = 0
    """Jobs whose episode was already done (an earlier run)."""
    failed: int = 0
    succeeded: int = 0
    wall_s: float = 0.0
    stopped_early: bool = False
    """The time budget ran out before the pool did."""

    def line(self) -> str:
        return (f"{self.ran} episodes run ({self.succeeded} succeeded, {self.failed} failed to run), {self.skipped} "
                f"already done, {self.wall_s:.0f} s" + (" — stopped at the time budget" if self.stopped_early else ""))


def generate(jobs: list[Job], db: Path, *, budget_s: float | None = None, prompt_profile: str = "compact",
             echo: Callable[[str], None] | None = None) -> GenerateReport:
    """Run the expert on every job not yet done in `db`, in order, until the jobs or `budget_s` run out. The
    expert reads the `prompt_profile` prompt, so the recorded steps are what the small model will see."""
    from aoi.baselines.expert import ExpertPolicy
    from aoi.graph.runner import EpisodeFailedError, EpisodeRunner
    from aoi.store.db import connect
    from aoi.store.episodes import EpisodeStore

    report = GenerateReport()
    started = time.perf_counter()
    conn = connect(db)
    try:
        store = EpisodeStore(conn)
        done = {t for t in (j.thread_id for j in jobs) if (store.episode(t) or {}).get("status") == "done"}
    finally:
        conn.close()
    for index, job in enumerate(jobs):
        if job.thread_id in done:
            report.skipped += 1
            continue
        if budget_s is not None and time.perf_counter() - started > budget_s:
            report.stopped_early = True
            break
        report.ran += 1
        try:
            result = EpisodeRunner(episode_config(job, db), model=ExpertPolicy(prompt_profile)).run()  # type: ignore[arg-type]
        except EpisodeFailedError as exc:
            report.failed += 1
            if echo:
                echo(f"failed {job.cluster} {job.task}: {exc}")
            continue
        report.succeeded += bool(result.success)
        report.wall_s = time.perf_counter() - started
        if echo and report.ran % 50 == 0:
            echo(f"[{index + 1}/{len(jobs)}] {report.line()}")
    report.wall_s = time.perf_counter() - started
    return report


def episode_config(job: Job, db: Path) -> Any:
    """The episode `job` runs as: auto-approved (a simulator), recorded in `db` under the job's thread id."""
    from aoi.cluster.spec import parse_sim_spec
    from aoi.graph.runner import EpisodeConfig

    extra: dict[str, Any] = {}
    if job.task == "rca":
        extra = {"question": rca_question(job.cluster),
                 "choices": rca_choices(parse_sim_spec(job.cluster).app)}
    return EpisodeConfig(job.cluster, job.task, approve="auto", thread_id=job.thread_id, db=db,  # type: ignore[arg-type]
                         **extra)
