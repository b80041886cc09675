"""observe — the Probe: run the Observer's read tool calls through the probe server, then compress.

Tool errors come back as observations (the error names the bad argument and the valid values), so the next
decision can correct itself. The same call repeated too often ends the episode. Raw output is compressed before
it enters the memory, telemetry flagged as a prompt-injection attempt is recorded, and the names the probe has
shown as objects are remembered — a write may only target something the probe has seen (a name printed only in
application logs does not count).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from langchain_core.runnables import RunnableConfig

from aoi.graph.compression import Observation, compress, injection_flags
from aoi.graph.environment import TICKS_PER_STEP
from aoi.graph.nodes.common import iteration, thread_id
from aoi.graph.state import AgentState, Runtime
from aoi.store.episodes import StepRecord
from aoi.tools.redaction import redact_text

_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")
_TOKEN = re.compile(r"[a-z0-9][-a-z0-9.]{1,62}")
MAX_NAMES_PER_STEP = 600
APPLICATION_TEXT_TOOLS = frozenset({"get_logs", "get_error_logs"})
"""Reads whose whole output is what an application chose to print (and may have copied from a request): a name
that appears only there has not been shown as an object, so a write may not target it."""


def call_signature(tool: str, args: dict[str, Any]) -> str:
    return f"{tool}:{json.dumps(args, sort_keys=True, default=str)}"


def make_observe(rt: Runtime) -> Any:
    def observe(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        started = time.perf_counter()
        step = state.get("step", 0)
        decision = state["decision"] or {}
        counts = dict(state.get("call_counts", {}))
        observations: list[Observation] = []
        results: list[dict[str, Any]] = []
        seen: set[str] = set()
        flagged: set[str] = set()
        flags: list[str] = []
        for call in decision.get("tool_calls", []):
            signature = call_signature(call["tool"], call.get("args", {}))
            counts[signature] = counts.get(signature, 0) + 1
            result = rt.env.call("probe", call["tool"], call.get("args", {}))
            text = redact_text(result.text)
            observations.append(Observation(call["tool"], call.get("args", {}), text, result.is_error))
            results.append({"tool": call["tool"], "args": call.get("args", {}), "error": result.is_error,
                            "text": text})
            names = names_in(text, state["task"]["services"])
            found = injection_flags(text)
            if found:
                flags += [f"injection:{flag}" for flag in found]
                flagged |= names
            elif call["tool"] not in APPLICATION_TEXT_TOOLS:
                seen |= names
        compressed = compress(observations, budget_chars=rt.observation_budget_chars)
        record = iteration(step, decision.get("summary", ""), decision, decision.get("tool_calls", []), compressed)
        rt.store.record_step(StepRecord(thread_id(config), step, "observe", tool_calls=record["tool_calls"],
                                        results=results, wall_s=time.perf_counter() - started))
        rt.env.advance_to(state["base_tick"] + (step + 1) * TICKS_PER_STEP + state.get("settle_ticks", 0))
        update: dict[str, Any] = {
            "step": step + 1, "iterations": [record], "call_counts": counts,
            "tool_calls_total": state.get("tool_calls_total", 0) + len(results),
            "seen": sorted(seen), "flagged": sorted(flagged - seen), "flags": flags,
        }
        if any(n >= rt.budget.max_repeats for n in counts.values()):
            update["outcome"] = "repeated_calls"
        return update

    return observe


_NAMED = re.compile(r'(?:\b(?:node|service|namespace)/|"name":\s*"|\bNode:\s+)([a-z0-9][-a-z0-9.]*)')


def names_in(text: str, services: list[str]) -> set[str]:
    """Kubernetes-style object names shown in tool output (services, pods, nodes, config objects ...)."""
    tokens = {t for t in _TOKEN.findall(text) if _NAME.fullmatch(t) and ("-" in t or t in services)}
    # Names without a dash count where the output says what they name (`node/master`, `"name": "master"`).
    tokens |= {t for t in _NAMED.findall(text) if _NAME.fullmatch(t)}
    # A pod `geo-7d9f-x2k4` shows its workload `geo` too.
    tokens |= {s for s in services if s in tokens or any(t.startswith(s + "-") for t in tokens)}
    return set(sorted(tokens)[:MAX_NAMES_PER_STEP])


def route_after_observe(state: AgentState) -> str:
    return "finish" if state.get("outcome") else "reason"
