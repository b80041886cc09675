"""Why a failed episode failed: one failure mode per episode, from the trajectory and the oracle, by rules.

The rules read what the agent did (its decisions, calls, writes) against the ground truth (which component was
faulty, whether the answer scored). Each mode also names the step where the trajectory went wrong and the
earlier steps a repair may branch from — the latest first, so a repair keeps as much of the agent's own
trajectory as it can.

Every failure is classified by these rules; none is left for a model to judge. Ambiguity is settled by rule
order (see `classify`), and `Diagnosis.reason` says which facts decided it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from aoi.evolve.trajectory import DIAGNOSIS_TASKS, Call, Step, Trajectory

FailureMode = Literal["no_resolution", "incomplete_diagnosis", "wrong_diagnostic_path", "missing_verification",
                      "premature_submission", "wrong_fix", "invalid_actions", "budget_exhausted"]
"""no_resolution: a mitigation ended without any applied write. incomplete_diagnosis: the agent reached the
evidence (or part of the answer) but its answer is wrong or partial. wrong_diagnostic_path: it investigated, never
on the faulty component, and answered wrong. missing_verification: it submitted right after a write, without
checking, and the fault was still there. premature_submission: it answered after less than `MIN_PROBE_STEPS`
probe steps. wrong_fix: its writes did not remove the fault. invalid_actions: invalid decisions or tool calls
ended or derailed it. budget_exhausted: it ran out of steps, tool calls, tokens or time, or looped."""

FAILURE_MODES: tuple[FailureMode, ...] = ("no_resolution", "incomplete_diagnosis", "wrong_diagnostic_path",
                                          "missing_verification", "premature_submission", "wrong_fix",
                                          "invalid_actions", "budget_exhausted")

MIN_PROBE_STEPS = 2
"""Fewer probe steps than this before a wrong answer is a premature submission."""
MIN_BRANCH_BUDGET = 3
"""A repair branches only where at least this many steps of budget remain (probe, act or look again, submit)."""
_UNSUBMITTED = ("budget_exhausted", "time_exhausted", "repeated_calls")
_BROAD_ARGS = ("namespace", "resource_type", "kind", "since", "tail", "limit", "previous", "window")
"""Arguments that do not single out a component."""


@dataclass(frozen=True, slots=True)
class Diagnosis:
    mode: FailureMode
    failed_step: int
    """The step whose decision went wrong: a repair replaces the decisions from here on."""
    reason: str
    branch_points: tuple[int, ...] = ()
    """Steps a repair may branch from, latest first (`failed_step` first when it leaves enough budget)."""
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "failed_step": self.failed_step, "reason": self.reason,
                "branch_points": list(self.branch_points), "evidence": self.evidence}


def mentions(call: Call | dict[str, Any], names: tuple[str, ...]) -> bool:
    """Whether a call's arguments single out one of `names` (a workload, or a pod of it)."""
    args = call.args if isinstance(call, Call) else call.get("args") or {}
    values = [str(v) for k, v in args.items() if k not in _BROAD_ARGS]
    values += [json.dumps(v) for v in args.values() if isinstance(v, dict | list)]
    return any(re.search(rf"(?<![\w-]){re.escape(n)}(?!\w)", v) for v in values for n in names)


def _probe_calls(step: Step) -> list[Call]:
    if step.calls:
        return list(step.calls)
    if step.action == "probe":
        return [Call(c.get("tool", ""), c.get("args") or {}) for c in (step.decision or {}).get("tool_calls") or []]
    return []


def _submit_step(t: Trajectory) -> int:
    submits = [s.index for s in t.steps if s.action == "submit"]
    return submits[-1] if submits else (t.steps[-1].index if t.steps else 0)


