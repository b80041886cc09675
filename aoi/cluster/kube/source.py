"""An `ObjectSource` over the API server, for the renderers' related-object lookups (events of a pod, pods on a
node, replica sets of a deployment, a node's Lease).

One source lives for one read call: lists are cached so a describe page costs one request per kind, and a kind
the identity may not read (403) or the server does not serve (404) reads as empty, as kubectl shows it
(`Events: <none>`) instead of failing the whole page.
"""

from __future__ import annotations

from typing import Any

from aoi.cluster.interface import ForbiddenError, InvalidArgumentError, NotFoundError
from aoi.cluster.kube.api import RESOURCE_TYPES, KubeApi


class ApiSource:
    def __init__(self, api: KubeApi) -> None:
        self._api = api
        self._lists: dict[tuple[str, str | None], list[dict[str, Any]]] = {}

    def list(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        key = (kind, namespace)
        if key not in self._lists:
            if kind not in RESOURCE_TYPES:
                self._lists[key] = []
            else:
                try:
                    self._lists[key] = self._api.list(kind, namespace)
                except (ForbiddenError, NotFoundError, InvalidArgumentError):
                    self._lists[key] = []
        return self._lists[key]

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        for (cached_kind, cached_ns), objects in self._lists.items():
            if cached_kind == kind and cached_ns in (None, namespace):
                return next((o for o in objects if o["metadata"].get("name") == name
                             and o["metadata"].get("namespace") in (None, namespace)), None)
        if kind not in RESOURCE_TYPES:
            return None
        try:
            return self._api.find(kind, namespace, name)
        except (ForbiddenError, InvalidArgumentError):
            return None
