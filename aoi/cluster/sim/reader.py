"""The simulator's read interface: kubectl-style views, logs, metrics, traces, alerts and node daemons."""

from __future__ import annotations

import copy
import re
import statistics
from collections import Counter
from datetime import timedelta
from typing import Any

from aoi.cluster.grep import LogFilter
from aoi.cluster.interface import METRIC_NAMES, NODE_COMPONENTS, InvalidArgumentError, NotFoundError
from aoi.cluster.render import is_namespaced, render_describe, render_table, render_yaml, resource_kind
from aoi.cluster.sim.clock import EPOCH, TICK_SECONDS
from aoi.cluster.sim.engine import Engine
from aoi.cluster.sim.network import component_of, connect
from aoi.cluster.sim.store import ObjectStore, parse_label_selector, selector_matches

ALERT_WINDOW_TICKS = 24
"""Alerts compare the last two minutes against the metric's learned normal."""

_VARIABLE = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)?|"
                       r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{16,}\b|"
                       r"\d+(\.\d+)?(ms|s|m)?\b")


class SimReader:
    """`ClusterReader` over an `Engine`."""

    engine: Engine

    # -- inventory -----------------------------------------------------------------------------------------------
    def namespaces(self) -> list[str]:
        return [ns["metadata"]["name"] for ns in self.engine.state.store.list("Namespace")]

    def services(self, namespace: str) -> list[str]:
        self._check_namespace(namespace)
        app = self.engine.state.app
        return list(app.component_names) if namespace == app.namespace else []

    # -- kubectl views -------------------------------------------------------------------------------------------
    def get_resources(self, resource_type: str, name: str = "", namespace: str | None = None, *, wide: bool = False,
                      show_labels: bool = False, label_selector: str | None = None) -> str:
        kind = self._kind(resource_type)
        store = self.engine.state.store
        ns = self._namespace(namespace) if is_namespaced(resource_type) else None
        objects = store.list(kind, ns)
        if name:
            objects = [o for o in objects if o["metadata"]["name"] == name]
            if not objects:
                raise NotFoundError(self._not_found(resource_type, name, kind, ns))
        if label_selector:
            try:
                selector = parse_label_selector(label_selector)
            except ValueError as exc:
                raise InvalidArgumentError(f"label_selector: {exc}") from exc
            objects = [o for o in objects if selector_matches(selector, o["metadata"].get("labels"))]
        return render_table(resource_type, objects, now=self.engine.state.clock.now, source=store, wide=wide,
                            show_labels=show_labels, namespace=ns)

    def describe(self, resource_type: str, name: str, namespace: str | None = None) -> str:
        kind = self._kind(resource_type)
        ns = self._namespace(namespace) if is_namespaced(resource_type) else None
        obj = self.engine.state.store.get(kind, ns, name)
        if obj is None:
            raise NotFoundError(self._not_found(resource_type, name, kind, ns))
        return render_describe(resource_type, obj, now=self.engine.state.clock.now, source=self.engine.state.store)

    def events(self, namespace: str | None = None, *, object_name: str | None = None,
               warnings_only: bool = False) -> str:
        ns = self._namespace(namespace)
        events = self.engine.state.store.list("Event", ns)
        if object_name:
            events = [e for e in events if e["involvedObject"]["name"] == object_name
                      or e["involvedObject"]["name"].startswith(object_name + "-")]
        if warnings_only:
            events = [e for e in events if e["type"] == "Warning"]
        return render_table("events", events, now=self.engine.state.clock.now, source=self.engine.state.store,
                            namespace=ns)

    def app_manifest(self, service: str, namespace: str) -> str:
        """The workload's manifest as it was applied: the PersistentVolumes and claims it mounts (and a claim's
        StorageClass when it names one that exists), the Deployment, its Service and ServiceAccount."""
        ns = self._namespace(namespace)
        store = self.engine.state.store
        self._check_service(service, ns)
        objects: list[dict[str, Any]] = []
        dep = store.get("Deployment", ns, service)
        sa = None
        if dep is not None:
            objects.extend(_storage_of(store, ns, service, dep["spec"]["template"]["spec"]))
            objects.append(dep)
            sa_name = dep["spec"]["template"]["spec"].get("serviceAccountName")
            sa = store.get("ServiceAccount", ns, sa_name) if sa_name else None
        svc = store.get("Service", ns, service)
        objects.extend(o for o in (svc, sa) if o is not None)
        return "---\n".join(render_yaml(_manifest_view(o)) for o in objects)

    # -- logs ----------------------------------------------------------------------------------------------------
    def logs(self, target: str, namespace: str, *, container: str | None = None, tail: int = 100,
             since_seconds: int | None = None, grep: str | None = None, previous: bool = False) -> str:
        log_filter = LogFilter.parse(grep) if grep else None
        lines = self.log_lines(target, namespace, container=container, tail=tail, since_seconds=since_seconds,
                               previous=previous)
        if log_filter is not None:
            lines = log_filter.select(lines)
        return "\n".join(lines[-tail:])

    def log_lines(self, target: str, namespace: str, *, container: str | None = None, tail: int = 100,
                  since_seconds: int | None = None, previous: bool = False) -> list[str]:
        """The lines `logs` filters with `grep` and cuts to the last `tail` (checked here, not applied), so that a
        caller holding a lock can match outside it.

        Raises:
            InvalidArgumentError: a bad tail, since_seconds or container.
            NotFoundError: an unknown target, or a container with no (previous) instance.
        """
        if not isinstance(tail, int) or tail < 1 or tail > 5000:
            raise InvalidArgumentError(f"tail must be an integer between 1 and 5000, got {tail!r}")
        if since_seconds is not None and (not isinstance(since_seconds, int) or since_seconds < 1):
            raise InvalidArgumentError("since_seconds must be a positive integer")
        ns = self._namespace(namespace)
        pod = self._pod_for(target, ns)
        containers = [c["name"] for c in pod["spec"]["containers"]]
        inits = [c["name"] for c in pod["spec"].get("initContainers") or []]
        # kubectl's default: the container the pod's annotation names (a mesh's injector sets it), else the first.
        default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
        name = container or (default if default in containers else containers[0])
        if name not in containers + inits:
            raise InvalidArgumentError(f"container {name!r} is not valid for pod {pod['metadata']['name']}; "
                                       f"containers: {', '.join(containers)}"
                                       + (f"; init containers: {', '.join(inits)}" if inits else ""))
        rt = self.engine.state.containers.get(pod["metadata"]["uid"], {}).get(name)
        restarts = rt.restarts if rt else 0
        running = rt is not None and rt.started_tick is not None
        # As the kubelet picks the container (validateContainerLogStatus): the running one; else, while the next
        # instance waits (CrashLoopBackOff), the one that last terminated.
        instance = restarts - 1 if previous or (not running and restarts) else restarts
        if previous and instance < 0:
            raise NotFoundError(f'previous terminated container "{name}" in pod "{pod["metadata"]["name"]}" not found')
        if not previous and not running and not restarts and not self.engine.state.telemetry.container_logs(
                ns, pod["metadata"]["name"], name, instance):
            waiting = _waiting_reason(pod, name) or "ContainerCreating"
            waiting = {"ErrImagePull": "image can't be pulled",
                       "ImagePullBackOff": "trying and failing to pull image"}.get(waiting, waiting)
            raise NotFoundError(f'container "{name}" in pod "{pod["metadata"]["name"]}" is waiting to start: '
                                f"{waiting}")
        lines = self.engine.state.telemetry.container_logs(ns, pod["metadata"]["name"], name, instance)
        if since_seconds is not None:
            first = self.engine.state.clock.tick - since_seconds // TICK_SECONDS
            lines = [ln for ln in lines if ln.tick >= first]
        return [ln.text for ln in lines]

    def error_log_summary(self, service: str, namespace: str) -> dict[str, Any]:
        ns = self._namespace(namespace)
        self._check_service(service, ns)
        state = self.engine.state
        lines = []
        for pod in self._component_pods(service, ns):
            for spec in pod["spec"]["containers"]:
                rt = state.containers.get(pod["metadata"]["uid"], {}).get(spec["name"])
                for instance in range((rt.restarts if rt else 0) + 1):
                    lines += state.telemetry.container_logs(ns, pod["metadata"]["name"], spec["name"], instance)
        total = len(lines)
        errors = [ln.text for ln in lines if ln.error]
        if not errors:
            return {}
        patterns: Counter[str] = Counter()
        samples: dict[str, str] = {}
        for text in errors:
            key = _VARIABLE.sub("<*>", text)
            patterns[key] += 1
            samples.setdefault(key, text)
        return {"total_log_count": total, "total_errors": len(errors),
                "total_error_ratio": round(len(errors) / total, 4),
                "patterns": [{"count": n, "ratio": round(n / total, 4), "sample": samples[k]}
                             for k, n in patterns.most_common(10)]}

    # -- metrics and traces --------------------------------------------------------------------------------------
    def metrics(self, target: str, namespace: str, *, window_seconds: int = 300) -> dict[str, Any]:
        if not isinstance(window_seconds, int) or not TICK_SECONDS <= window_seconds <= 3600:
            raise InvalidArgumentError("window_seconds must be an integer between 5 and 3600")
        ns = self._namespace(namespace)
        state = self.engine.state
        if target in state.app.component_names:
            key, level = f"{ns}/{target}", "service"
        elif state.store.get("Pod", ns, target) is not None:
            key, level = f"{ns}/pod/{target}", "pod"
        else:
            raise NotFoundError(f"no service or pod named {target!r} in {ns}; services: "
                                f"{', '.join(state.app.component_names)}")
        since = state.clock.tick - window_seconds // TICK_SECONDS + 1
        result: dict[str, Any] = {"target": target, "level": level, "window_seconds": window_seconds,
                                  "step_seconds": TICK_SECONDS, "metrics": {}}
        for metric in METRIC_NAMES:
            samples = state.telemetry.window(key, metric, since)
            if not samples:
                continue
            values = [v for _, v in samples]
            step = max(1, len(values) // 12)
            result["metrics"][metric] = {
                "last": values[-1], "min": min(values), "max": max(values),
                "mean": round(statistics.fmean(values), 3),
                "series": [round(statistics.fmean(values[i:i + step]), 3) for i in range(0, len(values), step)],
            }
        return result

    def traces(self, namespace: str, *, service: str | None = None, operation: str | None = None,
               errors_only: bool = False, limit: int = 20) -> dict[str, Any]:
        ns = self._namespace(namespace)
        if service is not None:
            self._check_service(service, ns)
        if not isinstance(limit, int) or not 1 <= limit <= 200:
            raise InvalidArgumentError("limit must be an integer between 1 and 200")
        selected = []
        for spans in reversed(self.engine.state.telemetry.traces):
            if service and not any(s.service == service for s in spans):
                continue
            if operation and not any(s.operation == operation for s in spans):
                continue
            if errors_only and not any(s.error for s in spans):
                continue
            selected.append(spans)
        operations: dict[tuple[str, str], list[Any]] = {}
        for spans in selected:
            for s in spans:
                if service is None or s.service == service:
                    operations.setdefault((s.service, s.operation), []).append(s)
        aggregates = []
        for (svc, op), spans in sorted(operations.items()):
            durations = sorted(s.duration_us / 1000 for s in spans)
            aggregates.append({"service": svc, "operation": op, "count": len(spans),
                               "errors": sum(1 for s in spans if s.error),
                               "p50_ms": round(durations[len(durations) // 2], 2),
                               "p95_ms": round(durations[min(len(durations) - 1, int(len(durations) * 0.95))], 2)})
        return {"traces": [_trace_view(spans) for spans in selected[:limit]], "operations": aggregates,
                "matched": len(selected)}

    def service_dependencies(self, service: str, namespace: str) -> dict[str, Any]:
        ns = self._namespace(namespace)
        self._check_service(service, ns)
        app = self.engine.state.app
        return {"service": service, "upstream": app.callers_of(service),
                "downstream": [{"name": c, "type": _dependency_type(app.component(c).kind)}
                               for c in app.callees_of(service)]}

    def check_connectivity(self, service: str, port: int, namespace: str) -> str:
        if not isinstance(port, int) or not 0 < port < 65536:
            raise InvalidArgumentError(f"port must be an integer between 1 and 65535, got {port!r}")
        ns = self._namespace(namespace)
        state = self.engine.state
        # A probe pod on every worker: Service routing is each node's own (kube-proxy's rules on that node).
        results = {n.name: connect(state, ns, f"{service}:{port}", port, n.name) for n in state.app.nodes
                   if n.role == "worker"}
        failed = {node: conn for node, conn in results.items() if not conn.ok}
        conn = next(iter(results.values()))
        if not failed:
            return f"Connection Succeeded: {service}.{ns}:{port} ({conn.ip}) accepted a TCP connection"
        if len(failed) == len(results) and len({c.message for c in failed.values()}) == 1:
            return f"Connection Failed: {conn.message}"
        return "Connection Failed from " + "; ".join(f"{node}: {c.message}" for node, c in failed.items()) + (
            f" (succeeded from {', '.join(n for n in results if n not in failed)})" if len(failed) < len(results)
            else "")

    def alerts(self) -> dict[str, Any]:
        state = self.engine.state
        tick = state.clock.tick
        ns = state.app.namespace
        alerts = []
        start = EPOCH + timedelta(seconds=(tick - ALERT_WINDOW_TICKS) * TICK_SECONDS)
        time_range = f"{start:%Y-%m-%d %H:%M:%S} ~ {state.clock.now:%Y-%m-%d %H:%M:%S}"
        off = state.extra.get("alert_rules_off", ())
        for comp in state.app.components:
            key = f"{ns}/{comp.name}"
            evidence = _service_evidence(state, key, comp.name, tick)
            pods = self._component_pods(comp.name, ns)
            restarts = sum(s.get("restartCount", 0) for p in pods for s in p["status"].get("containerStatuses") or [])
            before = state.telemetry.window(key, "restarts", tick - ALERT_WINDOW_TICKS)
            if before and restarts > before[0][1]:
                evidence.append(f"POD_RESTARTS [Restarts] | {comp.name}: +{int(restarts - before[0][1])} in the last "
                                f"{ALERT_WINDOW_TICKS * TICK_SECONDS // 60}m")
            dep = state.store.get("Deployment", ns, comp.name)
            if dep is not None:
                want = int(dep["spec"].get("replicas", 0))
                have = int(dep.get("status", {}).get("availableReplicas", 0))
                if have < want:
                    evidence.append(f"REPLICAS_UNAVAILABLE [Availability] | available={have}/{want}")
            evidence = [e for e in evidence if e.split(" ", 1)[0] not in off]
            if evidence:
                alerts.append({"type": "Service", "name": comp.name, "time_range": time_range, "status": "ABNORMAL",
                               "evidence": evidence})
        for node in state.store.list("Node"):
            ready = next((c for c in node["status"].get("conditions") or [] if c["type"] == "Ready"), None)
            evidence = _node_evidence(state, node["metadata"]["name"], tick)
            if ready and ready["status"] != "True":
                evidence.append(f"NODE_NOT_READY [Node Status] | Ready={ready['status']} ({ready['reason']})")
            evidence = [e for e in evidence if e.split(" ", 1)[0] not in off]
            if evidence:
                alerts.append({"type": "Node", "name": node["metadata"]["name"], "time_range": time_range,
                               "status": "ABNORMAL", "evidence": evidence})
        if not alerts:
            return {}
        return {"status": "has_anomalies", "alert_count": len(alerts), "alerts": alerts}

    # -- nodes ---------------------------------------------------------------------------------------------------
    def cluster_configuration(self) -> dict[str, Any]:
        nodes = []
        for node in self.engine.state.store.list("Node"):
            labels = node["metadata"].get("labels") or {}
            conditions = {c["type"]: c["status"] for c in node["status"].get("conditions") or []}
            ready = conditions.pop("Ready", "Unknown")
            nodes.append({
                "name": node["metadata"]["name"],
                "role": "control-plane" if any(k.startswith("node-role.kubernetes.io/control-plane") for k in labels)
                or labels.get("kubernetes.io/role") == "master" else "worker",
                "status": "Ready" if ready == "True" else "NotReady",
                "conditions": conditions,
                "taints": [f"{t['key']}{'=' + t['value'] if t.get('value') else ''}:{t['effect']}"
                           for t in node["spec"].get("taints") or []],
                "labels": dict(sorted(labels.items())),
                "allocatable_resources": {"cpu": node["status"]["allocatable"]["cpu"],
                                          "memory": node["status"]["allocatable"]["memory"]},
            })
        return {"node_count": len(nodes), "nodes": nodes}

    def node_service_status(self, node: str, component: str) -> str:
        state = self.engine.state
        if node not in state.nodes:
            raise NotFoundError(f"node {node!r} not found; nodes: {', '.join(state.nodes)}")
        if component not in NODE_COMPONENTS:
            raise InvalidArgumentError(f"unknown component {component!r}; valid: {', '.join(NODE_COMPONENTS)}")
        spec = next(n for n in state.app.nodes if n.name == node)
        if component == "kube-scheduler" and spec.role != "control-plane":
            raise NotFoundError(f"Unit kube-scheduler.service could not be found on {node} (not a control-plane "
                                f"node)")
        agents = state.nodes[node]
        running = agents.running(component)
        since_tick = agents.stopped_tick.get(component, -17280) if not running else -17280
        since = EPOCH + timedelta(seconds=since_tick * TICK_SECONDS)
        ago = _ago((state.clock.tick - since_tick) * TICK_SECONDS)
        active = (f"active (running) since {since:%a %Y-%m-%d %H:%M:%S} UTC; {ago} ago" if running else
                  f"inactive (dead) since {since:%a %Y-%m-%d %H:%M:%S} UTC; {ago} ago")
        unit = {"kubelet": "Kubernetes Kubelet", "kube-proxy": "Kubernetes Kube-Proxy Server",
                "containerd": "containerd container runtime", "kube-scheduler": "Kubernetes Scheduler"}[component]
        lines = [f"Service: {component}", f"Node: {node}", f"Status: {'●' if running else '○'} {component}.service - "
                 f"{unit}", f"     Loaded: loaded (/etc/systemd/system/{component}.service; enabled; vendor preset: "
                 f"enabled)", f"     Active: {active}"]
        if running:
            lines += [f"   Main PID: {4000 + NODE_COMPONENTS.index(component) * 17} ({component})",
                      "      Tasks: 20 (limit: 18592)", "     Memory: 67.8M"]
        else:
            lines += [f"    Process: {4000 + NODE_COMPONENTS.index(component) * 17} ExecStart=/usr/bin/{component} "
                      "(code=killed, signal=TERM)"]
            lines += ["", f"{since:%b %d %H:%M:%S} {node} systemd[1]: Stopping {unit}...",
                      f"{since:%b %d %H:%M:%S} {node} systemd[1]: {component}.service: Deactivated successfully.",
                      f"{since:%b %d %H:%M:%S} {node} systemd[1]: Stopped {unit}."]
        return "\n".join(lines)

    # -- helpers -------------------------------------------------------------------------------------------------
    def _kind(self, resource_type: str) -> str:
        try:
            return resource_kind(resource_type)
        except (KeyError, ValueError) as exc:
            raise InvalidArgumentError(str(exc).strip("'\"")) from exc

    def _namespace(self, namespace: str | None) -> str:
        ns = namespace or self.engine.state.app.namespace
        self._check_namespace(ns)
        return ns

    def _check_namespace(self, namespace: str) -> None:
        if self.engine.state.store.get("Namespace", None, namespace) is None:
            raise NotFoundError(f"namespace {namespace!r} not found; namespaces: {', '.join(self.namespaces())}")

    def _check_service(self, service: str, namespace: str) -> None:
        app = self.engine.state.app
        if namespace != app.namespace or service not in app.component_names:
            raise NotFoundError(f"unknown service {service!r} in namespace {namespace}; services: "
                                f"{', '.join(app.component_names) if namespace == app.namespace else 'none'}")

    def _not_found(self, resource_type: str, name: str, kind: str, ns: str | None) -> str:
        existing = [o["metadata"]["name"] for o in self.engine.state.store.list(kind, ns)][:25]
        return (f'Error from server (NotFound): {resource_type} "{name}" not found'
                f"{f' in namespace {ns}' if ns else ''}; existing: {', '.join(existing) or 'none'}")

    def _component_pods(self, component: str, namespace: str) -> list[dict[str, Any]]:
        state = self.engine.state
        return [p for p in state.store.list("Pod", namespace) if component_of(state, p) == component]

    def _pod_for(self, target: str, namespace: str) -> dict[str, Any]:
        store = self.engine.state.store
        pod = store.get("Pod", namespace, target)
        if pod is not None:
            return pod
        pods = self._component_pods(target, namespace)
        if not pods:
            raise NotFoundError(f"no pod or service named {target!r} in {namespace}; pods: "
                                f"{', '.join(p['metadata']['name'] for p in store.list('Pod', namespace))}")
        return max(pods, key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"]))


def _storage_of(store: ObjectStore, namespace: str, workload: str, pod_spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The storage objects a workload's manifest declares: for each claim its pod template mounts, the volume meant
    for it (the one bound to it, else an unclaimed one provisioned for this workload's path), then the claim and
    the StorageClass it names. A claim deleted since shows nothing."""
    volumes: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    all_volumes = store.list("PersistentVolume")
    for claim_name in [v["persistentVolumeClaim"]["claimName"] for v in pod_spec.get("volumes") or []
                       if v.get("persistentVolumeClaim")]:
        claim = store.get("PersistentVolumeClaim", namespace, claim_name)
        if claim is None:
            continue
        bound = [pv for pv in all_volumes if pv["metadata"]["name"] == claim["spec"].get("volumeName")]
        meant = [pv for pv in all_volumes
                 if (pv["spec"].get("hostPath") or {}).get("path", "").endswith("/" + workload)]
        volumes.extend(pv for pv in bound or meant if pv not in volumes)
        rest.append(claim)
        class_name = claim["spec"].get("storageClassName")
        storage_class = store.get("StorageClass", None, class_name) if class_name else None
        if storage_class is not None:
            rest.append(storage_class)
    return volumes + rest


def _manifest_view(obj: dict[str, Any]) -> dict[str, Any]:
    view = copy.deepcopy(obj)
    view.pop("status", None)
    meta = view["metadata"]
    for key in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"):
        meta.pop(key, None)
    return view


def _waiting_reason(pod: dict[str, Any], container: str) -> str:
    for s in pod["status"].get("containerStatuses") or []:
        if s["name"] == container:
            return (s.get("state") or {}).get("waiting", {}).get("reason", "")
    return ""


def _trace_view(spans: list[Any]) -> dict[str, Any]:
    root = spans[0]
    return {"trace_id": root.trace_id, "operation": root.operation, "duration_ms": round(root.duration_us / 1000, 2),
            "error": any(s.error for s in spans),
            "spans": [{"span_id": s.span_id, "parent_id": s.parent_id, "service": s.service,
                       "operation": s.operation, "duration_ms": round(s.duration_us / 1000, 2), "error": s.error,
                       **({"status_message": s.status_message} if s.status_message else {})} for s in spans]}


def _dependency_type(kind: str) -> str:
    return {"mongodb": "Database", "redis": "Database", "memcached": "Cache", "kafka": "Queue"}.get(kind, "Service")


def _service_evidence(state: Any, key: str, name: str, tick: int) -> list[str]:
    """The alert rules on one service: its last two minutes against its learned normal (`Telemetry.learn`)."""
    evidence = []
    since = tick - ALERT_WINDOW_TICKS + 1

    def compare(metric: str) -> tuple[float, float] | None:
        normal = state.telemetry.normal_value(key, metric)
        current = [v for _, v in state.telemetry.window(key, metric, since)]
        return None if normal is None or not current else (normal, statistics.fmean(current))

    def change(b: float, c: float, unit: str) -> str:
        return f"Normal={b:.2f}{unit} -> Current={c:.2f}{unit} ({(c - b) / b * 100:+.1f}%)"

    packets = {side: compare(metric) for side, metric in (("Inbound", "rx_pps"), ("Outbound", "tx_pps"))}
    drops = [f"{side}: {change(*pair, 'pps')}" for side, pair in packets.items()
             if pair and pair[0] > 1 and pair[1] < 0.6 * pair[0]]
    if drops:
        evidence.append("TRAFFIC_ANOMALY [Network Drop] | " + " | ".join(drops))
    rate = compare("request_rate")
    if rate and rate[0] > 0.5 and rate[1] < 0.6 * rate[0]:
        evidence.append(f"THROUGHPUT_DROP [RPS] | {change(*rate, 'req/s')}")
    errors = compare("error_rate")
    if errors and errors[1] > 0.05:
        b, c = (1 - errors[0]) * 100, (1 - errors[1]) * 100
        evidence.append(f"ERROR_SPIKE [Success Rate Drop] | Normal={b:.1f}% -> Cur={c:.1f}% ({c - b:+.1f}%)")
    slow = [f"{name}-{q}latency: {change(*pair, 'ms')}" for q in ("p50", "p90")
            if (pair := compare(f"{q}_ms")) and pair[0] > 0 and pair[1] > 3 * pair[0] and pair[1] - pair[0] > 20]
    if slow:
        evidence.append("LATENCY_DEGRADATION [Slow Response] | " + " | ".join(slow))
    throttled = compare("cpu_throttled")
    if throttled and throttled[1] > 0.25 and throttled[0] < 0.1:
        evidence.append(f"CPU_SATURATION [Throttling] | {name}: throttled {throttled[1] * 100:.0f}% of CFS periods "
                        f"(normal {throttled[0] * 100:.0f}%)")
    return evidence


def _node_evidence(state: Any, node: str, tick: int) -> list[str]:
    normal = state.telemetry.normal_value(f"node/{node}", "tcp_retransmits")
    current = [v for _, v in state.telemetry.window(f"node/{node}", "tcp_retransmits", tick - ALERT_WINDOW_TICKS + 1)]
    if normal is None or not current:
        return []
    c = statistics.fmean(current)
    if c < 1 or c < 10 * normal:
        return []
    return [f"NETWORK_QUALITY_DEGRADED [TCP Retransmission] | Normal={normal:.2f}retrans -> Current={c:.2f}retrans "
            f"({(c - normal) / normal * 100:+.1f}%)"]


def _ago(seconds: int) -> str:
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{days} day{'s' if days > 1 else ''} {hours}h"
    if hours:
        return f"{hours}h {minutes}min"
    if minutes:
        return f"{minutes}min {secs}s"
    return f"{secs}s"
