"""The object store: every Kubernetes object of the simulated cluster as a plain JSON-shaped dict.

Objects look exactly like `kubectl get -o json` output, so the same dicts feed the kubectl-style renderers, the
patch code and (later) the Kubernetes-API server. The store owns identity (uid, resourceVersion,
creationTimestamp) and keeps an index per kind so that controllers can list cheaply every tick.
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Iterator
from typing import Any

from aoi.cluster.sim.clock import SimClock, rfc3339

CLUSTER_SCOPED = frozenset({"Node", "Namespace", "PersistentVolume", "StorageClass"})

API_VERSIONS = {
    "Deployment": "apps/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
    "StorageClass": "storage.k8s.io/v1", "Job": "batch/v1",
}

NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
"""The alphabet Kubernetes uses for generated name suffixes and pod-template hashes."""

Key = tuple[str, str]  # (namespace or "", name)


class ObjectStore:
    """Kubernetes objects by kind; deterministic identities drawn from the cluster's seeded RNG."""

    def __init__(self, clock: SimClock, rng: random.Random) -> None:
        self._clock = clock
        self._rng = rng
        self._by_kind: dict[str, dict[Key, dict[str, Any]]] = {}
        self._sorted_keys: dict[str, list[Key]] = {}
        """Per-kind sorted keys, dropped whenever a kind gains or loses an object (lists are hot every tick)."""
        self.resource_version = 1000

    # -- identity -------------------------------------------------------------------------------------------
    def new_uid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def random_suffix(self, length: int = 5) -> str:
        return "".join(self._rng.choice(NAME_ALPHABET) for _ in range(length))

    # -- reads ----------------------------------------------------------------------------------------------
    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return self._by_kind.get(kind, {}).get((_ns(kind, namespace), name))

    def list(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """Objects of a kind, sorted by (namespace, name); all namespaces when `namespace` is None."""
        objects = self._by_kind.get(kind, {})
        keys = self._sorted_keys.get(kind)
        if keys is None:
            keys = self._sorted_keys[kind] = sorted(objects)
        if namespace is not None and kind not in CLUSTER_SCOPED:
            keys = [k for k in keys if k[0] == namespace]
        return [objects[k] for k in keys]

    def kinds(self) -> list[str]:
        return sorted(k for k, v in self._by_kind.items() if v)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for kind in self.kinds():
            yield from self.list(kind)

    # -- writes (only the simulator's controllers and its write interface call these) -----------------------
    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        kind = obj["kind"]
        meta = obj.setdefault("metadata", {})
        if "name" not in meta:
            meta["name"] = meta.pop("generateName") + self.random_suffix()
        key = (_ns(kind, meta.get("namespace")), meta["name"])
        bucket = self._by_kind.setdefault(kind, {})
        if key in bucket:
            raise KeyError(f"{kind} {key[0]}/{key[1]} already exists")
        obj.setdefault("apiVersion", API_VERSIONS.get(kind, "v1"))
        meta.setdefault("uid", self.new_uid())
        meta.setdefault("creationTimestamp", rfc3339(self._clock.now))
        meta.setdefault("labels", {})
        if kind in CLUSTER_SCOPED:
            meta.pop("namespace", None)
        self._bump(obj)
        bucket[key] = obj
        self._sorted_keys.pop(kind, None)
        return obj

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Store a modified object in place of the existing one (same kind, namespace and name)."""
        kind, meta = obj["kind"], obj["metadata"]
        key = (_ns(kind, meta.get("namespace")), meta["name"])
        bucket = self._by_kind.setdefault(kind, {})
        if key not in bucket:
            raise KeyError(f"{kind} {key[0]}/{key[1]} does not exist")
        self._bump(obj)
        bucket[key] = obj
        return obj

    def touch(self, obj: dict[str, Any]) -> None:
        """Record that a stored object was changed in place (bumps its resourceVersion)."""
        self._bump(obj)

    def delete(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        self._sorted_keys.pop(kind, None)
        return self._by_kind.get(kind, {}).pop((_ns(kind, namespace), name), None)

    def _bump(self, obj: dict[str, Any]) -> None:
        self.resource_version += 1
        obj["metadata"]["resourceVersion"] = str(self.resource_version)

    # -- snapshot --------------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {"rv": self.resource_version, "objects": copy.deepcopy(self._by_kind)}

    def restore(self, snap: dict[str, Any]) -> None:
        self.resource_version = snap["rv"]
        self._by_kind = copy.deepcopy(snap["objects"])
        self._sorted_keys = {}


def _ns(kind: str, namespace: str | None) -> str:
    return "" if kind in CLUSTER_SCOPED else (namespace or "default")


def parse_label_selector(text: str) -> dict[str, Any]:
    """Parse a kubectl `-l` selector (`a=b,c!=d,e,!f`, `==` allowed) into a LabelSelector dict.

    Raises:
        ValueError: on an empty term or a malformed expression.
    """
    labels: dict[str, str] = {}
    expressions: list[dict[str, Any]] = []
    for raw in text.split(","):
        term = raw.strip()
        if not term:
            raise ValueError(f"empty term in label selector {text!r}")
        if "!=" in term:
            key, value = (p.strip() for p in term.split("!=", 1))
            expressions.append({"key": key, "operator": "NotIn", "values": [value]})
        elif "=" in term:
            key, value = (p.strip() for p in term.replace("==", "=").split("=", 1))
            labels[key] = value
        elif term.startswith("!"):
            key = term[1:].strip()
            expressions.append({"key": key, "operator": "DoesNotExist"})
        else:
            key = term
            expressions.append({"key": key, "operator": "Exists"})
        if not key or any(c.isspace() for c in key):
            raise ValueError(f"invalid label key in selector term {term!r}")
    selector: dict[str, Any] = {"matchLabels": labels}
    if expressions:
        selector["matchExpressions"] = expressions
    return selector


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    """Whether labels satisfy a LabelSelector (`matchLabels` + `matchExpressions`) or a plain Service selector.

    An empty or missing selector matches nothing, as for Services (a Deployment cannot have one).
    """
    if not selector:
        return False
    labels = labels or {}
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return all(labels.get(k) == v for k, v in selector.items())
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True
