"""The `random` baseline: every draw validates against the closed decision schema it was given and parses, for
any seed; draws are reproducible; and an episode of random decisions runs through the graph."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aoi.baselines.random_policy import RandomPolicy, sample
from aoi.graph.decision import decision_schema, parse_decision
from aoi.graph.models.base import ModelError
from aoi.graph.runner import EpisodeConfig, EpisodeRunner
from aoi.graph.state import Budget

PROMPT = [{"role": "user", "content": "Task: detection\nThis is step 1 of at most 15."}]


_VALIDATORS: dict[str, jsonschema.Draft202012Validator] = {}


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """Checking the meta-schema takes most of `jsonschema.validate`'s time; the schema is checked once."""
    key = json.dumps(schema, sort_keys=True)
    if key not in _VALIDATORS:
        jsonschema.Draft202012Validator.check_schema(schema)
        _VALIDATORS[key] = jsonschema.Draft202012Validator(schema)
    return _VALIDATORS[key]


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31), call_seed=st.integers(min_value=0, max_value=1000),
       task=st.sampled_from(["detection", "localization", "analysis", "mitigation", "question"]))
def test_random_decisions_always_validate_and_parse(hotel: tuple[dict, dict, list[str]], seed: int,
                                                    call_seed: int, task: str) -> None:
    read, write, services = hotel
    acting = task == "mitigation"
    schema = decision_schema(task, read, write if acting else None, services, allow_act=acting)  # type: ignore[arg-type]
    text = RandomPolicy(seed).complete(PROMPT, json_schema=schema, seed=call_seed).text
    _validator(schema).validate(json.loads(text))
    decision = parse_decision(text, task, sorted(read), sorted(write) if acting else [], services,  # type: ignore[arg-type]
                              allow_act=acting, tool_schemas={**read, **write})
    assert decision.action in (("probe", "act", "submit") if acting else ("probe", "submit"))


def test_random_draws_are_reproducible_and_vary_with_the_seed(hotel: tuple[dict, dict, list[str]]) -> None:
    read, _, services = hotel
    schema = decision_schema("localization", read, None, services, allow_act=False)
    draws = {RandomPolicy(s).complete(PROMPT, json_schema=schema, seed=1).text for s in range(8)}
    assert len(draws) > 1
    assert RandomPolicy(5).complete(PROMPT, json_schema=schema, seed=1).text == \
        RandomPolicy(5).complete(PROMPT, json_schema=schema, seed=1).text


def test_random_needs_a_schema_and_refuses_unknown_constructs() -> None:
    with pytest.raises(ModelError, match="needs the decision schema"):
        RandomPolicy().complete(PROMPT)
    import random

    with pytest.raises(ValueError, match="cannot sample"):
        sample({"type": "tuple"}, random.Random(0))
    with pytest.raises(ValueError, match="unresolvable"):
        sample({"$ref": "#/$defs/missing"}, random.Random(0))


def test_a_random_episode_runs_through_the_graph(aoi_home: Path) -> None:
    runner = EpisodeRunner(EpisodeConfig("sim:hotel-reservation/revoke_auth_mongodb", "detection", approve="auto",
                                         thread_id="r1", db=aoi_home / "aoi.db", budget=Budget(max_steps=6)),
                           model=RandomPolicy(7))
    result = runner.run()
    assert result.status == "done"
    assert result.outcome in ("submitted", "budget_exhausted", "repeated_calls")
    reasons = [s for s in runner.store.steps("r1") if s["node"] == "reason"]
    assert reasons and all(s["error"] is None for s in reasons)
    assert result.writes == []
