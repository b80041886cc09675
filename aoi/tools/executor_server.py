"""The executor MCP server: the cluster's write interface as typed tools, every call through `Executor`.

A call carries an approval grant (minted from a human decision by the agent's approval step), or — when an IDE
agent calls it directly — the server asks the person at the keyboard through MCP elicitation, showing the
dry-run diff, and mints the grant from their answer. A client that cannot elicit gets writes refused, unless the
server was started with `trust_client_confirmation=True` (the user vouches that the IDE asks before every tool
call); such approvals are audited as `trusted-client`.

A refused or failed write comes back as an MCP error (`isError: true`) whose text is the same `status:` /
`message:` lines a success carries, so a client can never mistake a refusal for a result.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import (
    AcceptedElicitation,
    CancelledElicitation,
    Context,
    DeclinedElicitation,
    Elicit,
    MCPServer,
    Resolve,
)
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import BaseModel

from aoi.cluster.interface import ClusterError
from aoi.tools.executor import UNDO_TOOL, Executor
from aoi.tools.grants import GrantAuthority, HumanDecision
from aoi.tools.redaction import redact_diff, redact_text
from aoi.tools.registry import WRITE_TOOLS

IDE_THREAD = "ide"
IDE_APPROVER = "ide-user"


class Confirm(BaseModel):
    """What the person is asked."""

    approve: bool
    """Apply exactly this change?"""



def _call_of(ctx: Context) -> tuple[str, dict[str, Any]]:
    params = ctx.request_context.params
    if isinstance(params, dict):
        return str(params.get("name", "")), dict(params.get("arguments") or {})
    return str(getattr(params, "name", "")), dict(getattr(params, "arguments", None) or {})


class ExecutorServer(MCPServer):
    """An MCPServer that knows its executor, so the approval resolver can dry-run the call it is asked about."""

    def __init__(self, executor: Executor, trust_client_confirmation: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.executor = executor
        self.trust_client_confirmation = trust_client_confirmation


def _domain_args(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k not in ("grant", "idempotency_key", "thread_id")}


async def _ask_person(ctx: Context, grant: str = "") -> Any:
    """Resolver: elicit the person's confirmation, with the dry-run diff, when no grant was passed."""
    server = ctx.mcp_server
    if grant or not isinstance(server, ExecutorServer) or server.trust_client_confirmation:
        return None
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.elicitation is None:
        return None
    tool, args = _call_of(ctx)
    try:
        preview = server.executor.preview(tool, _domain_args(args))
    except ClusterError:
        return None  # the call itself reports the problem
    diff = redact_diff(preview.result.diff) or "(no change)"
    return Elicit(f"AOI wants to run {tool} — {preview.result.summary}.\n\nDry-run diff:\n{diff}\n\n"
                  f"Approve exactly this change?", Confirm)


ApprovalParam = Annotated[AcceptedElicitation[Confirm] | DeclinedElicitation | CancelledElicitation | None,
                          Resolve(_ask_person)]
"""Injected by the framework (never part of the tool's input schema): the person's answer, or None."""


