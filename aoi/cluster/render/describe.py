"""``kubectl describe`` pages, ported from ``k8s.io/kubectl/pkg/describe`` (the v1.32 layout).

Each describer writes tab-separated text through kubectl's prefix writer (two spaces per level) into a
Go-compatible tabwriter (minwidth 0, padding 2), exactly as kubectl does, so the alignment quirks of real
output (trailing blanks after an empty value, ``Events:  <none>`` aligned with the block above) follow.
Related objects (events, pods on a node, replica sets of a deployment, endpoints of a service, pods using a
claim, node leases) are looked up through the ``ObjectSource``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from fractions import Fraction
from typing import Any

from aoi.cluster.render._describe_parts import (
    Ctx,
    Writer,
    annotations_multiline,
    controlled_by,
    describe_containers,
    describe_events,
    describe_pod_template,
    describe_probe,
    describe_resources,
    describe_volumes,
    events_for,
    go_bool,
    labels_multiline,
    multiline_list,
    pod_field,
    taints_multiline,
    title_bool,
    tolerations_multiline,
    topology_spread,
    volume_source_lines,
    write_source_lines,
)
from aoi.cluster.render._k8s import (
    access_modes,
    controller_of,
    dig,
    format_label_selector,
    format_labels,
    int_or_string,
    meta,
    name_of,
    namespace_of,
    node_roles,
    pod_qos_class,
    pod_requests_and_limits,
    pv_class,
    pvc_class,
    quantity_or_zero,
    selector_string,
    sort_key,
)
from aoi.cluster.render._quantity import BINARY_SI, DECIMAL_SI, ZERO, Quantity, quantity_str, try_parse
from aoi.cluster.render.durations import human_duration, parse_timestamp
from aoi.cluster.render.source import ObjectSource
from aoi.cluster.render.tables import canonical_resource, is_default_class, join_host_port

Obj = Mapping[str, Any]


# ---------------------------------------------------------------------------------------------------- pod


def _describe_pod(ctx: Ctx, pod: Obj) -> str:
    w = Writer()
    spec, status, md = pod.get("spec") or {}, pod.get("status") or {}, meta(pod)
    w.write(0, f"Name:\t{name_of(pod)}\n")
    w.write(0, f"Namespace:\t{namespace_of(pod)}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{spec['priority']}\n")
    for field, title in (("priorityClassName", "Priority Class Name"), ("runtimeClassName", "Runtime Class Name")):
        if spec.get(field):
            w.write(0, f"{title}:\t{spec[field]}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    node = spec.get("nodeName")
    w.write(0, f"Node:\t{node}/{status.get('hostIP') or ''}\n" if node else "Node:\t<none>\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{ctx.time(status['startTime'])}\n")
    labels_multiline(w, "Labels", md.get("labels"))
    annotations_multiline(w, "Annotations", md.get("annotations"))
    phase = status.get("phase") or ""
    if md.get("deletionTimestamp") and phase not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {ctx.since(md['deletionTimestamp'])})\n")
        w.write(0, f"Termination Grace Period:\t{int(md.get('deletionGracePeriodSeconds') or 30)}s\n")
    else:
        w.write(0, f"Status:\t{phase}\n")
    for field, title in (("reason", "Reason"), ("message", "Message")):
        if status.get(field):
            w.write(0, f"{title}:\t{status[field]}\n")
    seccomp = dig(spec, "securityContext", "seccompProfile")
    if seccomp:
        w.write(0, f"SeccompProfile:\t{seccomp.get('type', '')}\n")
        if seccomp.get("type") == "Localhost":
            w.write(0, f"LocalhostProfile:\t{seccomp.get('localhostProfile', '')}\n")
    w.write(0, f"IP:\t{status.get('podIP') or ''}\n")
    pod_ips = status.get("podIPs") or ([{"ip": status["podIP"]}] if status.get("podIP") else [])
    if not pod_ips:
        w.write(0, "IPs:\t<none>\n")
    else:
        w.write(0, "IPs:\n")
        for ip in pod_ips:
            w.write(1, f"IP:\t{ip.get('ip', '')}\n")
    if controlled_by(pod):
        w.write(0, f"Controlled By:\t{controlled_by(pod)}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if spec.get("resources") is not None:
        w.write(0, "Resources:\n")
        describe_resources(w, spec["resources"], 1)

    def resolver(ref: Obj) -> str:
        return pod_field(pod, str(ref.get("fieldPath") or ""))

    if spec.get("initContainers"):
        describe_containers(
            w, ctx, "Init Containers", spec["initContainers"], status.get("initContainerStatuses") or [], resolver, ""
        )
    describe_containers(
        w, ctx, "Containers", spec.get("containers") or [], status.get("containerStatuses") or [], resolver, ""
    )
    if spec.get("readinessGates"):
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        for gate in spec["readinessGates"]:
            w.write(1, f"{gate.get('conditionType', '')} \t{conditions.get(gate.get('conditionType'), '<none>')} \n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \n")
    describe_volumes(w, spec.get("volumes"), "")
    w.write(0, f"QoS Class:\t{pod_qos_class(pod)}\n")
    labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    tolerations_multiline(w, "Tolerations", spec.get("tolerations"))
    topology_spread(w, spec.get("topologySpreadConstraints"), "")
    describe_events(w, ctx, events_for(ctx, pod, None))
    return w.render()


# --------------------------------------------------------------------------------------------- workloads


def _replicas(obj: Obj) -> int:
    value = dig(obj, "spec", "replicas")
    return 1 if value is None else int(value)


def _owned_by(obj: Obj, owner: Obj) -> bool:
    ref = controller_of(obj)
    if ref is None:
        return False
    uid = meta(owner).get("uid")
    if uid and ref.get("uid"):
        return bool(ref.get("uid") == uid)
    return ref.get("kind") == owner.get("kind") and ref.get("name") == name_of(owner)


def _pod_counts(ctx: Ctx, owner: Obj) -> str:
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for pod in ctx.list("Pod", namespace_of(owner)):
        if _owned_by(pod, owner):
            phase = dig(pod, "status", "phase", default="")
            if phase in counts:
                counts[phase] += 1
    return (
        f"{counts['Running']} Running / {counts['Pending']} Waiting / {counts['Succeeded']} Succeeded / "
        f"{counts['Failed']} Failed"
    )


def _conditions_type_status_reason(w: Writer, conditions: Sequence[Obj] | None) -> None:
    if not conditions:
        return
    w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
    w.write(1, "----\t------\t------\n")
    for c in conditions:
        w.write(1, f"{c.get('type', '')} \t{c.get('status', '')}\t{c.get('reason', '')}\n")


def _template_without_hash(template: Obj | None) -> Any:
    template = dict(template or {})
    md = dict(template.get("metadata") or {})
    labels = {k: v for k, v in (md.get("labels") or {}).items() if k != "pod-template-hash"}
    md["labels"] = labels
    md.pop("creationTimestamp", None)
    template["metadata"] = md
    return template


def _replica_sets_of(ctx: Ctx, deployment: Obj) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(old, new) replica sets, like ``deploymentutil.GetAllReplicaSets`` (new = template matches the deployment)."""
    owned = [rs for rs in ctx.list("ReplicaSet", namespace_of(deployment)) if _owned_by(rs, deployment)]
    wanted = _template_without_hash(dig(deployment, "spec", "template"))
    matching = [rs for rs in owned if _template_without_hash(dig(rs, "spec", "template")) == wanted]
    if not matching:
        revision = (meta(deployment).get("annotations") or {}).get("deployment.kubernetes.io/revision")
        matching = [
            rs
            for rs in owned
            if (meta(rs).get("annotations") or {}).get("deployment.kubernetes.io/revision") == revision
        ]
    matching.sort(key=lambda rs: (meta(rs).get("creationTimestamp") or "", name_of(rs)))
    new = matching[:1]
    old = [rs for rs in owned if not new or rs is not new[0]]
    return old, new


