"""The Observer's decision: the one structured answer the model gives per step, as a pydantic model (the trust
boundary for model output), as a closed JSON schema (for grammar-constrained decoding) and as a parser.

The schema and the parser describe the same language: whatever `parse_decision` accepts validates against
`decision_schema` built from the same tools and services. The schema is kept grammar-friendly for llama.cpp's
JSON-schema converter: closed objects, enums and `const`s, `$ref`s to shared `$defs`, and `anyOf` only over
variants that a fixed first key (`tool`) or a shared prefix tells apart.

Model output never crashes anything: every way an answer can be wrong ends in `DecisionError`, whose message is
written for the model to read and fix on its next try.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from typing import Any, Literal

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

TaskType = Literal["detection", "localization", "analysis", "mitigation", "question", "rca"]
"""AIOpsLab's four task types, plus `question`: an open question from a user, answered in free text, and `rca`:
Cloud-OpsBench's ranked root causes and fault objects, each from a closed list the task gives."""

Phase = Literal["triage", "investigate", "hypothesize", "mitigate", "verify", "conclude"]
"""Where the Observer says the diagnosis stands."""

Action = Literal["probe", "act", "submit"]
"""`probe`: run up to 3 read tools. `act`: propose exactly one write (a human approves it). `submit`: answer."""

TASK_TYPES: tuple[TaskType, ...] = ("detection", "localization", "analysis", "mitigation", "question", "rca")
PHASES: tuple[Phase, ...] = ("triage", "investigate", "hypothesize", "mitigate", "verify", "conclude")

SYSTEM_LEVELS: tuple[str, ...] = ("Hardware", "Operating System", "Virtualization", "Application")
"""AIOpsLab's analysis vocabulary for `system_level` (its analysis task's options; the registry uses two)."""
FAULT_TYPES: tuple[str, ...] = ("Misconfiguration", "Code Defect", "Authentication Issue", "Network/Storage Issue",
                                "Operation Error", "Dependency Problem")
"""AIOpsLab's analysis vocabulary for `fault_type`."""
DETECTION_ANSWERS: tuple[str, ...] = ("Yes", "No")

MAX_SUMMARY = 600
MAX_HYPOTHESIS = 300
MAX_PROBE_CALLS = 3
MAX_LOCALIZATION = 5
"""AIOpsLab scores a list containing the target 1/len, so a longer list can score at most 1/5 anyway."""
MAX_RCA_CANDIDATES = 3
"""Ranked candidates of an `rca` answer: Cloud-OpsBench scores the first three (top-3 accuracy)."""
RCA_FIELDS = ("root_causes", "fault_objects")
MAX_ANSWER = 1500
"""Characters of a free-text answer to a user's question."""
MAX_TEXT = 20_000
"""Characters of model output the parser looks at; a longer answer is refused, not searched."""

EXECUTOR_PLUMBING = frozenset({"thread_id", "grant", "idempotency_key"})
"""Executor arguments the graph fills in. The model never sees them: a grant in its hands would be forgeable."""

SERVICE_ARGS: Mapping[str, frozenset[str]] = {
    "scale_workload": frozenset({"name"}), "restart_workload": frozenset({"name"}),
    "rollback_deployment": frozenset({"name"}), "set_image": frozenset({"name"}), "set_env": frozenset({"name"}),
}
"""Arguments, besides any argument called `service`, whose value must be one of the application's services
(workload names). Pod, node and object names are not enumerable in advance and stay free strings."""

