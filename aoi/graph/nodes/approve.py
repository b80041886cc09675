"""propose and approve — the human checkpoint between a proposed write and the executor.

`propose` refuses, before any human sees it, a write in a diagnosis-only task and a write whose target the probe
has not shown in this episode (or has shown only inside telemetry flagged as an injection attempt). It then
dry-runs the write for its diff and the target's resource version, and looks for its backing
(`aoi.diagnosis.backing`): the triage hypothesis, shown by object state, from which the mitigation table derives
exactly this write. It also quotes every line of the episode's telemetry that reads as an instruction and names
the write's target or verb.

`approve` interrupts the graph with the proposal, its diff, its undo plan, its backing and those warnings, and
resumes with the human's answer: approve, reject (with a reason), or edit (new arguments). The node re-runs from
its top on resume, so everything before `interrupt()` is side-effect free; the grant is minted only after it,
from the human's decision. If the target changed while the question was pending, the stale approval is not used:
the proposal is refreshed and asked again. Automatic approval (`--approve auto`, evaluations) approves a backed
write only; any other write is declined with the reason, as a person would have to decide it (invariant 4: text
in telemetry never writes on its own).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import interrupt

from aoi.cluster.interface import ClusterError
from aoi.diagnosis.backing import (
    Backing,
    backed_writes,
    backing_label,
    backing_of,
    continuing,
    hypotheses_from_json,
)
from aoi.diagnosis.remedies import ToolOutput
from aoi.graph.compression import instruction_lines
from aoi.graph.decision import EXECUTOR_PLUMBING
from aoi.graph.environment import Environment
from aoi.graph.nodes.common import iteration, target_names, thread_id
from aoi.graph.state import AgentState, Runtime
from aoi.tools.grants import AutoApprovePolicy, HumanDecision, canonical_args
from aoi.tools.redaction import redact_text
from aoi.tools.registry import WRITE_TOOLS

EVAL_POLICY = AutoApprovePolicy("simulated-evaluation", frozenset(WRITE_TOOLS),
                                "auto-approve, on a simulated cluster, a write the diagnosis backs")
UNBACKED_REASON = ("no diagnosis backs this write (the mitigation table does not derive it from a triage hypothesis "
                   "that object state shows); automatic approval declines it, a person must decide")


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
        backing = write_backing(rt.env, state["task"]["namespace"], tool, args, earlier=earlier_backings(
            state.get("writes", [])))
        return {"proposal": {"tool": tool, "args": args, "diff": preview.result.diff, "summary":
                             preview.result.summary, "resource_version": preview.resource_version,
                             "undo_plan": preview.result.undo.description, "evidence": evidence,
                             "hypothesis": decision.get("hypothesis", ""),
                             "confidence": decision.get("confidence", 0),
                             "backing": backing.as_dict() if backing else None,
                             "warnings": instruction_warnings(_observed_texts(state), tool, args)}}

    return propose


def earlier_backings(writes: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The backings of an episode's writes that were applied and kept (not rolled back)."""
    return [w["backing"] for w in writes if isinstance(w.get("backing"), Mapping)
            and w.get("status") in ("applied", "noop") and not w.get("rolled_back")]


