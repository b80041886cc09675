"""Helpers the nodes share: thread ids from the run config, and the task as the prompt modules see it."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig

from aoi.graph.compression import CompressedObservation
from aoi.graph.prompts import IterationRecord, Memory, TaskSpec


def thread_id(config: RunnableConfig) -> str:
    return str((config.get("configurable") or {}).get("thread_id", "default"))


def target_names(args: dict[str, Any]) -> list[str]:
    """Object names a write targets, from its arguments (what the probe must have shown beforehand)."""
    names = [str(args[k]) for k in ("name", "node", "service") if args.get(k)]
    manifest = args.get("manifest")
    if isinstance(manifest, dict) and isinstance(manifest.get("metadata"), dict):
        names.append(str(manifest["metadata"].get("name", "")))
    return [n for n in names if n]


def iteration(step: int, summary: str, decision: dict[str, Any] | None, tool_calls: list[dict[str, Any]],
              observations: list[CompressedObservation] | list[str]) -> dict[str, Any]:
    """One memory record, as stored in the graph state (plain JSON-able data)."""
    decision = decision or {}
    obs = [o if isinstance(o, CompressedObservation) else CompressedObservation("aoi", {}, o) for o in observations]
    return {"step": step, "summary": summary, "phase": decision.get("phase", ""),
            "hypothesis": decision.get("hypothesis", ""), "confidence": decision.get("confidence"),
            "action": decision.get("action", ""),
            "tool_calls": [{"tool": c["tool"], "args": c.get("args", {})} for c in tool_calls],
            "observations": [{"tool": o.tool, "args": dict(o.args), "text": o.text, "error": o.error,
                              "original_chars": o.original_chars, "flags": list(o.flags)} for o in obs]}


def memory_of(state: dict[str, Any]) -> Memory:
    """The memory as the prompt module sees it (its step numbers count from 1; the graph's from 0)."""
    records = []
    for r in state.get("iterations", []):
        records.append(IterationRecord(
            step=r["step"] + 1, summary=r["summary"], phase=r.get("phase", ""), hypothesis=r.get("hypothesis", ""),
            confidence=r.get("confidence"), action=r.get("action", ""),
            tool_calls=tuple((c["tool"], c.get("args", {})) for c in r.get("tool_calls", [])),
            observations=tuple(CompressedObservation(o["tool"], o["args"], o["text"], o["error"],
                                                     o.get("original_chars", 0), tuple(o.get("flags", ())))
                               for o in r.get("observations", []))))
    return Memory(iterations=tuple(records))


def task_spec(state: dict[str, Any], max_steps: int) -> TaskSpec:
    task = state["task"]
    return TaskSpec(task=task["type"], description=task["text"], namespace=task["namespace"],
                    services=tuple(task["services"]), app=task.get("app", ""), max_steps=max_steps,
                    root_causes=tuple(task.get("root_causes", ())), fault_objects=tuple(task.get("fault_objects", ())))
