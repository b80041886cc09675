"""kube-scheduler: filter nodes (unschedulable, taints, selectors, affinity, volumes, resources), then score.

Unschedulable pods get FailedScheduling events with the scheduler's own wording, e.g.
`0/4 nodes are available: 1 node(s) were unschedulable, 3 Insufficient cpu. preemption: ...`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from aoi.cluster.sim.controllers import active, pod_requests
from aoi.cluster.sim.events import EventRecorder
from aoi.cluster.sim.quantity import bytes_of, cpu_millicores
from aoi.cluster.sim.state import SimState
from aoi.cluster.sim.store import selector_matches

RETRY_TICKS = 6
"""Unschedulable pods are retried (and the event repeated) every 30 s."""

_RESOLVABLE_REASONS = ("Insufficient cpu", "Insufficient memory", "Too many pods",
                     "node(s) didn't match pod anti-affinity rules")
"""Filter failures the scheduler reports as resolvable: preemption looks for victims on those nodes."""


def schedule(state: SimState, events: EventRecorder) -> None:
    if not scheduler_running(state):
        return
    store = state.store
    nodes = store.list("Node")
    pending = [p for p in store.list("Pod") if not p["spec"].get("nodeName") and active(p)]
    if not pending:
        return
    retry = state.extra.setdefault("schedule_retry", {})
    for pod in pending:
        uid = pod["metadata"]["uid"]
        if retry.get(uid, 0) > state.clock.tick:
            continue
        volume_error = _volume_blocker(state, pod)
        if volume_error:
            _fail(state, events, pod, f"0/{len(nodes)} nodes are available: {volume_error}. preemption: "
                  f"0/{len(nodes)} nodes are available: {len(nodes)} Preemption is not helpful for scheduling.")
            retry[uid] = state.clock.tick + RETRY_TICKS
            continue
        reasons: dict[str, list[str]] = {}
        fits = []
        for node in nodes:
            node_reasons = node_filter_reasons(state, pod, node)
            if node_reasons:
                reasons[node["metadata"]["name"]] = node_reasons
            else:
                fits.append(node)
        if not fits:
            _fail(state, events, pod, unschedulable_message(len(nodes), reasons))
            retry[uid] = state.clock.tick + RETRY_TICKS
            continue
        chosen = min(fits, key=lambda n: (_load_score(state, n, pod), n["metadata"]["name"]))
        bind(state, events, pod, chosen)
        retry.pop(uid, None)


def scheduler_running(state: SimState) -> bool:
    control = [n for n in state.app.nodes if n.role == "control-plane"]
    return all(state.nodes[n.name].kube_scheduler for n in control)


def unschedulable_message(total: int, reasons: dict[str, list[str]]) -> str:
    counts = Counter(r for rs in reasons.values() for r in rs)
    parts = sorted(f"{n} {r}" for r, n in counts.items())
    victims = sum(1 for rs in reasons.values() if all(r in _RESOLVABLE_REASONS for r in rs))
    preemption = []
    if total - victims:
        preemption.append(f"{total - victims} Preemption is not helpful for scheduling")
    if victims:
        preemption.append(f"{victims} No preemption victims found for incoming pod")
    return (f"0/{total} nodes are available: {', '.join(parts)}. preemption: 0/{total} nodes are available: "
            f"{', '.join(sorted(preemption))}.")


def node_filter_reasons(state: SimState, pod: dict[str, Any], node: dict[str, Any]) -> list[str]:
    spec = pod["spec"]
    if node["spec"].get("unschedulable"):
        return ["node(s) were unschedulable"]
    for taint in node["spec"].get("taints") or []:
        if taint["effect"] in ("NoSchedule", "NoExecute") and not _tolerated(taint, spec.get("tolerations") or []):
            if taint["key"] == "node.kubernetes.io/unschedulable":
                return ["node(s) were unschedulable"]
            value = taint.get("value") or ""
            return [f"node(s) had untolerated taint {{{taint['key']}: {value}}}"]
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return ["node(s) didn't match Pod's node affinity/selector"]
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms") or []
    if terms and not any(_term_matches(t, labels) for t in terms):
        return ["node(s) didn't match Pod's node affinity/selector"]
    anti = (((spec.get("affinity") or {}).get("podAntiAffinity") or {})
            .get("requiredDuringSchedulingIgnoredDuringExecution") or [])
    for term in anti:
        if term.get("topologyKey") != "kubernetes.io/hostname":
            continue
        for other in state.store.list("Pod", pod["metadata"]["namespace"]):
            if (other is not pod and other["spec"].get("nodeName") == node["metadata"]["name"] and active(other)
                    and selector_matches(term.get("labelSelector"), other["metadata"].get("labels"))):
                return ["node(s) didn't match pod anti-affinity rules"]
    reasons = []
    req = pod_requests(spec)
    used = _node_usage(state, node["metadata"]["name"])
    alloc = node["status"]["allocatable"]
    if used["cpu"] + req["requests.cpu"] > cpu_millicores(alloc["cpu"]):
        reasons.append("Insufficient cpu")
    if used["memory"] + req["requests.memory"] > bytes_of(alloc["memory"]):
        reasons.append("Insufficient memory")
    return reasons


def bind(state: SimState, events: EventRecorder, pod: dict[str, Any], node: dict[str, Any]) -> None:
    name = node["metadata"]["name"]
    pod["spec"]["nodeName"] = name
    # The pod IP comes later, from the kubelet, once the sandbox exists.
    pod["status"].update({
        "phase": "Pending", "hostIP": node["status"]["addresses"][0]["address"],
        "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": _now(state),
                        "lastProbeTime": None}],
    })
    pod["status"]["hostIPs"] = [{"ip": pod["status"]["hostIP"]}]
    state.store.touch(pod)
    events.emit(pod, "Scheduled", f"Successfully assigned {pod['metadata']['namespace']}/{pod['metadata']['name']} "
                f"to {name}", component="default-scheduler")


def _fail(state: SimState, events: EventRecorder, pod: dict[str, Any], message: str) -> None:
    pod["status"]["conditions"] = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                    "message": message, "lastTransitionTime": _now(state), "lastProbeTime": None}]
    state.store.touch(pod)
    events.emit(pod, "FailedScheduling", message, type_="Warning", component="default-scheduler")


def _volume_blocker(state: SimState, pod: dict[str, Any]) -> str:
    for vol in pod["spec"].get("volumes") or []:
        claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
        if not claim:
            continue
        pvc = state.store.get("PersistentVolumeClaim", pod["metadata"]["namespace"], claim)
        if pvc is None:
            return f'persistentvolumeclaim "{claim}" not found'
        if pvc.get("status", {}).get("phase") != "Bound":
            return "pod has unbound immediate PersistentVolumeClaims"
    return ""


def _tolerated(taint: dict[str, Any], tolerations: list[dict[str, Any]]) -> bool:
    for tol in tolerations:
        if tol.get("effect") and tol["effect"] != taint["effect"]:
            continue
        if tol.get("operator") == "Exists" and (not tol.get("key") or tol["key"] == taint["key"]):
            return True
        if tol.get("key") == taint["key"] and (tol.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def _term_matches(term: dict[str, Any], labels: dict[str, str]) -> bool:
    for expr in term.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _node_usage(state: SimState, node: str) -> dict[str, int]:
    cpu = mem = 0
    for pod in state.store.list("Pod"):
        if pod["spec"].get("nodeName") == node and active(pod):
            req = pod_requests(pod["spec"])
            cpu += req["requests.cpu"]
            mem += req["requests.memory"]
    return {"cpu": cpu + state.extra.get("system_reserved_cpu", {}).get(node, 0),
            "memory": mem + state.extra.get("system_reserved_mem", {}).get(node, 0)}


def _load_score(state: SimState, node: dict[str, Any], pod: dict[str, Any]) -> float:
    usage = _node_usage(state, node["metadata"]["name"])
    return usage["cpu"] / max(1, cpu_millicores(node["status"]["allocatable"]["cpu"]))


def _now(state: SimState) -> str:
    from aoi.cluster.sim.clock import rfc3339

    return rfc3339(state.clock.now)
