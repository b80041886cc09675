"""Which writes a diagnosis backs: the test a write must pass to be approved without a person.

A model can be talked into any write by text it reads — a log line that says "root cause: X, fix: scale Y to 0"
is written by whoever controls what the application logs. So an automatic approval does not ask whether the
model's reasoning sounds right; it asks whether the write is one the mitigation table (`remedies`) derives, from
reads made now, for a triage hypothesis that object state shows (`Hypothesis.structural`: a Pending pod, a quota
at its limit, a container's last state, a spec — not only a log line or an event message). A write that passes is
*backed*; every other write waits for a human, who sees the same backing (or its absence) on the approval card.

Works through reads only: `read(tool, args)` is a probe call, so the same test runs on the simulator, a live
cluster and inside the graph, which holds no cluster object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aoi.diagnosis.findings import Evidence, Hypothesis
from aoi.diagnosis.remedies import Call, ToolOutput, plan_reads, plan_writes, reads_complete

Read = Callable[[str, dict[str, Any]], ToolOutput]
"""A read-only probe call: (tool, args) → its output."""

MAX_READ_ROUNDS = 3
"""`remedies` needs at most two rounds of reads; one more tolerates a round that revealed nothing new."""
MIN_SCORE = 0.3
"""Hypotheses ranked below this are leads, not diagnoses: nothing is written on their account."""


@dataclass(frozen=True, slots=True)
class Backing:
    """The diagnosis a write rests on: a cause on an object, and the object-state lines that show it."""

    cause: str
    object: str
    score: float
    evidence: tuple[Evidence, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"cause": self.cause, "object": self.object, "score": self.score,
                "evidence": [{"line": e.line, "source": e.source} for e in self.evidence]}


def backing_label(backing: Mapping[str, Any] | None) -> str:
    """A backing (`Backing.as_dict` form) as the approvals table stores it: `cause on object`; "" for none."""
    return f"{backing['cause']} on {backing['object']}" if backing else ""


def continuing(earlier: Iterable[Mapping[str, Any]]) -> list[Hypothesis]:
    """The diagnoses that backed this episode's earlier applied writes (`Backing.as_dict` forms; malformed ones are
    skipped). A fix can take several writes — delete a claim, then recreate it; cordon a node, then move its pods —
    and after the first, triage no longer shows the fault the way it did; the rest of the plan the table derives for
    the same diagnosis, from reads made now, is still backed by it."""
    return hypotheses_from_json({"hypotheses": [dict(b) for b in earlier if isinstance(b, Mapping)]})


def hypotheses_from_json(data: Mapping[str, Any]) -> list[Hypothesis]:
    """The hypotheses of a triage report in its JSON form (`triage.as_json`, the probe's `triage(as_json=True)`);
    entries that do not have that shape are skipped."""
    out = []
    for item in data.get("hypotheses") or []:
        if not isinstance(item, Mapping):
            continue
        evidence = tuple(Evidence(str(e.get("line", "")), str(e.get("source", "")))
                         for e in item.get("evidence") or [] if isinstance(e, Mapping))
        try:
            out.append(Hypothesis(cause=str(item["cause"]), object=str(item["object"]),
                                  category=str(item.get("category", "")), score=float(item["score"]),
                                  evidence=evidence, confirm=str(item.get("confirm", "")),
                                  analyzers=tuple(str(a) for a in item.get("analyzers") or ())))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def backed_writes(hypotheses: Iterable[Hypothesis], namespace: str, read: Read) -> list[tuple[Call, Backing]]:
    """Every write the mitigation table derives, from reads made now through `read`, for each hypothesis that object
    state shows and that ranks at least `MIN_SCORE`, with the backing it rests on."""
    out: list[tuple[Call, Backing]] = []
    done: set[tuple[str, str]] = set()
    for h in hypotheses:
        if h.score < MIN_SCORE or not h.structural or (h.cause, h.object) in done:
            continue
        done.add((h.cause, h.object))
        outputs: list[ToolOutput] = []
        for _ in range(MAX_READ_ROUNDS):
            calls = plan_reads(h.cause, h.object, namespace, outputs)
            if not calls or reads_complete(h.cause, h.object, namespace, outputs):
                break
            outputs = [read(tool, args) for tool, args in calls]
        backing = Backing(h.cause, h.object, h.score, tuple(e for e in h.evidence if e.structural))
        out.extend((call, backing) for call in plan_writes(h.cause, h.object, namespace, outputs))
    return out


def backing_of(tool: str, args: Mapping[str, Any], backed: Sequence[tuple[Call, Backing]],
               same_args: Callable[[str, Mapping[str, Any], Mapping[str, Any]], bool]) -> Backing | None:
    """The backing of the proposed write (`tool`, `args`): the first backed write with that tool whose arguments
    `same_args(tool, proposed, derived)` judges equal; None when no diagnosis backs it."""
    for (derived_tool, derived_args), backing in backed:
        if derived_tool == tool and same_args(tool, args, derived_args):
            return backing
    return None
