"""The reads triage makes, each made once, remembered with the probe tool call that repeats it, and parsed.

`Reads` wraps any `ClusterReader` (simulator, live cluster, replayed snapshot). Analyzers ask it for parsed views
(pods, events, nodes, a workload's spec, ...) and cite `Reads.label(...)` as the source of what they quote, in the
probe's own vocabulary (`describe_resource(resource_type=pods, name=x)`), so a human, an IDE agent or the Observer
can repeat the call. A call the backend cannot answer (not captured in a snapshot, not found, refused) yields
`None` and is listed in `unavailable`: triage works with what there is and never invents the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from aoi.cluster.interface import ClusterError, ClusterReader
from aoi.cluster.render._quantity import try_parse
from aoi.cluster.render.parse import parse_kubectl_table

CONTROL_PLANE_LABELS = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
_AGE = re.compile(r"(\d{1,9})([dhms])")
_AGE_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


_CALL = re.compile(r"^(\w+)\((.*)\)$")


def parse_call(text: str) -> tuple[str, dict[str, Any]] | None:
    """The inverse of `Reads.label`: `describe_resource(resource_type=pods, name=x)` → (tool, args); None when the
    text is not a call. Values that read as JSON (numbers, booleans) are decoded; the rest stay strings."""
    match = _CALL.match(text.strip())
    if match is None:
        return None
    args: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in match.group(2).split(", "))):
        key, sep, value = part.partition("=")
        if not sep or not key.isidentifier():
            return None
        try:
            args[key] = json.loads(value)
        except ValueError:
            args[key] = value
    return match.group(1), args


MAX_QUANTITY_CHARS = 32
"""A quantity longer than this is not one (and an exponent like `1e999999999` would take forever to expand)."""


def quantity(text: str) -> float | None:
    """A Kubernetes quantity as printed (`500m`, `1Gi`, `10`) as a number; None when it is not one."""
    raw = (text or "").strip()
    if len(raw) > MAX_QUANTITY_CHARS or re.search(r"[eE][+-]?\d{3,}", raw):
        return None
    parsed = try_parse(raw)
    return float(parsed.value) if parsed is not None else None


def age_seconds(age: str) -> int | None:
    """kubectl's short age (`4m34s`, `16m`, `2d3h`) in seconds; None when it is not one (`<unknown>`)."""
    parts = _AGE.findall(age or "")
    if not parts or "".join(n + u for n, u in parts) != age.strip():
        return None
    return sum(int(n) * _AGE_SECONDS[u] for n, u in parts)


def workload_of(name: str, services: Sequence[str]) -> str:
    """The workload a pod or ReplicaSet name belongs to: the longest service name that prefixes it (`""` if none)."""
    if name in services:
        return name
    best = ""
    for service in services:
        if name.startswith(service + "-") and len(service) > len(best):
            best = service
    return best


@dataclass(frozen=True, slots=True)
class Pod:
    name: str
    workload: str
    ready: int
    total: int
    status: str
    restarts: int
    node: str
    age_s: int | None

    @property
    def healthy(self) -> bool:
        return self.status in ("Running", "Completed") and self.ready == self.total


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    reason: str
    kind: str
    name: str
    message: str
    age_s: int | None
    line: str


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    ready: str
    """`True`, `False` or `Unknown` (or the status word the backend printed)."""
    control_plane: bool
    unschedulable: bool
    taints: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)
    conditions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Workload:
    """A workload's spec as its manifest (`get_app_yaml`) shows it: the Deployment/StatefulSet and its Service."""

    name: str
    replicas: int | None
    pod_spec: dict[str, Any]
    pod_labels: dict[str, str]
    service: dict[str, Any] | None
    documents: tuple[dict[str, Any], ...]

    @property
    def containers(self) -> list[dict[str, Any]]:
        return [c for c in self.pod_spec.get("containers") or [] if isinstance(c, dict)]


