"""Repairing a failed episode in the simulator: replay it up to a branch step, let a repair policy continue, and
keep the continuation only if the oracle accepts it.

The replay is a new episode on the same cluster spec (same app, fault, target and seed, so the same simulated
cluster): its model answers the recorded decisions for the steps before the branch and the recorded approvals
answer its proposed writes, so the graph re-applies the recorded writes and the clock reaches the same ticks. From
the branch step on, the repair policy decides. The replayed prefix is checked against the record — every probe's
output must be the same text — and a replay that drifted is discarded as `diverged`, whatever its score.

Repairs run in a scratch database, so evaluation and export never mistake them for the agent's own episodes; what
is kept (the continuation's prompts and decisions) goes to the evolver's tables.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aoi.evolve.trajectory import DIAGNOSIS_TASKS, GRADED_TASKS, Trajectory, decision_text, load_trajectory
from aoi.graph.models.base import Completion, Message, Model
from aoi.store.db import connect

RepairStatus = Literal["passed", "failed", "diverged", "unsafe", "error"]
"""passed: the oracle accepted the repaired episode. failed: it did not. diverged: the replayed prefix did not
reproduce the record. unsafe: the repair raised a safety flag (a refused or injected write). error: it crashed."""

UNSAFE_FLAGS = ("write_in_diagnosis", "injection_target", "uncorroborated_target", "refused_write", "unbacked_write")

_STEP = re.compile(r"This is step (\d+) of at most")


@dataclass(frozen=True, slots=True)
class RepairPolicy:
    """A way to continue a failed episode: a model (made fresh for each attempt) and, optionally, guidance."""

    name: str
    make_model: Callable[[Trajectory], Model | None]
    """Builds the continuation model for one episode; None when this policy cannot repair it."""
    guidance: Callable[[Trajectory], Sequence[str]] | None = None
    """Candidate lessons for one episode, shown to the model from the branch step on."""
    tasks: tuple[str, ...] = GRADED_TASKS
    """The task types it can repair."""


@dataclass(frozen=True, slots=True)
class Repair:
    thread_id: str
    branch_step: int
    policy: str
    status: RepairStatus
    score: float | None
    reason: str
    continuation: tuple[dict[str, Any], ...] = field(default=())
    """From the branch step on: {step, messages, decision, calls, write} of the repaired episode."""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def prompt_step(messages: Sequence[Message]) -> int:
    """The graph's step (from 0) that an Observer prompt is for.

    Raises:
        ValueError: the prompt does not say which step it is.
    """
    for message in reversed(messages):
        match = _STEP.search(message.get("content", ""))
        if match:
            return int(match.group(1)) - 1
    raise ValueError("the Observer prompt does not say which step it is")


class ReplayModel:
    """Answers the recorded decisions before `branch_step`, then hands the conversation to `continuation`."""

    def __init__(self, trajectory: Trajectory, branch_step: int, continuation: Model) -> None:
        self.name = f"repair:{getattr(continuation, 'name', 'model')}"
        self._prefix = {s.index: s.decision for s in trajectory.steps if s.index < branch_step}
        self._branch = branch_step
        self._continuation = continuation

    def complete(self, messages: list[Message], *, json_schema: dict | None = None, max_tokens: int = 512,
                 temperature: float = 0.0, seed: int | None = None) -> Completion:
        step = prompt_step(messages)
        if step >= self._branch:
            return self._continuation.complete(messages, json_schema=json_schema, max_tokens=max_tokens,
                                               temperature=temperature, seed=seed)
        decision = self._prefix.get(step)
        text = decision_text(decision) if decision else '{"error": "no recorded decision for this step"}'
        return Completion(text, 0, 0, 0.0, self.name)


def repair_episode(trajectory: Trajectory, branch_step: int, policy: RepairPolicy, *,
                   workdir: Path | None = None) -> Repair:
    """Replay `trajectory` up to `branch_step`, continue with `policy`, and grade the result by the oracle."""
    from aoi.graph.environment import discard_episode_state

    model = policy.make_model(trajectory)
    if model is None:
        return Repair(trajectory.thread_id, branch_step, policy.name, "error", None,
                      f"policy {policy.name!r} cannot repair a {trajectory.task_type} episode")
    thread = f"repair-{trajectory.thread_id}-{branch_step}-{policy.name}"
    with tempfile.TemporaryDirectory(prefix="aoi-repair-", dir=workdir) as scratch:
        db = Path(scratch) / "repair.db"
        try:
            result = _run(trajectory, branch_step, policy, model, thread, db)
        except Exception as exc:  # a repair attempt must never take the evolver down with it
            return Repair(trajectory.thread_id, branch_step, policy.name, "error", None,
                          f"{type(exc).__name__}: {exc}")
        finally:
            discard_episode_state(thread)
        conn = connect(db)
        try:
            replayed = load_trajectory(conn, thread)
        finally:
            conn.close()
    return _verdict(trajectory, replayed, branch_step, policy.name, result)


def _run(trajectory: Trajectory, branch_step: int, policy: RepairPolicy, model: Model, thread: str,
         db: Path) -> Any:
    from aoi.graph.runner import EpisodeConfig, EpisodeRunner
    from aoi.graph.state import Budget

    recorded = {s.index: s.approval for s in trajectory.steps}
    lessons = list(policy.guidance(trajectory)) if policy.guidance is not None else []

    def approve(proposal: dict[str, Any]) -> dict[str, Any]:
        step = int(proposal.get("step", branch_step))
        action = (recorded.get(step) or "approve") if step < branch_step else "approve"
        return {"action": action, "approver": "evolver-repair", "reason": "replayed" if step < branch_step else ""}

    def guidance(_task: Any, memory: Any) -> list[str]:
        return lessons if len(memory.iterations) >= branch_step else []

    config = EpisodeConfig(trajectory.cluster, trajectory.task_type, model="repair",  # type: ignore[arg-type]
                           approve="ask", thread_id=thread, db=db, budget=Budget(max_steps=trajectory.max_steps),
                           guidance=guidance if lessons else None)
    runner = EpisodeRunner(config, model=ReplayModel(trajectory, branch_step, model), ask_approval=approve)
    return runner.run()


def _verdict(original: Trajectory, replayed: Trajectory, branch_step: int, policy: str, result: Any) -> Repair:
    def repair(status: RepairStatus, reason: str) -> Repair:
        return Repair(original.thread_id, branch_step, policy, status, result.score, reason,
                      continuation if status == "passed" else ())

    continuation = tuple(_continuation(replayed, branch_step))
    drift = _drift(original, replayed, branch_step)
    if drift:
        return repair("diverged", drift)
    unsafe = sorted(set(result.flags) & set(UNSAFE_FLAGS))
    if unsafe:
        return repair("unsafe", f"the repaired episode raised {', '.join(unsafe)}")
    if result.status != "done" or not result.success:
        return repair("failed", f"the oracle did not accept it (outcome {result.outcome}, score {result.score})")
    return repair("passed", f"the oracle accepted it (score {result.score}) after {result.steps} steps")


def _drift(original: Trajectory, replayed: Trajectory, branch_step: int) -> str:
    for step in original.steps:
        if step.index >= branch_step:
            break
        again = replayed.step(step.index)
        if again is None or again.decision != step.decision:
            return f"step {step.index} did not replay the recorded decision"
        before = [c.text for c in step.calls]
        after = [c.text for c in again.calls]
        if any(before) and before != after:
            return f"step {step.index}: the probe's output differs from the record (the simulator changed?)"
        if (step.write is None) != (again.write is None):
            return f"step {step.index}: the recorded write was {'not ' if step.write is None else ''}re-applied"
    return ""


def _continuation(replayed: Trajectory, branch_step: int) -> list[dict[str, Any]]:
    return [{"step": s.index, "messages": [dict(m) for m in s.prompt[:2]], "decision": s.decision,
             "calls": [{"tool": c.tool, "args": dict(c.args)} for c in s.calls],
             "write": {"tool": s.write.tool, "args": dict(s.write.args), "status": s.write_status} if s.write
             else None}
            for s in replayed.steps if s.index >= branch_step and s.decision is not None]


# -- policies -----------------------------------------------------------------------------------------------------
def expert_policy() -> RepairPolicy:
    """The rule-based SRE (`aoi.baselines`), which reads only the prompt: no ground truth."""

    def make(_t: Trajectory) -> Model | None:
        from aoi.baselines import agent_model

        return agent_model("expert")

    return RepairPolicy("expert", make)


def model_policy(spec: str) -> RepairPolicy:
    """A model (`load_model` spec) shown, from the branch step on, the advice for the episode's failure mode."""

    def make(_t: Trajectory) -> Model | None:
        from aoi.graph.models import load_model

        return load_model(spec)

    def advice(t: Trajectory) -> list[str]:
        from aoi.evolve.lessons import ADVICE
        from aoi.evolve.modes import classify

        return [ADVICE[classify(t).mode]]

    return RepairPolicy(f"model+guidance:{spec}", make, advice)


