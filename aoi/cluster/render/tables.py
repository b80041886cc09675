"""``kubectl get`` tables, column for column as the v1.31 API server's table printers produce them.

Every row function is a port of the matching ``print<Kind>`` in ``pkg/printers/internalversion/printers.go``
(server-side printing: the API server builds the cells, kubectl aligns them with a tabwriter). Rows come out
in the API server's list order (namespace, then name), which for events means grouped by involved object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aoi.cluster.render._k8s import (
    access_modes,
    dig,
    format_label_selector,
    format_labels,
    is_restartable_init,
    labels_of,
    meta,
    name_of,
    namespace_of,
    node_roles,
    pv_class,
    pvc_class,
    selector_string,
    sort_key,
)
from aoi.cluster.render._quantity import quantity_str
from aoi.cluster.render._tabwriter import TABLE_MINWIDTH, TABLE_PADDING, tabwrite
from aoi.cluster.render.durations import UNKNOWN, aware, human_duration, parse_timestamp, since
from aoi.cluster.render.source import ObjectSource

Obj = Mapping[str, Any]

_ALIASES: dict[str, str] = {
    "po": "pods",
    "pod": "pods",
    "svc": "services",
    "service": "services",
    "deploy": "deployments",
    "deployment": "deployments",
    "sts": "statefulsets",
    "statefulset": "statefulsets",
    "ds": "daemonsets",
    "daemonset": "daemonsets",
    "cm": "configmaps",
    "configmap": "configmaps",
    "pvc": "persistentvolumeclaims",
    "persistentvolumeclaim": "persistentvolumeclaims",
    "rs": "replicasets",
    "replicaset": "replicasets",
    "ing": "ingresses",
    "ingress": "ingresses",
    "netpol": "networkpolicies",
    "networkpolicy": "networkpolicies",
    "sa": "serviceaccounts",
    "serviceaccount": "serviceaccounts",
    "ep": "endpoints",
    "endpoint": "endpoints",
    "pv": "persistentvolumes",
    "persistentvolume": "persistentvolumes",
    "ns": "namespaces",
    "namespace": "namespaces",
    "no": "nodes",
    "node": "nodes",
    "sc": "storageclasses",
    "storageclass": "storageclasses",
    "ev": "events",
    "event": "events",
    "quota": "resourcequotas",
    "resourcequota": "resourcequotas",
    "secret": "secrets",
    "job": "jobs",
    "rolebinding": "rolebindings",
}

_KINDS: dict[str, tuple[str, bool]] = {
    "pods": ("Pod", True),
    "deployments": ("Deployment", True),
    "replicasets": ("ReplicaSet", True),
    "statefulsets": ("StatefulSet", True),
    "daemonsets": ("DaemonSet", True),
    "services": ("Service", True),
    "endpoints": ("Endpoints", True),
    "nodes": ("Node", False),
    "events": ("Event", True),
    "configmaps": ("ConfigMap", True),
    "secrets": ("Secret", True),
    "persistentvolumeclaims": ("PersistentVolumeClaim", True),
    "persistentvolumes": ("PersistentVolume", False),
    "namespaces": ("Namespace", False),
    "serviceaccounts": ("ServiceAccount", True),
    "resourcequotas": ("ResourceQuota", True),
    "storageclasses": ("StorageClass", False),
    "jobs": ("Job", True),
    "ingresses": ("Ingress", True),
    "networkpolicies": ("NetworkPolicy", True),
    "rolebindings": ("RoleBinding", True),
}


def canonical_resource(resource_type: str) -> str:
    """Map a plural, singular, Kind or kubectl short name (``po``, ``svc``...) to the plural resource name.

    Raises ``ValueError`` for resource types this package does not know.
    """
    key = resource_type.strip().lower()
    key = key.split(".", 1)[0] if key not in _KINDS else key
    if key in _KINDS:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    raise ValueError(f'the server doesn\'t have a resource type "{resource_type}"')


def resource_kind(resource_type: str) -> str:
    """The Kubernetes Kind (``Pod``, ``Endpoints``...) of a resource type or alias."""
    return _KINDS[canonical_resource(resource_type)][0]


def is_namespaced(resource_type: str) -> bool:
    return _KINDS[canonical_resource(resource_type)][1]


@dataclass(frozen=True)
class _Ctx:
    now: datetime
    wide: bool


def _age(obj: Obj, ctx: _Ctx) -> str:
    return since(meta(obj).get("creationTimestamp"), ctx.now)


# --------------------------------------------------------------------------------------------------- pods


def _pod_row(pod: Obj, ctx: _Ctx) -> list[str]:
    reason, ready, total, restarts, last_restart = _pod_status_summary(pod)
    restarts_str = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_str = f"{restarts} ({human_duration(aware(ctx.now) - last_restart)} ago)"
    return [name_of(pod), f"{ready}/{total}", reason, restarts_str, _age(pod, ctx), *_pod_wide_cells(pod)]


def pod_status_reason(pod: Obj) -> str:
    """The STATUS column of ``kubectl get pods`` (``Running``, ``CrashLoopBackOff``, ``Init:0/1``...)."""
    return _pod_status_summary(pod)[0]


def _later(current: datetime | None, terminated: Obj | None) -> datetime | None:
    finished = parse_timestamp(dig(terminated, "finishedAt")) if terminated else None
    if finished is not None and (current is None or current < finished):
        return finished
    return current


def _pod_status_summary(pod: Obj) -> tuple[str, int, int, int, datetime | None]:
    """Port of ``printPod``: (status reason, ready containers, total containers, restarts, last restart)."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    phase = str(status.get("phase") or "")
    reason = str(status.get("reason") or phase)
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    total = len(spec.get("containers") or []) + sum(1 for c in init_specs.values() if is_restartable_init(c))
    ready = restarts = sidecar_restarts = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None
    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        restarts += int(cs.get("restartCount") or 0)
        last_term = dig(cs, "lastState", "terminated")
        last_restart = _later(last_restart, last_term)
        sidecar = is_restartable_init(init_specs.get(cs.get("name")) or {})
        if sidecar:
            sidecar_restarts += int(cs.get("restartCount") or 0)
            last_sidecar_restart = _later(last_sidecar_restart, last_term)
        terminated, waiting = dig(cs, "state", "terminated"), dig(cs, "state", "waiting")
        if terminated is not None and int(terminated.get("exitCode") or 0) == 0:
            continue
        if sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        initializing = True
        if terminated is not None:
            reason = _terminated_reason(terminated, "Init:")
        elif waiting is not None and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + str(waiting["reason"])
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        break
    if not initializing or _has_true_condition(pod, "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount") or 0)
            last_restart = _later(last_restart, dig(cs, "lastState", "terminated"))
            terminated, waiting = dig(cs, "state", "terminated"), dig(cs, "state", "waiting")
            if waiting is not None and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif terminated is not None:
                reason = _terminated_reason(terminated, "")
            elif cs.get("ready") and dig(cs, "state", "running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _has_true_condition(pod, "Ready") else "NotReady"
    if meta(pod).get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta(pod).get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason, ready, total, restarts, last_restart


def _has_true_condition(pod: Obj, kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True" for c in dig(pod, "status", "conditions", default=[])
    )


def _terminated_reason(terminated: Obj, prefix: str) -> str:
    if terminated.get("reason"):
        return prefix + str(terminated["reason"])
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{int(terminated.get('exitCode') or 0)}"


def _pod_wide_cells(pod: Obj) -> list[str]:
    status = pod.get("status") or {}
    ips = status.get("podIPs") or []
    pod_ip = (ips[0].get("ip") if ips else status.get("podIP")) or "<none>"
    node = dig(pod, "spec", "nodeName") or "<none>"
    nominated = status.get("nominatedNodeName") or "<none>"
    gates = dig(pod, "spec", "readinessGates", default=[])
    readiness = "<none>"
    if gates:
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        true_count = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
        readiness = f"{true_count}/{len(gates)}"
    return [pod_ip, node, nominated, readiness]


# ------------------------------------------------------------------------------------------- workloads


def _containers_cells(template_spec: Obj | None) -> list[str]:
    containers = (template_spec or {}).get("containers") or []
    return [",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)]


def _replicas(obj: Obj) -> int:
    value = dig(obj, "spec", "replicas")
    return 1 if value is None else int(value)


def _status_int(obj: Obj, field: str) -> int:
    return int(dig(obj, "status", field, default=0))


def _deployment_row(d: Obj, ctx: _Ctx) -> list[str]:
    cells = [
        name_of(d),
        f"{_status_int(d, 'readyReplicas')}/{_replicas(d)}",
        str(_status_int(d, "updatedReplicas")),
        str(_status_int(d, "availableReplicas")),
        _age(d, ctx),
    ]
    return cells + _containers_cells(dig(d, "spec", "template", "spec")) + [selector_string(dig(d, "spec", "selector"))]


def _replicaset_row(rs: Obj, ctx: _Ctx) -> list[str]:
    cells = [
        name_of(rs),
        str(_replicas(rs)),
        str(_status_int(rs, "replicas")),
        str(_status_int(rs, "readyReplicas")),
        _age(rs, ctx),
    ]
    return (
        cells
        + _containers_cells(dig(rs, "spec", "template", "spec"))
        + [format_label_selector(dig(rs, "spec", "selector"))]
    )


def _statefulset_row(sts: Obj, ctx: _Ctx) -> list[str]:
    cells = [name_of(sts), f"{_status_int(sts, 'readyReplicas')}/{_replicas(sts)}", _age(sts, ctx)]
    return cells + _containers_cells(dig(sts, "spec", "template", "spec"))


def _daemonset_row(ds: Obj, ctx: _Ctx) -> list[str]:
    cells = [
        name_of(ds),
        str(_status_int(ds, "desiredNumberScheduled")),
        str(_status_int(ds, "currentNumberScheduled")),
        str(_status_int(ds, "numberReady")),
        str(_status_int(ds, "updatedNumberScheduled")),
        str(_status_int(ds, "numberAvailable")),
        format_labels(dig(ds, "spec", "template", "spec", "nodeSelector")),
        _age(ds, ctx),
    ]
    return (
        cells
        + _containers_cells(dig(ds, "spec", "template", "spec"))
        + [format_label_selector(dig(ds, "spec", "selector"))]
    )


def _job_row(job: Obj, ctx: _Ctx) -> list[str]:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    succeeded = int(status.get("succeeded") or 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif int(spec.get("parallelism") or 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    start, end = parse_timestamp(status.get("startTime")), parse_timestamp(status.get("completionTime"))
    duration = ""
    if start is not None:
        duration = human_duration((end or aware(ctx.now)) - start)
    conditions = {c.get("type"): c.get("status") == "True" for c in status.get("conditions") or []}
    if conditions.get("Complete"):
        state = "Complete"
    elif conditions.get("Failed"):
        state = "Failed"
    elif meta(job).get("deletionTimestamp"):
        state = "Terminating"
    elif conditions.get("Suspended"):
        state = "Suspended"
    elif conditions.get("FailureTarget"):
        state = "FailureTarget"
    else:
        state = "Running"
    cells = [name_of(job), state, completions, duration, _age(job, ctx)]
    return (
        cells + _containers_cells(dig(job, "spec", "template", "spec")) + [format_label_selector(spec.get("selector"))]
    )


# -------------------------------------------------------------------------------------------- network


def _service_external_ip(svc: Obj, wide: bool) -> str:
    spec = svc.get("spec") or {}
    external = spec.get("externalIPs") or []
    svc_type = spec.get("type") or "ClusterIP"
    if svc_type in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if svc_type == "LoadBalancer":
        lb = _load_balancer_ips(dig(svc, "status", "loadBalancer", "ingress", default=[]), wide)
        if external:
            return ",".join(([*lb.split(",")] if lb else []) + list(external))
        return lb or "<pending>"
    if svc_type == "ExternalName":
        return str(spec.get("externalName") or "")
    return UNKNOWN


def _load_balancer_ips(ingress: Sequence[Obj], wide: bool) -> str:
    result = sorted({str(i.get("ip") or i.get("hostname")) for i in ingress if i.get("ip") or i.get("hostname")})
    text = ",".join(result)
    if not wide and len(text) > 16:
        text = text[:13] + "..."
    return text


def _service_ports(svc: Obj) -> str:
    pieces = []
    for p in dig(svc, "spec", "ports", default=[]):
        protocol = p.get("protocol") or "TCP"
        if p.get("nodePort"):
            pieces.append(f"{p.get('port')}:{p['nodePort']}/{protocol}")
        else:
            pieces.append(f"{p.get('port')}/{protocol}")
    return ",".join(pieces) or "<none>"


def _service_row(svc: Obj, ctx: _Ctx) -> list[str]:
    spec = svc.get("spec") or {}
    cluster_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return [
        name_of(svc),
        str(spec.get("type") or "ClusterIP"),
        cluster_ips[0] if cluster_ips else "<none>",
        _service_external_ip(svc, ctx.wide),
        _service_ports(svc),
        _age(svc, ctx),
        format_labels(spec.get("selector")),
    ]


def join_host_port(host: str, port: object) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def format_endpoints(endpoints: Obj, ports: set[str] | None = None) -> str:
    """``formatEndpoints``: up to three ready ``ip:port`` pairs, then ``+ N more...``; ``<none>`` with no subsets."""
    subsets = endpoints.get("subsets") or []
    if not subsets:
        return "<none>"
    shown: list[str] = []
    more, count, limit = False, 0, 3
    for subset in subsets:
        addresses = subset.get("addresses") or []
        subset_ports = subset.get("ports") or []
        targets = [p for p in subset_ports if ports is None or p.get("name", "") in ports]
        if not subset_ports:
            targets = [None]
        for port in targets:
            count += len(addresses)
            for addr in addresses:
                if len(shown) == limit:
                    more = True
                    break
                ip = str(addr.get("ip", ""))
                shown.append(ip if port is None else join_host_port(ip, port.get("port")))
    text = ",".join(shown)
    return f"{text} + {count - limit} more..." if more else text


def _endpoints_row(ep: Obj, ctx: _Ctx) -> list[str]:
    return [name_of(ep), format_endpoints(ep), _age(ep, ctx)]


def _ingress_row(ing: Obj, ctx: _Ctx) -> list[str]:
    spec = ing.get("spec") or {}
    rules = spec.get("rules") or []
    hosts: list[str] = []
    more = False
    for rule in rules:
        more = more or len(hosts) == 3
        if not more and rule.get("host"):
            hosts.append(str(rule["host"]))
    hosts_text = ",".join(hosts) or "*"
    if hosts and more:
        hosts_text = f"{hosts_text} + {len(rules) - 3} more..."
    address = _load_balancer_ips(dig(ing, "status", "loadBalancer", "ingress", default=[]), ctx.wide)
    ports = "80, 443" if spec.get("tls") else "80"
    return [name_of(ing), str(spec.get("ingressClassName") or "<none>"), hosts_text, address, ports, _age(ing, ctx)]


def _networkpolicy_row(np: Obj, ctx: _Ctx) -> list[str]:
    return [name_of(np), format_label_selector(dig(np, "spec", "podSelector", default={})), _age(np, ctx)]


# ------------------------------------------------------------------------------------------- cluster


def node_status(node: Obj) -> str:
    """The STATUS column of ``kubectl get nodes`` (``Ready``, ``NotReady``, ``Ready,SchedulingDisabled``)."""
    parts = []
    for cond in dig(node, "status", "conditions", default=[]):
        if cond.get("type") == "Ready":
            parts = ["Ready" if cond.get("status") == "True" else "NotReady"]
    parts = parts or ["Unknown"]
    if dig(node, "spec", "unschedulable"):
        parts.append("SchedulingDisabled")
    return ",".join(parts)


def _node_address(node: Obj, kind: str) -> str:
    for addr in dig(node, "status", "addresses", default=[]):
        if addr.get("type") == kind:
            return str(addr.get("address", ""))
    return "<none>"


def _node_row(node: Obj, ctx: _Ctx) -> list[str]:
    info = dig(node, "status", "nodeInfo", default={})
    return [
        name_of(node),
        node_status(node),
        ",".join(node_roles(node)) or "<none>",
        _age(node, ctx),
        str(info.get("kubeletVersion", "")),
        _node_address(node, "InternalIP"),
        _node_address(node, "ExternalIP"),
        str(info.get("osImage") or UNKNOWN),
        str(info.get("kernelVersion") or UNKNOWN),
        str(info.get("containerRuntimeVersion") or UNKNOWN),
    ]


def _namespace_row(ns: Obj, ctx: _Ctx) -> list[str]:
    return [name_of(ns), str(dig(ns, "status", "phase", default="")), _age(ns, ctx)]


def event_object(event: Obj) -> str:
    """``kind/name`` of an event's involved object, lower-cased kind (``pod/adservice-...``)."""
    kind = str(dig(event, "involvedObject", "kind", default="")).lower()
    name = dig(event, "involvedObject", "name", default="")
    return f"{kind}/{name}" if name else kind


def _event_source(event: Obj) -> str:
    component = dig(event, "source", "component") or event.get("reportingController") or ""
    host = dig(event, "source", "host") or event.get("reportingInstance") or ""
    return f"{component}, {host}" if host else str(component)


def _event_row(event: Obj, ctx: _Ctx) -> list[str]:
    first = since(event.get("firstTimestamp"), ctx.now)
    if not event.get("firstTimestamp"):
        first = since(event.get("eventTime"), ctx.now)
    last = since(event.get("lastTimestamp"), ctx.now) if event.get("lastTimestamp") else first
    count = int(event.get("count") or 0) or 1
    series = event.get("series")
    if series:
        last = since(series.get("lastObservedTime"), ctx.now)
        count = int(series.get("count") or 0)
    message = str(event.get("message") or "").strip()
    return [
        last,
        str(event.get("type") or ""),
        str(event.get("reason") or ""),
        event_object(event),
        str(dig(event, "involvedObject", "fieldPath", default="")),
        _event_source(event),
        message,
        first,
        str(count),
        name_of(event),
    ]


# ------------------------------------------------------------------------------------------ config, storage


def _configmap_row(cm: Obj, ctx: _Ctx) -> list[str]:
    return [name_of(cm), str(len(cm.get("data") or {}) + len(cm.get("binaryData") or {})), _age(cm, ctx)]


def _secret_row(secret: Obj, ctx: _Ctx) -> list[str]:
    return [name_of(secret), str(secret.get("type") or "Opaque"), str(len(secret.get("data") or {})), _age(secret, ctx)]


def _serviceaccount_row(sa: Obj, ctx: _Ctx) -> list[str]:
    return [name_of(sa), str(len(sa.get("secrets") or [])), _age(sa, ctx)]


def _pvc_row(pvc: Obj, ctx: _Ctx) -> list[str]:
    spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
    phase = "Terminating" if meta(pvc).get("deletionTimestamp") else str(status.get("phase") or "")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(status.get("accessModes"))
        capacity = quantity_str(dig(status, "capacity", "storage", default=0))
    return [
        name_of(pvc),
        phase,
        str(spec.get("volumeName") or ""),
        capacity,
        modes,
        pvc_class(pvc),
        str(spec.get("volumeAttributesClassName") or "<unset>"),
        _age(pvc, ctx),
        str(spec.get("volumeMode") or "<unset>"),
    ]


def _pv_row(pv: Obj, ctx: _Ctx) -> list[str]:
    spec, status = pv.get("spec") or {}, pv.get("status") or {}
    claim = spec.get("claimRef")
    phase = "Terminating" if meta(pv).get("deletionTimestamp") else str(status.get("phase") or "")
    return [
        name_of(pv),
        quantity_str(dig(spec, "capacity", "storage", default=0)),
        access_modes(spec.get("accessModes")),
        str(spec.get("persistentVolumeReclaimPolicy") or ""),
        phase,
        f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else "",
        pv_class(pv),
        str(spec.get("volumeAttributesClassName") or "<unset>"),
        str(status.get("reason") or ""),
        _age(pv, ctx),
        str(spec.get("volumeMode") or "<unset>"),
    ]


def _storageclass_row(sc: Obj, ctx: _Ctx) -> list[str]:
    name = name_of(sc)
    if is_default_class(sc):
        name += " (default)"
    return [
        name,
        str(sc.get("provisioner") or ""),
        str(sc.get("reclaimPolicy") or "Delete"),
        str(sc.get("volumeBindingMode") or "Immediate"),
        "true" if sc.get("allowVolumeExpansion") else "false",
        _age(sc, ctx),
    ]


def is_default_class(sc: Obj) -> bool:
    annotations = meta(sc).get("annotations") or {}
    return "true" in (
        annotations.get("storageclass.kubernetes.io/is-default-class"),
        annotations.get("storageclass.beta.kubernetes.io/is-default-class"),
    )


def _resourcequota_row(rq: Obj, ctx: _Ctx) -> list[str]:
    hard = dig(rq, "status", "hard", default={})
    used = dig(rq, "status", "used", default={})
    requests, limits = [], []
    for resource in sorted(hard):
        text = f"{resource}: {quantity_str(used.get(resource, 0))}/{quantity_str(hard[resource])}"
        pieces = resource.split(".")
        (limits if len(pieces) > 1 and pieces[0] == "limits" else requests).append(text)
    return [name_of(rq), _age(rq, ctx), ", ".join(requests), ", ".join(limits)]


def _rolebinding_row(rb: Obj, ctx: _Ctx) -> list[str]:
    users, groups, sas = [], [], []
    for s in rb.get("subjects") or []:
        if s.get("kind") == "User":
            users.append(s.get("name", ""))
        elif s.get("kind") == "Group":
            groups.append(s.get("name", ""))
        elif s.get("kind") == "ServiceAccount":
            sas.append(f"{s['namespace']}/{s.get('name', '')}" if s.get("namespace") else s.get("name", ""))
    role = f"{dig(rb, 'roleRef', 'kind', default='')}/{dig(rb, 'roleRef', 'name', default='')}"
    return [name_of(rb), role, _age(rb, ctx), ", ".join(users), ", ".join(groups), ", ".join(sas)]


# ------------------------------------------------------------------------------------------- registry

_W = "wide"


@dataclass(frozen=True)
class _Printer:
    columns: tuple[tuple[str, bool], ...]  # (header, shown only with -o wide)
    row: Callable[[Obj, _Ctx], list[str]]


def _cols(*names: str) -> tuple[tuple[str, bool], ...]:
    return tuple((n.removeprefix(_W + ":"), n.startswith(_W + ":")) for n in names)


_PRINTERS: dict[str, _Printer] = {
    "pods": _Printer(
        _cols(
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "wide:IP",
            "wide:Node",
            "wide:Nominated Node",
            "wide:Readiness Gates",
        ),
        _pod_row,
    ),
    "deployments": _Printer(
        _cols("Name", "Ready", "Up-to-date", "Available", "Age", "wide:Containers", "wide:Images", "wide:Selector"),
        _deployment_row,
    ),
    "replicasets": _Printer(
        _cols("Name", "Desired", "Current", "Ready", "Age", "wide:Containers", "wide:Images", "wide:Selector"),
        _replicaset_row,
    ),
    "statefulsets": _Printer(_cols("Name", "Ready", "Age", "wide:Containers", "wide:Images"), _statefulset_row),
    "daemonsets": _Printer(
        _cols(
            "Name",
            "Desired",
            "Current",
            "Ready",
            "Up-to-date",
            "Available",
            "Node Selector",
            "Age",
            "wide:Containers",
            "wide:Images",
            "wide:Selector",
        ),
        _daemonset_row,
    ),
    "services": _Printer(
        _cols("Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "wide:Selector"), _service_row
    ),
    "endpoints": _Printer(_cols("Name", "Endpoints", "Age"), _endpoints_row),
    "nodes": _Printer(
        _cols(
            "Name",
            "Status",
            "Roles",
            "Age",
            "Version",
            "wide:Internal-IP",
            "wide:External-IP",
            "wide:OS-Image",
            "wide:Kernel-Version",
            "wide:Container-Runtime",
        ),
        _node_row,
    ),
    "events": _Printer(
        _cols(
            "Last Seen",
            "Type",
            "Reason",
            "Object",
            "wide:Subobject",
            "wide:Source",
            "Message",
            "wide:First Seen",
            "wide:Count",
            "wide:Name",
        ),
        _event_row,
    ),
    "configmaps": _Printer(_cols("Name", "Data", "Age"), _configmap_row),
    "secrets": _Printer(_cols("Name", "Type", "Data", "Age"), _secret_row),
    "persistentvolumeclaims": _Printer(
        _cols(
            "Name",
            "Status",
            "Volume",
            "Capacity",
            "Access Modes",
            "StorageClass",
            "VolumeAttributesClass",
            "Age",
            "wide:VolumeMode",
        ),
        _pvc_row,
    ),
    "persistentvolumes": _Printer(
        _cols(
            "Name",
            "Capacity",
            "Access Modes",
            "Reclaim Policy",
            "Status",
            "Claim",
            "StorageClass",
            "VolumeAttributesClass",
            "Reason",
            "Age",
            "wide:VolumeMode",
        ),
        _pv_row,
    ),
    "namespaces": _Printer(_cols("Name", "Status", "Age"), _namespace_row),
    "serviceaccounts": _Printer(_cols("Name", "Secrets", "Age"), _serviceaccount_row),
    "resourcequotas": _Printer(_cols("Name", "Age", "Request", "Limit"), _resourcequota_row),
    "storageclasses": _Printer(
        _cols("Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age"),
        _storageclass_row,
    ),
    "jobs": _Printer(
        _cols("Name", "Status", "Completions", "Duration", "Age", "wide:Containers", "wide:Images", "wide:Selector"),
        _job_row,
    ),
    "ingresses": _Printer(_cols("Name", "Class", "Hosts", "Address", "Ports", "Age"), _ingress_row),
    "networkpolicies": _Printer(_cols("Name", "Pod-Selector", "Age"), _networkpolicy_row),
    "rolebindings": _Printer(
        _cols("Name", "Role", "Age", "wide:Users", "wide:Groups", "wide:ServiceAccounts"), _rolebinding_row
    ),
}


def table_headers(
    resource_type: str, *, wide: bool = False, show_labels: bool = False, all_namespaces: bool = False
) -> list[str]:
    """The header cells ``kubectl get <resource_type>`` prints for these flags."""
    plural = canonical_resource(resource_type)
    headers = [name.upper() for name, is_wide in _PRINTERS[plural].columns if wide or not is_wide]
    if all_namespaces and _KINDS[plural][1]:
        headers.insert(0, "NAMESPACE")
    if show_labels:
        headers.append("LABELS")
    return headers


def table_columns(resource_type: str) -> list[tuple[str, bool]]:
    """The API server's Table columns of a resource type: ``(name, shown only with -o wide)``, in order."""
    return list(_PRINTERS[canonical_resource(resource_type)].columns)


def table_cells(resource_type: str, obj: Obj, *, now: datetime) -> list[str]:
    """The API server's Table cells of one object, one per ``table_columns`` entry (wide ones included).

    The server always prints with the wide options on; kubectl hides the wide columns itself.
    """
    return _PRINTERS[canonical_resource(resource_type)].row(obj, _Ctx(now=now, wide=True))


def _clean_cell(value: str) -> str:
    """kubectl cuts a cell at its first line break and marks it with ``...``; tabs would split the cell."""
    for i, ch in enumerate(value):
        if ch in "\n\r\f":
            return value[:i].replace("\t", " ") + "..."
    return value.replace("\t", " ")


def _sort_value(obj: Obj, path: str) -> tuple[int, Any]:
    cur: Any = obj
    for part in path.strip("{}").lstrip(".").replace("]", "").split("."):
        name, _, index = part.partition("[")
        cur = dig(cur, name) if name else cur
        if index:
            cur = dig(cur, int(index))
    if cur is None:
        return (0, "")
    if isinstance(cur, bool | int | float):
        return (1, float(cur))
    return (2, str(cur))


def render_table(
    resource_type: str,
    objects: Sequence[Obj],
    *,
    now: datetime,
    source: ObjectSource | None,
    wide: bool = False,
    show_labels: bool = False,
    all_namespaces: bool = False,
    namespace: str | None = None,
    sort_by: str | None = None,
) -> str:
    """Render ``kubectl get <resource_type>`` output for ``objects``.

    ``namespace`` only feeds the ``No resources found in <ns> namespace.`` message of an empty list
    (kubectl's default namespace is ``default``). ``sort_by`` mimics ``--sort-by`` with a JSONPath such as
    ``.lastTimestamp``; without it rows follow the API server's order (namespace, then name). ``source`` is
    accepted for symmetry with ``render_describe``; no table column needs related objects.
    """
    del source
    plural = canonical_resource(resource_type)
    namespaced = _KINDS[plural][1]
    if not objects:
        if namespaced and not all_namespaces:
            return f"No resources found in {namespace or 'default'} namespace.\n"
        return "No resources found\n"
    printer = _PRINTERS[plural]
    ctx = _Ctx(now=now, wide=wide)
    ordered = sorted(objects, key=sort_key)
    if sort_by:
        ordered = sorted(ordered, key=lambda o: _sort_value(o, sort_by))
    lines = ["\t".join(table_headers(plural, wide=wide, show_labels=show_labels, all_namespaces=all_namespaces))]
    for obj in ordered:
        row = zip(printer.row(obj, ctx), printer.columns, strict=True)
        cells = [c for c, (_, is_wide) in row if wide or not is_wide]
        if all_namespaces and namespaced:
            cells.insert(0, namespace_of(obj))
        if show_labels:
            cells.append(format_labels(labels_of(obj)))
        lines.append("\t".join(_clean_cell(c) for c in cells))
    return tabwrite("\n".join(lines) + "\n", minwidth=TABLE_MINWIDTH, padding=TABLE_PADDING)


__all__ = [
    "canonical_resource",
    "event_object",
    "format_endpoints",
    "is_namespaced",
    "node_status",
    "pod_status_reason",
    "render_table",
    "resource_kind",
    "table_cells",
    "table_columns",
    "table_headers",
]