def classify(t: Trajectory) -> Diagnosis:
    """The failure mode of a failed episode.

    Rules, first match wins: the episode ended on invalid decisions → invalid_actions; it never submitted →
    budget_exhausted; most of its calls failed or its writes were refused → invalid_actions; then, for
    mitigation: no applied write → no_resolution; no applied write on a faulty component → wrong_fix; no probe
    between the last write and the answer → missing_verification; otherwise wrong_fix. For diagnosis tasks: a
    partially right answer, or an answer after probing the faulty component → incomplete_diagnosis; fewer than
    `MIN_PROBE_STEPS` probe steps → premature_submission; otherwise wrong_diagnostic_path.

    Raises:
        ValueError: the episode did not fail (it succeeded, or it has no oracle).
    """
    if not t.failed:
        raise ValueError(f"episode {t.thread_id} did not fail (score {t.score}, task {t.task_type}); "
                         f"only failed, oracle-graded episodes have a failure mode")
    faulty = t.faulty
    submit = _submit_step(t)
    probes = [s for s in t.steps if _probe_calls(s)]
    calls = [c for s in t.steps for c in _probe_calls(s)]
    touched = [s.index for s in t.steps if any(mentions(c, faulty) for c in _probe_calls(s))]
    errors = [c for c in calls if c.error]
    refused = [s.index for s in t.steps if s.proposed_write is not None and s.write is None
               and s.approval != "reject"]
    facts: dict[str, Any] = {"outcome": t.outcome, "score": t.score, "probe_steps": len(probes),
                             "tool_errors": len(errors), "refused_writes": len(refused),
                             "touched_faulty_at": touched}

    def diagnosis(mode: FailureMode, step: int, reason: str) -> Diagnosis:
        return Diagnosis(mode, step, reason, branch_points(t, step), facts)

    if t.outcome == "invalid_actions":
        last = t.steps[-1].index if t.steps else 0
        return diagnosis("invalid_actions", last, f"the episode ended on invalid decisions at step {last}")
    if t.outcome in _UNSUBMITTED:
        wasted = _first_redundant(t)
        step = wasted if wasted is not None else (min(touched[-1] + 1, submit) if touched else submit)
        return diagnosis("budget_exhausted", step, f"it never submitted ({t.outcome}); "
                         + (f"step {wasted} only repeated earlier calls" if wasted is not None else
                            "no step repeated itself: it did not converge"))
    if (len(errors) >= 2 and len(errors) * 2 >= len(calls)) or len(refused) >= 2:
        first = min([s.index for s in t.steps if any(c.error for c in s.calls)] + refused)
        return diagnosis("invalid_actions", first, f"{len(errors)} of {len(calls)} tool calls failed and "
                         f"{len(refused)} writes were refused before approval")
    if t.task_type == "mitigation":
        return _mitigation(t, diagnosis, submit)
    if t.task_type not in DIAGNOSIS_TASKS:
        raise ValueError(f"unknown task type {t.task_type!r}")
    if _partial(t) or touched:
        why = "the answer is partly right" if _partial(t) else f"it probed the faulty component at steps {touched}"
        return diagnosis("incomplete_diagnosis", submit, f"{why} but the answer {t.submission!r} is wrong")
    if len([s for s in probes if s.index < submit]) < MIN_PROBE_STEPS:
        return diagnosis("premature_submission", submit, f"it answered at step {submit} after {len(probes)} "
                         f"probe step(s)")
    detour = _first_detour(t, submit)
    return diagnosis("wrong_diagnostic_path", detour, f"{len(probes)} probe steps, none on the faulty component; "
                     f"from step {detour} it followed other components")


def _mitigation(t: Trajectory, diagnosis: Any, submit: int) -> Diagnosis:
    writes = [s for s in t.steps if s.write is not None and s.write_status in ("applied", "noop")]
    if not writes:
        return diagnosis("no_resolution", submit, "the mitigation ended without an applied write")
    on_target = [s for s in writes if s.write is not None and mentions(s.write, t.faulty)]
    if not on_target:
        first = writes[0].index
        return diagnosis("wrong_fix", first, f"its writes (from step {first}) never touched the faulty component")
    last = writes[-1].index
    if not any(_probe_calls(s) for s in t.steps if last < s.index < submit):
        return diagnosis("missing_verification", submit, f"it submitted at step {submit} without checking the "
                         f"write of step {last}, and the fault remained")
    return diagnosis("wrong_fix", on_target[0].index, "it wrote to the faulty component and checked, but the fault "
                     "remained: the change was not the fix")


def _partial(t: Trajectory) -> bool:
    if t.score:
        return True
    if t.task_type == "analysis" and isinstance(t.submission, dict) and t.ground_truth:
        truth = t.ground_truth
        return any(str(t.submission.get(k, "")).lower() == str(truth.get(k, "")).lower()
                   for k in ("system_level", "fault_type"))
    return False


def _first_redundant(t: Trajectory) -> int | None:
    seen: set[str] = set()
    for s in t.steps:
        signatures = [f"{c.tool}:{json.dumps(dict(c.args), sort_keys=True)}" for c in _probe_calls(s)]
        if signatures and all(sig in seen for sig in signatures):
            return s.index
        seen.update(signatures)
    return None


def _first_detour(t: Trajectory, submit: int) -> int:
    """The first step that singled out a component (a wrong one, as nothing touched the faulty one)."""
    for s in t.steps:
        if s.index < submit and any(any(k not in _BROAD_ARGS for k in c.args) for c in _probe_calls(s)):
            return s.index
    return submit


def branch_points(t: Trajectory, failed_step: int) -> tuple[int, ...]:
    """Where a repair may branch: `failed_step`, then earlier steps, each leaving `MIN_BRANCH_BUDGET` steps."""
    latest = min(failed_step, t.max_steps - MIN_BRANCH_BUDGET)
    points = [latest, latest - 2, 1, 0]
    return tuple(sorted({p for p in points if 0 <= p <= latest}, reverse=True))