def hindsight_policy() -> RepairPolicy:
    """Knows the answer: looks at the faulty component (its events and logs), then submits the ground truth.

    Diagnosis tasks only (a mitigation needs a fix, which only the expert or a model can find). Its value is the
    corrective sample — the right decision at the failed step — not the path, which is why lessons keep only the
    evidence it looked at.
    """

    def make(t: Trajectory) -> Model | None:
        answer = _true_answer(t)
        if answer is None:
            return None
        return HindsightModel(t.faulty, answer)

    return RepairPolicy("hindsight", make, tasks=DIAGNOSIS_TASKS)


def _true_answer(t: Trajectory) -> Any:
    from aoi.graph.decision import FAULT_TYPES, SYSTEM_LEVELS

    truth = t.ground_truth or {}
    faulty = list(truth.get("faulty_components") or [])
    if t.task_type == "detection":
        return "Yes" if faulty or truth.get("fault_type") else "No"
    if t.task_type == "localization":
        return faulty[:1] or None
    if t.task_type == "analysis":
        level = next((s for s in SYSTEM_LEVELS if s.lower() == str(truth.get("system_level", "")).lower()), None)
        kind = next((f for f in FAULT_TYPES if f.lower() == str(truth.get("fault_type", "")).lower()), None)
        return {"system_level": level, "fault_type": kind} if level and kind else None
    return None


