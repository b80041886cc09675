"""An episode as the evolver reads it: one record per step with the decision, the probe calls and their results,
the executed write and the human's (or policy's) answer to a proposed write.

Built from the episode store's rows (`load_trajectory`), or by hand in tests — the classifier and the lesson
writer only ever see this type.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aoi.store.episodes import EpisodeStore

DIAGNOSIS_TASKS = ("detection", "localization", "analysis")
GRADED_TASKS = (*DIAGNOSIS_TASKS, "mitigation")

_MAX_STEPS = re.compile(r"This is step \d+ of at most (\d+)")


@dataclass(frozen=True, slots=True)
class Call:
    """One tool call and what it returned (`text` is the redacted output; empty when not recorded)."""

    tool: str
    args: Mapping[str, Any] = field(default_factory=dict)
    error: bool = False
    text: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    """One Observer step. `decision` is None when the model's answer did not parse (`error` says why)."""

    index: int
    decision: Mapping[str, Any] | None
    error: str | None = None
    prompt: tuple[Mapping[str, str], ...] = ()
    completion: str = ""
    calls: tuple[Call, ...] = ()
    """The probe calls the step ran, with their results."""
    write: Call | None = None
    """The write the step executed (after approval); `text` is the executor's answer."""
    write_status: str = ""
    """The executor's status for `write`: applied, noop, failed, ..."""
    approval: str | None = None
    """`approve` or `reject` when the step proposed a write that reached the approval node."""

    @property
    def action(self) -> str:
        return str((self.decision or {}).get("action", ""))

    @property
    def proposed_write(self) -> Mapping[str, Any] | None:
        """The write call the decision proposed (whether or not it ran)."""
        if self.action != "act":
            return None
        calls = (self.decision or {}).get("tool_calls") or []
        return calls[0] if calls else None


@dataclass(frozen=True, slots=True)
class Trajectory:
    thread_id: str
    task_type: str
    cluster: str
    outcome: str
    """How the episode ended: submitted, budget_exhausted, time_exhausted, repeated_calls, invalid_actions."""
    submission: Any
    score: float | None
    """The oracle's score (1.0 success; AIOpsLab's partial credit for localization)."""
    ground_truth: Mapping[str, Any] | None
    steps: tuple[Step, ...]
    model: str = ""
    approve_mode: str = "auto"
    flags: tuple[str, ...] = ()
    created_at: str = ""

    @property
    def success(self) -> bool:
        return self.score is not None and self.score >= 1.0

    @property
    def failed(self) -> bool:
        """Graded by an oracle and not a success (an ungraded episode — a question, a live cluster — never fails)."""
        return self.task_type in GRADED_TASKS and self.ground_truth is not None and not self.success

    @property
    def faulty(self) -> tuple[str, ...]:
        return tuple((self.ground_truth or {}).get("faulty_components") or ())

    @property
    def max_steps(self) -> int:
        """The step budget the episode ran under, read from its first prompt (15, the paper's, if unknown)."""
        for step in self.steps:
            for message in step.prompt:
                match = _MAX_STEPS.search(message.get("content", ""))
                if match:
                    return int(match.group(1))
        return 15

    def step(self, index: int) -> Step | None:
        return next((s for s in self.steps if s.index == index), None)


def load_trajectory(conn: sqlite3.Connection, thread_id: str) -> Trajectory:
    """The episode `thread_id` from the store.

    Raises:
        KeyError: no such episode.
    """
    store = EpisodeStore(conn)
    episode = store.episode(thread_id)
    if episode is None:
        raise KeyError(f"no episode {thread_id!r}; see `aoi episodes list`")
    rows = store.steps(thread_id)
    approvals = {a["step"]: a["decision"] for a in store.approvals(thread_id)}
    by_step: dict[int, dict[str, Any]] = {}
    for row in rows:
        by_step.setdefault(row["step"], {})[row["node"]] = row
    steps = []
    for index in sorted(by_step):
        nodes = by_step[index]
        reason, observe, act = nodes.get("reason") or {}, nodes.get("observe") or {}, nodes.get("act") or {}
        calls = tuple(Call(r.get("tool", ""), r.get("args") or {}, bool(r.get("error")), r.get("text", ""))
                      for r in observe.get("results") or [])
        write, status = None, ""
        if act:
            call = (act.get("tool_calls") or [{}])[0]
            result = (act.get("results") or [{}])[0]
            text = str(result.get("text", ""))
            write = Call(call.get("tool", ""), call.get("args") or {}, False, text)
            status = _status_of(text)
        steps.append(Step(index, reason.get("decision"), reason.get("error"), tuple(reason.get("prompt") or ()),
                          reason.get("completion") or "", calls, write, status, approvals.get(index)))
    return Trajectory(thread_id, episode["task_type"], episode["cluster"], episode.get("outcome") or "",
                      episode.get("submission"), episode.get("success"), episode.get("ground_truth"), tuple(steps),
                      episode.get("model", ""), episode.get("approve_mode", "auto"),
                      tuple(episode.get("flags") or ()), episode.get("created_at", ""))


def _status_of(executor_text: str) -> str:
    for line in executor_text.splitlines()[:3]:
        if line.startswith("status: "):
            return line.removeprefix("status: ").strip()
    return "failed"


def failed_thread_ids(conn: sqlite3.Connection, *, since: str | None = None) -> list[str]:
    """Finished, oracle-graded episodes that did not succeed, oldest first; `since` is an ISO time (inclusive)."""
    query = ("SELECT thread_id FROM episodes WHERE status = 'done' AND ground_truth IS NOT NULL "
             "AND task_type IN ({}) AND (success IS NULL OR success < 1.0)".format(", ".join("?" for _ in
                                                                                          GRADED_TASKS)))
    params: list[Any] = list(GRADED_TASKS)
    if since:
        query += " AND created_at >= ?"
        params.append(since)
    return [r[0] for r in conn.execute(query + " ORDER BY created_at, thread_id", params)]


def decision_text(decision: Mapping[str, Any]) -> str:
    """A decision as the completion a model would give: compact JSON, keys in the schema's order."""
    order = ("summary", "phase", "hypothesis", "confidence", "action", "tool_calls", "submission")
    ordered = {k: decision[k] for k in order if k in decision}
    return json.dumps(ordered, ensure_ascii=False)
