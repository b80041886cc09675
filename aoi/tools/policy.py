"""The executor's write policy: which targets may be changed at all, whatever a grant says.

Checked at call time, after the grant and before the dry run. The cluster backends validate shape (what the
API server would reject); this decides what an agent may ever touch: allow-listed kinds and verbs, no
protected namespaces, bounded replicas, never namespaces/PVs/CRDs, and irreversible writes only when the human
approved them as irreversible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aoi.cluster.interface import ForbiddenError


class PolicyError(ForbiddenError):
    """The write is outside what the executor may ever do. Nothing was changed."""


@dataclass(frozen=True, slots=True)
class WriteTarget:
    verb: str
    """scale, restart, rollback, patch, set_image, set_env, delete, cordon, uncordon, datastore, apply,
    node_service, undo."""
    kind: str
    name: str
    namespace: str | None


@dataclass(frozen=True, slots=True)
class WritePolicy:
    allowed: dict[str, frozenset[str]] = field(default_factory=lambda: {
        "scale": frozenset({"Deployment", "StatefulSet", "ReplicaSet"}),
        "restart": frozenset({"Deployment", "StatefulSet", "DaemonSet"}),
        "rollback": frozenset({"Deployment"}),
        "patch": frozenset({"Deployment", "StatefulSet", "DaemonSet", "Service", "ConfigMap", "Node",
                            "ResourceQuota", "ServiceAccount", "PersistentVolume"}),
        "set_image": frozenset({"Deployment", "StatefulSet", "DaemonSet"}),
        "set_env": frozenset({"Deployment", "StatefulSet", "DaemonSet"}),
        "delete": frozenset({"Pod", "Service", "ConfigMap", "ResourceQuota", "PersistentVolumeClaim",
                             "ServiceAccount", "PodChaos", "NetworkChaos", "StressChaos"}),
        "cordon": frozenset({"Node"}),
        "uncordon": frozenset({"Node"}),
        "datastore": frozenset({"Datastore"}),
        "apply": frozenset({"Deployment", "Service", "ConfigMap", "ServiceAccount", "PersistentVolumeClaim",
                            "ResourceQuota"}),
        "node_service": frozenset({"NodeService"}),
        "undo": frozenset({"UndoRecord"}),
    })
    """Verb → kinds it may act on."""
    denied_namespaces: frozenset[str] = frozenset({"kube-system", "kube-public", "kube-node-lease"})
    never_deleted: frozenset[str] = frozenset({"Namespace", "PersistentVolume", "CustomResourceDefinition"})
    irreversible: frozenset[tuple[str, str]] = frozenset({("delete", "PersistentVolumeClaim")})
    """(verb, kind) pairs that lose data no undo record can bring back."""
    max_replicas: int = 20

    def loses_data(self, target: WriteTarget, pre_images: Sequence[dict[str, Any]]) -> bool:
        """Whether the write is one of the irreversible pairs and its objects, as the dry run found them, hold data
        an undo cannot bring back. A claim that never bound (Pending, no volume) holds none: deleting it is undone
        by re-creating it from its pre-image."""
        if (target.verb, target.kind) not in self.irreversible:
            return False
        if target.kind != "PersistentVolumeClaim" or not pre_images:
            return True
        return not all((image.get("status") or {}).get("phase") == "Pending"
                       and not (image.get("spec") or {}).get("volumeName") for image in pre_images)

    def check(self, target: WriteTarget, *, replicas: int | None = None, irreversible_approved: bool = False) -> None:
        """Raises:
            PolicyError: with the rule that refused the write.
        """
        if target.verb == "delete" and target.kind in self.never_deleted:
            raise PolicyError(f"deleting a {target.kind} is never allowed")
        kinds = self.allowed.get(target.verb)
        if kinds is None:
            raise PolicyError(f"verb {target.verb!r} is not allowed; allowed verbs: {', '.join(sorted(self.allowed))}")
        if target.kind not in kinds:
            raise PolicyError(f"{target.verb} on {target.kind} is not allowed; allowed kinds: "
                              f"{', '.join(sorted(kinds))}")
        if target.namespace in self.denied_namespaces:
            raise PolicyError(f"namespace {target.namespace!r} is protected; writes there are never allowed")
        if replicas is not None and not 0 <= replicas <= self.max_replicas:
            raise PolicyError(f"replicas must be between 0 and {self.max_replicas}, got {replicas}")
        if (target.verb, target.kind) in self.irreversible and not irreversible_approved:
            raise PolicyError(f"{target.verb} {target.kind} cannot be undone; it needs an approval that explicitly "
                              f"accepts an irreversible change")