class Reads:
    """Cached, labelled reads of one namespace through a `ClusterReader`."""

    def __init__(self, reader: ClusterReader, namespace: str) -> None:
        self.reader = reader
        self.namespace = namespace
        self._cache: dict[str, Any] = {}
        self.made: list[str] = []
        self.unavailable: list[str] = []

    # -- raw calls ---------------------------------------------------------------------------------------------
    @staticmethod
    def label(tool: str, **args: Any) -> str:
        """A probe tool call as text: `tool(arg=value, ...)`, arguments in the order given, defaults left out."""
        shown = ", ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in args.items()
                          if v not in (None, False, ""))
        return f"{tool}({shown})"

    def call(self, label: str, fn: Callable[[], Any]) -> Any:
        """The answer of `fn`, made once per `label`; None (and the label listed as unavailable) when it fails."""
        if label in self._cache:
            return self._cache[label]
        self.made.append(label)
        try:
            value = fn()
        except ClusterError:
            value = None
            self.unavailable.append(label)
        self._cache[label] = value
        return value

    def services(self) -> list[str]:
        return self.call("list_services()", lambda: self.reader.services(self.namespace)) or []

    def table(self, resource_type: str, *, namespace: str | None = None, wide: bool = False) -> list[dict[str, str]]:
        """Rows of `kubectl get RESOURCE` as {column: cell}; [] when unavailable or empty."""
        text = self.text(resource_type, namespace=namespace, wide=wide)
        if not text:
            return []
        try:
            header, rows = parse_kubectl_table(text)
        except ValueError:
            return []
        return [dict(zip(header, row, strict=False)) for row in rows]

    def text(self, resource_type: str, *, namespace: str | None = None, wide: bool = False) -> str | None:
        ns = namespace or self.namespace
        label = self.label("get_resources", resource_type=resource_type,
                           namespace=ns if ns != self.namespace else None, wide=wide)
        return self.call(label, lambda: self.reader.get_resources(resource_type, "", ns, wide=wide))

    def describe(self, resource_type: str, name: str, namespace: str | None = None) -> str | None:
        ns = namespace or self.namespace
        label = self.label("describe_resource", resource_type=resource_type, name=name,
                           namespace=ns if ns != self.namespace else None)
        return self.call(label, lambda: self.reader.describe(resource_type, name, ns))

    def events_text(self, namespace: str | None = None) -> str | None:
        ns = namespace or self.namespace
        label = self.label("get_events", namespace=ns if ns != self.namespace else None)
        return self.call(label, lambda: self.reader.events(ns))

    def manifest_text(self, service: str) -> str | None:
        return self.call(self.label("get_app_yaml", service=service),
                         lambda: self.reader.app_manifest(service, self.namespace))

    def logs(self, target: str, *, tail: int = 50, previous: bool = False) -> str | None:
        return self.call(self.label("get_logs", target=target, tail=tail, previous=previous),
                         lambda: self.reader.logs(target, self.namespace, tail=tail, previous=previous))

    def error_summary(self, service: str) -> dict[str, Any] | None:
        return self.call(self.label("get_error_logs", service=service),
                         lambda: self.reader.error_log_summary(service, self.namespace))

    def alerts(self) -> dict[str, Any]:
        return self.call("get_alerts()", self.reader.alerts) or {}

    def cluster(self) -> dict[str, Any]:
        return self.call("get_cluster_configuration()", self.reader.cluster_configuration) or {}

    def node_status(self, node: str, component: str) -> str | None:
        return self.call(self.label("check_node_service_status", node=node, component=component),
                         lambda: self.reader.node_service_status(node, component))

    def connectivity(self, service: str, port: int) -> str | None:
        return self.call(self.label("check_service_connectivity", service=service, port=port),
                         lambda: self.reader.check_connectivity(service, port, self.namespace))

    def dependencies(self, service: str) -> dict[str, Any] | None:
        return self.call(self.label("get_service_dependencies", service=service),
                         lambda: self.reader.service_dependencies(service, self.namespace))

    def metrics(self, target: str) -> dict[str, Any] | None:
        return self.call(self.label("get_metrics", target=target),
                         lambda: self.reader.metrics(target, self.namespace))

    # -- parsed views ------------------------------------------------------------------------------------------
    def pods(self, namespace: str | None = None) -> list[Pod]:
        key = f"#pods:{namespace or self.namespace}"
        if key not in self._cache:
            services = self.services() if namespace in (None, self.namespace) else []
            self._cache[key] = [_pod(row, services) for row in self.table("pods", namespace=namespace, wide=True)
                                if row.get("NAME")]
        return self._cache[key]

    def pods_label(self, namespace: str | None = None) -> str:
        ns = namespace or self.namespace
        return self.label("get_resources", resource_type="pods", namespace=ns if ns != self.namespace else None,
                          wide=True)

    def events(self, namespace: str | None = None) -> list[Event]:
        key = f"#events:{namespace or self.namespace}"
        if key not in self._cache:
            self._cache[key] = _events(self.events_text(namespace) or "")
        return self._cache[key]

    def events_label(self, namespace: str | None = None) -> str:
        ns = namespace or self.namespace
        return self.label("get_events", namespace=ns if ns != self.namespace else None)

    def nodes(self) -> list[Node]:
        if "#nodes" not in self._cache:
            self._cache["#nodes"] = _nodes(self.cluster())
        return self._cache["#nodes"]

    def workload(self, service: str) -> Workload | None:
        key = f"#workload:{service}"
        if key not in self._cache:
            text = self.manifest_text(service)
            self._cache[key] = _workload(service, text) if text else None
        return self._cache[key]

    def live_pod_names(self) -> set[str]:
        return {p.name for p in self.pods()}

    def pods_of(self, workload: str) -> list[Pod]:
        return [p for p in self.pods() if p.workload == workload]


