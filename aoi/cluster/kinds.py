"""Kubernetes kind names as people and models write them: `deploy`, `deployments`, `Deployment` → `Deployment`."""

from __future__ import annotations

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