def build_executor_server(executor: Executor, authority: GrantAuthority, *,
                          trust_client_confirmation: bool = False) -> MCPServer:
    server = ExecutorServer(executor, trust_client_confirmation, name="aoi-executor", log_level="WARNING",
                            instructions=(
        "Write tools for a Kubernetes cluster. Every call is dry-run first and needs approval: pass the `grant` "
        "the approval step gave you, or this server asks the user to confirm the shown diff. Each applied write "
        "returns an undo_id; the `undo` tool reverts it (also approved)."))

    def run(tool: str, args: dict[str, Any], thread_id: str, grant: str, idempotency_key: str,
            approval: Any) -> str:
        args = _domain_args(args)
        if not grant and (trust_client_confirmation or _accepted(approval)):
            channel: Literal["elicitation", "trusted-client"] = (
                "trusted-client" if trust_client_confirmation else "elicitation")
            try:
                preview = executor.preview(tool, args)
            except ClusterError as exc:
                raise ToolError(f"status: refused\nmessage: refused: {redact_text(str(exc))}") from exc
            grant = authority.mint_from_human(HumanDecision(IDE_APPROVER, channel), thread_id=thread_id, tool=tool,
                                              args=args, resource_version=preview.resource_version)
        elif not grant and _asked(approval):
            refusal = executor.refuse(thread_id, tool, args, IDE_APPROVER, f"refused: the user answered "
                                      f"{getattr(approval, 'action', 'no')} to this change; nothing was changed")
            raise ToolError(f"status: {refusal.status}\nmessage: {refusal.message}")
        result = executor.execute(tool, args, thread_id=thread_id, grant=grant, idempotency_key=idempotency_key)
        lines = [f"status: {result.status}", f"message: {redact_text(result.message)}"]
        if result.undo_id:
            lines.append(f"undo_id: {result.undo_id}")
        if result.diff:
            lines += ["diff:", redact_diff(result.diff)]
        if result.status in ("refused", "failed"):
            raise ToolError("\n".join(lines))  # an MCP error (isError), with the same text a success would carry
        return "\n".join(lines)

    def annotations(name: str) -> ToolAnnotations:
        spec = WRITE_TOOLS.get(name)
        return ToolAnnotations(read_only_hint=False, destructive_hint=spec.destructive if spec else True,
                               idempotent_hint=spec.idempotent if spec else False, open_world_hint=False)

    @server.tool(annotations=annotations("scale_workload"))
    def scale_workload(kind: str, name: str, namespace: str, replicas: int, thread_id: str = IDE_THREAD,
                       grant: str = "", idempotency_key: str = "",
                       approval: ApprovalParam = None) -> str:
        """Set the replica count of a Deployment, StatefulSet or ReplicaSet (0–20)."""
        return run("scale_workload", {"kind": kind, "name": name, "namespace": namespace, "replicas": replicas},
                   thread_id, grant, idempotency_key, approval)

    @server.tool(annotations=annotations("restart_workload"))
    def restart_workload(kind: str, name: str, namespace: str, thread_id: str = IDE_THREAD, grant: str = "",
                         idempotency_key: str = "",
                         approval: ApprovalParam = None) -> str:
        """Rolling restart of a Deployment/StatefulSet/DaemonSet: new pods with the same spec."""
        return run("restart_workload", {"kind": kind, "name": name, "namespace": namespace}, thread_id, grant,
                   idempotency_key, approval)

    @server.tool(annotations=annotations("rollback_deployment"))
    def rollback_deployment(name: str, namespace: str, to_revision: int | None = None, thread_id: str = IDE_THREAD,
                            grant: str = "", idempotency_key: str = "",
                            approval: ApprovalParam = None) -> str:
        """Roll a Deployment back to its previous revision (or `to_revision`)."""
        return run("rollback_deployment", {"name": name, "namespace": namespace, "to_revision": to_revision},
                   thread_id, grant, idempotency_key, approval)

    @server.tool(annotations=annotations("patch_resource"))
    def patch_resource(kind: str, name: str, namespace: str | None, patch: dict[str, Any] | list[dict[str, Any]],
                       patch_type: Literal["merge", "json", "strategic"] = "merge", thread_id: str = IDE_THREAD,
                       grant: str = "", idempotency_key: str = "",
                       approval: ApprovalParam = None) -> str:
        """Patch one object: a merge patch (object), a JSON patch (list of ops), or a strategic merge patch.
        Kinds: Deployment, StatefulSet, DaemonSet, Service, ConfigMap, Node, ResourceQuota, ServiceAccount."""
        return run("patch_resource", {"kind": kind, "name": name, "namespace": namespace, "patch": patch,
                                      "patch_type": patch_type}, thread_id, grant, idempotency_key, approval)

    @server.tool(annotations=annotations("set_image"))
    def set_image(kind: str, name: str, namespace: str, container: str, image: str, thread_id: str = IDE_THREAD,
                  grant: str = "", idempotency_key: str = "",
                  approval: ApprovalParam = None) -> str:
        """Set the image of one container of a workload."""
        return run("set_image", {"kind": kind, "name": name, "namespace": namespace, "container": container,
                                 "image": image}, thread_id, grant, idempotency_key, approval)

    @server.tool(annotations=annotations("set_env"))
    def set_env(kind: str, name: str, namespace: str, container: str, env: dict[str, str | None],
                thread_id: str = IDE_THREAD, grant: str = "", idempotency_key: str = "",
                approval: ApprovalParam = None) -> str:
        """Set environment variables of one container (a null value removes the variable)."""
        return run("set_env", {"kind": kind, "name": name, "namespace": namespace, "container": container,
                               "env": env}, thread_id, grant, idempotency_key, approval)

    @server.tool(annotations=annotations("delete_pod"))
    def delete_pod(name: str, namespace: str, thread_id: str = IDE_THREAD, grant: str = "",
                   idempotency_key: str = "",
                   approval: ApprovalParam = None) -> str:
        """Delete one pod; its controller creates a replacement."""
        return run("delete_pod", {"name": name, "namespace": namespace}, thread_id, grant, idempotency_key,
                   approval)

    @server.tool(annotations=annotations("delete_resource"))
    def delete_resource(kind: str, name: str, namespace: str | None, thread_id: str = IDE_THREAD, grant: str = "",
                        idempotency_key: str = "",
                        approval: ApprovalParam = None) -> str:
        """Delete one object: Pod, Service, ConfigMap, ResourceQuota, ServiceAccount, a chaos experiment
        (PodChaos/NetworkChaos/StressChaos), or — only with an irreversible approval — a PersistentVolumeClaim."""
        return run("delete_resource", {"kind": kind, "name": name, "namespace": namespace}, thread_id, grant,
                   idempotency_key, approval)

    @server.tool(annotations=annotations("cordon_node"))
    def cordon_node(node: str, thread_id: str = IDE_THREAD, grant: str = "", idempotency_key: str = "",
                    approval: ApprovalParam = None) -> str:
        """Mark a node unschedulable (running pods stay)."""
        return run("cordon_node", {"node": node}, thread_id, grant, idempotency_key, approval)

    @server.tool(annotations=annotations("uncordon_node"))
    def uncordon_node(node: str, thread_id: str = IDE_THREAD, grant: str = "", idempotency_key: str = "",
                      approval: ApprovalParam = None) -> str:
        """Mark a node schedulable again."""
        return run("uncordon_node", {"node": node}, thread_id, grant, idempotency_key, approval)

    @server.tool(annotations=annotations("datastore_admin"))
    def datastore_admin(service: str, namespace: str,
                        operation: Literal["grant_roles", "revoke_roles", "create_user", "drop_user"],
                        args: dict[str, Any], thread_id: str = IDE_THREAD, grant: str = "",
                        idempotency_key: str = "",
                        approval: ApprovalParam = None) -> str:
        """MongoDB user administration inside a datastore workload; args: {user, password?, roles: [{role, db}]}."""
        return run("datastore_admin", {"service": service, "namespace": namespace, "operation": operation,
                                       "args": args}, thread_id, grant, idempotency_key, approval)

    @server.tool(annotations=annotations("apply_manifest"))
    def apply_manifest(manifest: dict[str, Any], thread_id: str = IDE_THREAD, grant: str = "",
                       idempotency_key: str = "",
                       approval: ApprovalParam = None) -> str:
        """Create or replace one object (Deployment, Service, ConfigMap, ServiceAccount, PersistentVolumeClaim,
        ResourceQuota) from a manifest."""
        return run("apply_manifest", {"manifest": manifest}, thread_id, grant, idempotency_key, approval)

    @server.tool(annotations=annotations("node_service"))
    def node_service(node: str, component: Literal["kubelet", "kube-proxy", "containerd", "kube-scheduler"],
                     action: Literal["start", "restart", "stop"], thread_id: str = IDE_THREAD, grant: str = "",
                     idempotency_key: str = "",
                     approval: ApprovalParam = None) -> str:
        """`systemctl <action> <component>` on a node."""
        return run("node_service", {"node": node, "component": component, "action": action}, thread_id, grant,
                   idempotency_key, approval)

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False,
                                             open_world_hint=False))
    def undo(undo_id: str, thread_id: str = IDE_THREAD, grant: str = "", idempotency_key: str = "",
             approval: ApprovalParam = None) -> str:
        """Revert a write by the undo_id it returned (needs its own approval)."""
        return run(UNDO_TOOL, {"undo_id": undo_id}, thread_id, grant, idempotency_key, approval)

    return server


def _asked(approval: Any) -> bool:
    """Whether the person was actually asked (a resolver that did not ask yields an empty acceptance)."""
    if isinstance(approval, (DeclinedElicitation, CancelledElicitation)):
        return True
    return isinstance(approval, AcceptedElicitation) and approval.data is not None


def _accepted(approval: Any) -> bool:
    return getattr(approval, "action", None) == "accept" and bool(getattr(getattr(approval, "data", None),
                                                                          "approve", False))
