"""`ClusterReader` over a live cluster: kubectl-identical views from the API objects, logs from the kubelet (or
Loki), metrics and alerts from Prometheus, traces and dependencies from Jaeger.

Where a real cluster cannot answer from the Kubernetes API alone, the method either asks the configured telemetry
service or answers from what the API does show, and says so in its output (`check_connectivity` is a static check
of Service → port → ready endpoints; `node_service_status` reads node conditions, Leases and system pods).
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aoi.cluster.grep import LogFilter
from aoi.cluster.interface import NODE_COMPONENTS, ClusterError, InvalidArgumentError, NotFoundError
from aoi.cluster.kube.api import KubeApi
from aoi.cluster.kube.source import ApiSource
from aoi.cluster.render import is_namespaced, render_describe, render_table, render_yaml, resource_kind
from aoi.cluster.render.durations import human_duration, parse_timestamp
from aoi.cluster.telemetry.jaeger import JaegerClient, operation_aggregates
from aoi.cluster.telemetry.loki import LokiClient
from aoi.cluster.telemetry.prometheus import PrometheusClient

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
MAX_TAIL = 5000
_ERROR_LINE = re.compile(r"\b(ERR|ERROR|FTL|FATAL|PNC|PANIC|CRIT|CRITICAL)\b|<(error|fatal|critical)>|"
                         r'"(severity|level)"\s*:\s*"(error|fatal|critical)"|"s"\s*:\s*"[EF]"|'
                         r"\blevel=(error|fatal)\b|^E\d{4} |\bTraceback\b|\bException\b|^panic:", re.IGNORECASE)
"""Error lines in the common log styles: zerolog/logrus/klog levels, JSON `level`/`severity`, MongoDB `"s":"E"`,
C++ `<error>`, Python tracebacks, Go panics."""
_VARIABLE = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)?|"
                       r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{16,}\b|"
                       r"\d+(\.\d+)?(ms|s|m)?\b")


@dataclass(frozen=True, slots=True)
class Telemetry:
    """The optional telemetry services of a live cluster."""

    prometheus: PrometheusClient | None = None
    jaeger: JaegerClient | None = None
    loki: LokiClient | None = None
    config_hint: str = "the AOI config file"
    """Where to configure them, for error messages (a path)."""


class KubeReader:
    """`ClusterReader` over a `KubeApi` and optional telemetry clients."""

    def __init__(self, api: KubeApi, telemetry: Telemetry | None = None) -> None:
        self.api = api
        self.telemetry = telemetry or Telemetry()

    @property
    def namespace(self) -> str:
        """The default namespace (the context's, or the one in the cluster spec)."""
        return self.api.namespace

    # -- inventory -----------------------------------------------------------------------------------------------
    def namespaces(self) -> list[str]:
        return [ns["metadata"]["name"] for ns in self.api.list("Namespace")]

    def services(self, namespace: str) -> list[str]:
        ns = self._namespace(namespace)
        return sorted({o["metadata"]["name"] for kind in WORKLOAD_KINDS for o in self.api.list(kind, ns)})

    # -- kubectl views -------------------------------------------------------------------------------------------
    def get_resources(self, resource_type: str, name: str = "", namespace: str | None = None, *, wide: bool = False,
                      show_labels: bool = False, label_selector: str | None = None) -> str:
        kind = _kind(resource_type)
        ns = (namespace or self.namespace) if is_namespaced(resource_type) else None
        if name:
            objects = [self._get(resource_type, kind, ns, name)]
        else:
            objects = self.api.list(kind, ns, label_selector=label_selector or None)
        return render_table(resource_type, objects, now=self.api.now(), source=None, wide=wide,
                            show_labels=show_labels, namespace=ns)

    def describe(self, resource_type: str, name: str, namespace: str | None = None) -> str:
        kind = _kind(resource_type)
        ns = (namespace or self.namespace) if is_namespaced(resource_type) else None
        obj = self._get(resource_type, kind, ns, name)
        try:
            return render_describe(resource_type, obj, now=self.api.now(), source=ApiSource(self.api))
        except ValueError as exc:
            raise InvalidArgumentError(str(exc)) from exc

    def events(self, namespace: str | None = None, *, object_name: str | None = None,
               warnings_only: bool = False) -> str:
        ns = namespace or self.namespace
        events = self.api.list("Event", ns)
        if object_name:
            events = [e for e in events if (e.get("involvedObject") or {}).get("name") == object_name
                      or str((e.get("involvedObject") or {}).get("name", "")).startswith(object_name + "-")]
        if warnings_only:
            events = [e for e in events if e.get("type") == "Warning"]
        return render_table("events", events, now=self.api.now(), source=None, namespace=ns)

    def app_manifest(self, service: str, namespace: str) -> str:
        ns = namespace or self.namespace
        workload = self._workload(service, ns)
        objects = [workload] if workload is not None else []
        svc = self.api.find("Service", ns, service)
        if svc is not None:
            objects.append(svc)
        if workload is not None:
            account = (workload["spec"].get("template", {}).get("spec") or {}).get("serviceAccountName")
            sa = self.api.find("ServiceAccount", ns, account) if account else None
            if sa is not None:
                objects.append(sa)
        if not objects:
            raise NotFoundError(self._unknown_service(service, ns))
        return "---\n".join(render_yaml(_manifest_view(o)) for o in objects)

    # -- logs ----------------------------------------------------------------------------------------------------
    def logs(self, target: str, namespace: str, *, container: str | None = None, tail: int = 100,
             since_seconds: int | None = None, grep: str | None = None, previous: bool = False) -> str:
        if not isinstance(tail, int) or isinstance(tail, bool) or not 1 <= tail <= MAX_TAIL:
            raise InvalidArgumentError(f"tail must be an integer between 1 and {MAX_TAIL}, got {tail!r}")
        if since_seconds is not None and (not isinstance(since_seconds, int) or since_seconds < 1):
            raise InvalidArgumentError("since_seconds must be a positive integer")
        log_filter = LogFilter.parse(grep) if grep else None
        ns = namespace or self.namespace
        pod = self._pod_for(target, ns)
        name = container or _default_container(pod)
        containers = [c["name"] for c in pod["spec"].get("containers") or []]
        if name not in containers:
            raise InvalidArgumentError(f"container {name!r} is not valid for pod {pod['metadata']['name']}; "
                                       f"containers: {', '.join(containers)}")
        text = self._pod_log(ns, pod["metadata"]["name"], name, tail=MAX_TAIL if log_filter else tail,
                             since_seconds=since_seconds, previous=previous)
        lines = text.splitlines()
        if log_filter is not None:
            lines = log_filter.select(lines)
        return "\n".join(lines[-tail:])

    def error_log_summary(self, service: str, namespace: str) -> dict[str, Any]:
        ns = namespace or self.namespace
        if self.telemetry.loki is not None:
            lines = self.telemetry.loki.service_lines(ns, service)
        else:
            lines = []
            for pod in self._service_pods(service, ns):
                for status in pod.get("status", {}).get("containerStatuses") or []:
                    for previous in ((True, False) if status.get("restartCount") else (False,)):
                        try:
                            lines += self._pod_log(ns, pod["metadata"]["name"], status["name"], tail=MAX_TAIL,
                                                   since_seconds=None, previous=previous).splitlines()
                        except NotFoundError:
                            continue
        return error_patterns(lines)

    # -- metrics, traces, alerts ---------------------------------------------------------------------------------
    def metrics(self, target: str, namespace: str, *, window_seconds: int = 300) -> dict[str, Any]:
        if not isinstance(window_seconds, int) or not 5 <= window_seconds <= 3600:
            raise InvalidArgumentError("window_seconds must be an integer between 5 and 3600")
        prometheus = self._require(self.telemetry.prometheus, "metrics need Prometheus", "prometheus: {url: ...}")
        ns = namespace or self.namespace
        if self._workload(target, ns) is not None:
            level = "service"
        elif self.api.find("Pod", ns, target) is not None:
            level = "pod"
        else:
            raise NotFoundError(f"no service or pod named {target!r} in {ns}; services: "
                                f"{', '.join(self.services(ns)) or 'none'}")
        return prometheus.metrics(target, ns, level=level, window_seconds=window_seconds)

    def traces(self, namespace: str, *, service: str | None = None, operation: str | None = None,
               errors_only: bool = False, limit: int = 20) -> dict[str, Any]:
        if not isinstance(limit, int) or not 1 <= limit <= 200:
            raise InvalidArgumentError("limit must be an integer between 1 and 200")
        jaeger = self._require(self.telemetry.jaeger, "traces need Jaeger", "jaeger: {url: ...}")
        services = [service] if service else jaeger.services()
        found: dict[str, dict[str, Any]] = {}
        for name in services:
            for trace in jaeger.traces(name, operation=operation, errors_only=errors_only, limit=limit):
                found.setdefault(trace["trace_id"], trace)
        selected = sorted(found.values(), key=lambda t: -t["start_us"])
        if errors_only:
            selected = [t for t in selected if t["error"]]
        views = [{k: v for k, v in t.items() if k != "start_us"} for t in selected]
        return {"traces": views[:limit], "operations": operation_aggregates(views, service), "matched": len(views)}

    def service_dependencies(self, service: str, namespace: str) -> dict[str, Any]:
        jaeger = self._require(self.telemetry.jaeger, "the call graph comes from traces and needs Jaeger",
                               "jaeger: {url: ...}")
        upstream, downstream = jaeger.neighbours(service)
        if not upstream and not downstream and service not in jaeger.services():
            raise NotFoundError(f"Jaeger has no traces of service {service!r}; services: "
                                f"{', '.join(jaeger.services()) or 'none'}")
        return {"service": service, "upstream": upstream,
                "downstream": [{"name": c, "type": _dependency_type(c)} for c in downstream]}

    def check_connectivity(self, service: str, port: int, namespace: str) -> str:
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise InvalidArgumentError(f"port must be an integer between 1 and 65535, got {port!r}")
        ns = namespace or self.namespace
        note = "(static check from the Kubernetes API; no packet was sent)"
        svc = self.api.find("Service", ns, service)
        if svc is None:
            return f"Connection Failed: {service}.{ns}: no such Service, the name does not resolve {note}"
        ports = svc.get("spec", {}).get("ports") or []
        entry = next((p for p in ports if p.get("port") == port), None)
        if entry is None:
            listed = ", ".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in ports) or "none"
            return f"Connection Failed: Service {service}.{ns} does not expose port {port} (ports: {listed}) {note}"
        if not svc.get("spec", {}).get("selector"):
            return f"Connection Succeeded: {service}.{ns}:{port} has no selector; its endpoints are managed by hand"
        endpoints = self.api.find("Endpoints", ns, service) or {}
        ready = [(a, s) for s in endpoints.get("subsets") or [] for a in s.get("addresses") or []]
        not_ready = sum(len(s.get("notReadyAddresses") or []) for s in endpoints.get("subsets") or [])
        if not ready:
            return (f"Connection Failed: Service {service}.{ns} has no ready endpoints ({not_ready} not ready); "
                    f"connections to {svc['spec'].get('clusterIP')}:{port} are refused {note}")
        mismatch = self._target_port_mismatch(ns, entry, ready)
        if mismatch:
            return f"Connection Failed: {mismatch} {note}"
        targets = sorted({f"{a.get('ip')}:{_endpoint_port(s, entry)}" for a, s in ready})
        return (f"Connection Succeeded: {service}.{ns}:{port} ({svc['spec'].get('clusterIP')}) has {len(ready)} ready "
                f"endpoint(s): {', '.join(targets[:10])} {note}")

    def alerts(self) -> dict[str, Any]:
        now = self.api.now()
        time_range = f"{now - timedelta(minutes=2):%Y-%m-%d %H:%M:%S} ~ {now:%Y-%m-%d %H:%M:%S}"
        alerts = []
        if self.telemetry.prometheus is not None:
            for alert in self.telemetry.prometheus.alerts():
                if alert.get("state") != "firing":
                    continue
                labels = alert.get("labels") or {}
                text = (alert.get("annotations") or {}).get("summary") or (alert.get("annotations") or {}).get(
                    "description", "")
                alerts.append({"type": "Prometheus", "name": labels.get("alertname", ""), "time_range": time_range,
                               "status": "ABNORMAL", "labels": labels,
                               "evidence": [f"{labels.get('alertname', '')} [{labels.get('severity', 'none')}] | "
                                            f"{text}".rstrip(" |")]})
        for kind in WORKLOAD_KINDS:
            for obj in self.api.list(kind, self.namespace):
                evidence = _workload_evidence(obj)
                if evidence:
                    alerts.append({"type": "Service", "name": obj["metadata"]["name"], "time_range": time_range,
                                   "status": "ABNORMAL", "evidence": evidence})
        for node in self.api.list("Node"):
            ready = _condition(node, "Ready")
            if ready and ready.get("status") != "True":
                alerts.append({"type": "Node", "name": node["metadata"]["name"], "time_range": time_range,
                               "status": "ABNORMAL", "evidence": [f"NODE_NOT_READY [Node Status] | Ready="
                                                                  f"{ready.get('status')} ({ready.get('reason')})"]})
        if not alerts:
            return {}
        return {"status": "has_anomalies", "alert_count": len(alerts), "alerts": alerts}

    # -- nodes ---------------------------------------------------------------------------------------------------
    def cluster_configuration(self) -> dict[str, Any]:
        nodes = []
        for node in self.api.list("Node"):
            labels = node["metadata"].get("labels") or {}
            conditions = {c["type"]: c["status"] for c in node.get("status", {}).get("conditions") or []}
            ready = conditions.pop("Ready", "Unknown")
            allocatable = node.get("status", {}).get("allocatable") or {}
            nodes.append({
                "name": node["metadata"]["name"],
                "role": "control-plane" if any(k.startswith("node-role.kubernetes.io/control-plane") for k in labels)
                or labels.get("kubernetes.io/role") == "master" else "worker",
                "status": "Ready" if ready == "True" else "NotReady",
                "conditions": conditions,
                "taints": [f"{t['key']}{'=' + t['value'] if t.get('value') else ''}:{t['effect']}"
                           for t in node.get("spec", {}).get("taints") or []],
                "labels": dict(sorted(labels.items())),
                "allocatable_resources": {"cpu": allocatable.get("cpu"), "memory": allocatable.get("memory")},
            })
        return {"node_count": len(nodes), "nodes": nodes}

    def node_service_status(self, node: str, component: str) -> str:
        if component not in NODE_COMPONENTS:
            raise InvalidArgumentError(f"unknown component {component!r}; valid: {', '.join(NODE_COMPONENTS)}")
        obj = self.api.find("Node", None, node)
        if obj is None:
            names = [n["metadata"]["name"] for n in self.api.list("Node")]
            raise NotFoundError(f"node {node!r} not found; nodes: {', '.join(names)}")
        now = self.api.now()
        lines = [f"Service: {component}", f"Node: {node}",
                 "Source: the Kubernetes API (node conditions, Lease, system pods); AOI has no shell on nodes"]
        ready = _condition(obj, "Ready") or {}
        if component in ("kubelet", "containerd"):
            heartbeat = parse_timestamp(ready.get("lastHeartbeatTime"))
            ago = f", last heartbeat {human_duration(now - heartbeat)} ago" if heartbeat else ""
            lines.append(f"Node Ready: {ready.get('status', 'Unknown')} ({ready.get('reason', '')}: "
                         f"{ready.get('message', '')}){ago}")
            if component == "kubelet":
                lease = ApiSource(self.api).get("Lease", "kube-node-lease", node)
                renewed = parse_timestamp((lease or {}).get("spec", {}).get("renewTime"))
                lines.append(f"Lease renewed: {human_duration(now - renewed) + ' ago' if renewed else 'unknown'}")
                active = ready.get("status") == "True"
            else:
                runtime = obj.get("status", {}).get("nodeInfo", {}).get("containerRuntimeVersion", "unknown")
                lines.append(f"Runtime: {runtime}")
                active = ready.get("status") == "True" or "runtime" not in str(ready.get("message", "")).lower()
            lines.append(f"Active: {'active (inferred from node status)' if active else 'inactive or unreachable'}")
            return "\n".join(lines)
        pods = [p for p in ApiSource(self.api).list("Pod", "kube-system")
                if p.get("spec", {}).get("nodeName") == node and p["metadata"]["name"].startswith(component)]
        if not pods:
            if component == "kube-scheduler":
                raise NotFoundError(f"no kube-scheduler pod on {node} (not a control-plane node, or a managed "
                                    f"control plane)")
            lines.append(f"Active: unknown: no {component} pod on this node (it may run as a systemd unit, or a "
                         f"replacement such as Cilium handles services)")
            return "\n".join(lines)
        for pod in pods:
            statuses = pod.get("status", {}).get("containerStatuses") or []
            restarts = sum(int(s.get("restartCount") or 0) for s in statuses)
            running = pod.get("status", {}).get("phase") == "Running" and all(s.get("ready") for s in statuses)
            lines.append(f"Pod: kube-system/{pod['metadata']['name']} phase={pod.get('status', {}).get('phase')} "
                         f"restarts={restarts}")
            lines.append(f"Active: {'active (running)' if running else 'inactive (not ready)'}")
        return "\n".join(lines)

    # -- helpers -------------------------------------------------------------------------------------------------
    def _require(self, client: Any, what: str, snippet: str) -> Any:
        if client is None:
            raise ClusterError(f"{what}, which is not configured for this cluster; add `{snippet}` to "
                               f"{self.telemetry.config_hint}")
        return client

    def _namespace(self, namespace: str | None) -> str:
        ns = namespace or self.namespace
        if self.api.find("Namespace", None, ns) is None:
            raise NotFoundError(f"namespace {ns!r} not found; namespaces: {', '.join(self.namespaces())}")
        return ns

    def _get(self, resource_type: str, kind: str, ns: str | None, name: str) -> dict[str, Any]:
        obj = self.api.find(kind, ns, name)
        if obj is None:
            existing = [o["metadata"]["name"] for o in self.api.list(kind, ns)][:25]
            raise NotFoundError(f'Error from server (NotFound): {resource_type} "{name}" not found'
                                f"{f' in namespace {ns}' if ns else ''}; existing: {', '.join(existing) or 'none'}")
        return obj

    def _workload(self, name: str, ns: str) -> dict[str, Any] | None:
        for kind in WORKLOAD_KINDS:
            obj = self.api.find(kind, ns, name)
            if obj is not None:
                return obj
        return None

    def _unknown_service(self, service: str, ns: str) -> str:
        return f"unknown service {service!r} in namespace {ns}; services: {', '.join(self.services(ns)) or 'none'}"

    def _service_pods(self, service: str, ns: str) -> list[dict[str, Any]]:
        workload = self._workload(service, ns)
        if workload is None:
            raise NotFoundError(self._unknown_service(service, ns))
        selector = workload.get("spec", {}).get("selector", {}).get("matchLabels") or {}
        if not selector:
            return []
        return self.api.list("Pod", ns, label_selector=",".join(f"{k}={v}" for k, v in sorted(selector.items())))

    def _pod_for(self, target: str, ns: str) -> dict[str, Any]:
        pod = self.api.find("Pod", ns, target)
        if pod is not None:
            return pod
        if self._workload(target, ns) is None:
            pods = [p["metadata"]["name"] for p in self.api.list("Pod", ns)]
            raise NotFoundError(f"no pod or service named {target!r} in {ns}; pods: {', '.join(pods) or 'none'}")
        pods = self._service_pods(target, ns)
        if not pods:
            raise NotFoundError(f"service {target!r} in {ns} has no pods")
        return max(pods, key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"]))

    def _pod_log(self, ns: str, pod: str, container: str, *, tail: int, since_seconds: int | None,
                 previous: bool) -> str:
        try:
            return self.api.pod_log(ns, pod, container=container, tail=tail, since_seconds=since_seconds,
                                    previous=previous)
        except InvalidArgumentError as exc:
            # The kubelet answers 400 when there is no such log; the interface calls that "not found".
            if "not found" in str(exc) or "waiting to start" in str(exc):
                raise NotFoundError(str(exc)) from exc
            raise

    def _target_port_mismatch(self, ns: str, entry: dict[str, Any], ready: list[tuple[dict[str, Any], Any]]) -> str:
        """Why traffic to a ready endpoint would still fail: the Service's targetPort is not a port the pods
        declare. Empty when it matches, or when the pods declare no ports (declarations are optional)."""
        target = entry.get("targetPort", entry.get("port"))
        source = ApiSource(self.api)
        for address, _ in ready:
            ref = address.get("targetRef") or {}
            pod = source.get("Pod", ns, ref.get("name", "")) if ref.get("kind") == "Pod" else None
            if pod is None:
                continue
            declared = [p for c in pod["spec"].get("containers") or [] for p in c.get("ports") or []]
            if not declared:
                return ""
            if any(p.get("containerPort") == target or p.get("name") == target for p in declared):
                return ""
            ports = ", ".join(str(p.get("containerPort")) for p in declared)
            return (f"the Service's targetPort {target} is not a port of pod {pod['metadata']['name']} (its "
                    f"containers listen on {ports})")
        return ""


def error_patterns(lines: list[str]) -> dict[str, Any]:
    """Group error lines into patterns (numbers, ids and timestamps masked): `{}` when there are none."""
    errors = [ln for ln in lines if _ERROR_LINE.search(ln)]
    if not errors:
        return {}
    patterns: Counter[str] = Counter()
    samples: dict[str, str] = {}
    for text in errors:
        key = _VARIABLE.sub("<*>", text)
        patterns[key] += 1
        samples.setdefault(key, text)
    total = len(lines)
    return {"total_log_count": total, "total_errors": len(errors),
            "total_error_ratio": round(len(errors) / total, 4),
            "patterns": [{"count": n, "ratio": round(n / total, 4), "sample": samples[k]}
                         for k, n in patterns.most_common(10)]}


def _kind(resource_type: str) -> str:
    try:
        return resource_kind(resource_type)
    except (KeyError, ValueError) as exc:
        raise InvalidArgumentError(str(exc).strip("'\"")) from exc


def _default_container(pod: dict[str, Any]) -> str:
    annotated = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    containers = pod["spec"].get("containers") or [{}]
    return annotated or containers[0].get("name", "")


def _manifest_view(obj: dict[str, Any]) -> dict[str, Any]:
    view = copy.deepcopy(obj)
    view.pop("status", None)
    meta = view["metadata"]
    for key in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"):
        meta.pop(key, None)
    annotations = meta.get("annotations") or {}
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if "annotations" in meta and not annotations:
        meta.pop("annotations")
    return view


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((c for c in obj.get("status", {}).get("conditions") or [] if c.get("type") == kind), None)


def _workload_evidence(obj: dict[str, Any]) -> list[str]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if obj["kind"] == "DaemonSet":
        want, have = int(status.get("desiredNumberScheduled") or 0), int(status.get("numberAvailable") or 0)
    else:
        want, have = int(spec.get("replicas", 1)), int(status.get("availableReplicas") or 0)
    return [f"REPLICAS_UNAVAILABLE [Availability] | available={have}/{want}"] if have < want else []


def _endpoint_port(subset: dict[str, Any], entry: dict[str, Any]) -> Any:
    ports = subset.get("ports") or []
    match = next((p for p in ports if p.get("name") == entry.get("name")), ports[0] if ports else {})
    return match.get("port", entry.get("targetPort", entry.get("port")))


def _dependency_type(name: str) -> str:
    lowered = name.lower()
    for marker, kind in (("mongo", "Database"), ("redis", "Database"), ("mysql", "Database"),
                         ("postgres", "Database"), ("memcache", "Cache"), ("kafka", "Queue"), ("rabbit", "Queue")):
        if marker in lowered:
            return kind
    return "Service"
