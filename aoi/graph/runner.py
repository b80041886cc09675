"""Running one episode: start or resume a thread, stream its steps, answer its approval interrupts, record it.

The same runner serves `aoi diagnose`, `aoi chat`, `make demo`, evaluations and the notebooks. Everything an
episode needs to continue lives in the database file (LangGraph checkpoints, the episode tables) and in the
simulated cluster's per-thread state file, so a new process resumes a thread exactly where the last one stopped —
including a pending approval, which is never answered automatically.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.types import Command

from aoi.evals.grading import grade
from aoi.graph.builder import compile_graph
from aoi.graph.environment import Environment, episode_state_path
from aoi.graph.models import Model, load_model
from aoi.graph.state import ApproveMode, Budget, GuidanceProvider, Runtime, TaskType
from aoi.store.db import connect, default_db_path
from aoi.store.episodes import EpisodeStore
from aoi.store.ids import check_id
from aoi.tools.grants import load_or_create_key
from aoi.tools.redaction import redact_text

EventHandler = Callable[[str, dict[str, Any]], None]
"""Called with (node, update) after every superstep."""

ApprovalHandler = Callable[[dict[str, Any]], dict[str, Any] | None]
"""Shown a proposal (tool, args, diff, undo plan, evidence); returns {action: approve|reject|edit, ...}, or None to
leave the episode paused."""


def answer_once(answer: dict[str, Any]) -> ApprovalHandler:
    """An approval handler that gives `answer` to the first proposal only and pauses at any later one."""
    given: list[bool] = []

    def handler(_proposal: dict[str, Any]) -> dict[str, Any] | None:
        if given:
            return None
        given.append(True)
        return answer

    return handler

TASK_TEXT = {
    "detection": "The service {app} is deployed in namespace {ns}. Is there an anomaly in it right now? "
                 "Investigate with the read tools and submit \"Yes\" or \"No\".",
    "localization": "The service {app} in namespace {ns} has a fault. Find the faulty component(s) and submit the "
                    "list of their service names (the fewer, the better).",
    "analysis": "The service {app} in namespace {ns} has a fault. Find its root cause and submit the system level "
                "and the fault type.",
    "mitigation": "The service {app} in namespace {ns} has a fault. Find it and fix it: propose writes (a human "
                  "approves them), verify, then submit.",
    "rca": "The application in namespace {ns} has a fault. Find its root cause and the faulty object, and submit up "
           "to 3 ranked root causes and up to 3 ranked fault objects from the lists given.",
}


@dataclass(slots=True)
class EpisodeConfig:
    cluster: str
    task: TaskType
    model: str = "embedded"
    approve: ApproveMode = "ask"
    question: str | None = None
    thread_id: str | None = None
    db: Path | None = None
    seed: int = 0
    budget: Budget = field(default_factory=Budget)
    guidance: GuidanceProvider | None = None
    choices: dict[str, list[str]] | None = None
    """The closed answer sets of an `rca` task: `{"root_causes": [...], "fault_objects": [...]}`."""


@dataclass(slots=True)
class EpisodeResult:
    thread_id: str
    status: str
    """`done`, or `awaiting_approval` when the episode is paused at an interrupt."""
    outcome: str | None
    submission: Any
    steps: int
    success: bool | None
    score: float | None
    pending: dict[str, Any] | None
    writes: list[dict[str, Any]]
    flags: list[str]
    wall_s: float

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


class ThreadMismatchError(ValueError):
    """A thread was resumed with a cluster spec other than the one it was started on; continuing would replace its
    cluster state under the episode."""


class EpisodeFailedError(RuntimeError):
    """The episode stopped on an error (a model or backend that raised); it is recorded `failed` with the reason,
    and its last checkpoint stays, so running the thread again continues it."""


class EpisodeRunner:
    def __init__(self, config: EpisodeConfig, *, model: Model | None = None, on_event: EventHandler | None = None,
                 ask_approval: ApprovalHandler | None = None) -> None:
        if config.approve == "auto" and not config.cluster.startswith(("sim:", "replay:")):
            raise ValueError("--approve auto is allowed only on simulated or replayed clusters")
        self.config = config
        self.thread_id = check_id(config.thread_id) if config.thread_id else f"ep-{uuid.uuid4().hex[:12]}"
        db_path = Path(config.db) if config.db else default_db_path()
        self._db_path = db_path
        self._conn = connect(db_path)
        self.store = EpisodeStore(self._conn)
        recorded = self.store.episode(self.thread_id)
        if recorded is not None and recorded["cluster"] != config.cluster:
            raise ThreadMismatchError(
                f"thread {self.thread_id} was started on cluster {recorded['cluster']!r}, not {config.cluster!r}; "
                "resume it with the same --cluster, or start a new thread")
        key = load_or_create_key()
        self.env = Environment(config.cluster, conn=self._conn, key=key, state_path=episode_state_path(self.thread_id))
        self.model = model or load_model(config.model, seed=config.seed)
        self._on_event = on_event
        self.ask_approval = ask_approval
        runtime = Runtime(self.model, self.env, self.store, self.thread_id, config.approve, config.budget,
                          guidance=config.guidance)
        self.graph = compile_graph(runtime, db_path)
        self._run_config = {"configurable": {"thread_id": self.thread_id}, "recursion_limit": 200}

    def task_text(self) -> str:
        if self.config.task == "rca" and self.config.question:
            return self.config.question
        if self.config.task == "question":
            return self.config.question or "What is wrong with this cluster?"
        return TASK_TEXT[self.config.task].format(app=self.env.app, ns=self.env.namespace)

    def run(self) -> EpisodeResult:
        """Start the thread, or continue it; returns when it ends or waits for an approval nobody can give.

        Raises:
            EpisodeFailedError: the model, a tool or the backend raised; the episode is recorded `failed`.
        """
        started = time.perf_counter()
        try:
            return self._run(started)
        except Exception as exc:
            reason = _one_line(f"{type(exc).__name__}: {exc}")
            self.store.fail(self.thread_id, reason, wall_s=time.perf_counter() - started)
            raise EpisodeFailedError(f"episode {self.thread_id} failed: {reason}") from exc

    def _run(self, started: float) -> EpisodeResult:
        truth = self.env.fault.ground_truth().to_dict() if self.env.fault else None
        self.store.start(self.thread_id, task_type=self.config.task, task_text=self.task_text(),
                         cluster=self.config.cluster, model=self.model.name, approve_mode=self.config.approve,
                         ground_truth=truth)
        self.store.reopen(self.thread_id)
        snapshot = self.graph.get_state(self._run_config)
        payload: Any
        if not snapshot.values:
            payload = {"task": {"type": self.config.task, "text": self.task_text(), "namespace": self.env.namespace,
                                "app": self.env.app,
                                "services": self.env.services, **(self.config.choices or {})},
                       "base_tick": self.env.current_tick(), "started_at": time.time(), "step": 0}
        elif _ended(snapshot):
            return self._finish(snapshot.values, started)
        else:
            payload = self._answer(snapshot)  # None: continue from the last checkpoint (e.g. after a crash)
            if payload is None and _pending_interrupt(snapshot) is not None:
                return self._paused(snapshot, started)
        while True:
            # "sync": each superstep's checkpoint is on disk before the next one starts (invariant 6).
            for update in self.graph.stream(payload, self._run_config, stream_mode="updates",
                                            durability="sync"):
                for node, values in update.items():
                    if node != "__interrupt__" and self._on_event is not None:
                        self._on_event(node, values or {})
            snapshot = self.graph.get_state(self._run_config)
            if _ended(snapshot):
                return self._finish(snapshot.values, started)
            payload = self._answer(snapshot)
            if payload is None:
                return self._paused(snapshot, started)

    def resume(self, answer: dict[str, Any]) -> EpisodeResult:
        """Answer the pending approval of a paused thread and continue it; a later proposal pauses again."""
        self.ask_approval = answer_once(answer)
        return self.run()

    def _answer(self, snapshot: Any) -> Command | None:
        """The human's answer to a pending approval as a resume command; None when nobody can answer now."""
        pending = _pending_interrupt(snapshot)
        if pending is None or self.ask_approval is None:
            return None
        if self._on_event is not None:
            self._on_event("__approval__", pending)
        answer = self.ask_approval(pending)
        return None if answer is None else Command(resume=answer)

    def _paused(self, snapshot: Any, started: float) -> EpisodeResult:
        wall = time.perf_counter() - started
        self.store.set_status(self.thread_id, "awaiting_approval", add_wall_s=wall)
        values = snapshot.values
        return EpisodeResult(self.thread_id, "awaiting_approval", None, None, values.get("step", 0), None, None,
                             _pending_interrupt(snapshot), values.get("writes", []), values.get("flags", []), wall)

    def _finish(self, values: dict[str, Any], started: float) -> EpisodeResult:
        success: bool | None = None
        score: float | None = None
        if self.env.fault is not None and self.config.task != "question":
            mitigated = self.env.mitigated() if self.config.task == "mitigation" else None
            result = grade(self.config.task, values.get("submission"), self.env.fault.ground_truth(),
                           mitigated=mitigated)
            success, score = result.success, result.score
        wall = time.perf_counter() - started
        self.store.finish(self.thread_id, status="done", outcome=values.get("outcome") or "", submission=values.get(
            "submission"), success=score, flags=values.get("flags", []), wall_s=wall)
        return EpisodeResult(self.thread_id, "done", values.get("outcome"), values.get("submission"),
                             values.get("step", 0), success, score, None, values.get("writes", []),
                             sorted(set(values.get("flags", []))), wall)


def _one_line(text: str, limit: int = 500) -> str:
    """`text` redacted, on one line and at most `limit` characters: it goes to the store and the terminal."""
    line = " ".join(redact_text(text).split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _ended(snapshot: Any) -> bool:
    """Whether the thread reached END. An empty `next` alone does not say so: LangGraph leaves out of `next` the
    tasks whose writes were saved, so a crash after a superstep's writes and before its checkpoint shows an empty
    `next` with those tasks still listed; streaming from there applies the writes and goes on."""
    return not snapshot.next and not snapshot.tasks


def _pending_interrupt(snapshot: Any) -> dict[str, Any] | None:
    for task in snapshot.tasks or ():
        for intr in getattr(task, "interrupts", ()) or ():
            return dict(intr.value)
    return None