def _replica_sets_text(replica_sets: Sequence[Obj]) -> str:
    text = ", ".join(
        f"{name_of(rs)} ({int(dig(rs, 'status', 'replicas', default=0))}/{_replicas(rs)} replicas created)"
        for rs in replica_sets
    )
    return text or "<none>"


def _describe_deployment(ctx: Ctx, d: Obj) -> str:
    w = Writer()
    spec, status, md = d.get("spec") or {}, d.get("status") or {}, meta(d)
    w.write(0, f"Name:\t{name_of(d)}\n")
    w.write(0, f"Namespace:\t{namespace_of(d)}\n")
    w.write(0, f"CreationTimestamp:\t{ctx.time(md.get('creationTimestamp'))}\n")
    labels_multiline(w, "Labels", md.get("labels"))
    annotations_multiline(w, "Annotations", md.get("annotations"))
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    w.write(
        0,
        f"Replicas:\t{_replicas(d)} desired | {int(status.get('updatedReplicas') or 0)} updated | "
        f"{int(status.get('replicas') or 0)} total | {int(status.get('availableReplicas') or 0)} available | "
        f"{int(status.get('unavailableReplicas') or 0)} unavailable\n",
    )
    strategy = spec.get("strategy") or {"type": "RollingUpdate", "rollingUpdate": {}}
    w.write(0, f"StrategyType:\t{strategy.get('type') or 'RollingUpdate'}\n")
    w.write(0, f"MinReadySeconds:\t{int(spec.get('minReadySeconds') or 0)}\n")
    if strategy.get("rollingUpdate") is not None:
        ru = strategy["rollingUpdate"]
        unavailable = int_or_string(ru.get("maxUnavailable", "25%"))
        surge = int_or_string(ru.get("maxSurge", "25%"))
        w.write(0, f"RollingUpdateStrategy:\t{unavailable} max unavailable, {surge} max surge\n")
    describe_pod_template(w, ctx, spec.get("template"))
    _conditions_type_status_reason(w, status.get("conditions"))
    old, new = _replica_sets_of(ctx, d)
    if old or new:
        w.write(0, f"OldReplicaSets:\t{_replica_sets_text(old)}\n")
        w.write(0, f"NewReplicaSet:\t{_replica_sets_text(new)}\n")
    describe_events(w, ctx, events_for(ctx, d, "Deployment"))
    return w.render()


def _describe_replicaset(ctx: Ctx, rs: Obj) -> str:
    w = Writer()
    md = meta(rs)
    w.write(0, f"Name:\t{name_of(rs)}\n")
    w.write(0, f"Namespace:\t{namespace_of(rs)}\n")
    w.write(0, f"Selector:\t{format_label_selector(dig(rs, 'spec', 'selector'))}\n")
    labels_multiline(w, "Labels", md.get("labels"))
    annotations_multiline(w, "Annotations", md.get("annotations"))
    if controlled_by(rs):
        w.write(0, f"Controlled By:\t{controlled_by(rs)}\n")
    w.write(0, f"Replicas:\t{int(dig(rs, 'status', 'replicas', default=0))} current / {_replicas(rs)} desired\n")
    w.write(0, "Pods Status:\t")
    w.write(0, _pod_counts(ctx, rs) + "\n")
    describe_pod_template(w, ctx, dig(rs, "spec", "template"))
    _conditions_type_status_reason(w, dig(rs, "status", "conditions"))
    describe_events(w, ctx, events_for(ctx, rs, "ReplicaSet"))
    return w.render()


