"""Where the renderers find related objects (events of a pod, pods on a node, endpoints of a service...)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from aoi.cluster.render._k8s import name_of, namespace_of, sort_key


@runtime_checkable
class ObjectSource(Protocol):
    """Read access to the cluster's objects, as ``kubectl`` would have through the API server.

    ``kind`` is the Kubernetes Kind (``"Pod"``, ``"Event"``, ``"ReplicaSet"``, ``"Endpoints"``...). A
    ``namespace`` of ``None`` means every namespace (and is the only choice for cluster-scoped kinds).
    """

    def list(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """All objects of ``kind`` in ``namespace`` (all namespaces when ``None``)."""
        ...

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """One object, or ``None`` when it does not exist."""
        ...


class DictSource:
    """An in-memory ``ObjectSource`` over a list of object dicts (for tests and simple callers).

    Lists come back in the API server's order: by namespace, then by name.
    """

    def __init__(self, objects: Iterable[dict[str, Any]] = ()) -> None:
        self._objects: list[dict[str, Any]] = list(objects)

    def add(self, obj: dict[str, Any]) -> None:
        self._objects.append(obj)

    def list(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        found = [
            o for o in self._objects if o.get("kind") == kind and (namespace is None or namespace_of(o) == namespace)
        ]
        return sorted(found, key=sort_key)

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        for o in self._objects:
            if o.get("kind") == kind and name_of(o) == name and (namespace is None or namespace_of(o) == namespace):
                return o
        return None
