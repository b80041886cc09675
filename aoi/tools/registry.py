"""Our own registry of tools: what each tool is (read or write), what it targets, how it calls the backend.

Safety decisions are made from this registry — never from MCP annotations, which are hints for clients. A
name that is not registered as a read tool is treated as a write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from aoi.cluster.interface import ClusterWriter, WriteResult
from aoi.cluster.kinds import normalise_kind
from aoi.tools.policy import WriteTarget

ToolKind = Literal["read", "write"]

READ_TOOLS: frozenset[str] = frozenset({
    "get_resources", "describe_resource", "get_logs", "get_error_logs", "get_events", "get_metrics", "get_traces",
    "get_service_dependencies", "check_service_connectivity", "get_alerts", "get_app_yaml",
    "get_cluster_configuration", "check_node_service_status", "kubectl", "list_services", "triage",
})
"""Every read-only tool the probe server exposes on any cluster."""

OPTIONAL_READ_TOOLS: frozenset[str] = frozenset({"query_prometheus"})
"""Read-only tools the probe adds only where the service behind them exists (a live cluster's Prometheus)."""


@dataclass(frozen=True, slots=True)
class WriteTool:
    name: str
    description: str
    target: Callable[[dict[str, Any]], WriteTarget]
    call: Callable[[ClusterWriter, dict[str, Any], bool], WriteResult]
    """(backend, args, dry_run) → result."""
    destructive: bool = True
    idempotent: bool = False


def classify(tool: str) -> ToolKind:
    """`read` only for registered read tools; everything else — unknown names included — is a write."""
    return "read" if tool in READ_TOOLS or tool in OPTIONAL_READ_TOOLS else "write"


def _ns(args: dict[str, Any]) -> str | None:
    return args.get("namespace")


WRITE_TOOLS: dict[str, WriteTool] = {t.name: t for t in (
    WriteTool("scale_workload", "Set the replica count of a Deployment/StatefulSet/ReplicaSet.",
              lambda a: WriteTarget("scale", _kind(a["kind"]), a["name"], _ns(a)),
              lambda b, a, d: b.scale(a["kind"], a["name"], a["namespace"], a["replicas"], dry_run=d),
              destructive=False, idempotent=True),
    WriteTool("restart_workload", "Rolling restart of a Deployment/StatefulSet/DaemonSet (new pods, same spec).",
              lambda a: WriteTarget("restart", _kind(a["kind"]), a["name"], _ns(a)),
              lambda b, a, d: b.rollout_restart(a["kind"], a["name"], a["namespace"], dry_run=d),
              destructive=False),
    WriteTool("rollback_deployment", "Roll a Deployment back to its previous (or a given) revision.",
              lambda a: WriteTarget("rollback", "Deployment", a["name"], _ns(a)),
              lambda b, a, d: b.rollout_undo(a["name"], a["namespace"], to_revision=a.get("to_revision"),
                                             dry_run=d)),
    WriteTool("patch_resource", "Patch one object (merge, JSON or strategic patch).",
              lambda a: WriteTarget("patch", _kind(a["kind"]), a["name"], _ns(a)),
              lambda b, a, d: b.patch(a["kind"], a["name"], a.get("namespace"), a["patch"],
                                      patch_type=a.get("patch_type", "merge"), dry_run=d)),
    WriteTool("set_image", "Set the image of one container of a workload.",
              lambda a: WriteTarget("set_image", _kind(a["kind"]), a["name"], _ns(a)),
              lambda b, a, d: b.set_image(a["kind"], a["name"], a["namespace"], a["container"], a["image"],
                                          dry_run=d), idempotent=True),
    WriteTool("set_env", "Set or remove environment variables of one container of a workload.",
              lambda a: WriteTarget("set_env", _kind(a["kind"]), a["name"], _ns(a)),
              lambda b, a, d: b.set_env(a["kind"], a["name"], a["namespace"], a["container"], a["env"], dry_run=d),
              idempotent=True),
    WriteTool("delete_pod", "Delete one pod (its controller replaces it).",
              lambda a: WriteTarget("delete", "Pod", a["name"], _ns(a)),
              lambda b, a, d: b.delete_pod(a["name"], a["namespace"], dry_run=d)),
    WriteTool("delete_resource", "Delete one object of an allow-listed kind (incl. chaos experiments).",
              lambda a: WriteTarget("delete", _kind(a["kind"]), a["name"], _ns(a)),
              lambda b, a, d: b.delete(a["kind"], a["name"], a.get("namespace"), dry_run=d)),
    WriteTool("cordon_node", "Mark a node unschedulable.",
              lambda a: WriteTarget("cordon", "Node", a["node"], None),
              lambda b, a, d: b.cordon(a["node"], dry_run=d), destructive=False, idempotent=True),
    WriteTool("uncordon_node", "Mark a node schedulable again.",
              lambda a: WriteTarget("uncordon", "Node", a["node"], None),
              lambda b, a, d: b.uncordon(a["node"], dry_run=d), destructive=False, idempotent=True),
    WriteTool("datastore_admin", "Datastore administration inside a datastore workload (MongoDB users/roles).",
              lambda a: WriteTarget("datastore", "Datastore", a["service"], _ns(a)),
              lambda b, a, d: b.datastore_admin(a["service"], a["namespace"], a["operation"], a["args"],
                                                dry_run=d)),
    WriteTool("apply_manifest", "Create or replace one object from a manifest.",
              lambda a: WriteTarget("apply", str(a["manifest"].get("kind", "")), str(
                  a["manifest"].get("metadata", {}).get("name", "")), a["manifest"].get("metadata", {}).get(
                  "namespace")),
              lambda b, a, d: b.apply(a["manifest"], dry_run=d)),
    WriteTool("node_service", "Start, stop or restart a node daemon (kubelet, kube-proxy, containerd, kube-scheduler).",
              lambda a: WriteTarget("node_service", "NodeService", f"{a['node']}/{a['component']}", None),
              lambda b, a, d: b.node_service(a["node"], a["component"], a["action"], dry_run=d)),
)}
"""Write tools by name, except `undo`, which the executor implements itself."""

def _kind(name: str) -> str:
    """Normalise a kind for policy checks; unknown spellings stay as given (and fail the allow-list)."""
    return normalise_kind(name) or str(name)
