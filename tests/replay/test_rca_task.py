"""The `rca` task: ranked root causes and fault objects from closed lists given by the task, in the decision
schema, the parser and the prompt."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aoi.baselines.prompt_view import read_prompt
from aoi.graph.decision import DecisionError, decision_schema, parse_decision
from aoi.graph.prompts import Memory, TaskSpec, ToolCatalog, ToolInfo, observer_messages

CAUSES = ("oom_killed", "node_cordoned", "kubelet_unavailable", "namespace_pod_quota_exceeded")
OBJECTS = ("service/cartservice", "service/frontend", "node/worker-01", "namespace/shop")
TOOLS = {"get_alerts": {"type": "object", "properties": {}}}


def _submit(submission: Any) -> str:
    return json.dumps({"summary": "s", "phase": "conclude", "hypothesis": "h", "confidence": 70, "action": "submit",
                       "tool_calls": [], "submission": submission})


def _parse(submission: Any, causes: tuple[str, ...] = CAUSES, objects: tuple[str, ...] = OBJECTS) -> Any:
    return parse_decision(_submit(submission), "rca", list(TOOLS), [], ["cartservice", "frontend"], allow_act=False,
                          root_causes=causes, fault_objects=objects)


def _schema(causes: tuple[str, ...] = CAUSES, objects: tuple[str, ...] = OBJECTS) -> dict[str, Any]:
    return decision_schema("rca", TOOLS, None, ["cartservice", "frontend"], allow_act=False, root_causes=causes,
                           fault_objects=objects)


def test_a_ranked_answer_from_the_lists_is_accepted() -> None:
    answer = {"root_causes": ["oom_killed", "node_cordoned"], "fault_objects": ["service/cartservice"]}
    assert _parse(answer).submission == answer
    jsonschema.validate(json.loads(_submit(answer)), _schema())


@pytest.mark.parametrize(("submission", "reason"), [
    ({"root_causes": ["disk_full"], "fault_objects": ["service/frontend"]},
     'submission.root_causes: "disk_full" is not one of the listed root causes'),
    ({"root_causes": ["oom_killed"], "fault_objects": ["service/adservice"]},
     'submission.fault_objects: "service/adservice" is not one of the listed fault objects'),
    ({"root_causes": [], "fault_objects": ["service/frontend"]}, "submission.root_causes: a ranked list of 1 to 3"),
    ({"root_causes": list(CAUSES), "fault_objects": ["service/frontend"]},
     "submission.root_causes: a ranked list of 1 to 3"),
    ({"root_causes": ["oom_killed", "oom_killed"], "fault_objects": ["node/worker-01"]},
     "submission.root_causes: each name may be listed once"),
    ({"root_causes": ["oom_killed"]}, 'a root-cause answer is {"root_causes": [...], "fault_objects": [...]}'),
    ("oom_killed", "a root-cause answer is"),
    ({"root_causes": "oom_killed", "fault_objects": ["node/worker-01"]}, "submission.root_causes: a ranked list"),
])
def test_malformed_answers_are_refused_with_the_reason(submission: Any, reason: str) -> None:
    with pytest.raises(DecisionError) as caught:
        _parse(submission)
    assert reason in caught.value.reason
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(_submit(submission)), _schema())


_NAMES = st.sampled_from([*CAUSES, *OBJECTS, "disk_full", "service/x", "", "OOM_KILLED"])


@given(causes=st.lists(_NAMES, max_size=4), objects=st.lists(_NAMES, max_size=4))
def test_whatever_the_parser_accepts_validates_against_the_schema(causes: list[str], objects: list[str]) -> None:
    submission = {"root_causes": causes, "fault_objects": objects}
    try:
        decision = _parse(submission)
    except DecisionError:
        return
    jsonschema.validate(json.loads(decision.model_dump_json()), _schema())
    assert set(causes) <= set(CAUSES) and set(objects) <= set(OBJECTS) and 1 <= len(causes) <= 3


def test_without_lists_any_names_are_allowed() -> None:
    answer = {"root_causes": ["anything"], "fault_objects": ["service/whatever"]}
    assert _parse(answer, (), ()).submission == answer
    jsonschema.validate(json.loads(_submit(answer)), _schema((), ()))


def test_the_prompt_lists_the_labels_and_the_answer_format() -> None:
    task = TaskSpec("rca", "Service abnormal restart.", "shop", ("cartservice", "frontend"), root_causes=CAUSES,
                    fault_objects=OBJECTS)
    system, user = (m["content"] for m in observer_messages(task, Memory(), ToolCatalog((ToolInfo("get_alerts",
                                                                                                  "Alerts."),))))
    assert ("Root-cause labels: runtime: oom_killed; scheduling: node_cordoned; infrastructure: kubelet_unavailable; "
            "admission: namespace_pod_quota_exceeded") in user  # grouped by the taxonomy's categories
    assert read_prompt([{"role": "system", "content": system}, {"role": "user", "content": user}]).root_causes == CAUSES
    assert f"Fault objects: {', '.join(OBJECTS)}" in user
    assert "Problem: Service abnormal restart." in user
    assert '{"root_causes": [1 to 3 root-cause labels, most likely first]' in system
    assert "This task allows no writes." in system


def test_the_rca_schema_compiles_to_a_grammar() -> None:
    pytest.importorskip("llama_cpp")
    from aoi.graph.models.grammar import schema_to_gbnf

    grammar = schema_to_gbnf(_schema())
    assert "oom_killed" in grammar and "namespace/shop" in grammar
