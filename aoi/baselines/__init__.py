"""Baselines on the same tools and budgets as the agent: `expert` (a rule-based SRE), `random` (random valid
decisions) — both `Model`s behind the Observer's decision interface — and `react` (a single-loop ReAct agent)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aoi.graph.models.base import Model

if TYPE_CHECKING:
    from aoi.graph.runner import EpisodeConfig, EpisodeResult

AGENTS = ("aoi", "expert", "react", "random")
"""Agents an evaluation can run. `aoi` and `react` use the model `--model` names; `expert` and `random` are
policies that need no model."""


def agent_model(agent: str, *, model: str = "embedded", seed: int = 0) -> Model:
    """The `Model` the graph (or, for `react`, the ReAct loop) runs for `agent`.

    Raises:
        ValueError: unknown agent (the message lists the valid ones), or a bad model spec.
    """
    if agent in ("aoi", "react"):
        from aoi.graph.models import load_model

        return load_model(model, seed=seed)
    if agent == "expert":
        from aoi.baselines.expert import ExpertPolicy

        return ExpertPolicy()
    if agent == "random":
        from aoi.baselines.random_policy import RandomPolicy

        return RandomPolicy(seed)
    raise ValueError(f"unknown agent {agent!r}; valid: {', '.join(AGENTS)}")


def run_react_episode(config: EpisodeConfig, model: Model) -> EpisodeResult:
    """Run one episode with the ReAct baseline (see `aoi.baselines.react`)."""
    from aoi.baselines.react import run_react_episode as run

    return run(config, model)


__all__ = ["AGENTS", "agent_model", "run_react_episode"]
