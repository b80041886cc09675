"""act — the Executor: run the approved write through the executor server, then verify through the probe.

The call carries the grant and an idempotency key derived from (thread, step, tool): if the process dies after
the write and the node re-runs on resume, the executor answers "already applied" instead of writing twice.
After the write, simulated time moves on and the probe checks the pods; if the cluster got worse (more pods not
ready than before), the write is rolled back through the `undo` tool: the approval of the write covers its undo,
and the grant says so (channel `auto-rollback`, naming who approved the write). The pods baseline is measured
once, stored before the write, and reused by a resumed run, so a crash mid-act cannot move the yardstick.
"""

from __future__ import annotations

import re
import time
from typing import Any

from langchain_core.runnables import RunnableConfig

from aoi.cluster.interface import ClusterError
from aoi.graph.environment import TICKS_PER_STEP
from aoi.graph.nodes.common import iteration, thread_id
from aoi.graph.state import AgentState, Runtime
from aoi.store.episodes import StepRecord

SETTLE_TICKS = 12
"""A minute of simulated time for the cluster to react before verification."""

_READY = re.compile(r"^\S+\s+(\d+)/(\d+)\s+(\S+)", re.M)


def unhealthy_pods(pods_table: str) -> int:
    """Pods not fully ready or not Running, from a `kubectl get pods` table."""
    bad = 0
    for ready, total, status in _READY.findall(pods_table):
        if ready != total or status != "Running":
            bad += 1
    return bad


def _unhealthy_before(rt: Runtime, thread: str, step: int) -> int | None:
    """The baseline a previous, interrupted run of this act step measured before its write, if any."""
    for row in rt.store.steps(thread):
        if row["step"] == step and row["node"] == "act":
            for result in row.get("results") or []:
                if isinstance(result.get("unhealthy_before"), int):
                    return int(result["unhealthy_before"])
    return None


def make_act(rt: Runtime) -> Any:
    def act(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        started = time.perf_counter()
        thread = thread_id(config)
        step = state.get("step", 0)
        proposal = state["proposal"] or {}
        tool, args = proposal["tool"], proposal["args"]
        ns = state["task"]["namespace"]
        before = _unhealthy_before(rt, thread, step)
        if before is None:  # first run: measure and keep it, so a resumed run compares against the same baseline
            before = unhealthy_pods(rt.env.call("probe", "get_resources",
                                                {"resource_type": "pods", "namespace": ns}).text)
            rt.store.record_step(StepRecord(thread, step, "act", tool_calls=[{"tool": tool, "args": args}],
                                            results=[{"unhealthy_before": before}]))
        result = rt.env.call("executor", tool, {**args, "grant": state.get("grant") or "", "thread_id": thread,
                                                "idempotency_key": f"{thread}:{step}:{tool}"})
        fields = dict(line.split(": ", 1) for line in result.text.splitlines()[:3] if ": " in line)
        status, undo_id = fields.get("status", "failed"), fields.get("undo_id")
        settled = state.get("settle_ticks", 0) + SETTLE_TICKS
        rt.env.advance_to(state["base_tick"] + (step + 1) * TICKS_PER_STEP + settled)
        after = unhealthy_pods(rt.env.call("probe", "get_resources", {"resource_type": "pods", "namespace": ns}).text)
        verdict = "applied" if status in ("applied", "noop") else f"not applied ({fields.get('message', '')})"
        rolled_back = False
        if status in ("applied", "noop") and undo_id and after > before:
            undo_args = {"undo_id": undo_id}
            try:
                version = rt.env.preview("undo", undo_args).resource_version
                grant = rt.env.authority.mint_rollback(approved_by=str(proposal.get("approver") or "unknown"),
                                                       thread_id=thread, undo_args=undo_args,
                                                       resource_version=version)
            except ClusterError:  # the undo already ran before a crash: its idempotency key answers with the result
                grant = ""
            rt.env.call("executor", "undo", {**undo_args, "grant": grant, "thread_id": thread,
                                             "idempotency_key": f"{thread}:{step}:undo"})
            rolled_back = True
            verdict += f"; verification failed ({before} → {after} unhealthy pods), rolled back"
        else:
            verdict += f"; unhealthy pods {before} → {after}"
        write = {"step": step, "tool": tool, "args": args, "status": status, "undo_id": undo_id,
                 "rolled_back": rolled_back, "unhealthy_before": before, "unhealthy_after": after,
                 "backing": proposal.get("backing")}
        rt.store.record_step(StepRecord(thread, step, "act", tool_calls=[{"tool": tool, "args": args}],
                                        results=[{"text": result.text, "verdict": verdict,
                                                  "unhealthy_before": before}],
                                        wall_s=time.perf_counter() - started))
        record = iteration(step, f"executed {tool}: {verdict}", state.get("decision"),
                           [{"tool": tool, "args": args}], [result.text[:1500]])
        update: dict[str, Any] = {
            "writes": [write], "iterations": [record], "proposal": None, "grant": None, "step": step + 1,
            "settle_ticks": settled,
            "feedback": f"Your write {tool} was {verdict}. Verify the fix with read tools, then submit."}
        if status in ("applied", "noop") and not rolled_back:
            update["call_counts"] = {}  # the cluster changed: a read made before the write is a new read after it
        return update

    return act