_MAX_SCHEMA_DEPTH = 12
_MAX_NESTING = 32
"""Deepest JSON nesting accepted; deeper garbage would only trouble the serialisers downstream."""
_MAX_CANDIDATES = 32
"""`{` positions tried when looking for the decision object in prose; bounds the work on garbage."""
_KEPT_KEYWORDS = ("type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                  "minLength", "maxLength", "minItems", "maxItems")
"""Validation keywords copied from a tool's input schema; titles, defaults and descriptions are dropped (the
prompt describes the tools) and unsupported keywords loosen the schema rather than break the grammar."""


class DecisionError(ValueError):
    """The model's answer is not an acceptable decision; `reason` says why, for the model to read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_MODEL_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True)


class ToolCall(BaseModel):
    """One tool the Observer wants run, with its arguments."""

    model_config = _MODEL_CONFIG

    tool: str
    args: dict[str, Any]

    @field_validator("args")
    @classmethod
    def _json_numbers_only(cls, args: dict[str, Any]) -> dict[str, Any]:
        # Python's parser reads 1e999 as inf, which JSON cannot carry: the call's stored and approved JSON would
        # hold null (or Infinity) instead of what the model asked for.
        pending: list[tuple[str, Any]] = [(f".{k}", v) for k, v in args.items()]
        while pending:
            where, node = pending.pop()
            if isinstance(node, float) and not math.isfinite(node):
                raise ValueError(f"{_short(where.lstrip('.'))} is {node}, not a JSON number; use a finite number")
            items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
            pending.extend((f"{where}.{k}" if isinstance(node, dict) else f"{where}[{k}]", v) for k, v in items)
        return args


Submission = str | list[str] | dict[str, str] | dict[str, list[str]]
"""detection `"Yes"|"No"`; localization a list of services; analysis `{system_level, fault_type}`; mitigation
`{}` (the agent is done); question free text; rca `{root_causes: [...], fault_objects: [...]}` (ranked, 1 to 3
each). `parse_decision` checks the shape the task needs."""


class Decision(BaseModel):
    """The Observer's decision for one step (the paper's Observer JSON)."""

    model_config = _MODEL_CONFIG

    summary: str = Field(max_length=MAX_SUMMARY)
    """What the previous iteration did and found."""
    phase: Phase
    hypothesis: str = Field(max_length=MAX_HYPOTHESIS)
    """The current root-cause hypothesis."""
    confidence: int = Field(ge=0, le=100)
    action: Action
    tool_calls: list[ToolCall] = Field(default_factory=list, max_length=MAX_PROBE_CALLS)
    """Read tools for `probe` (1–3), exactly one write tool for `act`, none for `submit`."""
    submission: Submission | None = None
    """Required iff `action == "submit"`."""

    @model_validator(mode="after")
    def _calls_fit_the_action(self) -> Decision:
        if self.action == "probe" and not self.tool_calls:
            raise ValueError('action "probe" needs 1 to 3 tool_calls (read tools)')
        if self.action == "act" and len(self.tool_calls) != 1:
            raise ValueError(f'action "act" needs exactly one tool_call (a write tool); got {len(self.tool_calls)}')
        if self.action == "submit" and self.tool_calls:
            raise ValueError('action "submit" takes no tool_calls; put the answer in "submission"')
        if self.action == "submit" and self.submission is None:
            raise ValueError('action "submit" needs a "submission"')
        if self.action != "submit" and self.submission is not None:
            raise ValueError(f'"submission" is only for action "submit"; with action "{self.action}" leave it null')
        return self


# -- schema -----------------------------------------------------------------------------------------------------
def decision_schema(task: TaskType, read_tools: Mapping[str, Mapping[str, Any]],
                    write_tools: Mapping[str, Mapping[str, Any]] | None, services: Collection[str], *,
                    allow_act: bool, root_causes: Collection[str] = (),
                    fault_objects: Collection[str] = ()) -> dict[str, Any]:
    """The closed JSON schema of a decision for `task`, for grammar-constrained decoding.

    `read_tools` and `write_tools` map tool names to their MCP input schemas (`Tool.inputSchema`); the executor's
    plumbing arguments (`EXECUTOR_PLUMBING`) are removed. `act` is offered only when `allow_act` is true and there
    are write tools. Every object with declared properties is closed; a free-form map stays free-form only where a
    tool's own schema declares one (a patch, a manifest). Service-valued arguments (`SERVICE_ARGS`) and the
    localization answer are enums over `services` (plain strings when `services` is empty); an `rca` answer's
    lists are enums over `root_causes` and `fault_objects` (plain strings when empty).

    Raises:
        ValueError: `task` is not a task type.
    """
    if task not in TASK_TYPES:
        raise ValueError(f"unknown task type {task!r}; valid: {', '.join(TASK_TYPES)}")
    service_names = list(dict.fromkeys(services))
    defs: dict[str, Any] = {}
    if service_names:
        defs["service"] = {"type": "string", "enum": service_names}
    service_ref: dict[str, Any] = {"$ref": "#/$defs/service"} if service_names else {"type": "string"}
    variants: list[dict[str, Any]] = []
    if read_tools:
        defs["read_call"] = _calls_union(read_tools, service_ref)
        variants.append(_variant("probe", {"type": "array", "items": {"$ref": "#/$defs/read_call"},
                                           "minItems": 1, "maxItems": MAX_PROBE_CALLS}))
    if allow_act and write_tools:
        defs["write_call"] = _calls_union(write_tools, service_ref)
        variants.append(_variant("act", {"type": "array", "items": {"$ref": "#/$defs/write_call"},
                                         "minItems": 1, "maxItems": 1}))
    variants.append(_variant("submit", {"type": "array", "items": {"type": "object"}, "maxItems": 0},
                             _submission_schema(task, service_ref, {"root_causes": list(root_causes),
                                                                    "fault_objects": list(fault_objects)})))
    return {"$defs": defs, "anyOf": variants}


GENERATION_TEXT_LIMITS = {"summary": 240, "hypothesis": 160, "submission": 800}
"""Characters a generated summary / hypothesis may take: tighter than what the parser accepts, so that a small
model's decision always closes within the completion budget instead of being cut off mid-string."""
GENERATION_STRING_LIMIT = 100
"""Characters of any free-string tool argument (a pod name, a grep pattern) in a generated decision."""


