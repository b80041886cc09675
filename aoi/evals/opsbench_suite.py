"""The `cloud-opsbench` suite: every recorded case of a Cloud-OpsBench split replayed as an `rca` episode, scored
by top-1 / top-3 accuracy of the root cause and of the fault object.

Each case runs through the same graph, tools and budgets as any episode, against a `replay:CASE` cluster. The
task gives the symptom (the case's `query`) and the candidate labels of the split's `labels.json`, which every
Cloud-OpsBench agent is told. The answer in `metadata.json` is read by `case_truth` for the scorer only, after the
episode; nothing the agent sees comes from it. Comparisons are exact after lower-casing, and a missing or
malformed answer counts as wrong (the benchmark's rule).

Thread ids are a digest of (case, agent, model, seed, run), so re-running with the same database continues
unfinished episodes and reuses finished ones instead of running them again.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aoi.diagnosis.taxonomy import BY_NAME, taxonomy_label
from aoi.evals.opsbench import case_dirs
from aoi.graph.models import Model, load_model
from aoi.graph.state import Budget

LABELS_FILE = "labels.json"
METADATA_FILE = "metadata.json"
SCORE_KEYS = ("root_cause_a1", "root_cause_a3", "object_a1", "object_a3", "both_a1", "full_a1")
"""`both_a1`: the rank-1 root cause and the rank-1 fault object are both right (the benchmark's partial A@1).
`full_a1`: also the fault taxonomy, which an answer does not name: it is the taxonomy table's category of the rank-1
root cause (`aoi.diagnosis.taxonomy`), so this is the benchmark's A@1 for an agent that names causes by the table."""

ModelFactory = Callable[[int], Model]
"""seed → the agent's model; lets callers (tests, notebooks) supply one instead of naming an agent."""


@dataclass(frozen=True, slots=True)
class Choices:
    """The closed answer sets of a split, from its `labels.json`."""

    root_causes: tuple[str, ...]
    fault_objects: tuple[str, ...]
    hint: str
    """Which kind of object each non-service root cause sits on; shown with the symptom."""

    def as_task(self) -> dict[str, list[str]]:
        return {"root_causes": list(self.root_causes), "fault_objects": list(self.fault_objects)}


def load_choices(root: Path) -> Choices:
    """The candidate labels of a split (`<root>/labels.json`).

    Raises:
        ValueError: the file is missing or has no root causes / valid objects.
    """
    try:
        labels = json.loads((root / LABELS_FILE).read_text(encoding="utf-8"))
        causes = [(str(r["name"]), str(r.get("target", "service"))) for r in labels["root_causes"]]
        objects = [f"{kind}/{name}" for kind, names in labels["valid_objects"].items() for name in names]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{root / LABELS_FILE} is missing or malformed ({type(exc).__name__}: {exc}); the task "
                         "needs the split's candidate root causes and objects") from exc
    if not causes or not objects:
        raise ValueError(f"{root / LABELS_FILE} lists no root causes or no valid objects")
    by_kind: dict[str, list[str]] = {}
    for name, target in causes:
        by_kind.setdefault(target, []).append(name)
    parts = [f"on a {kind}: {', '.join(names)}" for kind, names in sorted(by_kind.items()) if kind != "service"]
    hint = ("Root causes whose fault object is " + "; ".join(parts) + ". Every other root cause's fault object is "
            "a service.") if parts else ""
    return Choices(tuple(n for n, _ in causes), tuple(objects), hint)


def case_query(case: Path) -> str:
    """The symptom text the benchmark gives the agent for a case (its `query`); nothing else of the metadata."""
    return str(_metadata(case).get("query") or "The application has a fault.")


def case_truth(case: Path) -> dict[str, str]:
    """The ground truth `{fault_taxonomy, fault_object, root_cause}`: for the scorer only, never for the agent."""
    result = _metadata(case).get("result") or {}
    return {k: str(result.get(k, "")) for k in ("fault_taxonomy", "fault_object", "root_cause")}