def _describe_statefulset(ctx: Ctx, sts: Obj) -> str:
    w = Writer()
    spec, md = sts.get("spec") or {}, meta(sts)
    w.write(0, f"Name:\t{name_of(sts)}\n")
    w.write(0, f"Namespace:\t{namespace_of(sts)}\n")
    w.write(0, f"CreationTimestamp:\t{ctx.time(md.get('creationTimestamp'))}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    labels_multiline(w, "Labels", md.get("labels"))
    annotations_multiline(w, "Annotations", md.get("annotations"))
    w.write(0, f"Replicas:\t{_replicas(sts)} desired | {int(dig(sts, 'status', 'replicas', default=0))} total\n")
    strategy = spec.get("updateStrategy") or {"type": "RollingUpdate"}
    w.write(0, f"Update Strategy:\t{strategy.get('type', '')}\n")
    partition = dig(strategy, "rollingUpdate", "partition")
    if partition is not None:
        w.write(1, f"Partition:\t{partition}\n")
        if dig(strategy, "rollingUpdate", "maxUnavailable") is not None:
            w.write(1, f"MaxUnavailable:\t{int_or_string(strategy['rollingUpdate']['maxUnavailable'])}\n")
    w.write(0, f"Pods Status:\t{_pod_counts(ctx, sts)}\n")
    describe_pod_template(w, ctx, spec.get("template"))
    claims = spec.get("volumeClaimTemplates") or []
    if not claims:
        w.write(0, "Volume Claims:\t<none>\n")
    else:
        w.write(0, "Volume Claims:\n")
        for pvc in claims:
            w.write(1, f"Name:\t{name_of(pvc)}\n")
            w.write(1, f"StorageClass:\t{pvc_class(pvc)}\n")
            labels_multiline(w, "Labels", meta(pvc).get("labels"), "  ")
            labels_multiline(w, "Annotations", meta(pvc).get("annotations"), "  ")
            storage = dig(pvc, "spec", "resources", "requests", "storage")
            w.write(1, f"Capacity:\t{quantity_str(storage) if storage is not None else '<default>'}\n")
            w.write(1, f"Access Modes:\t[{' '.join(dig(pvc, 'spec', 'accessModes', default=[]))}]\n")
    describe_events(w, ctx, events_for(ctx, sts, "StatefulSet"))
    return w.render()


def _describe_daemonset(ctx: Ctx, ds: Obj) -> str:
    w = Writer()
    spec, status, md = ds.get("spec") or {}, ds.get("status") or {}, meta(ds)
    w.write(0, f"Name:\t{name_of(ds)}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    w.write(0, f"Node-Selector:\t{format_labels(dig(spec, 'template', 'spec', 'nodeSelector'))}\n")
    labels_multiline(w, "Labels", md.get("labels"))
    annotations_multiline(w, "Annotations", md.get("annotations"))
    for title, field in (
        ("Desired Number of Nodes Scheduled", "desiredNumberScheduled"),
        ("Current Number of Nodes Scheduled", "currentNumberScheduled"),
        ("Number of Nodes Scheduled with Up-to-date Pods", "updatedNumberScheduled"),
        ("Number of Nodes Scheduled with Available Pods", "numberAvailable"),
        ("Number of Nodes Misscheduled", "numberMisscheduled"),
    ):
        w.write(0, f"{title}: {int(status.get(field) or 0)}\n")
    w.write(0, f"Pods Status:\t{_pod_counts(ctx, ds)}\n")
    describe_pod_template(w, ctx, spec.get("template"))
    describe_events(w, ctx, events_for(ctx, ds, "DaemonSet"))
    return w.render()


def _describe_job(ctx: Ctx, job: Obj) -> str:
    w = Writer()
    spec, status, md = job.get("spec") or {}, job.get("status") or {}, meta(job)
    w.write(0, f"Name:\t{name_of(job)}\n")
    w.write(0, f"Namespace:\t{namespace_of(job)}\n")
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    labels_multiline(w, "Labels", md.get("labels"))
    annotations_multiline(w, "Annotations", md.get("annotations"))
    if controlled_by(job):
        w.write(0, f"Controlled By:\t{controlled_by(job)}\n")
    if spec.get("parallelism") is not None:
        w.write(0, f"Parallelism:\t{spec['parallelism']}\n")
    w.write(0, f"Completions:\t{spec['completions'] if spec.get('completions') is not None else '<unset>'}\n")
    if spec.get("completionMode"):
        w.write(0, f"Completion Mode:\t{spec['completionMode']}\n")
    if spec.get("suspend") is not None:
        w.write(0, f"Suspend:\t{go_bool(spec['suspend'])}\n")
    if spec.get("backoffLimit") is not None:
        w.write(0, f"Backoff Limit:\t{spec['backoffLimit']}\n")
    if spec.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{spec['ttlSecondsAfterFinished']}\n")
    start, end = parse_timestamp(status.get("startTime")), parse_timestamp(status.get("completionTime"))
    if start is not None:
        w.write(0, f"Start Time:\t{ctx.time(start)}\n")
    if end is not None:
        w.write(0, f"Completed At:\t{ctx.time(end)}\n")
    if start is not None and end is not None:
        w.write(0, f"Duration:\t{human_duration(end - start)}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{spec['activeDeadlineSeconds']}s\n")
    active, succeeded, failed = (int(status.get(f) or 0) for f in ("active", "succeeded", "failed"))
    if status.get("ready") is None:
        w.write(0, f"Pods Statuses:\t{active} Active / {succeeded} Succeeded / {failed} Failed\n")
    else:
        w.write(
            0, f"Pods Statuses:\t{active} Active ({status['ready']} Ready) / {succeeded} Succeeded / {failed} Failed\n"
        )
    describe_pod_template(w, ctx, spec.get("template"))
    describe_events(w, ctx, events_for(ctx, job, "Job"))
    return w.render()


# ----------------------------------------------------------------------------------------------- network


def _service_endpoints(endpoints: Obj | None, port_name: str) -> str:
    """Endpoints shown for one service port.

    kubectl 1.32 reads EndpointSlices here and does not filter on readiness, so not-ready addresses are
    listed too (unlike ``get endpoints``); ``<none>`` only when there is no endpoints object at all.
    """
    if endpoints is None:
        return "<none>"
    shown: list[str] = []
    more, count, limit = False, 0, 3
    for subset in endpoints.get("subsets") or []:
        addresses = list(subset.get("addresses") or []) + list(subset.get("notReadyAddresses") or [])
        ports = subset.get("ports") or []
        targets = [p for p in ports if (p.get("name") or "") == port_name] if ports else [None]
        for port in targets:
            for addr in addresses:
                more = more or len(shown) == limit
                if not more:
                    ip = str(addr.get("ip", ""))
                    shown.append(ip if port is None else join_host_port(ip, port.get("port")))
                count += 1
    text = ",".join(shown)
    return f"{text} + {count - limit} more..." if more else text


def _describe_service(ctx: Ctx, svc: Obj) -> str:
    w = Writer()
    spec, md = svc.get("spec") or {}, meta(svc)
    w.write(0, f"Name:\t{name_of(svc)}\n")
    w.write(0, f"Namespace:\t{namespace_of(svc)}\n")
    labels_multiline(w, "Labels", md.get("labels"))
    annotations_multiline(w, "Annotations", md.get("annotations"))
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type') or 'ClusterIP'}\n")
    if spec.get("ipFamilyPolicy"):
        w.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP') or ''}\n")
    w.write(0, f"IPs:\t{','.join(spec.get('clusterIPs') or []) or '<none>'}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    if spec.get("externalName"):
        w.write(0, f"External Name:\t{spec['externalName']}\n")
    ingress = dig(svc, "status", "loadBalancer", "ingress", default=[])
    if ingress:
        names = [
            (f"{i['ip']} ({i['ipMode']})" if i.get("ipMode") else str(i["ip"]))
            if i.get("ip")
            else str(i.get("hostname", ""))
            for i in ingress
        ]
        w.write(0, f"LoadBalancer Ingress:\t{', '.join(names)}\n")
    endpoints = ctx.get("Endpoints", namespace_of(svc), name_of(svc))
    for sp in spec.get("ports") or []:
        port_name = sp.get("name") or "<unset>"
        protocol = sp.get("protocol") or "TCP"
        w.write(0, f"Port:\t{port_name}\t{sp.get('port')}/{protocol}\n")
        target = sp.get("targetPort", sp.get("port"))
        w.write(0, f"TargetPort:\t{target}/{protocol}\n")
        if sp.get("nodePort"):
            w.write(0, f"NodePort:\t{port_name}\t{sp['nodePort']}/{protocol}\n")
        w.write(0, f"Endpoints:\t{_service_endpoints(endpoints, sp.get('name') or '')}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity') or 'None'}\n")
    if spec.get("externalTrafficPolicy"):
        w.write(0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    if spec.get("internalTrafficPolicy"):
        w.write(0, f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n")
    if spec.get("healthCheckNodePort"):
        w.write(0, f"HealthCheck NodePort:\t{spec['healthCheckNodePort']}\n")
    if spec.get("loadBalancerSourceRanges"):
        w.write(0, f"LoadBalancer Source Ranges:\t{','.join(spec['loadBalancerSourceRanges'])}\n")
    describe_events(w, ctx, events_for(ctx, svc, "Service"))
    return w.render()


def _describe_endpoints(ctx: Ctx, ep: Obj) -> str:
    w = Writer()
    w.write(0, f"Name:\t{name_of(ep)}\n")
    w.write(0, f"Namespace:\t{namespace_of(ep)}\n")
    labels_multiline(w, "Labels", meta(ep).get("labels"))
    annotations_multiline(w, "Annotations", meta(ep).get("annotations"))
    w.write(0, "Subsets:\n")
    for subset in ep.get("subsets") or []:
        ready = ",".join(str(a.get("ip", "")) for a in subset.get("addresses") or [])
        not_ready = ",".join(str(a.get("ip", "")) for a in subset.get("notReadyAddresses") or [])
        w.write(1, f"Addresses:\t{ready or '<none>'}\n")
        w.write(1, f"NotReadyAddresses:\t{not_ready or '<none>'}\n")
        if subset.get("ports"):
            w.write(1, "Ports:\n")
            w.write(2, "Name\tPort\tProtocol\n")
            w.write(2, "----\t----\t--------\n")
            for port in subset["ports"]:
                w.write(2, f"{port.get('name') or '<unset>'}\t{port.get('port')}\t{port.get('protocol') or 'TCP'}\n")
        w.write(0, "\n")
    describe_events(w, ctx, events_for(ctx, ep, "Endpoints"))
    return w.render()


# ----------------------------------------------------------------------------------------------- nodes


def _node_lease(ctx: Ctx, node: Obj) -> tuple[str, str, str]:
    """(holder, acquire, renew) of the node's lease; without a Lease object, the kubelet's last heartbeat."""
    lease = ctx.get("Lease", "kube-node-lease", name_of(node))
    if lease is not None:
        spec = lease.get("spec") or {}
        holder = str(spec.get("holderIdentity") or "<unset>")
        acquire = ctx.time(spec["acquireTime"]) if spec.get("acquireTime") else "<unset>"
        renew = ctx.time(spec["renewTime"]) if spec.get("renewTime") else "<unset>"
        return holder, acquire, renew
    heartbeat = ""
    for cond in dig(node, "status", "conditions", default=[]):
        if cond.get("type") == "Ready":
            heartbeat = cond.get("lastHeartbeatTime") or ""
    return name_of(node), "<unset>", ctx.time(heartbeat) if heartbeat else "<unset>"


def _percent(part: int, whole: int) -> int:
    """``int64(float64(part) / float64(whole) * 100)`` with Go's float semantics (0 when whole is 0)."""
    if whole == 0:
        return 0
    return int(float(part) / float(whole) * 100)


def _usage(q: Quantity, whole: int, *, milli: bool) -> str:
    """``<quantity> (<percent of allocatable>%)`` as in the node describe resource tables."""
    return f"{q} ({_percent(q.milli_value() if milli else q.int_value(), whole)}%)"


def _node_resource_lines(w: Writer, ctx: Ctx, node: Obj, pods: Sequence[Obj]) -> None:
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    allocatable = dig(node, "status", "allocatable") or dig(node, "status", "capacity", default={})
    alloc_cpu = (try_parse(allocatable.get("cpu")) or ZERO).milli_value()
    alloc_mem = (try_parse(allocatable.get("memory")) or ZERO).int_value()
    totals_req: dict[str, Quantity] = {}
    totals_lim: dict[str, Quantity] = {}
    for pod in pods:
        req, lim = pod_requests_and_limits(pod)
        for source, total in ((req, totals_req), (lim, totals_lim)):
            for key, q in source.items():
                total[key] = total[key] + q if key in total else q
        usage = [
            _usage(quantity_or_zero(req, "cpu"), alloc_cpu, milli=True),
            _usage(quantity_or_zero(lim, "cpu"), alloc_cpu, milli=True),
            _usage(quantity_or_zero(req, "memory"), alloc_mem, milli=False),
            _usage(quantity_or_zero(lim, "memory"), alloc_mem, milli=False),
        ]
        age = ctx.since(meta(pod).get("creationTimestamp"))
        w.write(1, f"{namespace_of(pod)}\t{name_of(pod)}\t\t" + "\t".join(usage) + f"\t{age}\n")
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    rows = [("cpu", alloc_cpu, True), ("memory", alloc_mem, False)]
    storage = (try_parse(allocatable.get("ephemeral-storage")) or ZERO).int_value()
    rows.append(("ephemeral-storage", storage, False))
    rows.extend(
        (r, (try_parse(allocatable[r]) or ZERO).int_value(), False)
        for r in sorted(allocatable)
        if r.startswith("hugepages-")
    )
    for resource, whole, milli in rows:
        req, lim = quantity_or_zero(totals_req, resource), quantity_or_zero(totals_lim, resource)
        w.write(1, f"{resource}\t{_usage(req, whole, milli=milli)}\t{_usage(lim, whole, milli=milli)}\n")
    standard = {"cpu", "memory", "ephemeral-storage", "pods"}
    for resource in sorted(allocatable):
        if not resource.startswith("hugepages-") and resource not in standard:
            req, lim = quantity_or_zero(totals_req, resource), quantity_or_zero(totals_lim, resource)
            w.write(1, f"{resource}\t{req}\t{lim}\n")


def _describe_node(ctx: Ctx, node: Obj) -> str:
    w = Writer()
    spec, status, md = node.get("spec") or {}, node.get("status") or {}, meta(node)
    w.write(0, f"Name:\t{name_of(node)}\n")
    w.write(0, f"Roles:\t{','.join(node_roles(node)) or '<none>'}\n")
    labels_multiline(w, "Labels", md.get("labels"))
    annotations_multiline(w, "Annotations", md.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{ctx.time(md.get('creationTimestamp'))}\n")
    taints_multiline(w, "Taints", spec.get("taints"))
    w.write(0, f"Unschedulable:\t{go_bool(spec.get('unschedulable'))}\n")
    holder, acquire, renew = _node_lease(ctx, node)
    w.write(0, "Lease:\n")
    w.write(1, f"HolderIdentity:\t{holder}\n")
    w.write(1, f"AcquireTime:\t{acquire}\n")
    w.write(1, f"RenewTime:\t{renew}\n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(
                1,
                f"{c.get('type', '')} \t{c.get('status', '')} \t{ctx.time(c.get('lastHeartbeatTime'))} \t"
                f"{ctx.time(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t{c.get('message', '')}\n",
            )
    w.write(0, "Addresses:\n")
    for addr in status.get("addresses") or []:
        w.write(1, f"{addr.get('type', '')}:\t{addr.get('address', '')}\n")
    for field, title in (("capacity", "Capacity"), ("allocatable", "Allocatable")):
        if status.get(field):
            w.write(0, f"{title}:\n")
            for resource in sorted(status[field]):
                w.write(0, f"  {resource}:\t{quantity_str(status[field][resource])}\n")
    info = status.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for title, field in (
        ("Machine ID", "machineID"),
        ("System UUID", "systemUUID"),
        ("Boot ID", "bootID"),
        ("Kernel Version", "kernelVersion"),
        ("OS Image", "osImage"),
        ("Operating System", "operatingSystem"),
        ("Architecture", "architecture"),
        ("Container Runtime Version", "containerRuntimeVersion"),
        ("Kubelet Version", "kubeletVersion"),
        ("Kube-Proxy Version", "kubeProxyVersion"),
    ):
        w.write(0, f"  {title}:\t{info.get(field) or ''}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    pods = [
        p
        for p in ctx.list("Pod", None)
        if dig(p, "spec", "nodeName") == name_of(node) and dig(p, "status", "phase") not in ("Succeeded", "Failed")
    ]
    _node_resource_lines(w, ctx, node, sorted(pods, key=sort_key))
    node_events = events_for(ctx, node, "Node", extra_uids=(name_of(node),))
    describe_events(w, ctx, node_events)
    return w.render()


# ------------------------------------------------------------------------------------- config and accounts


def _describe_configmap(ctx: Ctx, cm: Obj) -> str:
    w = Writer()
    w.write(0, f"Name:\t{name_of(cm)}\n")
    w.write(0, f"Namespace:\t{namespace_of(cm)}\n")
    labels_multiline(w, "Labels", meta(cm).get("labels"))
    annotations_multiline(w, "Annotations", meta(cm).get("annotations"))
    w.write(0, "\nData\n====\n")
    data = cm.get("data") or {}
    for key in sorted(data):
        w.write(0, f"{key}:\n----\n")
        w.write(0, f"{data[key]}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    binary = cm.get("binaryData") or {}
    for key in sorted(binary):
        w.write(0, f"{key}: {_decoded_length(binary[key])} bytes\n")
    w.write(0, "\n")
    describe_events(w, ctx, events_for(ctx, cm, "ConfigMap"))
    return w.render()


def _decoded_length(value: object) -> int:
    """Length in bytes of a base64 ``data`` value (the raw length when it is not valid base64)."""
    text = str(value or "")
    try:
        return len(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        return len(text.encode())


def _describe_secret(ctx: Ctx, secret: Obj) -> str:
    w = Writer()
    w.write(0, f"Name:\t{name_of(secret)}\n")
    w.write(0, f"Namespace:\t{namespace_of(secret)}\n")
    labels_multiline(w, "Labels", meta(secret).get("labels"))
    annotations_multiline(w, "Annotations", meta(secret).get("annotations"))
    w.write(0, f"\nType:\t{secret.get('type') or 'Opaque'}\n")
    w.write(0, "\nData\n====\n")
    data = secret.get("data") or {}
    for key in sorted(data):
        w.write(0, f"{key}:\t{_decoded_length(data[key])} bytes\n")
    return w.render()


def _describe_serviceaccount(ctx: Ctx, sa: Obj) -> str:
    w = Writer()
    w.write(0, f"Name:\t{name_of(sa)}\n")
    w.write(0, f"Namespace:\t{namespace_of(sa)}\n")
    labels_multiline(w, "Labels", meta(sa).get("labels"))
    annotations_multiline(w, "Annotations", meta(sa).get("annotations"))
    secrets = ctx.list("Secret", namespace_of(sa))
    existing = {name_of(s) for s in secrets}
    tokens = [
        name_of(s)
        for s in secrets
        if s.get("type") == "kubernetes.io/service-account-token"
        and (meta(s).get("annotations") or {}).get("kubernetes.io/service-account.name") == name_of(sa)
        and (meta(s).get("annotations") or {}).get("kubernetes.io/service-account.uid") == meta(sa).get("uid")
    ]
    sections = {
        "Image pull secrets:": [s.get("name", "") for s in sa.get("imagePullSecrets") or []],
        "Mountable secrets: ": [s.get("name", "") for s in sa.get("secrets") or []],
        "Tokens:            ": tokens,
    }
    check_missing = ctx.source is not None
    for header in sorted(sections):
        names = sections[header]
        if not names:
            w.write(0, f"{header}\t<none>\n")
            continue
        prefix = header
        for name in names:
            missing = check_missing and header != "Tokens:            " and name not in existing
            w.write(0, f"{prefix}\t{name} (not found)\n" if missing else f"{prefix}\t{name}\n")
            prefix = " " * len(header)
    describe_events(w, ctx, events_for(ctx, sa, "ServiceAccount"))
    return w.render()


# ----------------------------------------------------------------------------------------------- storage


def _describe_pvc(ctx: Ctx, pvc: Obj) -> str:
    w = Writer()
    spec, status, md = pvc.get("spec") or {}, pvc.get("status") or {}, meta(pvc)
    w.write(0, f"Name:\t{name_of(pvc)}\n")
    w.write(0, f"Namespace:\t{namespace_of(pvc)}\n")
    w.write(0, f"StorageClass:\t{pvc_class(pvc)}\n")
    if md.get("deletionTimestamp"):
        w.write(0, f"Status:\tTerminating (lasts {ctx.since(md['deletionTimestamp'])})\n")
    else:
        w.write(0, f"Status:\t{status.get('phase') or ''}\n")
    w.write(0, f"Volume:\t{spec.get('volumeName') or ''}\n")
    labels_multiline(w, "Labels", md.get("labels"))
    annotations_multiline(w, "Annotations", md.get("annotations"))
    w.write(0, f"Finalizers:\t[{' '.join(md.get('finalizers') or [])}]\n")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(status.get("accessModes"))
        capacity = quantity_str(dig(status, "capacity", "storage", default=0))
    w.write(0, f"Capacity:\t{capacity}\n")
    w.write(0, f"Access Modes:\t{modes}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    if spec.get("dataSource"):
        source = spec["dataSource"]
        w.write(0, "DataSource:\n")
        if source.get("apiGroup"):
            w.write(1, f"APIGroup:\t{source['apiGroup']}\n")
        w.write(1, f"Kind:\t{source.get('kind', '')}\n")
        w.write(1, f"Name:\t{source.get('name', '')}\n")
    users = sorted(
        name_of(p)
        for p in ctx.list("Pod", namespace_of(pvc))
        for v in dig(p, "spec", "volumes", default=[])
        if dig(v, "persistentVolumeClaim", "claimName") == name_of(pvc)
    )
    multiline_list(w, "Used By", users)
    if status.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(
                1,
                f"{c.get('type', '')} \t{c.get('status', '')} \t{ctx.time(c.get('lastProbeTime'))} \t"
                f"{ctx.time(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t{c.get('message', '')}\n",
            )
    describe_events(w, ctx, events_for(ctx, pvc, "PersistentVolumeClaim"))
    return w.render()


def _node_affinity(w: Writer, affinity: Obj | None) -> None:
    w.write(0, "Node Affinity:\t")
    required = (affinity or {}).get("required")
    if required is None:
        w.line("<none>")
        return
    w.line("")
    w.write(1, "Required Terms:\t")
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        w.line("<none>")
        return
    w.line("")
    for i, term in enumerate(terms):
        w.write(2, f"Term {i}:\t")
        exprs = term.get("matchExpressions") or []
        if not exprs:
            w.line("<none>")
        for j, req in enumerate(exprs):
            if j:
                w.write(2, "\t")
            text = f"{req.get('key', '')} {str(req.get('operator', '')).lower()}"
            if req.get("values"):
                text += f" [{', '.join(req['values'])}]"
            w.write(0, text + "\n")


def _describe_pv(ctx: Ctx, pv: Obj) -> str:
    w = Writer()
    spec, status, md = pv.get("spec") or {}, pv.get("status") or {}, meta(pv)
    w.write(0, f"Name:\t{name_of(pv)}\n")
    labels_multiline(w, "Labels", md.get("labels"))
    annotations_multiline(w, "Annotations", md.get("annotations"))
    w.write(0, f"Finalizers:\t[{' '.join(md.get('finalizers') or [])}]\n")
    w.write(0, f"StorageClass:\t{pv_class(pv)}\n")
    if md.get("deletionTimestamp"):
        w.write(0, f"Status:\tTerminating (lasts {ctx.since(md['deletionTimestamp'])})\n")
    else:
        w.write(0, f"Status:\t{status.get('phase') or ''}\n")
    claim = spec.get("claimRef")
    w.write(0, f"Claim:\t{claim.get('namespace', '')}/{claim.get('name', '')}\n" if claim else "Claim:\t\n")
    w.write(0, f"Reclaim Policy:\t{spec.get('persistentVolumeReclaimPolicy') or ''}\n")
    w.write(0, f"Access Modes:\t{access_modes(spec.get('accessModes'))}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    w.write(0, f"Capacity:\t{quantity_str(dig(spec, 'capacity', 'storage', default=0))}\n")
    _node_affinity(w, spec.get("nodeAffinity"))
    w.write(0, f"Message:\t{status.get('message') or ''}\n")
    w.write(0, "Source:\n")
    if spec.get("local") is not None:
        lines = ["Type:\tLocalVolume (a persistent volume backed by local storage on a node)"]
        lines.append(f"    Path:\t{spec['local'].get('path', '')}")
    else:
        lines = volume_source_lines(spec)
    if not lines:
        w.write(1, "<unknown>\n")
    write_source_lines(w, lines)
    describe_events(w, ctx, events_for(ctx, pv, "PersistentVolume"))
    return w.render()


def _describe_storageclass(ctx: Ctx, sc: Obj) -> str:
    w = Writer()
    w.write(0, f"Name:\t{name_of(sc)}\n")
    w.write(0, f"IsDefaultClass:\t{'Yes' if is_default_class(sc) else 'No'}\n")
    w.write(0, f"Annotations:\t{format_labels(meta(sc).get('annotations'))}\n")
    w.write(0, f"Provisioner:\t{sc.get('provisioner') or ''}\n")
    w.write(0, f"Parameters:\t{format_labels(sc.get('parameters'))}\n")
    expansion = sc.get("allowVolumeExpansion")
    w.write(0, f"AllowVolumeExpansion:\t{'<unset>' if expansion is None else title_bool(expansion)}\n")
    options = sc.get("mountOptions") or []
    if not options:
        w.write(0, "MountOptions:\t<none>\n")
    else:
        w.write(0, "MountOptions:\n")
        for option in options:
            w.write(1, f"{option}\n")
    if sc.get("reclaimPolicy"):
        w.write(0, f"ReclaimPolicy:\t{sc['reclaimPolicy']}\n")
    if sc.get("volumeBindingMode"):
        w.write(0, f"VolumeBindingMode:\t{sc['volumeBindingMode']}\n")
    if sc.get("allowedTopologies") is not None:
        w.write(0, "AllowedTopologies:\t")
        topologies = sc["allowedTopologies"]
        w.line("" if topologies else "<none>")
        for i, term in enumerate(topologies):
            w.write(1, f"Term {i}:\t")
            reqs = term.get("matchLabelExpressions") or []
            if not reqs:
                w.line("<none>")
            for j, req in enumerate(reqs):
                if j:
                    w.write(1, "\t")
                values = f" [{', '.join(req['values'])}]" if req.get("values") else ""
                w.write(0, f"{req.get('key', '')} in{values}\n")
    describe_events(w, ctx, events_for(ctx, sc, "StorageClass"))
    return w.render()


# ---------------------------------------------------------------------------------------- quota, namespace


def _quota_used(used_raw: object, hard_raw: object) -> str:
    """Used shown in the hard value's format, as ``describeQuota`` converts it."""
    used, hard = try_parse(used_raw) or ZERO, try_parse(hard_raw)
    if hard is not None and used.fmt != hard.fmt:
        fmt = hard.fmt if hard.fmt in (BINARY_SI, DECIMAL_SI) else DECIMAL_SI
        return str(Quantity(Fraction(used.int_value()), fmt))
    return str(used)


def _describe_resourcequota(ctx: Ctx, rq: Obj) -> str:
    w = Writer()
    w.write(0, f"Name:\t{name_of(rq)}\n")
    w.write(0, f"Namespace:\t{namespace_of(rq)}\n")
    _quota_scopes(w, rq, 0, " ")
    w.write(0, "Resource\tUsed\tHard\n")
    w.write(0, "--------\t----\t----\n")
    hard = dig(rq, "status", "hard", default={})
    used = dig(rq, "status", "used", default={})
    for resource in sorted(hard):
        w.write(0, f"{resource}\t{_quota_used(used.get(resource), hard[resource])}\t{quantity_str(hard[resource])}\n")
    return w.render()


_SCOPE_HELP = {
    "Terminating": "Matches all pods that have an active deadline. These pods have a limited lifespan on a node "
    "before being actively terminated by the system.",
    "NotTerminating": "Matches all pods that do not have an active deadline. These pods usually include long "
    "running pods whose container command is not expected to terminate.",
    "BestEffort": "Matches all pods that do not have resource requirements set. These pods have a best effort "
    "quality of service.",
    "NotBestEffort": "Matches all pods that have at least one resource requirement set. These pods have a "
    "burstable or guaranteed quality of service.",
}


def _quota_scopes(w: Writer, rq: Obj, level: int, bullet_prefix: str) -> None:
    scopes = sorted(dig(rq, "spec", "scopes", default=[]))
    if not scopes:
        return
    w.write(level, f"Scopes:\t{', '.join(scopes)}\n")
    for scope in scopes:
        if scope in _SCOPE_HELP:
            w.write(level, f"{bullet_prefix}* {_SCOPE_HELP[scope]}\n")


def _describe_namespace(ctx: Ctx, ns: Obj) -> str:
    w = Writer()
    w.write(0, f"Name:\t{name_of(ns)}\n")
    labels_multiline(w, "Labels", meta(ns).get("labels"))
    annotations_multiline(w, "Annotations", meta(ns).get("annotations"))
    w.write(0, f"Status:\t{dig(ns, 'status', 'phase', default='')}\n")
    conditions = dig(ns, "status", "conditions", default=[])
    if conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t------------------\t------\t-------\n")
        for c in conditions:
            w.write(
                1,
                f"{c.get('type', '')}\t{c.get('status', '')}\t{ctx.time(c.get('lastTransitionTime'))}\t"
                f"{c.get('reason', '')}\t{c.get('message', '')}\n",
            )
    w.write(0, "\n")
    quotas = ctx.list("ResourceQuota", name_of(ns))
    if not quotas:
        w.write(0, "No resource quota.\n")
    else:
        w.write(0, "Resource Quotas\n")
        for rq in sorted(quotas, key=name_of):
            w.write(1, f"Name:\t{name_of(rq)}\n")
            _quota_scopes(w, rq, 1, "")
            w.write(1, "Resource\tUsed\tHard\n")
            w.write(1, "--------\t---\t---\n")
            hard, used = dig(rq, "status", "hard", default={}), dig(rq, "status", "used", default={})
            for resource in sorted(hard):
                w.write(1, f"{resource}\t{quantity_str(used.get(resource, 0))}\t{quantity_str(hard[resource])}\n")
    w.write(0, "\n")
    _describe_limit_ranges(w, ctx.list("LimitRange", name_of(ns)))
    return w.render()


def _describe_limit_ranges(w: Writer, limit_ranges: Sequence[Obj]) -> None:
    if not limit_ranges:
        w.write(0, "No LimitRange resource.\n")
        return
    w.write(0, "Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n")
    w.write(0, " ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n")
    for lr in limit_ranges:
        for item in dig(lr, "spec", "limits", default=[]):
            fields = ("min", "max", "defaultRequest", "default", "maxLimitRequestRatio")
            names = sorted({k for f in fields for k in (item.get(f) or {})})
            for name in names:
                values = [quantity_str(item[f][name]) if name in (item.get(f) or {}) else "-" for f in fields]
                w.write(0, f" {item.get('type', '')}\t{name}\t" + "\t".join(values) + "\n")


def _describe_rolebinding(ctx: Ctx, rb: Obj) -> str:
    w = Writer()
    w.write(0, f"Name:\t{name_of(rb)}\n")
    labels_multiline(w, "Labels", meta(rb).get("labels"))
    annotations_multiline(w, "Annotations", meta(rb).get("annotations"))
    w.write(0, "Role:\n")
    w.write(1, f"Kind:\t{dig(rb, 'roleRef', 'kind', default='')}\n")
    w.write(1, f"Name:\t{dig(rb, 'roleRef', 'name', default='')}\n")
    w.write(0, "Subjects:\n")
    w.write(1, "Kind\tName\tNamespace\n")
    w.write(1, "----\t----\t---------\n")
    for s in rb.get("subjects") or []:
        w.write(1, f"{s.get('kind', '')}\t{s.get('name', '')}\t{s.get('namespace') or ''}\n")
    return w.render()


_DESCRIBERS: dict[str, Callable[[Ctx, Obj], str]] = {
    "pods": _describe_pod,
    "deployments": _describe_deployment,
    "replicasets": _describe_replicaset,
    "statefulsets": _describe_statefulset,
    "daemonsets": _describe_daemonset,
    "jobs": _describe_job,
    "services": _describe_service,
    "endpoints": _describe_endpoints,
    "nodes": _describe_node,
    "configmaps": _describe_configmap,
    "secrets": _describe_secret,
    "serviceaccounts": _describe_serviceaccount,
    "persistentvolumeclaims": _describe_pvc,
    "persistentvolumes": _describe_pv,
    "storageclasses": _describe_storageclass,
    "resourcequotas": _describe_resourcequota,
    "namespaces": _describe_namespace,
    "rolebindings": _describe_rolebinding,
}

DESCRIBABLE = tuple(sorted(_DESCRIBERS))


def render_describe(resource_type: str, obj: Obj, *, now: datetime, source: ObjectSource | None) -> str:
    """Render ``kubectl describe <resource_type> <name>`` for ``obj``.

    Timestamps are printed in the time zone of ``now`` (UTC when naive). Raises ``ValueError`` for resource
    types without a describer here.
    """
    plural = canonical_resource(resource_type)
    if plural not in _DESCRIBERS:
        raise ValueError(f"no describer for resource type {resource_type!r}")
    return _DESCRIBERS[plural](Ctx(now=now, source=source), obj)


__all__ = ["DESCRIBABLE", "describe_probe", "render_describe"]
