"""The two faces of a cluster: what can be read, and what can be changed.

Every backend (the embedded simulator, a live cluster, a frozen snapshot) implements `ClusterReader`; only the
backends that can change anything implement `ClusterWriter`. Code that must never write is handed a
`ReadOnlyView` (see `readonly.py`), which exposes the reader methods and nothing else.

The read methods mirror the Cloud-OpsBench tool set (GetResources, DescribeResource, GetRecentLogs, GetErrorLogs,
GetAppYAML, GetServiceDependencies, CheckServiceConnectivity, CheckNodeServiceStatus, GetClusterConfiguration,
GetAlerts) plus metrics and traces, so that a snapshot replay can answer the same calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

MetricName = Literal["request_rate", "error_rate", "p50_ms", "p95_ms", "p99_ms", "cpu_millicores", "memory_mib",
                     "restarts"]
"""The per-service / per-pod metrics every backend reports."""

METRIC_NAMES: tuple[MetricName, ...] = ("request_rate", "error_rate", "p50_ms", "p95_ms", "p99_ms",
                                        "cpu_millicores", "memory_mib", "restarts")

NodeComponent = Literal["kubelet", "kube-proxy", "containerd", "kube-scheduler"]
"""System daemons whose status `node_service_status` reports (kube-scheduler only on control-plane nodes)."""

NODE_COMPONENTS: tuple[NodeComponent, ...] = ("kubelet", "kube-proxy", "containerd", "kube-scheduler")


class ClusterError(Exception):
    """Base class of every error a cluster backend raises on bad input or a refused operation."""


class NotFoundError(ClusterError):
    """The named object, service, node or namespace does not exist. The message lists valid choices."""


class InvalidArgumentError(ClusterError):
    """An argument is malformed or out of range. The message names the argument and the valid values."""


class ConflictError(ClusterError):
    """The object changed since it was read (resourceVersion precondition failed)."""


class ForbiddenError(ClusterError):
    """The operation is not permitted on this object (kind not patchable, protected namespace, ...)."""


@dataclass(frozen=True, slots=True)
class UndoRecord:
    """Everything needed to revert one write: the objects as they were before it (their pre-images)."""

    description: str
    pre_images: tuple[dict[str, Any], ...]
    """Full objects before the write; restoring them reverts it. An entry with only `kind`/`metadata` and
    `"__absent__": True` means the object did not exist and must be deleted."""
    inverse_calls: tuple[dict[str, Any], ...] = ()
    """Writer calls that revert what pre-images cannot (datastore roles, node daemons), each
    `{"method": name, "kwargs": {...}}`, applied in order."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of a write or of its dry run."""

    dry_run: bool
    summary: str
    diff: str
    """Unified diff of the objects' YAML, before → after."""
    undo: UndoRecord
    changed: tuple[str, ...] = field(default=())
    """`kind/namespace/name` of every object the write changed."""


@runtime_checkable
class ClusterReader(Protocol):
    """Read-only access to a cluster. No method changes anything."""

    def namespaces(self) -> list[str]:
        """Names of all namespaces."""
        ...

    def services(self, namespace: str) -> list[str]:
        """Names of the application workloads (services) in a namespace."""
        ...

    def get_resources(self, resource_type: str, name: str = "", namespace: str | None = None, *, wide: bool = False,
                      show_labels: bool = False, label_selector: str | None = None) -> str:
        """A kubectl-style table (`kubectl get`)."""
        ...

    def describe(self, resource_type: str, name: str, namespace: str | None = None) -> str:
        """kubectl-style `describe` text."""
        ...

    def logs(self, target: str, namespace: str, *, container: str | None = None, tail: int = 100,
             since_seconds: int | None = None, grep: str | None = None, previous: bool = False) -> str:
        """Container log lines of a pod, or of the newest pod of a service when `target` names a service."""
        ...

    def error_log_summary(self, service: str, namespace: str) -> dict[str, Any]:
        """Error-line patterns of a service's logs: `{total_log_count, total_errors, total_error_ratio, patterns}`."""
        ...

    def events(self, namespace: str | None = None, *, object_name: str | None = None,
               warnings_only: bool = False) -> str:
        """The events table, optionally for one object."""
        ...

    def metrics(self, target: str, namespace: str, *, window_seconds: int = 300) -> dict[str, Any]:
        """Summary stats and a compact series for each metric of a service or pod over a window."""
        ...

    def traces(self, namespace: str, *, service: str | None = None, operation: str | None = None,
               errors_only: bool = False, limit: int = 20) -> dict[str, Any]:
        """Recent traces (spans with parent/child links and status) and per-operation aggregates."""
        ...

    def service_dependencies(self, service: str, namespace: str) -> dict[str, Any]:
        """Upstream callers and downstream callees of a service."""
        ...

    def check_connectivity(self, service: str, port: int, namespace: str) -> str:
        """Try a TCP connection to a service port from inside the cluster and report what happened."""
        ...

    def alerts(self) -> dict[str, Any]:
        """Firing alerts: `{}` when none, else `{status, alert_count, alerts: [...]}`."""
        ...

    def app_manifest(self, service: str, namespace: str) -> str:
        """YAML of the workload, its Service and ServiceAccount."""
        ...

    def cluster_configuration(self) -> dict[str, Any]:
        """Nodes with role, status, conditions, taints, labels and allocatable resources."""
        ...

    def node_service_status(self, node: str, component: str) -> str:
        """`systemctl status`-style text for a node daemon."""
        ...


