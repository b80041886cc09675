"""reason — the Observer: one structured decision per step.

It sees only the task, the compressed memory and the tool catalogue; it holds no cluster backend and no
executor — a write is only ever a proposal. With llama.cpp the completion is constrained by a closed JSON schema
built from the live tool registry and the cluster's service names; any other model's output is parsed and, when
it does not parse, the model is asked again with the precise reason (twice at most).
"""

from __future__ import annotations

import time
from typing import Any

from langchain_core.runnables import RunnableConfig

from aoi.graph.decision import DecisionError, decision_schema, generation_schema, parse_decision
from aoi.graph.nodes.common import memory_of, task_spec, thread_id
from aoi.graph.prompts import PROFILES, ToolCatalog, ToolInfo, observer_messages
from aoi.graph.state import AgentState, Runtime
from aoi.store.episodes import StepRecord

RETRIES = 2


def make_reason(rt: Runtime) -> Any:
    def reason(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        started = time.perf_counter()
        step = state.get("step", 0)
        over = _over_budget(state, rt)
        if over:
            return {"outcome": over, "decision": None}
        task = task_spec(state, rt.budget.max_steps)
        read_tools = rt.env.tool_schemas("probe")
        write_tools = rt.env.tool_schemas("executor") if task.task == "mitigation" else {}
        catalog = ToolCatalog(
            tuple(ToolInfo(n, t["description"], t["input_schema"]) for n, t in read_tools.items()),
            tuple(ToolInfo(n, t["description"], t["input_schema"]) for n, t in write_tools.items()))
        inputs = {name: tool["input_schema"] for name, tool in {**read_tools, **write_tools}.items()}
        allow_act = task.task == "mitigation"
        schema = decision_schema(task.task, {n: inputs[n] for n in read_tools},
                                 {n: inputs[n] for n in write_tools} or None, list(task.services), allow_act=allow_act,
                                 root_causes=task.root_causes, fault_objects=task.fault_objects)
        generation = generation_schema(schema)
        memory = memory_of(state)
        guidance = list(rt.guidance(task, memory)) if rt.guidance is not None else []
        profile = PROFILES.get(getattr(rt.model, "prompt_profile", "full"), PROFILES["full"])
        messages = observer_messages(task, memory, catalog, guidance, profile=profile)
        if state.get("feedback"):
            messages[-1] = {**messages[-1], "content": f"{messages[-1]['content']}\n\nNote from AOI: "
                                                        f"{state['feedback']}"}
        prompt_tokens = completion_tokens = 0
        model_s = 0.0
        error = ""
        decision = None
        completion_text = ""
        for attempt in range(RETRIES + 1):
            completion = rt.model.complete(messages, json_schema=generation, max_tokens=600,
                                           seed=step * 10 + attempt)
            prompt_tokens += completion.prompt_tokens
            completion_tokens += completion.completion_tokens
            model_s += completion.latency_s
            completion_text = completion.text
            try:
                decision = parse_decision(completion.text, task.task, sorted(read_tools), sorted(write_tools),
                                          list(task.services), allow_act=allow_act, tool_schemas=inputs,
                                          root_causes=task.root_causes, fault_objects=task.fault_objects)
                break
            except DecisionError as exc:
                error = str(exc)
                messages = [*messages, {"role": "assistant", "content": completion.text},
                            {"role": "user", "content": f"That decision was invalid: {error}. Answer again with one "
                                                        f"valid JSON decision."}]
        parsed = decision.model_dump() if decision is not None else None
        rt.store.record_step(StepRecord(
            thread_id(config), step, "reason", prompt=messages, completion=completion_text, decision=parsed,
            error=None if decision is not None else error, prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens, model_s=model_s, wall_s=time.perf_counter() - started))
        tokens = state.get("tokens", 0) + prompt_tokens + completion_tokens
        if decision is None:
            invalid = state.get("invalid", 0) + 1
            update: dict[str, Any] = {"invalid": invalid, "decision": None, "tokens": tokens,
                                      "feedback": f"Your last decision was invalid: {error}"}
            if invalid >= rt.budget.max_invalid:
                update["outcome"] = "invalid_actions"
            return update
        return {"decision": parsed, "invalid": 0, "tokens": tokens, "feedback": ""}

    return reason


def _over_budget(state: AgentState, rt: Runtime) -> str | None:
    started_at = state.get("started_at")
    if rt.budget.max_seconds is not None and started_at is not None \
            and time.time() - started_at >= rt.budget.max_seconds:
        return "time_exhausted"
    if state.get("step", 0) >= rt.budget.max_steps:
        return "budget_exhausted"
    if state.get("tool_calls_total", 0) >= rt.budget.max_tool_calls:
        return "budget_exhausted"
    if state.get("tokens", 0) >= rt.budget.max_tokens:
        return "budget_exhausted"
    return None


def route_after_reason(state: AgentState) -> str:
    if state.get("outcome"):
        return "finish"
    decision = state.get("decision")
    if decision is None:
        return "reason"
    return {"probe": "observe", "act": "propose", "submit": "submit"}[decision["action"]]
