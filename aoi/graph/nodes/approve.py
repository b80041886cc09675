"""propose and approve — the human checkpoint between a proposed write and the executor.

`propose` refuses, before any human sees it, a write in a diagnosis-only task and a write whose target the probe
has not shown in this episode (or has shown only inside telemetry flagged as an injection attempt). It then
dry-runs the write for its diff and the target's resource version.

`approve` interrupts the graph with the proposal, its diff, its undo plan and the evidence it rests on, and
resumes with the human's answer: approve, reject (with a reason), or edit (new arguments). The node re-runs from
its top on resume, so everything before `interrupt()` is side-effect free; the grant is minted only after it,
from the human's decision. If the target changed while the question was pending, the stale approval is not used:
the proposal is refreshed and asked again.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import interrupt

from aoi.cluster.interface import ClusterError
from aoi.graph.decision import EXECUTOR_PLUMBING
from aoi.graph.nodes.common import iteration, target_names, thread_id
from aoi.graph.state import AgentState, Runtime
from aoi.tools.grants import AutoApprovePolicy, HumanDecision
from aoi.tools.registry import WRITE_TOOLS

EVAL_POLICY = AutoApprovePolicy("simulated-evaluation", frozenset(WRITE_TOOLS), "auto-approve on a simulated cluster")


def make_propose(rt: Runtime) -> Any:
    def propose(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        decision = state["decision"] or {}
        call = (decision.get("tool_calls") or [{}])[0]
        tool, args = call.get("tool", ""), call.get("args", {})
        if tool in WRITE_TOOLS:
            # The grant binds the exact arguments the executor will run with, defaults included.
            args = with_defaults(args, rt.env.tool_schemas("executor").get(tool, {}).get("input_schema", {}))
        refusal = _refusal(state, tool, args)
        if refusal:
            return _refused(state, tool, args, refusal)
        try:
            preview = rt.env.preview(tool, args)
        except ClusterError as exc:
            return _refused(state, tool, args, f"the dry run failed: {exc}", flag=None)
        evidence = [r.get("summary", "") for r in state.get("iterations", [])[-3:]]
        return {"proposal": {"tool": tool, "args": args, "diff": preview.result.diff, "summary":
                             preview.result.summary, "resource_version": preview.resource_version,
                             "undo_plan": preview.result.undo.description, "evidence": evidence,
                             "hypothesis": decision.get("hypothesis", ""),
                             "confidence": decision.get("confidence", 0)}}

    return propose


def with_defaults(args: dict[str, Any], input_schema: dict[str, Any]) -> dict[str, Any]:
    """`args` plus every declared default it omits (the executor's plumbing arguments excepted)."""
    filled = dict(args)
    for name, spec in (input_schema.get("properties") or {}).items():
        if name not in filled and name not in EXECUTOR_PLUMBING and isinstance(spec, dict) and "default" in spec:
            filled[name] = spec["default"]
    return filled


def _refusal(state: AgentState, tool: str, args: dict[str, Any]) -> str:
    if state["task"]["type"] != "mitigation":
        return "writes are not allowed in a diagnosis task"
    if tool not in WRITE_TOOLS:
        return f"{tool!r} is not a write tool"
    seen, flagged = set(state.get("seen", [])), set(state.get("flagged", []))
    for name in target_names(args):
        if name not in seen:
            if name in flagged:
                return f"target {name!r} appears only in telemetry flagged as an injection attempt"
            return f"target {name!r} has not been observed by the probe in this episode; look at it first"
    return ""


def _refused(state: AgentState, tool: str, args: dict[str, Any], reason: str,
             flag: str | None = "refused_write") -> dict[str, Any]:
    record = iteration(state.get("step", 0), f"proposed {tool} was refused before approval: {reason}",
                       state.get("decision"), [{"tool": tool, "args": args}], [f"REFUSED: {reason}"])
    update: dict[str, Any] = {"proposal": None, "feedback": f"Your proposed write was refused: {reason}",
                              "iterations": [record], "step": state.get("step", 0) + 1}
    if flag:
        kind = "write_in_diagnosis" if "diagnosis" in reason else "injection_target" if "injection" in reason \
            else "uncorroborated_target" if "not been observed" in reason else flag
        update["flags"] = [kind]
    return update


def route_after_propose(state: AgentState) -> str:
    return "approve" if state.get("proposal") else "reason"


def make_approve(rt: Runtime) -> Any:
    def approve(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        proposal = dict(state["proposal"] or {})
        step = state.get("step", 0)
        thread = thread_id(config)
        if rt.approve_mode == "deny":
            answer: dict[str, Any] = {"action": "reject", "approver": "policy:deny", "reason": "writes are denied"}
        elif rt.approve_mode == "auto":
            answer = {"action": "approve", "approver": f"policy:{EVAL_POLICY.name}"}
        else:
            answer = interrupt({"kind": "approval", "thread_id": thread, "step": step, **proposal})
        action = str(answer.get("action", "")).lower() if isinstance(answer, dict) else ""
        approver = str(answer.get("approver") or "operator") if isinstance(answer, dict) else "operator"
        tool, args = proposal["tool"], proposal["args"]
        if action == "edit":
            args = answer.get("args") if isinstance(answer.get("args"), dict) else args
            action = "approve"
        if action != "approve":
            reason = str(answer.get("reason", "")) if isinstance(answer, dict) else ""
            rt.store.record_approval(thread, step, tool, args, proposal.get("diff", ""),
                                     proposal.get("resource_version", ""), "reject", approver, reason)
            record = iteration(step, f"the operator rejected {tool}: {reason or 'no reason given'}",
                               state.get("decision"), [{"tool": tool, "args": args}], [f"REJECTED: {reason}"])
            return {"proposal": None, "grant": None, "iterations": [record], "step": step + 1,
                    "feedback": f"The operator rejected your proposed {tool}: {reason or 'no reason given'}. "
                                f"Reconsider."}
        try:
            current = rt.env.preview(tool, args)
        except ClusterError as exc:
            return {"proposal": None, "grant": None, "feedback": f"The approved write can no longer run: {exc}"}
        if args == proposal["args"] and current.resource_version != proposal["resource_version"]:
            # The object changed while the question was pending: this approval is for a diff that no longer exists.
            return {"proposal": {**proposal, "diff": current.result.diff, "resource_version": current.resource_version,
                                 "stale": True}, "grant": None}
        if rt.approve_mode == "auto":
            grant = rt.env.authority.mint_from_policy(EVAL_POLICY, thread_id=thread, tool=tool, args=args,
                                                      resource_version=current.resource_version)
        else:
            grant = rt.env.authority.mint_from_human(
                HumanDecision(approver, irreversible_ok=bool(answer.get("irreversible_ok", False))),
                thread_id=thread, tool=tool, args=args, resource_version=current.resource_version)
        rt.store.record_approval(thread, step, tool, args, current.result.diff, current.resource_version,
                                 "approve", approver, str(answer.get("reason", "")))
        return {"proposal": {**proposal, "args": args, "diff": current.result.diff,
                             "resource_version": current.resource_version, "stale": False}, "grant": grant}

    return approve


def route_after_approve(state: AgentState) -> str:
    if state.get("grant"):
        return "act"
    if state.get("proposal") and state["proposal"].get("stale"):
        return "approve"
    return "reason"
