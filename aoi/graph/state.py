"""The agent's state: what LangGraph checkpoints after every superstep.

Lists that only grow are annotated with `operator.add` reducers, so nodes return just what they add. Runtime
objects (model, environment, stores) are not state: they live in `Runtime`, handed to the nodes.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypedDict

from aoi.graph.environment import Environment
from aoi.graph.models import Model
from aoi.graph.prompts import Memory, TaskSpec
from aoi.store.episodes import EpisodeStore

TaskType = Literal["detection", "localization", "analysis", "mitigation", "question", "rca"]
"""What the episode must answer: AIOpsLab's four task types, an open question from a user, or Cloud-OpsBench's
ranked root-cause analysis (`rca`)."""

ApproveMode = Literal["ask", "deny", "auto"]
"""How a proposed write is approved: `ask` a human through an interrupt; `deny` every write; `auto` approve through
an explicit, recorded auto-approve policy (simulated or replayed clusters only)."""

Outcome = Literal["submitted", "budget_exhausted", "repeated_calls", "invalid_actions", "time_exhausted"]
"""How an episode ended."""


class AgentState(TypedDict, total=False):
    task: dict[str, Any]
    """{type, text, namespace, services}."""
    base_tick: int
    settle_ticks: int
    """Simulated ticks that writes added to let the cluster settle; every later step's time is shifted by them, so
    the clock keeps moving after a write instead of waiting for the step schedule to catch up."""
    started_at: float
    """Unix time the episode started (for `Budget.max_seconds`)."""
    step: int
    iterations: Annotated[list[dict[str, Any]], operator.add]
    """One record per Observer step: decision summary, tool calls, compressed observations (the memory)."""
    decision: dict[str, Any] | None
    invalid: int
    tool_calls_total: int
    call_counts: dict[str, int]
    seen: Annotated[list[str], operator.add]
    """Names of objects the probe has shown in this episode (a write target must be among them)."""
    flagged: Annotated[list[str], operator.add]
    """Names that appeared in telemetry flagged as a prompt-injection attempt."""
    flags: Annotated[list[str], operator.add]
    proposal: dict[str, Any] | None
    grant: str | None
    feedback: str
    writes: Annotated[list[dict[str, Any]], operator.add]
    submission: Any
    outcome: str | None
    tokens: int


GuidanceProvider = Callable[[TaskSpec, Memory], Sequence[str]]
"""Returns guidance for the next decision from the task and the memory so far (each item one short lesson,
already carrying its provenance); an empty sequence shows none."""


@dataclass(frozen=True, slots=True)
class Budget:
    max_steps: int = 15
    max_tool_calls: int = 40
    max_tokens: int = 400_000
    max_invalid: int = 3
    max_repeats: int = 3
    """The same tool call with the same arguments this many times ends the episode."""
    max_seconds: float | None = None
    """Wall-clock seconds since the episode started (time waiting for an approval included); None: no limit."""


@dataclass(slots=True)
class Runtime:
    model: Model
    env: Environment
    store: EpisodeStore
    thread_id: str
    approve_mode: ApproveMode = "ask"
    budget: Budget = field(default_factory=Budget)
    guidance: GuidanceProvider | None = None
    """Asked before every decision for lessons to show the Observer (the evolver's guidance memory)."""
    observation_budget_chars: int = 5_000
