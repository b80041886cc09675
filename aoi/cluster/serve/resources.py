"""The resource types the served simulator answers for: one registry that discovery, routing and access share."""

from __future__ import annotations

from dataclasses import dataclass

READ_VERBS = ("get", "list")
WRITE_VERBS = ("create", "update", "patch", "delete")


@dataclass(frozen=True, slots=True)
class Resource:
    group: str
    """API group; `""` is the core group (`/api/v1`)."""
    version: str
    plural: str
    kind: str
    """The Kind in the simulator's object store (and on the wire)."""
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = READ_VERBS
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    derived: bool = False
    """Computed from other objects at read time (EndpointSlices from Endpoints, node Leases); never written."""

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified(self) -> str:
        """`deployments.apps`, as Kubernetes names a resource in error messages (`pods` for the core group)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


_RW = (*READ_VERBS, "patch", "update")
_ALL = READ_VERBS + WRITE_VERBS

RESOURCES: tuple[Resource, ...] = (
    Resource("", "v1", "pods", "Pod", True, ("po",), (*READ_VERBS, "delete"), ("log",), ("all",)),
    Resource("", "v1", "services", "Service", True, ("svc",), _ALL, (), ("all",)),
    Resource("", "v1", "endpoints", "Endpoints", True, ("ep",)),
    Resource("", "v1", "events", "Event", True, ("ev",)),
    Resource("", "v1", "nodes", "Node", False, ("no",), _RW),
    Resource("", "v1", "namespaces", "Namespace", False, ("ns",)),
    Resource("", "v1", "configmaps", "ConfigMap", True, ("cm",), _ALL),
    Resource("", "v1", "secrets", "Secret", True, (), (*READ_VERBS, "create", "update")),
    Resource("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",), _ALL),
    Resource("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",), _ALL),
    Resource("", "v1", "persistentvolumes", "PersistentVolume", False, ("pv",), _RW),
    Resource("", "v1", "resourcequotas", "ResourceQuota", True, ("quota",), _ALL),
    Resource("apps", "v1", "deployments", "Deployment", True, ("deploy",), _ALL, ("scale",), ("all",)),
    Resource("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), _RW, ("scale",), ("all",)),
    Resource("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",), _RW, ("scale",), ("all",)),
    Resource("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), _RW, (), ("all",)),
    Resource("batch", "v1", "jobs", "Job", True, (), READ_VERBS, (), ("all",)),
    Resource("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, ("sc",)),
    Resource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True, (), READ_VERBS, (), (), True),
    Resource("coordination.k8s.io", "v1", "leases", "Lease", True, (), READ_VERBS, (), (), True),
    Resource("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False, (),
             ("create",)),
    Resource("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", False, (),
             ("create",)),
)

GROUPS: tuple[str, ...] = tuple(dict.fromkeys(r.group for r in RESOURCES if r.group))
"""Named API groups in discovery order."""

_BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}


def lookup(group: str, version: str, plural: str) -> Resource | None:
    return _BY_PATH.get((group, version, plural))


def group_resources(group: str) -> list[Resource]:
    return [r for r in RESOURCES if r.group == group]

