"""What several analyzers need: the workloads that are unhealthy now, event freshness, and a finding builder."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aoi.diagnosis.findings import Candidate, Evidence, Finding, quote
from aoi.diagnosis.reads import Event, Reads, workload_of


def service_object(name: str) -> str:
    return f"service/{name}"


def finding(analyzer: str, obj: str, symptom: str, evidence: Iterable[tuple[str, str]],
            candidates: Iterable[tuple[str, float]] | Mapping[str, float], confirm: str, *,
            stale: bool = False) -> Finding:
    """A `Finding` from (line, source) pairs and (cause, confidence) pairs; evidence lines are quoted and bounded."""
    pairs = candidates.items() if isinstance(candidates, Mapping) else candidates
    quoted = tuple(dict.fromkeys(Evidence(quote(line), source) for line, source in evidence))[:4]
    ranked = tuple(sorted((Candidate(c, round(max(0.0, min(1.0, p)), 3)) for c, p in pairs),
                          key=lambda c: -c.confidence))
    return Finding(analyzer, obj, symptom, quoted, ranked, confirm, stale)


def unhealthy_workloads(reads: Reads) -> dict[str, str]:
    """Workload → what is wrong with it now: pods not running or not ready, or fewer available than desired."""
    services = reads.services()
    out: dict[str, str] = {}
    for pod in reads.pods():
        if pod.workload and not pod.healthy:
            out.setdefault(pod.workload, f"pod {pod.name} is {pod.status} ({pod.ready}/{pod.total} ready)")
    for row in reads.table("deployments") + reads.table("statefulsets"):
        name = row.get("NAME", "")
        ready, _, want = row.get("READY", "").partition("/")
        if name in services and ready.isdigit() and want.isdigit() and int(ready) < int(want):
            out.setdefault(name, f"{ready}/{want} replicas ready")
    return out


def event_workload(reads: Reads, event: Event) -> str:
    return workload_of(event.name, reads.services())


def is_current(reads: Reads, event: Event) -> bool:
    """Whether an event is about the present: a pod event whose pod still exists, or an event on a controller
    (ReplicaSet, Deployment, StatefulSet) of a workload that is unhealthy now — for a ReplicaSet, one whose pods are
    the workload's pods (or that has none, as when every pod it tried was refused). Events on pods that are gone, on
    ReplicaSets a rollout has replaced, and on workloads that have recovered are left over from earlier incidents."""
    if event.kind == "pod":
        return event.name in reads.live_pod_names()
    workload = event_workload(reads, event)
    if not workload:
        return True
    if workload not in unhealthy_workloads(reads):
        return False
    pods = [p.name for p in reads.pods_of(workload)]
    return event.kind != "replicaset" or not pods or any(p.startswith(event.name + "-") for p in pods)


def newest_first(events: Iterable[Event]) -> list[Event]:
    return sorted(events, key=lambda e: e.age_s if e.age_s is not None else 10**9)
