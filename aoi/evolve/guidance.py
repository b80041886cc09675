"""The guidance provider the agent asks before every Observer decision (`EpisodeConfig(guidance=...)`).

It reads the symptoms in the episode's memory so far, looks up lessons with the same symptoms in the guidance
memory, and returns each with its provenance; the prompt shows them inside `<guidance source='evolver'>`.
Evaluations pass the problem being scored as `exclude_answers_of`, so no lesson that names its answer — or that
was learned from its own fault family — is ever shown for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aoi.evolve.memory import AnswerFilter, GuidanceItem, GuidanceMemory
from aoi.evolve.symptoms import symptom_tokens
from aoi.graph.prompts import Memory, TaskSpec
from aoi.graph.state import GuidanceProvider
from aoi.store.db import connect

MAX_ITEMS = 2
"""Lessons shown per decision: the embedded model's context is small, and the prompt drops guidance first."""


def answer_filter(exclude_answers_of: Any) -> AnswerFilter:
    """What must not be shown, from one or several problems' answers.

    Accepts, alone or in an iterable: a `GroundTruth`; a mapping with `faulty_components`, `fault_type`,
    `fault_object`, `family` (an episode's stored ground truth, or a problem's dict, also nested under
    `ground_truth`); an object with such attributes, or an `aoi.evals.problems.Problem` (family, app, target: its
    truth comes from the fault library); or a string, taken as a term to exclude (a service name, a fault type, a
    family). The system level is not excluded: its four values are everyday words, and lessons never state it.

    Raises:
        TypeError: something that carries no answer.
    """
    terms: set[str] = set()
    families: set[str] = set()
    items = [exclude_answers_of] if _single(exclude_answers_of) else list(exclude_answers_of or ())
    for item in items:
        t, f = _answer_of(item)
        terms |= t
        families |= f
    return AnswerFilter(frozenset(t for t in terms if t), frozenset(f for f in families if f))


def _single(value: Any) -> bool:
    return value is not None and (isinstance(value, str | Mapping) or not isinstance(value, Iterable))


def _answer_of(item: Any) -> tuple[set[str], set[str]]:
    if isinstance(item, str):
        return {item}, {item}
    if isinstance(item, Mapping):
        data = dict(item)
    else:
        data = {k: getattr(item, k) for k in ("ground_truth", "truth", "family", "fault", "faulty_components",
                                                "fault_type", "fault_object", "app", "target") if hasattr(item, k)}
        if not data:
            raise TypeError(f"exclude_answers_of: {type(item).__name__} carries no answer (expected a ground truth, "
                            f"a mapping or a problem with ground_truth/family)")
    terms: set[str] = {str(data["target"])} if data.get("target") else set()
    families = {str(data[k]) for k in ("family", "fault") if isinstance(data.get(k), str)}
    if "ground_truth" not in data and "truth" not in data and data.get("app"):
        data["truth"] = _library_truth(next(iter(families), ""), str(data["app"]), data.get("target"))
    for key in ("ground_truth", "truth"):
        nested = data.get(key)
        if callable(nested):
            nested = nested()
        if nested is not None:
            t, f = _answer_of(nested.to_dict() if hasattr(nested, "to_dict") else nested)
            terms |= t
            families |= f
    if hasattr(item, "to_dict") and not data.get("faulty_components"):
        data.update(item.to_dict())
    terms |= {str(c) for c in data.get("faulty_components") or ()}
    terms |= {str(data[k]) for k in ("fault_type",) if data.get(k)}
    obj = str(data.get("fault_object") or "")
    if "/" in obj:
        terms.add(obj.split("/", 1)[1])
    return terms | families, families


def _library_truth(family: str, app: str, target: Any) -> Any:
    """The fault library's ground truth for a problem given as (family, app, target); None for a healthy one."""
    from aoi.cluster.sim.faults import FAULTS, make_fault

    if family not in FAULTS or family == "noop":
        return None
    return make_fault(family, app, str(target) if target else None).ground_truth()


def render(item: GuidanceItem) -> str:
    """A lesson as the Observer sees it, with its provenance."""
    modes = item.failure_mode.replace("_", " ")
    return (f"{item.lesson} [evolver lesson #{item.id}, from {item.support} verified repair"
            f"{'s' if item.support != 1 else ''} of a {modes} failure]")


def lessons_for(conn: Any, task: TaskSpec, memory: Memory, *, answers: AnswerFilter | None = None,
                limit: int = MAX_ITEMS) -> list[GuidanceItem]:
    """The lessons for the next decision of an episode: its task, and the symptoms its tool outputs show."""
    texts = [o.text for record in memory.iterations for o in record.observations]
    return GuidanceMemory(conn).search(task.task, symptom_tokens(texts), limit=limit, answer_filter=answers)


def guidance_provider(db_path: Path | None = None, *, exclude_answers_of: Any = None,
                      limit: int = MAX_ITEMS) -> GuidanceProvider:
    """A `GuidanceProvider` over the guidance memory in `db_path` (default: the AOI database).

    `exclude_answers_of`: the problem(s) being scored (see `answer_filter`): lessons naming their answers, or
    learned from their families, are never returned.

    Raises:
        TypeError: `exclude_answers_of` carries no answer.
    """
    answers = answer_filter(exclude_answers_of) if exclude_answers_of is not None else None

    def provide(task: TaskSpec, memory: Memory) -> Sequence[str]:
        conn = connect(db_path)  # one per call: the provider may be asked from several worker threads
        try:
            return [render(item) for item in lessons_for(conn, task, memory, answers=answers, limit=limit)]
        finally:
            conn.close()

    return provide