def generation_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """`schema` with every string bounded for generation: the summary and hypothesis to `GENERATION_TEXT_LIMITS`,
    free strings without a bound to `GENERATION_STRING_LIMIT`. Everything it allows, `parse_decision` accepts."""

    def walk(node: Any, key: str | None = None) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v, k) if k != "properties" else {name: walk(sub, name) for name, sub in v.items()}
               for k, v in node.items()}
        if out.get("type") == "string" and "enum" not in out and "const" not in out:
            limit = GENERATION_TEXT_LIMITS.get(key or "", GENERATION_STRING_LIMIT)
            out["maxLength"] = min(out.get("maxLength", limit), limit)
        return out

    return walk(dict(schema))


DECISION_KEYS = ("summary", "phase", "hypothesis", "confidence", "action", "tool_calls", "submission")
"""The order in which the generation grammar emits a decision's fields (reasoning before the action)."""


def canonical_completion(text: str) -> str:
    """`text` rewritten as the generation grammar would emit the same decision: fields in `DECISION_KEYS` order,
    each tool call as `tool` then `args`, text limits of `GENERATION_TEXT_LIMITS` applied.

    Training targets written in another order (the `expert` policy sorts its keys) would teach the model an order
    the grammar then refuses at inference. Text that is not a JSON object is returned as is.
    """
    try:
        decision = json.loads(text)
    except ValueError:
        return text
    if not isinstance(decision, dict):
        return text
    ordered = {k: decision[k] for k in DECISION_KEYS if k in decision}
    ordered.update({k: v for k, v in decision.items() if k not in ordered})
    for key, limit in GENERATION_TEXT_LIMITS.items():
        if isinstance(ordered.get(key), str):
            ordered[key] = ordered[key][:limit]
    if isinstance(ordered.get("tool_calls"), list):
        ordered["tool_calls"] = [{"tool": c.get("tool"), "args": c.get("args", {}),
                                  **{k: v for k, v in c.items() if k not in ("tool", "args")}}
                                 if isinstance(c, dict) else c for c in ordered["tool_calls"]]
    return json.dumps(ordered, ensure_ascii=False)


def _variant(action: Action, calls: dict[str, Any], submission: dict[str, Any] | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "summary": {"type": "string", "maxLength": MAX_SUMMARY},
        "phase": {"type": "string", "enum": list(PHASES)},
        "hypothesis": {"type": "string", "maxLength": MAX_HYPOTHESIS},
        "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
        "action": {"const": action},
        "tool_calls": calls,
        "submission": submission or {"type": "null"},
    }
    required = ["summary", "phase", "hypothesis", "confidence", "action"]
    required += ["submission"] if submission else ["tool_calls"]
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _submission_schema(task: TaskType, service_ref: dict[str, Any],
                       choices: Mapping[str, list[str]]) -> dict[str, Any]:
    if task == "rca":
        def ranked(options: list[str]) -> dict[str, Any]:
            item = {"type": "string", "enum": list(dict.fromkeys(options))} if options else {"type": "string"}
            return {"type": "array", "items": item, "minItems": 1, "maxItems": MAX_RCA_CANDIDATES, "uniqueItems": True}

        return {"type": "object", "properties": {f: ranked(choices.get(f, [])) for f in RCA_FIELDS},
                "required": list(RCA_FIELDS), "additionalProperties": False}
    if task == "detection":
        return {"type": "string", "enum": list(DETECTION_ANSWERS)}
    if task == "localization":
        return {"type": "array", "items": service_ref, "minItems": 1, "maxItems": MAX_LOCALIZATION}
    if task == "analysis":
        return {"type": "object", "properties": {"system_level": {"type": "string", "enum": list(SYSTEM_LEVELS)},
                                                 "fault_type": {"type": "string", "enum": list(FAULT_TYPES)}},
                "required": ["system_level", "fault_type"], "additionalProperties": False}
    if task == "mitigation":
        return {"type": "object", "properties": {}, "additionalProperties": False}
    return {"type": "string", "minLength": 1, "maxLength": MAX_ANSWER}


