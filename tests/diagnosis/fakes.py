"""A `ClusterReader` made of canned kubectl text, for triage tests.

`shop()` is a healthy three-tier app (`web` → `api` → `cache`) on one control-plane node and three workers, in
namespace `shop`; a test breaks one thing (a pod row, an event, a manifest field, a unit's `Active:` line) and runs
`triage` on it. Every table is rendered the way kubectl's tabwriter prints it (columns as wide as their widest
cell, three blanks apart), because `parse_kubectl_table` cuts rows at the header's column positions. Anything a
test did not provide raises `NotFoundError`, as a backend does for an object that does not exist.

The names here are deliberately not those of any benchmark app, so a test passes only if the analyzers read the
cluster rather than recognise it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from aoi.cluster.interface import NotFoundError

NS = "shop"
CONTROL_PLANE = "cp-1"
WORKERS = ("node-a", "node-b", "node-c")
PORTS = {"web": 8080, "api": 9090, "cache": 6379}
"""Each workload's container port (and its Service's port and targetPort)."""
HASH = "6d4cf56db6"
"""The ReplicaSet hash of every current pod (`api-6d4cf56db6-x2q8k`)."""


# -- kubectl tables ---------------------------------------------------------------------------------------------
def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """kubectl's tabwriter layout: each column as wide as its widest cell, three blanks between columns."""
    cells = [list(header), *([str(c) for c in row] for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    return "".join("   ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() + "\n"
                   for line in cells)


@dataclass(frozen=True, slots=True)
class PodRow:
    """One row of `kubectl get pods -o wide`."""

    name: str
    status: str = "Running"
    ready: str = "1/1"
    restarts: str = "0"
    age: str = "10m"
    ip: str = "<none>"
    node: str = "<none>"


def pod_name(workload: str, suffix: str = "x2q8k", rs_hash: str = HASH) -> str:
    return f"{workload}-{rs_hash}-{suffix}"


def pod(workload: str, status: str = "Running", *, suffix: str = "x2q8k", ready: str | None = None,
        restarts: int = 0, age: str = "10m", node: str | None = None, rs_hash: str = HASH) -> PodRow:
    """A pod of `workload`: Running pods are ready on `node-a` unless told otherwise; Pending pods have no node."""
    placed = node if node is not None else ("<none>" if status == "Pending" else WORKERS[0])
    subnet = WORKERS.index(placed) + 1 if placed in WORKERS else 9
    host = 10 + sorted(PORTS).index(workload) if workload in PORTS else 99
    ip = "<none>" if placed == "<none>" else f"10.244.{subnet}.{host}"
    return PodRow(name=pod_name(workload, suffix, rs_hash), status=status,
                  ready=ready if ready is not None else ("1/1" if status == "Running" else "0/1"),
                  restarts=f"{restarts} (30s ago)" if restarts else "0", age=age, ip=ip, node=placed)


def pods_table(rows: Sequence[PodRow], *, wide: bool) -> str:
    if not rows:
        return f"No resources found in {NS} namespace.\n"
    header = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    if not wide:
        return table(header, ([r.name, r.ready, r.status, r.restarts, r.age] for r in rows))
    return table([*header, "IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
                 ([r.name, r.ready, r.status, r.restarts, r.age, r.ip, r.node, "<none>", "<none>"] for r in rows))


@dataclass(frozen=True, slots=True)
class EventRow:
    """One row of `kubectl get events`: `LAST SEEN  TYPE  REASON  OBJECT  MESSAGE`."""

    reason: str
    object: str
    """`kind/name`, as kubectl prints it (`pod/api-6d4cf56db6-x2q8k`, `replicaset/api-6d4cf56db6`)."""
    message: str
    type: str = "Warning"
    last_seen: str = "30s"


def event(reason: str, obj: str, message: str, *, type: str = "Warning", last_seen: str = "30s") -> EventRow:
    return EventRow(reason, obj, message, type, last_seen)


def events_table(rows: Sequence[EventRow]) -> str:
    if not rows:
        return f"No resources found in {NS} namespace.\n"
    return table(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
                 ([e.last_seen, e.type, e.reason, e.object, e.message] for e in rows))


# -- kubectl describe pod ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Container:
    """The facts `kubectl describe pod` prints for one container."""

    name: str = "app"
    image: str = "registry.example.com/shop/app:1.4.2"
    ports: tuple[str, ...] = ("8080/TCP",)
    state: str = "Running"
    """`Running`, `Waiting` or `Terminated`."""
    reason: str = ""
    message: str = ""
    last_state: str = ""
    """`Terminated` when the container ran before, else empty."""
    last_reason: str = ""
    last_exit_code: int | None = None
    ready: bool = True
    restarts: int = 0
    liveness: str = ""
    """As kubectl prints it: `http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3`."""
    readiness: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    mounts: tuple[str, ...] = ()
    """`/data from data (rw)`."""


@dataclass(frozen=True, slots=True)
class PodEventLine:
    reason: str
    message: str
    type: str = "Warning"
    age: str = "30s"
    source: str = "kubelet"


def pod_event(reason: str, message: str, *, type: str = "Warning", age: str = "30s",
              source: str = "kubelet") -> PodEventLine:
    return PodEventLine(reason, message, type, age, source)


def describe_pod(name: str, *, containers: Sequence[Container] = (Container(),), node: str = "node-a",
                 status: str = "Running", labels: Mapping[str, str] | None = None, node_selectors: str = "<none>",
                 conditions: Mapping[str, str] | None = None, events: Sequence[PodEventLine] = ()) -> str:
    """`kubectl describe pod` text in kubectl's layout (the parts triage reads, in their order)."""
    workload = name.rsplit("-", 2)[0]
    shown = labels if labels is not None else {"app": workload, "pod-template-hash": name.rsplit("-", 2)[1]}
    label_lines = [f"{k}={v}" for k, v in shown.items()] or ["<none>"]
    lines = [f"Name:             {name}", f"Namespace:        {NS}", "Priority:         0",
             f"Service Account:  {workload}",
             f"Node:             {node + '/192.0.2.' + str(2 + WORKERS.index(node)) if node in WORKERS else node}",
             f"Labels:           {label_lines[0]}", *[f"                  {x}" for x in label_lines[1:]],
             "Annotations:      <none>", f"Status:           {status}", "Containers:"]
    for c in containers:
        lines += [f"  {c.name}:", f"    Image:          {c.image}"]
        if len(c.ports) <= 1:
            lines.append(f"    Port:           {c.ports[0] if c.ports else '<none>'}")
        else:
            lines.append(f"    Ports:          {', '.join(c.ports)}")
        lines.append(f"    State:          {c.state}")
        if c.reason:
            lines.append(f"      Reason:       {c.reason}")
        if c.message:
            lines.append(f"      Message:      {c.message}")
        if c.last_state:
            lines.append(f"    Last State:     {c.last_state}")
            if c.last_reason:
                lines.append(f"      Reason:       {c.last_reason}")
            if c.last_exit_code is not None:
                lines.append(f"      Exit Code:    {c.last_exit_code}")
        lines += [f"    Ready:          {c.ready}", f"    Restart Count:  {c.restarts}"]
        if c.liveness:
            lines.append(f"    Liveness:       {c.liveness}")
        if c.readiness:
            lines.append(f"    Readiness:      {c.readiness}")
        if c.env:
            width = max(len(k) for k in c.env) + 2
            lines += ["    Environment:", *[f"      {(k + ':').ljust(width)} {v}" for k, v in c.env.items()]]
        else:
            lines.append("    Environment:    <none>")
        if c.mounts:
            lines += ["    Mounts:", *[f"      {m}" for m in c.mounts]]
        else:
            lines.append("    Mounts:         <none>")
    lines += ["Conditions:", "  Type              Status"]
    lines += [f"  {k.ljust(16)}  {v}" for k, v in (conditions or _conditions(status, containers)).items()]
    lines += ["QoS Class:        Burstable", f"Node-Selectors:   {node_selectors}",
              "Tolerations:      node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
              "                  node.kubernetes.io/unreachable:NoExecute op=Exists for 300s"]
    if events:
        block = table(["Type", "Reason", "Age", "From", "Message"],
                      [["----", "------", "---", "----", "-------"],
                       *([e.type, e.reason, e.age, e.source, e.message] for e in events)])
        lines += ["Events:", *["  " + x for x in block.splitlines()]]
    else:
        lines.append("Events:           <none>")
    return "\n".join(lines) + "\n"


def _conditions(status: str, containers: Sequence[Container]) -> dict[str, str]:
    if status == "Pending" and all(c.state == "Waiting" and c.reason == "" for c in containers):
        return {}  # never scheduled: the scheduler wrote no PodScheduled condition
    ready = str(all(c.ready for c in containers))
    return {"Initialized": "True", "Ready": ready, "ContainersReady": ready, "PodScheduled": "True"}


# -- manifests --------------------------------------------------------------------------------------------------
def http_probe(port: int | str, path: str = "/healthz", *, timeout: int = 1, delay: int = 0, period: int = 10,
               failure: int = 3) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": port}, "timeoutSeconds": timeout, "initialDelaySeconds": delay,
            "periodSeconds": period, "failureThreshold": failure}


def tcp_probe(port: int | str, *, timeout: int = 1, delay: int = 0, period: int = 10,
              failure: int = 3) -> dict[str, Any]:
    return {"tcpSocket": {"port": port}, "timeoutSeconds": timeout, "initialDelaySeconds": delay,
            "periodSeconds": period, "failureThreshold": failure}


def describe_probe(probe: Mapping[str, Any]) -> str:
    """A probe as `kubectl describe pod` prints it."""
    if "httpGet" in probe:
        target = f"http-get http://:{probe['httpGet']['port']}{probe['httpGet'].get('path', '/')}"
    elif "tcpSocket" in probe:
        target = f"tcp-socket :{probe['tcpSocket']['port']}"
    else:
        target = f"exec [{' '.join(probe['exec']['command'])}]"
    return (f"{target} delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 1)}s "
            f"period={probe.get('periodSeconds', 10)}s #success=1 #failure={probe.get('failureThreshold', 3)}")


def manifest(name: str, *, port: int | None = None, port_name: str | None = None, protocol: str = "TCP",
             labels: Mapping[str, str] | None = None, replicas: int = 1,
             service: bool = True, service_name: str | None = None, selector: Mapping[str, str] | None = None,
             service_port: int | None = None, target_port: int | str | None = None,
             service_protocol: str = "TCP", liveness: Mapping[str, Any] | None = None,
             readiness: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None,
             node_selector: Mapping[str, str] | None = None, affinity: Mapping[str, Any] | None = None,
             claim: str | None = None, pvc: Mapping[str, Any] | None = None,
             service_account: str | None = None, resources: Mapping[str, Any] | None = None) -> str:
    """`get_app_yaml`: the Deployment, its Service, and the PersistentVolumeClaim it mounts when `pvc` is given
    (a claim spec)."""
    number = port if port is not None else PORTS.get(name, 8080)
    pod_labels = dict(labels) if labels is not None else {"app": name}
    container: dict[str, Any] = {"name": "app", "image": f"registry.example.com/shop/{name}:1.4.2",
                                 "ports": [{"containerPort": number, "protocol": protocol,
                                            **({"name": port_name} if port_name else {})}]}
    if env:
        container["env"] = [{"name": k, "value": v} for k, v in env.items()]
    if liveness is not None:
        container["livenessProbe"] = dict(liveness)
    if readiness is not None:
        container["readinessProbe"] = dict(readiness)
    if resources is not None:
        container["resources"] = dict(resources)
    if claim:
        container["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    spec: dict[str, Any] = {"containers": [container], "serviceAccountName": service_account or name}
    if node_selector is not None:
        spec["nodeSelector"] = dict(node_selector)
    if affinity is not None:
        spec["affinity"] = dict(affinity)
    if claim:
        spec["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]
    documents: list[dict[str, Any]] = [{
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS},
        "spec": {"replicas": replicas, "selector": {"matchLabels": dict(pod_labels)},
                 "template": {"metadata": {"labels": pod_labels}, "spec": spec}}}]
    if service:
        documents.append({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": service_name or name, "namespace": NS},
            "spec": {"selector": dict(selector) if selector is not None else {"app": name},
                     "ports": [{"port": service_port or number,
                                "targetPort": target_port if target_port is not None else number,
                                "protocol": service_protocol}]}})
    if claim and pvc is not None:
        documents.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                          "metadata": {"name": claim, "namespace": NS}, "spec": dict(pvc)})
    return yaml.safe_dump_all(documents, sort_keys=False)


# -- nodes and their daemons ------------------------------------------------------------------------------------
def node(name: str, *, role: str = "worker", status: str = "Ready", taints: Sequence[str] = (),
         labels: Mapping[str, str] | None = None, unschedulable: bool = False,
         conditions: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One node of `get_cluster_configuration()`. A cordoned (`unschedulable`) node carries the
    `node.kubernetes.io/unschedulable` taint; its `status` is as given (kubectl prints `Ready,SchedulingDisabled`)."""
    base = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
    if role == "control-plane":
        base["node-role.kubernetes.io/control-plane"] = ""
    raw: dict[str, Any] = {"name": name, "role": role, "status": status,
                           "conditions": dict(conditions or {"MemoryPressure": "False", "DiskPressure": "False",
                                                             "PIDPressure": "False"}),
                           "taints": list(taints) + (["node.kubernetes.io/unschedulable:NoSchedule"]
                                                     if unschedulable else []),
                           "labels": {**base, **(labels or {})},
                           "allocatable_resources": {"cpu": "4", "memory": "16Gi"}}
    if unschedulable:
        raw["unschedulable"] = True
    return raw


def unit_status(node_name: str, component: str, active: str = "active (running) since Mon 2026-01-05 09:00:00 UTC; "
                                                               "1 day ago") -> str:
    """`systemctl status <component>` on a node, as `check_node_service_status` returns it."""
    return (f"Service: {component}\nNode: {node_name}\n"
            f"Status: ● {component}.service - {component}\n"
            f"     Loaded: loaded (/etc/systemd/system/{component}.service; enabled; vendor preset: enabled)\n"
            f"     Active: {active}\n")


STOPPED = "inactive (dead) since Mon 2026-01-05 09:02:00 UTC; 2min ago"


# -- the reader -------------------------------------------------------------------------------------------------
@dataclass
class FakeCluster:
    """A `ClusterReader` over canned data. Structured parts (pods, events, nodes, Services) are rendered as kubectl
    prints them on each read; `tables` and `describes` hold text served as given. Missing data raises
    `NotFoundError`."""

    namespace: str = NS
    workloads: list[str] = field(default_factory=list)
    pods: dict[str, list[PodRow]] = field(default_factory=dict)
    """Namespace → its pods."""
    event_rows: list[EventRow] = field(default_factory=list)
    manifests: dict[str, str] = field(default_factory=dict)
    desired: dict[str, int] = field(default_factory=dict)
    """Workload → spec.replicas, for the `get deployments` table (READY counts the pods that are ready)."""
    services_table: dict[str, str] = field(default_factory=dict)
    """Service → its PORT(S) cell (`9090/TCP`); a Service not listed does not exist."""
    endpoints: dict[str, str] = field(default_factory=dict)
    """Service → its ENDPOINTS cell (`10.244.1.10:9090` or `<none>`)."""
    tables: dict[str, str] = field(default_factory=dict)
    """Resource type → `kubectl get` text served as given (claims, volumes, quotas, ServiceAccounts, ...)."""
    describes: dict[tuple[str, str], str] = field(default_factory=dict)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    units: dict[tuple[str, str], str] = field(default_factory=dict)
    alert_list: list[dict[str, Any]] = field(default_factory=list)
    error_logs: dict[str, dict[str, Any]] = field(default_factory=dict)
    container_logs: dict[str, str] = field(default_factory=dict)
    dependencies: dict[str, dict[str, Any]] = field(default_factory=dict)
    metric_data: dict[str, dict[str, Any]] = field(default_factory=dict)

    # -- editing helpers -----------------------------------------------------------------------------------------
    def set_pods(self, workload: str, *rows: PodRow) -> None:
        """Replace the pods of one workload."""
        self.pods[self.namespace] = [p for p in self.pods.get(self.namespace, [])
                                     if not p.name.startswith(workload + "-")] + list(rows)

    def set_node(self, name: str, **changes: Any) -> None:
        self.nodes = [node(name, **changes) if n["name"] == name else n for n in self.nodes]

    def describe_pod(self, row: PodRow, **kwargs: Any) -> None:
        """Serve `describe pod` for a pod row (its node and status taken from the row)."""
        self.describes[("pods", row.name)] = describe_pod(row.name, node=row.node, status=_phase(row.status),
                                                          **kwargs)

    # -- ClusterReader ---------------------------------------------------------------------------------------------
    def namespaces(self) -> list[str]:
        return sorted({self.namespace, *self.pods})

    def services(self, namespace: str) -> list[str]:
        self._check(namespace)
        return list(self.workloads)

    def get_resources(self, resource_type: str, name: str = "", namespace: str | None = None, *, wide: bool = False,
                      show_labels: bool = False, label_selector: str | None = None) -> str:
        ns = namespace or self.namespace
        if resource_type == "pods":
            if ns not in self.pods:
                raise NotFoundError(f'namespaces "{ns}" not found')
            return pods_table([p for p in self.pods[ns] if not name or p.name == name], wide=wide)
        if ns != self.namespace:
            raise NotFoundError(f'namespaces "{ns}" not found')
        if resource_type in self.tables:
            return self.tables[resource_type]
        if resource_type == "deployments":
            return table(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
                         ([w, f"{self._ready(w)}/{self.desired.get(w, 1)}", self.desired.get(w, 1), self._ready(w),
                           "10m"] for w in self.workloads))
        if resource_type == "services":
            return table(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
                         ([s, "ClusterIP", f"10.96.0.{10 + i}", "<none>", ports, "10m"]
                          for i, (s, ports) in enumerate(self.services_table.items())))
        if resource_type == "endpoints":
            return table(["NAME", "ENDPOINTS", "AGE"], ([s, e, "10m"] for s, e in self.endpoints.items()))
        raise NotFoundError(f"the fake cluster has no {resource_type} table; provided: "
                            f"{', '.join(sorted({*self.tables, 'pods', 'deployments', 'services', 'endpoints'}))}")

    def describe(self, resource_type: str, name: str, namespace: str | None = None) -> str:
        try:
            return self.describes[(resource_type, name)]
        except KeyError:
            raise NotFoundError(f'{resource_type} "{name}" not found') from None

    def logs(self, target: str, namespace: str, *, container: str | None = None, tail: int = 100,
             since_seconds: int | None = None, grep: str | None = None, previous: bool = False) -> str:
        self._check(namespace)
        if target not in self.container_logs:
            raise NotFoundError(f'pods "{target}" not found')
        return "\n".join(self.container_logs[target].splitlines()[-tail:])

    def error_log_summary(self, service: str, namespace: str) -> dict[str, Any]:
        self._check(namespace)
        if service not in self.error_logs:
            raise NotFoundError(f'deployments.apps "{service}" not found')
        return copy.deepcopy(self.error_logs[service])

    def events(self, namespace: str | None = None, *, object_name: str | None = None,
               warnings_only: bool = False) -> str:
        self._check(namespace or self.namespace)
        return events_table([e for e in self.event_rows if (not object_name or e.object.endswith("/" + object_name))
                             and (not warnings_only or e.type == "Warning")])

    def metrics(self, target: str, namespace: str, *, window_seconds: int = 300) -> dict[str, Any]:
        if target not in self.metric_data:
            raise NotFoundError(f"no metrics for {target}")
        return copy.deepcopy(self.metric_data[target])

    def traces(self, namespace: str, *, service: str | None = None, operation: str | None = None,
               errors_only: bool = False, limit: int = 20) -> dict[str, Any]:
        raise NotFoundError("the fake cluster records no traces")

    def service_dependencies(self, service: str, namespace: str) -> dict[str, Any]:
        self._check(namespace)
        if service not in self.dependencies:
            raise NotFoundError(f'services "{service}" not found')
        return copy.deepcopy(self.dependencies[service])

    def check_connectivity(self, service: str, port: int, namespace: str) -> str:
        self._check(namespace)
        if service not in self.services_table:
            raise NotFoundError(f'services "{service}" not found')
        return f"Connection to {service}:{port} succeeded"

    def alerts(self) -> dict[str, Any]:
        if not self.alert_list:
            return {}
        return {"status": "has_anomalies", "alert_count": len(self.alert_list),
                "alerts": copy.deepcopy(self.alert_list)}

    def app_manifest(self, service: str, namespace: str) -> str:
        self._check(namespace)
        if service not in self.manifests:
            raise NotFoundError(f'deployments.apps "{service}" not found')
        return self.manifests[service]

    def cluster_configuration(self) -> dict[str, Any]:
        if not self.nodes:
            raise NotFoundError("no nodes")
        return {"node_count": len(self.nodes), "nodes": copy.deepcopy(self.nodes)}

    def node_service_status(self, node: str, component: str) -> str:
        if (node, component) not in self.units:
            raise NotFoundError(f'nodes "{node}" has no unit {component}')
        return self.units[(node, component)]

    # -- internals ---------------------------------------------------------------------------------------------
    def _check(self, namespace: str) -> None:
        if namespace != self.namespace:
            raise NotFoundError(f'namespaces "{namespace}" not found')

    def _ready(self, workload: str) -> int:
        return sum(1 for p in self.pods.get(self.namespace, []) if p.name.startswith(workload + "-")
                   and p.status == "Running" and p.ready.split("/")[0] == p.ready.split("/")[1])


def _phase(status: str) -> str:
    return "Pending" if status in ("Pending", "ContainerCreating", "ErrImagePull", "ImagePullBackOff",
                                   "CreateContainerConfigError") else "Running"


def shop(*, workloads: Sequence[str] = ("web", "api", "cache")) -> FakeCluster:
    """A healthy app: one ready pod per workload spread over the workers, Services with endpoints, every node Ready
    and every daemon running, no alerts, no warnings. `web` calls `api` (`API_ADDR`), `api` calls `cache`."""
    env = {"web": {"API_ADDR": "api:9090"}, "api": {"CACHE_ADDR": "cache:6379"}}
    cluster = FakeCluster(workloads=list(workloads))
    rows = [pod(w, node=WORKERS[i % len(WORKERS)]) for i, w in enumerate(workloads)]
    cluster.pods[NS] = rows
    for row, w in zip(rows, workloads, strict=True):
        cluster.manifests[w] = manifest(w, env=env.get(w))
        cluster.services_table[w] = f"{PORTS.get(w, 8080)}/TCP"
        cluster.endpoints[w] = f"{row.ip}:{PORTS.get(w, 8080)}"
        cluster.describe_pod(row, containers=[Container(ports=(f"{PORTS.get(w, 8080)}/TCP",),
                                                        env=env.get(w, {}))])
        cluster.event_rows += [event("Scheduled", f"pod/{row.name}", f"Successfully assigned {NS}/{row.name} to "
                                 f"{row.node}", type="Normal", last_seen="10m"),
                           event("Started", f"pod/{row.name}", "Started container app", type="Normal",
                                 last_seen="10m")]
        cluster.error_logs[w] = {"total_log_count": 120, "total_errors": 0, "total_error_ratio": 0.0, "patterns": []}
        cluster.container_logs[w] = "listening\nready"
    calls = {"web": ["api"], "api": ["cache"]}
    for w in workloads:
        callers = [c for c, callees in calls.items() if w in callees and c in workloads]
        cluster.dependencies[w] = {"service": w, "upstream": callers,
                                   "downstream": [{"name": c, "type": "service"} for c in calls.get(w, [])
                                                  if c in workloads]}
        cluster.metric_data[w] = {"target": w, "metrics": {"cpu_millicores": {"mean": 40.0, "max": 55.0}}}
    cluster.tables["serviceaccounts"] = table(["NAME", "SECRETS", "AGE"],
                                              ([a, 0, "10m"] for a in ["default", *workloads]))
    cluster.tables["persistentvolumeclaims"] = f"No resources found in {NS} namespace.\n"
    cluster.tables["resourcequota"] = f"No resources found in {NS} namespace.\n"
    cluster.tables["statefulsets"] = f"No resources found in {NS} namespace.\n"
    cluster.nodes = [node(CONTROL_PLANE, role="control-plane",
                          taints=["node-role.kubernetes.io/control-plane:NoSchedule"]),
                     *(node(w) for w in WORKERS)]
    for n in [CONTROL_PLANE, *WORKERS]:
        for component in ("kubelet", "containerd", "kube-proxy"):
            cluster.units[(n, component)] = unit_status(n, component)
    cluster.units[(CONTROL_PLANE, "kube-scheduler")] = unit_status(CONTROL_PLANE, "kube-scheduler")
    return cluster


# -- kube-scheduler ---------------------------------------------------------------------------------------------
CONTROL_PLANE_TAINT = "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
_RESOLVABLE = ("Insufficient ", "Too many pods", "node(s) didn't match pod anti-affinity rules",
               "node(s) didn't satisfy existing pods anti-affinity rules", "node(s) didn't have free ports")
"""Filter reasons that preemption could resolve (Unschedulable, not UnschedulableAndUnresolvable)."""


def histogram(entries: Mapping[str, int]) -> str:
    """`<count> <reason>` entries sorted as strings (`sort.Strings`), joined with `, `, ending with `.`."""
    return ", ".join(sorted(f"{count} {reason}" for reason, count in entries.items() if count)) + "."


def fit_error(reasons: Mapping[str, int], nodes: int = 4) -> str:
    """kube-scheduler's `FailedScheduling` message: the filter histogram, then the preemption verdict per node."""
    resolvable = sum(c for r, c in reasons.items() if r.startswith(_RESOLVABLE))
    victims = {"No preemption victims found for incoming pod": resolvable,
               "Preemption is not helpful for scheduling": nodes - resolvable}
    return (f"0/{nodes} nodes are available: {histogram(reasons)} preemption: 0/{nodes} nodes are available: "
            f"{histogram(victims)}")


def prefilter_error(message: str, nodes: int = 4) -> str:
    """A PreFilter rejection: no per-node counts, and preemption cannot help on any node."""
    return (f"0/{nodes} nodes are available: {message}. preemption: 0/{nodes} nodes are available: "
            f"{nodes} Preemption is not helpful for scheduling.")


def pending(cluster: FakeCluster, workload: str, message: str | None, *, suffix: str = "p4n7c") -> PodRow:
    """Replace `workload`'s pod by a new one that is Pending with no node; `message` is the scheduler's
    `FailedScheduling` (None: the scheduler never looked at the pod, so there is no event and no PodScheduled
    condition). The old pod's events stay, as they do until they expire."""
    row = pod(workload, "Pending", suffix=suffix)
    cluster.set_pods(workload, row)
    cluster.endpoints[workload] = "<none>"
    cluster.event_rows.append(event("SuccessfulCreate", f"replicaset/{workload}-{HASH}", f"Created pod: {row.name}",
                                    type="Normal", last_seen="2m"))
    if message is not None:
        cluster.event_rows.append(event("FailedScheduling", f"pod/{row.name}", message))
    cluster.describe_pod(row, containers=[Container(ports=(f"{PORTS.get(workload, 8080)}/TCP",), state="Waiting",
                                                    ready=False)],
                         conditions={"PodScheduled": "False"} if message is not None else {},
                         events=[pod_event("FailedScheduling", message, source="default-scheduler")]
                         if message is not None else [])
    return row


def latency_alert(service: str) -> dict[str, Any]:
    """A firing latency alert on a service, in the alert tool's evidence wording."""
    return {"type": "Service", "name": service, "status": "ABNORMAL", "evidence": [
        f"LATENCY_DEGRADATION [Slow Response] | {service}-p95latency: Normal=12.10ms -> Current=480.00ms (+3866.9%)"]}


def ranked(report: Any) -> list[tuple[str, str]]:
    """The ranked (cause, object) pairs of a triage report."""
    return [(h.cause, h.object) for h in report.hypotheses]


def scored(report: Any) -> list[tuple[str, str, float]]:
    return [(h.cause, h.object, h.score) for h in report.hypotheses]

