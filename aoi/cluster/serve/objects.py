"""The simulator's objects as the API server returns them: selected, rebased to the wall clock, wrapped in lists.

The simulator keeps its own clock (a fixed epoch plus 5 s per tick), so its timestamps are months in the past.
Table cells are computed server-side against the simulator's clock, but kubectl's describe computes ages on the
client from timestamps: every served timestamp is therefore shifted by (wall clock − simulated clock), and every
timestamp a client sends is shifted back (../shared/notes/kubernetes-api-subset.md, trap 10).

EndpointSlices and node Leases are derived from Endpoints and Nodes at read time: describe follows them.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from aoi.cluster.serve.resources import Resource
from aoi.cluster.serve.status import ApiError
from aoi.cluster.sim.store import ObjectStore, parse_label_selector, selector_matches

_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$")
NODE_LEASE_NAMESPACE = "kube-node-lease"


def rebase(value: Any, offset_seconds: int) -> Any:
    """A deep copy of `value` with every RFC 3339 UTC timestamp string moved by `offset_seconds`."""
    if isinstance(value, dict):
        return {k: rebase(v, offset_seconds) for k, v in value.items()}
    if isinstance(value, list):
        return [rebase(v, offset_seconds) for v in value]
    if isinstance(value, str) and offset_seconds:
        match = _TIMESTAMP.match(value)
        if match:
            return f"{_shift(match.group(1), offset_seconds)}{match.group(2) or ''}Z"
    return value


_QUOTED_TIMESTAMP = re.compile(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z"')


def dumps_rebased(value: Any, offset_seconds: int) -> bytes:
    """`value` as compact JSON with every timestamp string moved by `offset_seconds` (`rebase`, done on the text:
    responses are large and their objects are the simulator's own, which must not be copied or changed)."""
    text = json.dumps(value, separators=(",", ":"))
    if offset_seconds:
        text = _QUOTED_TIMESTAMP.sub(lambda m: f'"{_shift(m.group(1), offset_seconds)}{m.group(2) or ""}Z"', text)
    return text.encode()


@functools.lru_cache(maxsize=4096)
def _shift(stamp: str, offset_seconds: int) -> str:
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S") + timedelta(seconds=offset_seconds)
    return f"{moment:%Y-%m-%dT%H:%M:%S}"


def select(objects: list[dict[str, Any]], label_selector: str | None,
           field_selector: str | None) -> list[dict[str, Any]]:
    """Objects matching a `labelSelector` and a `fieldSelector` query parameter.

    Raises:
        ApiError: 400 for a malformed selector.
    """
    if label_selector:
        try:
            labels = parse_label_selector(label_selector)
        except ValueError as exc:
            raise ApiError(400, f"unable to parse requirement: {exc}") from exc
        objects = [o for o in objects if selector_matches(labels, o["metadata"].get("labels"))]
    if field_selector:
        terms = _field_terms(field_selector)
        objects = [o for o in objects if all(_field_matches(o, *t) for t in terms)]
    return objects


def _field_terms(text: str) -> list[tuple[str, bool, str]]:
    terms = []
    for raw in text.split(","):
        term = raw.strip()
        if not term:
            continue
        if "!=" in term:
            path, value = term.split("!=", 1)
            terms.append((path.strip(), False, value.strip()))
        elif "=" in term:
            path, value = term.replace("==", "=").split("=", 1)
            terms.append((path.strip(), True, value.strip()))
        else:
            raise ApiError(400, f'invalid selector: "{text}"; can\'t understand "{term}"')
    return terms


def _field_matches(obj: dict[str, Any], path: str, equal: bool, value: str) -> bool:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    actual = "" if cur is None else str(cur).lower() if isinstance(cur, bool) else str(cur)
    return (actual == value) == equal


def list_body(resource: Resource, items: list[dict[str, Any]], resource_version: int) -> dict[str, Any]:
    # `items` is never null: the Python client rejects a null list (trap 9).
    return {"kind": f"{resource.kind}List", "apiVersion": resource.group_version,
            "metadata": {"resourceVersion": str(resource_version)}, "items": items}


def objects_of(store: ObjectStore, resource: Resource, namespace: str | None) -> list[dict[str, Any]]:
    """Stored (or derived) objects of a resource type in a namespace (every namespace when None)."""
    ns = namespace if resource.namespaced else None
    if resource.kind == "EndpointSlice":
        return [endpoint_slice(ep) for ep in store.list("Endpoints", ns)]
    if resource.kind == "Lease":
        if ns not in (None, NODE_LEASE_NAMESPACE):
            return []
        return [node_lease(node) for node in store.list("Node")]
    return store.list(resource.kind, ns)


def object_of(store: ObjectStore, resource: Resource, namespace: str | None, name: str) -> dict[str, Any] | None:
    if resource.derived:
        return next((o for o in objects_of(store, resource, namespace) if o["metadata"]["name"] == name), None)
    return store.get(resource.kind, namespace if resource.namespaced else None, name)


def _derived_uid(uid: str, what: str) -> str:
    return str(uuid.uuid5(uuid.UUID(uid), what))


def endpoint_slice(endpoints: dict[str, Any]) -> dict[str, Any]:
    """The EndpointSlice the endpointslice controller would keep for a Service's Endpoints."""
    meta = endpoints["metadata"]
    suffix = hashlib.sha256(meta["uid"].encode()).hexdigest()[:5]
    items, ports = [], []
    for subset in endpoints.get("subsets") or []:
        for ready, key in ((True, "addresses"), (False, "notReadyAddresses")):
            for address in subset.get(key) or []:
                entry: dict[str, Any] = {"addresses": [address["ip"]],
                                         "conditions": {"ready": ready, "serving": ready, "terminating": False}}
                if address.get("nodeName"):
                    entry["nodeName"] = address["nodeName"]
                if address.get("targetRef"):
                    entry["targetRef"] = copy.deepcopy(address["targetRef"])
                items.append(entry)
        for port in subset.get("ports") or []:
            if port not in ports:
                ports.append(copy.deepcopy(port))
    return {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
            "metadata": {"name": f"{meta['name']}-{suffix}", "namespace": meta["namespace"],
                         "uid": _derived_uid(meta["uid"], "endpointslice"),
                         "resourceVersion": meta.get("resourceVersion", "1"),
                         "creationTimestamp": meta.get("creationTimestamp"),
                         "labels": {"kubernetes.io/service-name": meta["name"],
                                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}},
            "addressType": "IPv4", "endpoints": items, "ports": ports}


def node_lease(node: dict[str, Any]) -> dict[str, Any]:
    """The kubelet's heartbeat Lease of a node; renewed at the Ready condition's last heartbeat."""
    meta = node["metadata"]
    ready = next((c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), {})
    renew = ready.get("lastHeartbeatTime") or meta.get("creationTimestamp")
    return {"kind": "Lease", "apiVersion": "coordination.k8s.io/v1",
            "metadata": {"name": meta["name"], "namespace": NODE_LEASE_NAMESPACE,
                         "uid": _derived_uid(meta["uid"], "lease"),
                         "resourceVersion": meta.get("resourceVersion", "1"),
                         "creationTimestamp": meta.get("creationTimestamp"),
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": meta["name"],
                                              "uid": meta["uid"]}]},
            "spec": {"holderIdentity": meta["name"], "leaseDurationSeconds": 40,
                     "renewTime": renew.replace("Z", ".000000Z") if renew else None}}