def _int(text: str, default: int = 0) -> int:
    match = re.match(r"\d{1,9}", text or "")
    return int(match.group()) if match else default


def _pod(row: dict[str, str], services: Sequence[str]) -> Pod:
    ready, _, total = row.get("READY", "0/0").partition("/")
    node = row.get("NODE", "")
    return Pod(name=row["NAME"], workload=workload_of(row["NAME"], services), ready=_int(ready), total=_int(total),
               status=row.get("STATUS", ""), restarts=_int(row.get("RESTARTS", "0")),
               node="" if node in ("<none>", "") else node, age_s=age_seconds(row.get("AGE", "")))


_EVENT_ROW = re.compile(r"^(?P<age>\S+)\s+(?P<type>Normal|Warning)\s+(?P<reason>\S+)\s+(?P<object>\S+)\s+(?P<msg>.*)$")


def _events(text: str) -> list[Event]:
    events = []
    for line in text.splitlines():
        match = _EVENT_ROW.match(line.strip())
        if match is None:
            continue
        kind, _, name = match.group("object").rpartition("/")
        age = match.group("age").split(" (")[0]
        events.append(Event(type=match.group("type"), reason=match.group("reason"), kind=kind.lower(), name=name,
                            message=match.group("msg").strip(), age_s=age_seconds(age), line=line.strip()))
    return events


def _nodes(config: dict[str, Any]) -> list[Node]:
    nodes = []
    for raw in config.get("nodes") or []:
        if not isinstance(raw, dict) or not raw.get("name"):
            continue
        labels = {str(k): str(v) for k, v in (raw.get("labels") or {}).items()}
        taints = tuple(str(t) for t in raw.get("taints") or [])
        role = str(raw.get("role", "")).lower()
        control = (role in ("control-plane", "master") or any(k in labels for k in CONTROL_PLANE_LABELS)
                   or labels.get("kubernetes.io/role") in ("master", "control-plane"))
        conditions = {str(k): str(v) for k, v in (raw.get("conditions") or {}).items()}
        status = str(raw.get("status", ""))
        words = status.split(",")  # kubectl prints a cordoned node as `Ready,SchedulingDisabled`
        ready = conditions.get("Ready") or ("True" if words[0] == "Ready" else "Unknown" if "Unknown" in status
                                            else "False" if status else "")
        nodes.append(Node(name=str(raw["name"]), ready=ready, control_plane=control,
                          unschedulable=bool(raw.get("unschedulable")) or "SchedulingDisabled" in status
                          or any(t.startswith("node.kubernetes.io/unschedulable") for t in taints),
                          taints=taints, labels=labels, conditions=conditions))
    return nodes


def _workload(service: str, text: str) -> Workload | None:
    try:
        documents = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError:
        return None
    items: list[dict[str, Any]] = []
    for doc in documents:
        items.extend(i for i in doc.get("items") or [] if isinstance(i, dict)) if doc.get("kind") == "List" \
            else items.append(doc)
    owner = next((d for d in items if d.get("kind") in ("Deployment", "StatefulSet", "DaemonSet")
                  and (d.get("metadata") or {}).get("name") == service), None) \
        or next((d for d in items if d.get("kind") in ("Deployment", "StatefulSet", "DaemonSet")), None)
    svc = next((d for d in items if d.get("kind") == "Service"
                and (d.get("metadata") or {}).get("name") == service), None) \
        or next((d for d in items if d.get("kind") == "Service"), None)
    if owner is None:
        return Workload(service, None, {}, {}, svc, tuple(items))
    spec = owner.get("spec") or {}
    template = spec.get("template") or {}
    replicas = spec.get("replicas")
    return Workload(service, replicas if isinstance(replicas, int) else None, template.get("spec") or {},
                    {str(k): str(v) for k, v in ((template.get("metadata") or {}).get("labels") or {}).items()},
                    svc, tuple(items))
