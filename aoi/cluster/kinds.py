"""Kubernetes kind names as people and models write them: `deploy`, `deployments`, `Deployment` → `Deployment`."""

from __future__ import annotations

from aoi.cluster.interface import InvalidArgumentError

_CANONICAL = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Service", "ConfigMap", "Secret", "Pod",
              "Node", "ResourceQuota", "ServiceAccount", "PersistentVolumeClaim", "PersistentVolume", "Namespace",
              "CustomResourceDefinition", "PodChaos", "NetworkChaos", "StressChaos")
_SHORT = {"deploy": "Deployment", "sts": "StatefulSet", "ds": "DaemonSet", "rs": "ReplicaSet", "svc": "Service",
          "cm": "ConfigMap", "po": "Pod", "no": "Node", "quota": "ResourceQuota", "sa": "ServiceAccount",
          "pvc": "PersistentVolumeClaim", "pv": "PersistentVolume", "ns": "Namespace",
          "crd": "CustomResourceDefinition"}
KIND_ALIASES: dict[str, str] = {**_SHORT, **{k.lower(): k for k in _CANONICAL},
                                **{k.lower() + "s": k for k in _CANONICAL if not k.endswith("s")},
                                "endpoints": "Endpoints", "resourcequotas": "ResourceQuota"}
"""Lower-case spelling → Kind, for the kinds writes can target."""


def normalise_kind(name: str) -> str | None:
    """The Kind for a spelling, or None when it is not a kind AOI writes."""
    return KIND_ALIASES.get(str(name).strip().lower())


# What AOI's writers may touch, the same on every backend (a live cluster's RBAC may allow less, never more).
PATCHABLE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Service", "ConfigMap", "Node",
                   "ResourceQuota", "ServiceAccount", "PersistentVolumeClaim", "PersistentVolume")
DELETABLE_KINDS = ("Pod", "Service", "ConfigMap", "ResourceQuota", "PersistentVolumeClaim", "ServiceAccount",
                   "Deployment", "PodChaos", "NetworkChaos", "StressChaos")
SCALABLE_KINDS = ("Deployment", "StatefulSet", "ReplicaSet")
MAX_REPLICAS = 50
RESTARTABLE_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def kind_of(name: str) -> str:
    """Normalise `deploy`, `deployments`, `Deployment` to the Kind a writer may be asked about.

    Raises:
        InvalidArgumentError: unknown kind (lists the valid ones).
    """
    kind = normalise_kind(name)
    if kind is None or kind in ("Namespace", "CustomResourceDefinition", "Endpoints"):
        valid = ", ".join(sorted({*PATCHABLE_KINDS, *DELETABLE_KINDS, "Secret"}))
        raise InvalidArgumentError(f"unknown kind {name!r}; valid kinds: {valid}")
    return kind


def scale_kind(name: str, replicas: object) -> str:
    """The Kind to scale, after checking it is scalable and `replicas` is an integer in range.

    Raises:
        InvalidArgumentError: saying which of the two is wrong.
    """
    kind = kind_of(name)
    if kind not in SCALABLE_KINDS:
        raise InvalidArgumentError(f"cannot scale a {kind}; scalable kinds: {', '.join(SCALABLE_KINDS)}")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or not 0 <= replicas <= MAX_REPLICAS:
        raise InvalidArgumentError(f"replicas must be an integer between 0 and {MAX_REPLICAS}, got {replicas!r}")
    return kind


def restart_kind(name: str) -> str:
    """The Kind to restart. Raises InvalidArgumentError for a kind that has no rolling restart."""
    kind = kind_of(name)
    if kind not in RESTARTABLE_KINDS:
        raise InvalidArgumentError(f"cannot restart a {kind}; valid kinds: {', '.join(RESTARTABLE_KINDS)}")
    return kind
