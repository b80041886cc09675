"""Performance: every object is healthy, but a service is slow.

Kubernetes behaviour encoded here (the kubelet enforces a container's CPU limit through CFS quotas): latency
injected into one service (pod network delay) makes that service slow and every caller on the path inherits the
delay, so the origin is the slowest service none of whose own callees is slow. Several such origins at once,
all on one node, point at that node's network instead (see the infrastructure analyzer). CPU saturation also slows the
service, but its CPU sits at its limit and the kernel throttles it (CFS throttling), which a network delay never
does.
"""

from __future__ import annotations

from typing import Any

from aoi.diagnosis.analyzers.common import finding, service_object
from aoi.diagnosis.findings import Finding
from aoi.diagnosis.reads import Reads

_LATENCY_KEYS = ("p95_ms", "p99_ms", "p95latency", "p90latency", "p50latency", "p50_ms")
_CPU_KEYS = ("cpu_millicores", "cpu")
_THROTTLE_KEYS = ("cpu_cfs", "cpu_throttling", "throttled")


def slow_services(reads: Reads) -> list[Finding]:
    """Latency and CPU alerts traced to their origin along the call graph."""
    alerts = [a for a in reads.alerts().get("alerts") or [] if isinstance(a, dict) and a.get("type") == "Service"]
    services = set(reads.services())
    slow = {str(a.get("name")): [str(e) for e in a.get("evidence") or []] for a in alerts
            if str(a.get("name")) in services and any("LATENCY" in str(e).upper() or "CPU" in str(e).upper()
                                                      for e in a.get("evidence") or [])}
    if not slow:
        return []
    callees_of = slow_callees(reads, slow)
    origins = [name for name in slow if not callees_of[name] & set(slow)]
    if len(origins) >= 2 and origins_share_a_node(reads, origins):
        return []  # independent services slow together on one node: the node analyzer's finding
    findings = []
    for name in origins or list(slow):
        evidence = [(e, "get_alerts()") for e in slow[name][:2]]
        cpu = _cpu_saturated(reads, name)
        cpu_alert = any("CPU" in e.upper() for e in slow[name])
        if cpu or cpu_alert:
            candidates = [("pod_cpu_overload", 0.8), ("pod_network_delay", 0.35)]
            if cpu:
                evidence.append((cpu, reads.label("get_metrics", target=name)))
        elif callees_of[name]:
            # Slow, with callees nobody showed to be fast: the delay may come from any of them.
            candidates = [("pod_network_delay", 0.4), ("pod_cpu_overload", 0.2)]
        else:
            candidates = [("pod_network_delay", 0.7 if len(origins) == 1 else 0.5), ("pod_cpu_overload", 0.3)]
        callers = [s for s in slow if s != name]
        symptom = f"{name} is slow" + (f" and {len(callers)} caller(s) inherit it" if callers else "")
        findings.append(finding("slow_services", service_object(name), symptom, evidence, candidates,
                                reads.label("get_metrics", target=name)))
    return findings


def slow_callees(reads: Reads, slow: dict[str, Any] | set[str]) -> dict[str, set[str]]:
    """Each slow service's callees (`get_service_dependencies` downstream) among the app's services."""
    services = set(reads.services())
    callees_of = {}
    for name in slow:
        deps = reads.dependencies(name) or {}
        callees_of[name] = {str(d) for d in _names(deps.get("downstream")) if str(d) in services}
    return callees_of


def origins_share_a_node(reads: Reads, origins: list[str]) -> str:
    """The node every pod of these services runs on ("" if they are spread over several)."""
    nodes = {p.node for p in reads.pods() if p.workload in origins and p.node}
    return nodes.pop() if len(nodes) == 1 else ""


def _names(value: Any) -> list[str]:
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, list):
        return [str(v.get("name", v)) if isinstance(v, dict) else str(v) for v in value]
    return []


def _cpu_saturated(reads: Reads, service: str) -> str:
    """A line of evidence when the service's CPU is throttled or at its limit ("" otherwise)."""
    data = reads.metrics(service) or {}
    metrics = data.get("metrics") or data
    for key in _THROTTLE_KEYS:
        value = _stat(metrics.get(key), "max")
        if value is not None and value > 0.25:
            return f"{key} max {value:g} (CPU throttled)"
    workload = reads.workload(service)
    limit = None
    for container in workload.containers if workload else []:
        raw = str(((container.get("resources") or {}).get("limits") or {}).get("cpu", ""))
        limit = _millicores(raw) or limit
    for key in _CPU_KEYS:
        value = _stat(metrics.get(key), "last")  # now, not averaged with the time before the fault
        value = value if value is not None else _stat(metrics.get(key), "mean")
        if value is not None and limit:
            used = value if key == "cpu_millicores" else value * 1000 if value < 64 else value
            if used >= 0.85 * limit:
                return f"CPU {used:.0f}m of a {limit:.0f}m limit"
    return ""


def _stat(entry: Any, name: str) -> float | None:
    if isinstance(entry, dict) and isinstance(entry.get(name), (int, float)):
        return float(entry[name])
    return None


def _millicores(raw: str) -> float | None:
    if not raw:
        return None
    try:
        return float(raw[:-1]) if raw.endswith("m") else float(raw) * 1000
    except ValueError:
        return None