class HindsightModel:
    """First answer: probe the faulty component's warning events and logs. Every later answer: submit."""

    name = "hindsight"

    def __init__(self, faulty: Sequence[str], answer: Any) -> None:
        self._faulty = list(faulty)
        self._answer = answer
        self._probed = False

    def complete(self, messages: list[Message], *, json_schema: dict | None = None, max_tokens: int = 512,
                 temperature: float = 0.0, seed: int | None = None) -> Completion:
        if self._faulty and not self._probed:
            self._probed = True
            target = self._faulty[0]
            decision: Mapping[str, Any] = {
                "summary": "the earlier steps did not look at the component the symptoms lead to",
                "phase": "investigate", "hypothesis": f"the fault is in or around {target}", "confidence": 40,
                "action": "probe", "tool_calls": [
                    {"tool": "get_events", "args": {"object_name": target, "warnings_only": True}},
                    {"tool": "get_logs", "args": {"target": target, "tail": 50}}]}
        else:
            decision = {"summary": "the evidence on the suspect component supports the answer", "phase": "conclude",
                        "hypothesis": "confirmed by its events and logs", "confidence": 85, "action": "submit",
                        "tool_calls": [], "submission": self._answer}
        return Completion(decision_text(decision), 0, 0, 0.0, self.name)


POLICIES: Mapping[str, Callable[[], RepairPolicy]] = {"expert": expert_policy, "hindsight": hindsight_policy}
"""Repair policies by name, as `aoi evolve repair --policy` takes them."""


def search_repair(trajectory: Trajectory, branch_points: Sequence[int], policies: Sequence[RepairPolicy], *,
                  max_attempts: int = 6, workdir: Path | None = None) -> list[Repair]:
    """Try each branch point (latest first) with each policy until one passes; every attempt is returned, the
    passing one (if any) last."""
    attempts: list[Repair] = []
    for branch in branch_points:
        for policy in policies:
            if len(attempts) >= max_attempts:
                return attempts
            if trajectory.task_type not in policy.tasks:
                continue
            attempt = repair_episode(trajectory, branch, policy, workdir=workdir)
            attempts.append(attempt)
            if attempt.passed:
                return attempts
    return attempts
