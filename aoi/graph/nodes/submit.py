"""submit and finish — the end of an episode: the answer in the task's format, or the reason there is none."""

from __future__ import annotations

from typing import Any

from aoi.graph.state import AgentState


def submit(state: AgentState) -> dict[str, Any]:
    decision = state.get("decision") or {}
    return {"submission": decision.get("submission"), "outcome": "submitted"}


def finish(state: AgentState) -> dict[str, Any]:
    return {"outcome": state.get("outcome") or "budget_exhausted", "submission": state.get("submission")}