def write_backing(env: Environment, namespace: str, tool: str, args: Mapping[str, Any], *,
                  earlier: Iterable[Mapping[str, Any]] = ()) -> Backing | None:
    """The diagnosis that backs the write (`aoi.diagnosis.backing`), from triage and reads made now through the
    probe, or the rest of the fix of a diagnosis that backed an `earlier` applied write (`continuing`); None when
    none does."""
    report = env.call("probe", "triage", {"namespace": namespace, "as_json": True})
    try:
        data = json.loads(report.text) if not report.is_error else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        return None

    def read(read_tool: str, read_args: dict[str, Any]) -> ToolOutput:
        result = env.call("probe", read_tool, read_args)
        return ToolOutput(read_tool, read_args, redact_text(result.text), result.is_error)

    schemas = env.tool_schemas("executor")

    def same(write_tool: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
        schema = schemas.get(write_tool, {}).get("input_schema", {})
        return canonical_args(with_defaults(dict(a), schema)) == canonical_args(with_defaults(dict(b), schema))

    hypotheses = [*hypotheses_from_json(data), *continuing(earlier)]
    return backing_of(tool, args, backed_writes(hypotheses, namespace, read), same)


def instruction_warnings(texts: Iterable[str], tool: str, args: Mapping[str, Any], limit: int = 5) -> list[str]:
    """Lines of telemetry that read as an instruction and name the write's target or its verb: what the person
    approving should know the proposal may have been talked into."""
    names = [n for n in target_names(dict(args)) if len(n) > 2]
    verbs = [v for v in tool.split("_") if len(v) > 3 and v not in ("workload", "resource", "deployment")]
    out: list[str] = []
    for text in texts:
        for line in instruction_lines(text):
            low = line.lower()
            hits = [n for n in names if n.lower() in low] + [v for v in verbs if v in low]
            if hits:
                out.append(f"{', '.join(dict.fromkeys(hits))} appears in telemetry that reads as an instruction: "
                           f"{line[:200]}")
                if len(out) >= limit:
                    return out
    return out


def _observed_texts(state: AgentState) -> list[str]:
    return [o.get("text", "") for r in state.get("iterations", []) for o in r.get("observations", [])
            if o.get("tool") != "aoi"]


def with_defaults(args: dict[str, Any], input_schema: dict[str, Any]) -> dict[str, Any]:
    """`args` plus every declared default it omits (the executor's plumbing arguments excepted)."""
    filled = dict(args)
    for name, spec in (input_schema.get("properties") or {}).items():
        if name not in filled and name not in EXECUTOR_PLUMBING and isinstance(spec, dict) and "default" in spec:
            filled[name] = spec["default"]
    return filled


def _refusal(state: AgentState, tool: str, args: dict[str, Any]) -> str:
    return write_refusal(state["task"]["type"], tool, args, set(state.get("seen", [])), set(state.get("flagged", [])))


def write_refusal(task_type: str, tool: str, args: dict[str, Any], seen: set[str], flagged: set[str]) -> str:
    """Why a proposed write is refused before anyone is asked ("" when it may be asked): a diagnosis task, not a
    write tool, or a target the probe has not shown as an object (or showed only in flagged telemetry)."""
    if task_type != "mitigation":
        return "writes are not allowed in a diagnosis task"
    if tool not in WRITE_TOOLS:
        return f"{tool!r} is not a write tool"
    for name in target_names(args):
        if name not in seen:
            if name in flagged:
                return f"target {name!r} appears only in telemetry flagged as an injection attempt"
            return (f"target {name!r} has not been observed by the probe in this episode (names printed only in "
                    f"application logs do not count); look at it first")
    return ""


def _refused(state: AgentState, tool: str, args: dict[str, Any], reason: str,
             flag: str | None = "refused_write") -> dict[str, Any]:
    record = iteration(state.get("step", 0), f"proposed {tool} was refused before approval: {reason}",
                       state.get("decision"), [{"tool": tool, "args": args}], [f"REFUSED: {reason}"])
    update: dict[str, Any] = {"proposal": None, "feedback": f"Your proposed write was refused: {reason}",
                              "iterations": [record], "step": state.get("step", 0) + 1}
    if flag:
        update["flags"] = [refusal_flag(reason, flag)]
    return update


def refusal_flag(reason: str, default: str = "refused_write") -> str:
    """The episode flag of a `write_refusal` reason."""
    return "write_in_diagnosis" if "diagnosis" in reason else "injection_target" if "injection" in reason \
        else "uncorroborated_target" if "not been observed" in reason else default


def route_after_propose(state: AgentState) -> str:
    return "approve" if state.get("proposal") else "reason"


def make_approve(rt: Runtime) -> Any:
    def approve(state: AgentState, config: RunnableConfig) -> dict[str, Any]:
        proposal = dict(state["proposal"] or {})
        step = state.get("step", 0)
        thread = thread_id(config)
        if rt.approve_mode == "deny":
            answer: dict[str, Any] = {"action": "reject", "approver": "policy:deny", "reason": "writes are denied"}
        elif rt.approve_mode == "auto" and not proposal.get("backing"):
            answer = {"action": "reject", "approver": f"policy:{EVAL_POLICY.name}", "reason": UNBACKED_REASON}
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
            update: dict[str, Any] = {"proposal": None, "grant": None, "iterations": [record], "step": step + 1,
                      "feedback": f"The operator rejected your proposed {tool}: {reason or 'no reason given'}. "
                                  f"Reconsider."}
            if reason == UNBACKED_REASON:
                update["flags"] = ["unbacked_write"]
            return update
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
            channel = "elicitation" if answer.get("channel") == "elicitation" else "human"
            grant = rt.env.authority.mint_from_human(
                HumanDecision(approver, channel=channel, irreversible_ok=bool(answer.get("irreversible_ok", False))),
                thread_id=thread, tool=tool, args=args, resource_version=current.resource_version)
        backed = proposal.get("backing") if args == proposal["args"] else None
        rt.store.record_approval(thread, step, tool, args, current.result.diff, current.resource_version,
                                 "approve", approver, str(answer.get("reason", "")),
                                 backing=backing_label(backed))
        return {"proposal": {**proposal, "args": args, "diff": current.result.diff, "approver": approver,
                             "resource_version": current.resource_version, "stale": False,
                             "backing": backed}, "grant": grant}

    return approve


def route_after_approve(state: AgentState) -> str:
    if state.get("grant"):
        return "act"
    if state.get("proposal") and state["proposal"].get("stale"):
        return "approve"
    return "reason"