def _calls_union(tools: Mapping[str, Mapping[str, Any]], service_ref: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [{"type": "object",
                       "properties": {"tool": {"const": name}, "args": tool_args_schema(name, tools[name],
                                                                                        service_ref)},
                       "required": ["tool", "args"], "additionalProperties": False} for name in sorted(tools)]}


def tool_args_schema(tool: str, input_schema: Mapping[str, Any],
                     service_ref: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The closed arguments schema of one tool: its MCP input schema with `$ref`s inlined, executor plumbing
    removed, annotations dropped, every object with properties closed, and service-valued arguments replaced by
    `service_ref` when one is given."""
    defs = {**input_schema.get("definitions", {}), **input_schema.get("$defs", {})}
    closed = _close(input_schema, defs, 0)
    properties = {k: v for k, v in closed.get("properties", {}).items() if k not in EXECUTOR_PLUMBING}
    if service_ref is not None:
        for arg in SERVICE_ARGS.get(tool, frozenset()) | {"service"}:
            if arg in properties:
                properties[arg] = _with_service(properties[arg], dict(service_ref))
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    required = [r for r in closed.get("required", []) if r in properties]
    if required:
        schema["required"] = required
    return schema


def _with_service(arg: dict[str, Any], service_ref: dict[str, Any]) -> dict[str, Any]:
    """A string argument becomes the service enum; a nullable one stays nullable."""
    if arg.get("type") == "string":
        return service_ref
    if "anyOf" in arg:
        return {"anyOf": [service_ref if a.get("type") == "string" else a for a in arg["anyOf"]]}
    return arg


def _close(schema: Any, defs: Mapping[str, Any], depth: int) -> dict[str, Any]:
    if not isinstance(schema, Mapping) or depth > _MAX_SCHEMA_DEPTH:
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _close(defs.get(ref.rsplit("/", 1)[-1], {}), defs, depth + 1)
    out: dict[str, Any] = {k: schema[k] for k in _KEPT_KEYWORDS if k in schema}
    alternatives = schema.get("anyOf", schema.get("oneOf"))
    if isinstance(alternatives, list) and alternatives:
        out["anyOf"] = [_close(a, defs, depth + 1) for a in alternatives]
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:  # pydantic wraps a described $ref this way
        out.update(_close(all_of[0], defs, depth + 1))
    if isinstance(schema.get("items"), Mapping):
        out["items"] = _close(schema["items"], defs, depth + 1)
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        out["properties"] = {k: _close(v, defs, depth + 1) for k, v in properties.items()}
        required = [r for r in schema.get("required", []) if r in properties]
        if required:
            out["required"] = required
        out["additionalProperties"] = False
    elif isinstance(schema.get("additionalProperties"), Mapping):
        out["additionalProperties"] = _close(schema["additionalProperties"], defs, depth + 1)
    return out


# -- parser -----------------------------------------------------------------------------------------------------
def parse_decision(text: str, task: TaskType, read_tool_names: Collection[str], write_tool_names: Collection[str],
                   services: Collection[str], *, allow_act: bool = True,
                   tool_schemas: Mapping[str, Mapping[str, Any]] | None = None, root_causes: Collection[str] = (),
                   fault_objects: Collection[str] = ()) -> Decision:
    """The decision in the model's answer `text`: a JSON object, bare or inside prose or a ```json fence.

    Checks, in order: JSON syntax, the decision's fields, the calls against the action (read tools for `probe`,
    one write tool for `act`, which needs `allow_act` and write tools), service-valued arguments against
    `services`, each call's arguments against its tool's input schema when `tool_schemas` (name → MCP input
    schema) is given, and the submission's shape for `task` (for `rca`, against `root_causes` and
    `fault_objects`). With the same tools, services, choices and `allow_act`, whatever this accepts validates
    against `decision_schema`.

    Raises:
        DecisionError: the answer is not an acceptable decision; the reason names what to fix.
    """
    obj = _extract_object(text)
    if task == "rca":
        _check_rca(obj, {"root_causes": list(root_causes), "fault_objects": list(fault_objects)})
    else:
        _check_submission(obj, task, list(services))
    try:
        decision = Decision.model_validate(obj)
    except ValidationError as exc:
        raise DecisionError(_validation_reason(exc)) from None
    acting = allow_act and bool(write_tool_names)
    for i, call in enumerate(decision.tool_calls):
        _check_call(i, call, decision.action, read_tool_names, write_tool_names, acting)
        _check_services(i, call, services)
        if tool_schemas is not None and call.tool in tool_schemas:
            _check_args(i, call, tool_schemas[call.tool])
    return decision


def _span_end(text: str, start: int) -> int:
    """Where the brace opened at `start` closes, counting braces outside strings (the end of the text if it never
    does): the extent of a candidate object even when its content is not valid JSON."""
    depth, in_string, escaped = 0, False, False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(text)


def _extract_object(text: str) -> dict[str, Any]:
    """The first JSON object in `text` that has an `action` key, else the first one, else the first JSON error."""
    if not isinstance(text, str):
        raise DecisionError("the answer is not text; answer with one JSON object")
    if len(text) > MAX_TEXT:
        raise DecisionError(f"the answer is {len(text)} characters long; answer with one JSON object only "
                            f"(at most {MAX_TEXT} characters)")
    decoder = json.JSONDecoder(parse_constant=_reject_constant)
    found: list[tuple[int, dict[str, Any]]] = []
    first_error: tuple[int, str] | None = None
    broken_until = -1
    """Objects that start before this lie inside a broken one: a piece of it, not the decision."""
    start = text.find("{")
    for _ in range(_MAX_CANDIDATES):
        if start == -1:
            break
        try:
            obj, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            first_error = first_error or (start, f"invalid JSON at line {exc.lineno} column {exc.colno} "
                                                 f"(char {exc.pos}): {exc.msg}")
            broken_until = max(broken_until, _span_end(text, start))
            start = text.find("{", start + 1)
            continue
        except RecursionError:
            first_error = first_error or (start, f"invalid JSON at char {start}: nested too deeply")
            start = text.find("{", start + 1)
            continue
        except ValueError as exc:  # NaN / Infinity, refused by _reject_constant
            first_error = first_error or (start, f"invalid JSON in the object at char {start}: {exc}")
            broken_until = max(broken_until, _span_end(text, start))
            start = text.find("{", start + 1)
            continue
        if start < broken_until:
            start = text.find("{", start + 1)
            continue
        if _nesting(obj) > _MAX_NESTING:
            first_error = first_error or (start, f"invalid JSON in the object at char {start}: nested deeper than "
                                                 f"{_MAX_NESTING} levels")
        elif "action" in obj:
            return obj
        else:
            found.append((start, obj))
        start = text.find("{", end)
    if first_error is not None and (not found or first_error[0] < found[0][0]):
        raise DecisionError(first_error[1] + "; answer with one JSON object")
    if found:
        return found[0][1]
    raise DecisionError("no JSON object found; answer with one JSON object (the decision)")


def _nesting(value: Any) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        if depth <= _MAX_NESTING:  # no need to walk further than the limit
            children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _validation_reason(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = _path(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "literal_error":
            message += f"; got {_short(error['input'])}"
        elif error["type"] == "extra_forbidden":
            fields = "tool, args" if len(error["loc"]) > 1 else ", ".join(Decision.model_fields)
            message = f"unknown field (the fields are: {fields})"
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def _path(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _check_call(i: int, call: ToolCall, action: Action, read_tools: Collection[str], write_tools: Collection[str],
                acting: bool) -> None:
    where = f"tool_calls[{i}]"
    if action == "probe" and call.tool not in read_tools:
        if call.tool in write_tools:
            fix = ('writes need action "act" with exactly one call, which a human approves' if acting
                   else "this task allows no writes; investigate with read tools")
            raise DecisionError(f"{where}: {call.tool!r} is a write tool, not allowed under action \"probe\"; {fix}")
        raise DecisionError(f"{where}: unknown tool {call.tool!r}; valid read tools: {', '.join(sorted(read_tools))}")
    if action == "act":
        if not acting:
            raise DecisionError('action "act" is not available in this task; use "probe" or "submit"')
        if call.tool in read_tools:
            raise DecisionError(f"{where}: {call.tool!r} is a read tool; use action \"probe\" for it "
                                f"(\"act\" takes exactly one write tool)")
        if call.tool not in write_tools:
            raise DecisionError(f"{where}: unknown tool {call.tool!r}; valid write tools: "
                                f"{', '.join(sorted(write_tools))}")


def _check_services(i: int, call: ToolCall, services: Collection[str]) -> None:
    if not services:
        return
    for arg in sorted(SERVICE_ARGS.get(call.tool, frozenset()) | {"service"}):
        value = call.args.get(arg)
        if isinstance(value, str) and value not in services:
            raise DecisionError(f"tool_calls[{i}].args.{arg}: {value!r} is not a service of this application; "
                                f"valid services: {', '.join(services)}")


def _check_args(i: int, call: ToolCall, input_schema: Mapping[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(tool_args_schema(call.tool, input_schema))
    error = jsonschema.exceptions.best_match(validator.iter_errors(call.args))
    if error is not None:
        raise DecisionError(f"{_path(('tool_calls', i, 'args', *error.absolute_path))}: {error.message}")


def _check_submission(obj: dict[str, Any], task: TaskType, services: list[str]) -> None:
    """The task's answer shape, checked before the fields so that its reason is the precise one."""
    submission = obj.get("submission")
    if obj.get("action") != "submit" or submission is None:
        return
    if task == "detection":
        if submission not in DETECTION_ANSWERS:
            raise DecisionError(f'submission: a detection answer is "Yes" or "No"; got {_short(submission)}')
    elif task == "localization":
        if not isinstance(submission, list) or not submission or not all(isinstance(s, str) for s in submission):
            raise DecisionError(f"submission: a localization answer is a list of 1 to {MAX_LOCALIZATION} service "
                                f"names; got {_short(submission)}")
        if len(submission) > MAX_LOCALIZATION:
            raise DecisionError(f"submission: at most {MAX_LOCALIZATION} services; name the most likely ones")
        unknown = [s for s in submission if services and s not in services]
        if unknown:
            raise DecisionError(f"submission: {unknown[0]!r} is not a service of this application; valid services: "
                                f"{', '.join(services)}")
        # The grammar cannot say "unique items", so a repeated service is folded, not refused.
        obj["submission"] = list(dict.fromkeys(submission))
    elif task == "analysis":
        if not isinstance(submission, dict) or set(submission) != {"system_level", "fault_type"}:
            raise DecisionError('submission: an analysis answer is {"system_level": ..., "fault_type": ...}; got '
                                + _short(submission))
        if submission["system_level"] not in SYSTEM_LEVELS:
            raise DecisionError(f"submission.system_level: {_short(submission['system_level'])} is not one of "
                                f"{', '.join(SYSTEM_LEVELS)}")
        if submission["fault_type"] not in FAULT_TYPES:
            raise DecisionError(f"submission.fault_type: {_short(submission['fault_type'])} is not one of "
                                f"{', '.join(FAULT_TYPES)}")
    elif task == "mitigation":
        if submission != {}:
            raise DecisionError("submission: a mitigation task is submitted with an empty object {} once the fix "
                                f"is applied and verified; got {_short(submission)}")
    elif not isinstance(submission, str) or not 1 <= len(submission) <= MAX_ANSWER:
        raise DecisionError(f"submission: the answer to a question is text of 1 to {MAX_ANSWER} characters")