def _metadata(case: Path) -> dict[str, Any]:
    try:
        data = json.loads((case / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"case {case} has no readable {METADATA_FILE}: {exc}") from exc
    return data if isinstance(data, dict) else {}


def score(submission: Any, truth: dict[str, str]) -> dict[str, float]:
    """Top-1 / top-3 hits of an `rca` submission against the truth: each 1.0 or 0.0. Anything but
    `{"root_causes": [...], "fault_objects": [...]}` with lists of strings scores 0 everywhere."""
    ranked: dict[str, list[str]] = {}
    for field_name in ("root_causes", "fault_objects"):
        values = submission.get(field_name) if isinstance(submission, dict) else None
        ranked[field_name] = [v.strip().lower() for v in values if isinstance(v, str)] \
            if isinstance(values, list) else []
    cause, obj = truth["root_cause"].lower(), truth["fault_object"].lower()
    causes, objects = ranked["root_causes"], ranked["fault_objects"]
    return {"root_cause_a1": float(causes[:1] == [cause]), "root_cause_a3": float(cause in causes[:3]),
            "object_a1": float(objects[:1] == [obj]), "object_a3": float(obj in objects[:3]),
            "both_a1": float(causes[:1] == [cause] and objects[:1] == [obj]),
            "full_a1": float(causes[:1] == [cause] and objects[:1] == [obj]
                             and _taxonomy_of(cause) == truth.get("fault_taxonomy", "").lower())}


def _taxonomy_of(cause: str) -> str:
    row = BY_NAME.get(cause)
    return taxonomy_label(row.category).lower() if row is not None else ""


def agent_model(agent: str, model: str, seed: int) -> Model:
    """The model behind an agent name: `aoi.baselines.agent_model` when it exists; else `aoi` is `model` itself.

    Raises:
        ValueError: an agent other than `aoi` without the baselines module.
    """
    try:
        from aoi.baselines import agent_model as baseline_model
    except ImportError:
        if agent != "aoi":
            raise ValueError(f"agent {agent!r} needs aoi.baselines, which is not available; use --agent aoi") from None
        return load_model(model, seed=seed)
    return baseline_model(agent, model=model, seed=seed)


@dataclass(frozen=True, slots=True)
class _Job:
    case: str
    category: str
    run: int
    agent: str
    model: str
    seed: int
    db: str | None
    choices: Choices
    budget: Budget


def thread_id(case: Path, agent: str, model: str, seed: int, run: int) -> str:
    digest = hashlib.sha256(f"{case.resolve()}|{agent}|{model}|{seed}|{run}".encode()).hexdigest()[:16]
    return f"opsbench-{digest}"


def run_case(job: _Job, model_factory: ModelFactory | None = None) -> dict[str, Any]:
    """One episode on one case; returns its record (scores, steps, outcome, wall time)."""
    from aoi.graph.runner import EpisodeConfig, EpisodeRunner

    case = Path(job.case)
    seed = job.seed + job.run
    description = case_query(case) + (f"\n{job.choices.hint}" if job.choices.hint else "")
    config = EpisodeConfig(cluster=f"replay:{case}", task="rca", model=job.model, approve="deny",
                           question=description, db=Path(job.db) if job.db else None, seed=seed,
                           budget=job.budget, choices=job.choices.as_task(),
                           thread_id=thread_id(case, job.agent, job.model, job.seed, job.run))
    model = model_factory(seed) if model_factory is not None else agent_model(job.agent, job.model, seed)
    started = time.perf_counter()
    if job.agent == "react" and model_factory is None:
        from aoi.baselines import run_react_episode

        result = run_react_episode(config, model)
    else:
        result = EpisodeRunner(config, model=model).run()
    return {"case": f"{job.category}/{case.name}", "category": job.category, "run": job.run,
            "thread_id": result.thread_id, "outcome": result.outcome, "steps": result.steps,
            "submission": result.submission, "wall_s": round(time.perf_counter() - started, 3),
            **score(result.submission, case_truth(case))}


def evaluate(path: Path, *, agent: str = "aoi", model: str = "embedded", runs: int = 1, workers: int = 1,
             seed: int = 0, db: Path | None = None, budget: Budget | None = None,
             model_factory: ModelFactory | None = None,
             progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run every case under `path` (a split root holding `labels.json`) `runs` times and score them.

    `model_factory` (seed → model) replaces the agent's model, and runs the episodes in this process. With
    `workers` > 1 episodes run in that many processes. `progress` is called with each finished episode's record.

    Returns at least `cases`, `episodes`, `root_cause_a1`, `root_cause_a3`, `object_a1`, `object_a3` (means over
    episodes), `both_a1`, `steps_mean`, `wall_s`, `by_category` and `results` (one record per episode).

    Raises:
        ValueError: no cases under `path`, a malformed `labels.json`, or bad `runs` / `workers`.
    """
    root = Path(path)
    cases = case_dirs(root)
    if not cases:
        raise ValueError(f"no Cloud-OpsBench cases under {root} (expected <category>/<id>/tool_cache.json)")
    if runs < 1 or workers < 1:
        raise ValueError("runs and workers must be at least 1")
    choices = load_choices(root)
    jobs = [_Job(str(case), case.parent.name, run, agent, model, seed, str(db) if db else None, choices,
                 budget or Budget()) for case in cases for run in range(runs)]
    started = time.perf_counter()
    records: list[dict[str, Any]] = []
    if workers == 1 or model_factory is not None:
        for job in jobs:
            records.append(run_case(job, model_factory))
            if progress is not None:
                progress(records[-1])
    else:
        from aoi.store.db import connect

        connect(db).close()  # migrate once here: workers opening a new database together would race
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for record in pool.map(run_case, jobs):
                records.append(record)
                if progress is not None:
                    progress(record)
    return summarise(records, cases=len(cases), wall_s=time.perf_counter() - started,
                     meta={"suite": "cloud-opsbench", "path": str(root), "agent": agent, "model": model,
                           "runs": runs, "workers": workers, "seed": seed})


def summarise(records: list[dict[str, Any]], *, cases: int, wall_s: float,
              meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Means of the scores over episodes, overall and per category."""

    def means(group: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {k: round(statistics.fmean(r[k] for r in group), 4) if group else 0.0
                               for k in SCORE_KEYS}
        out["episodes"] = len(group)
        out["cases"] = len({r["case"] for r in group})
        out["steps_mean"] = round(statistics.fmean(r["steps"] for r in group), 3) if group else 0.0
        return out

    by_category = {cat: means([r for r in records if r["category"] == cat])
                   for cat in sorted({r["category"] for r in records})}
    overall = means(records)
    overall["cases"] = cases
    return {**(meta or {}), **overall, "wall_s": round(wall_s, 3),
            "episode_s_mean": round(statistics.fmean(r["wall_s"] for r in records), 3) if records else 0.0,
            "outcomes": dict(Counter(str(r["outcome"]) for r in records)), "by_category": by_category,
            "results": records}