WRITE_METHODS: tuple[str, ...] = ("scale", "rollout_restart", "rollout_undo", "patch", "set_image", "set_env",
                                  "delete_pod", "cordon", "uncordon", "datastore_admin", "apply", "delete",
                                  "node_service", "apply_undo", "resource_version")
"""Names of every `ClusterWriter` method; a read-only view must expose none of them."""


@runtime_checkable
class ClusterWriter(Protocol):
    """Changes to a cluster. Every method supports `dry_run` (returns the diff, changes nothing) and returns the
    undo record that reverts it."""

    def resource_version(self, kind: str, name: str, namespace: str | None) -> str:
        """An opaque version of a write target that changes whenever the target changes: the object's
        resourceVersion, or a digest for non-object targets (`Datastore`, `NodeService`, chaos experiments).
        `"absent"` when it does not exist. Approval grants are bound to it."""
        ...

    def scale(self, kind: str, name: str, namespace: str, replicas: int, *, dry_run: bool = False) -> WriteResult:
        ...

    def rollout_restart(self, kind: str, name: str, namespace: str, *, dry_run: bool = False) -> WriteResult:
        ...

    def rollout_undo(self, name: str, namespace: str, *, to_revision: int | None = None,
                     dry_run: bool = False) -> WriteResult:
        ...

    def patch(self, kind: str, name: str, namespace: str | None, patch: Any, *,
              patch_type: Literal["merge", "json", "strategic"] = "merge", dry_run: bool = False) -> WriteResult:
        ...

    def set_image(self, kind: str, name: str, namespace: str, container: str, image: str, *,
                  dry_run: bool = False) -> WriteResult:
        ...

    def set_env(self, kind: str, name: str, namespace: str, container: str, env: dict[str, str | None], *,
                dry_run: bool = False) -> WriteResult:
        """Set (or, with a None value, remove) environment variables of one container."""
        ...

    def delete_pod(self, name: str, namespace: str, *, dry_run: bool = False) -> WriteResult:
        ...

    def cordon(self, node: str, *, dry_run: bool = False) -> WriteResult:
        ...

    def uncordon(self, node: str, *, dry_run: bool = False) -> WriteResult:
        ...

    def datastore_admin(self, service: str, namespace: str, operation: str, args: dict[str, Any], *,
                        dry_run: bool = False) -> WriteResult:
        """Datastore administration (e.g. MongoDB `grant_roles` / `create_user`) inside a datastore workload."""
        ...

    def apply(self, manifest: dict[str, Any], *, dry_run: bool = False) -> WriteResult:
        """Create an object, or replace it if it exists (`kubectl apply` of one allow-listed object)."""
        ...

    def delete(self, kind: str, name: str, namespace: str | None, *, dry_run: bool = False) -> WriteResult:
        """Delete one object of an allow-listed kind (also chaos experiments: PodChaos, NetworkChaos,
        StressChaos). Namespaces, PersistentVolumes and CRDs are never deletable."""
        ...

    def node_service(self, node: str, component: str, action: Literal["start", "restart", "stop"], *,
                     dry_run: bool = False) -> WriteResult:
        """`systemctl <action> <component>` on a node (kubelet, kube-proxy, containerd, kube-scheduler)."""
        ...

    def apply_undo(self, record: UndoRecord, *, dry_run: bool = False) -> WriteResult:
        """Revert a write by restoring its pre-images; returns the undo of the undo."""
        ...