def _check_rca(obj: dict[str, Any], choices: Mapping[str, list[str]]) -> None:
    """An `rca` answer: two ranked lists of 1 to 3 distinct names, each from its closed list when one is given."""
    submission = obj.get("submission")
    if obj.get("action") != "submit" or submission is None:
        return
    if not isinstance(submission, dict) or set(submission) != set(RCA_FIELDS):
        raise DecisionError('submission: a root-cause answer is {"root_causes": [...], "fault_objects": [...]}, each '
                            f"a ranked list of 1 to {MAX_RCA_CANDIDATES} names; got {_short(submission)}")
    for field_name in RCA_FIELDS:
        ranked = submission[field_name]
        if not isinstance(ranked, list) or not 1 <= len(ranked) <= MAX_RCA_CANDIDATES \
                or not all(isinstance(v, str) for v in ranked):
            raise DecisionError(f"submission.{field_name}: a ranked list of 1 to {MAX_RCA_CANDIDATES} names, most "
                                f"likely first; got {_short(ranked)}")
        options = choices.get(field_name) or []
        unknown = [v for v in ranked if options and v not in options]
        if unknown:
            raise DecisionError(f"submission.{field_name}: {_short(unknown[0])} is not one of the listed "
                                f"{field_name.replace('_', ' ')}; choose from the task's list")
        if len(set(ranked)) != len(ranked):
            raise DecisionError(f"submission.{field_name}: each name may be listed once")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."
