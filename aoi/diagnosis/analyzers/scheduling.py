"""Scheduling: a pod is stored but no node takes it, so it stays Pending.

Kubernetes behaviour encoded here:

* kube-scheduler records a Warning `FailedScheduling` whose message is a histogram of filter reasons per node
  (`0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3
  Insufficient cpu.`). The reason that excludes the most nodes is the binding constraint; a control-plane node's
  own taint or cordon excludes it from every workload pod and is ordinary, not a fault.
* `node(s) didn't match Pod's node affinity/selector` is written for both `nodeSelector` and required node
  affinity: the pod spec says which, and whether any node carries the labels it asks for says whether the selector
  is wrong or the nodes it selects are unavailable (cordoned, tainted).
* Only the scheduler writes `FailedScheduling`: Pending pods without a node and without any scheduling event mean
  no scheduler is running (a control-plane daemon), not a constraint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from aoi.diagnosis.analyzers.common import finding, is_current, newest_first, service_object, unhealthy_workloads
from aoi.diagnosis.describe import parse_pod
from aoi.diagnosis.findings import Finding
from aoi.diagnosis.messages import SchedulingFailure, parse_failed_scheduling, scheduling_reason, taint_key, unit_state
from aoi.diagnosis.reads import Node, Reads, workload_of

REASON_CAUSES = {"cpu": "insufficient_node_cpu", "memory": "insufficient_node_memory", "cordoned": "node_cordoned",
                 "taint": "taint_toleration_mismatch", "anti_affinity": "pod_anti_affinity_conflict",
                 "affinity": "pod_anti_affinity_conflict"}
HOSTNAME = "kubernetes.io/hostname"
_ORDINARY_TAINTS = ("node-role.kubernetes.io/", "node.kubernetes.io/unschedulable")


def failed_scheduling(reads: Reads) -> list[Finding]:
    """Per Pending workload, the newest `FailedScheduling` histogram (from the namespace's events, else from the
    pod's own `describe`) weighed by how many nodes each reason excludes, after removing what control-plane nodes
    always contribute. Histograms about pods that no longer exist count as stale."""
    findings = []
    nodes = reads.nodes()
    seen: set[str] = set()
    for pod in [p for p in reads.pods() if p.status == "Pending" and p.workload and not p.node]:
        if pod.workload in seen:
            continue
        messages = [(e.message, e.line, reads.events_label()) for e in newest_first(reads.events())
                    if e.name == pod.name and e.reason == "FailedScheduling"]
        if not messages:
            source = reads.label("describe_resource", resource_type="pods", name=pod.name)
            messages = [(e.message, f"{pod.name}: {e.message}", source)
                        for e in parse_pod(reads.describe("pods", pod.name) or "").events
                        if e.reason == "FailedScheduling"]
        parsed = next(((parse_failed_scheduling(m), line, src) for m, line, src in messages
                       if parse_failed_scheduling(m) is not None), None)
        if parsed is None:
            continue
        seen.add(pod.workload)
        pending = (f"pod {pod.name} is Pending on no node ({pod.ready}/{pod.total} ready)", reads.pods_label())
        item = _finding(reads, pod.workload, pod.name, parsed[0], (parsed[1], parsed[2]), nodes, stale=False,
                        state=[pending])
        if item is not None:
            findings.append(item)
    for event in newest_first(e for e in reads.events() if e.reason == "FailedScheduling"):
        workload = workload_of(event.name, reads.services())
        parsed_event = parse_failed_scheduling(event.message)
        if not workload or workload in seen or parsed_event is None:
            continue
        seen.add(workload)
        item = _finding(reads, workload, event.name, parsed_event, (event.line, reads.events_label()), nodes,
                        stale=not is_current(reads, event))
        if item is not None:
            findings.append(item)
    return findings


def _finding(reads: Reads, workload: str, pod: str, parsed: SchedulingFailure, quoted: tuple[str, str],
             nodes: Sequence[Node], *, stale: bool, state: Sequence[tuple[str, str]] = ()) -> Finding | None:
    """`state`: what object state shows of the same fault (the Pending pod), beside the scheduler's message."""
    candidates = _candidates(reads, workload, _weights(parsed.reasons, nodes))
    if not candidates:
        return None
    return finding("failed_scheduling", service_object(workload), f"pods of {workload} cannot be scheduled",
                   [quoted, *state, *_spec_evidence(reads, workload, nodes)], candidates,
                   reads.label("describe_resource", resource_type="pods", name=pod), stale=stale)


def _scheduler_saw(reads: Reads, pod: str) -> bool:
    """The pod's own describe shows a scheduling event or a PodScheduled condition (only the scheduler sets them)."""
    text = reads.describe("pods", pod) or ""
    details = parse_pod(text)
    return any(e.reason in ("FailedScheduling", "Scheduled") for e in details.events) or bool(
        re.search(r"^\s+PodScheduled\s+(True|False)", text, re.M))


def _weights(reasons: dict[str, int], nodes: Sequence[Node]) -> dict[str, float]:
    """Reason kind → nodes it excludes beyond what control-plane nodes always contribute."""
    control = [n for n in nodes if n.control_plane]
    cordoned_control = sum(1 for n in control if n.unschedulable)
    weights: dict[str, float] = {}
    for reason, count in reasons.items():
        kind = scheduling_reason(reason)
        if kind == "taint" and taint_key(reason).startswith(_ORDINARY_TAINTS):
            continue
        if kind == "cordoned":
            count -= cordoned_control
        if count > 0:
            weights[kind] = weights.get(kind, 0) + count
    return weights


def _candidates(reads: Reads, workload: str, weights: dict[str, float]) -> list[tuple[str, float]]:
    """Volume reasons are left to the storage analyzer, which compares the claim with the volumes."""
    total = sum(weights.values())
    out: dict[str, float] = {}
    spec = _pod_spec(reads, workload)
    for kind, weight in weights.items():
        share = 0.5 + 0.45 * weight / total
        if kind == "selector":
            for cause, p in _selector_causes(reads, spec).items():
                out[cause] = max(out.get(cause, 0), share * p)
        elif kind in REASON_CAUSES:
            out[REASON_CAUSES[kind]] = max(out.get(REASON_CAUSES[kind], 0), share)
    if "node_cordoned" in out and _cordoned_workers(reads.nodes()):
        out["node_cordoned"] = min(0.95, out["node_cordoned"] + 0.1)
    return [(c, p) for c, p in out.items()]


def _pod_spec(reads: Reads, workload: str) -> dict[str, Any]:
    found = reads.workload(workload)
    return found.pod_spec if found else {}


def _cordoned_workers(nodes: Sequence[Node]) -> list[Node]:
    return [n for n in nodes if n.unschedulable and not n.control_plane]


def _selector_causes(reads: Reads, spec: dict[str, Any]) -> dict[str, float]:
    """nodeSelector or required node affinity, and whether any node satisfies it; a selector that only cordoned
    nodes satisfy points at the cordon instead."""
    nodes = reads.nodes()
    selector = spec.get("nodeSelector") or {}
    terms = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
             .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or []
    if not selector and not terms:
        return {"node_selector_mismatch": 0.55, "node_affinity_mismatch": 0.5}
    out: dict[str, float] = {}
    for cause, matcher in (("node_selector_mismatch", lambda n: _labels_match(n, selector) if selector else None),
                           ("node_affinity_mismatch", lambda n: _terms_match(n, terms) if terms else None)):
        verdicts = [(n, matcher(n)) for n in nodes]
        if all(v is None for _, v in verdicts):
            continue
        matching = [n for n, v in verdicts if v]
        if not matching and cause == "node_selector_mismatch" and HOSTNAME in selector:
            # kubernetes.io/hostname is the node's name: the pod is pinned to a node that does not exist.
            out["pod_assigned_to_nonexistent_node"] = 0.95
            out[cause] = 0.8
        elif not matching:
            out[cause] = 0.95
        elif all(n.unschedulable for n in matching):
            out["node_cordoned"] = 0.9
            out[cause] = 0.3
        elif all(_tainted(n) for n in matching):
            out["taint_toleration_mismatch"] = 0.85
            out[cause] = 0.3
        else:
            out[cause] = 0.5
    return out or {"node_selector_mismatch": 0.5, "node_affinity_mismatch": 0.5}


def _tainted(node: Node) -> bool:
    return any(not t.startswith(_ORDINARY_TAINTS) and t.rsplit(":", 1)[-1] in ("NoSchedule", "NoExecute")
               for t in node.taints)


def _labels_match(node: Node, selector: dict[str, Any]) -> bool:
    return all(node.labels.get(str(k)) == str(v) for k, v in selector.items())


def _terms_match(node: Node, terms: list[Any]) -> bool:
    """Required node affinity: any term whose every expression holds (In, NotIn, Exists, DoesNotExist, Gt, Lt)."""
    for term in terms:
        expressions = (term or {}).get("matchExpressions") or []
        if all(_expression(node, e) for e in expressions if isinstance(e, dict)):
            return True
    return False


def _expression(node: Node, expr: dict[str, Any]) -> bool:
    key, op, values = str(expr.get("key", "")), str(expr.get("operator", "")), [str(v) for v in expr.get("values")
                                                                                or []]
    value = node.labels.get(key)
    if op == "In":
        return value in values
    if op == "NotIn":
        return value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt") and value is not None and values:
        try:
            return int(value) > int(values[0]) if op == "Gt" else int(value) < int(values[0])
        except ValueError:
            return False
    return False


def _spec_evidence(reads: Reads, workload: str, nodes: Sequence[Node]) -> list[tuple[str, str]]:
    spec = _pod_spec(reads, workload)
    source = reads.label("get_app_yaml", service=workload)
    out = []
    if spec.get("nodeSelector"):
        out.append((f"nodeSelector: {spec['nodeSelector']}", source))
    if (spec.get("affinity") or {}).get("nodeAffinity"):
        out.append(("affinity.nodeAffinity: " + str(spec["affinity"]["nodeAffinity"]), source))
    for node in _cordoned_workers(nodes):
        out.append((f"node {node.name} is cordoned (SchedulingDisabled)", "get_cluster_configuration()"))
    return out


def scheduler_down(reads: Reads) -> list[Finding]:
    """Pending pods with no node and no scheduling event: nothing is scheduling. Confirmed by the control-plane
    node's kube-scheduler unit and the kube-system scheduler pod."""
    pending = [p for p in reads.pods() if p.status == "Pending" and not p.node and p.workload]
    if not pending:
        return []
    scheduled_about = {e.name for e in reads.events() if e.reason in ("FailedScheduling", "Scheduled")}
    silent = [p for p in pending if p.name not in scheduled_about and not _scheduler_saw(reads, p.name)]
    if not silent:
        return []
    control = [n for n in reads.nodes() if n.control_plane] or reads.nodes()[:1]
    if not control:
        return []
    node = control[0].name
    status = reads.node_status(node, "kube-scheduler") or ""
    state = unit_state(status)
    system_pods = [p for p in reads.pods("kube-system") if p.name.startswith("kube-scheduler")]
    down_pod = [p for p in system_pods if not p.healthy]
    confidence = 0.45 + (0.45 if state == "stopped" else 0) + (0.1 if down_pod else 0) \
        - (0.3 if state == "running" else 0)
    evidence = [(f"pod {p.name} Pending, no node, no scheduling event", reads.pods_label()) for p in silent[:2]]
    if status:
        line = next((ln for ln in status.splitlines() if "Active:" in ln), status.splitlines()[0] if status else "")
        evidence.append((line, reads.label("check_node_service_status", node=node, component="kube-scheduler")))
    for pod in down_pod[:1]:
        evidence.append((f"{pod.name} {pod.status}", reads.pods_label("kube-system")))
    return [finding("scheduler_down", f"node/{node}", f"{len(silent)} pod(s) Pending with no scheduling decision",
                    evidence, [("kube_scheduler_unavailable", confidence)],
                    reads.label("check_node_service_status", node=node, component="kube-scheduler"),
                    stale=not any(w in unhealthy_workloads(reads) for w in {p.workload for p in silent}))]
