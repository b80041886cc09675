"""Triage: run every analyzer over a namespace and rank what they found (like `k8sgpt analyze`).

Read-only by construction: it takes a `ClusterReader` (a `ReadOnlyView` in the probe) and only ever calls its read
methods through `Reads`. It never sees ground truth, only what any read tool shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aoi.cluster.interface import ClusterReader
from aoi.diagnosis.analyzers import (
    admission,
    infrastructure,
    performance,
    routing,
    runtime,
    scheduling,
    startup,
    storage,
)
from aoi.diagnosis.findings import Finding, Hypothesis, TriageReport, quote
from aoi.diagnosis.ranking import rank
from aoi.diagnosis.reads import Reads

Analyzer = Callable[[Reads], list[Finding]]

ANALYZERS: dict[str, Analyzer] = {
    "quota_exhaustion": admission.quota_exhaustion,
    "missing_service_account": admission.missing_service_account,
    "failed_scheduling": scheduling.failed_scheduling,
    "scheduler_down": scheduling.scheduler_down,
    "pending_claims": storage.pending_claims,
    "image_pull": startup.image_pull,
    "container_config": startup.container_config,
    "volume_permission": startup.volume_permission,
    "oom": runtime.oom,
    "probes": runtime.probes,
    "service_wiring": routing.service_wiring,
    "caller_addresses": routing.caller_addresses,
    "node_daemons": infrastructure.node_daemons,
    "node_conditions": infrastructure.node_conditions,
    "node_network": infrastructure.node_network,
    "slow_services": performance.slow_services,
}
"""Every analyzer, by name, in the order they run (cheap cluster-wide reads first)."""

MAX_HYPOTHESES = 5
DEFAULT_BUDGET = 3000
"""Characters of rendered triage text (the probe's own output budget is larger; triage should stay readable)."""


def category_of(cause: str) -> str:
    try:
        from aoi.diagnosis.taxonomy import BY_NAME
    except ImportError:  # the table is optional for ranking; the category is only shown
        return ""
    row = BY_NAME.get(cause)
    return row.category if row is not None else ""


def triage(reader: ClusterReader, namespace: str, *, service: str | None = None) -> TriageReport:
    """Run every analyzer over `namespace` and rank the (root cause, object) hypotheses.

    `service` narrows the report to hypotheses about that service and to node or namespace causes (which can sit
    under any service). An analyzer that fails on unexpected input is skipped, never fatal: its name is listed in
    `unavailable` as `analyzer:<name>`.
    """
    reads = Reads(reader, namespace)
    findings: list[Finding] = []
    failed: list[str] = []
    for name, analyzer in ANALYZERS.items():
        try:
            findings.extend(analyzer(reads))
        except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:  # analyzer bug on odd input
            failed.append(f"analyzer:{name} ({type(exc).__name__})")
    if service:
        findings = [f for f in findings if f.object == f"service/{service}" or not f.object.startswith("service/")]
    # Stale findings (events about pods that are gone, workloads that have recovered) are earlier incidents: kept
    # in the report as history, never ranked as a cause of the present.
    return TriageReport(namespace=namespace, hypotheses=tuple(rank([f for f in findings if not f.stale], category_of)),
                        findings=tuple(findings), reads=tuple(reads.made),
                        unavailable=tuple(reads.unavailable) + tuple(failed))


def render(report: TriageReport, *, budget: int = DEFAULT_BUDGET, limit: int = MAX_HYPOTHESES) -> str:
    """The ranked hypotheses as text for people and prompts, at most `budget` characters."""
    head = (f"Triage of namespace {report.namespace}: {len(report.hypotheses)} hypothes"
            f"{'is' if len(report.hypotheses) == 1 else 'es'} from {len(report.reads)} reads"
            + (f" ({len(report.unavailable)} unavailable)" if report.unavailable else "") + ".")
    history = list(dict.fromkeys(f"{f.symptom} ({f.object})" for f in report.findings if f.stale))
    past = (f"\nEarlier incidents, no longer current (not ranked): {'; '.join(history[:3])}." if history else "")
    if not report.hypotheses:
        if report.unavailable:
            return head + (f"\nNo analyzer found a fault in what could be read; {len(report.unavailable)} read(s) "
                           f"failed, first {report.unavailable[0]}." + past)[:max(0, budget - len(head))]
        return (head + "\nNo analyzer found a fault: pods, events, nodes, claims, Services and alerts look "
                "healthy." + past)[:budget]
    blocks = [_block(i, h) for i, h in enumerate(report.hypotheses[:limit], start=1)]
    text = head + "\n" + blocks[0]  # the best hypothesis always shows, cut if it must be
    for block in blocks[1:]:
        if len(text) + len(block) + 1 > budget:
            break
        text += "\n" + block
    return text[:budget]


def _block(rank_: int, h: Hypothesis) -> str:
    lines = [f"{rank_}. {h.cause} on {h.object} (score {h.score:.2f}" + (f", {h.category}" if h.category else "")
             + ")"]
    if h.symptom:
        lines.append(f"   symptom: {quote(h.symptom, 160)}")
    for e in h.evidence[:3]:
        lines.append(f"   evidence: {quote(e.line, 220)} [{e.source}]")
    lines.append(f"   confirm: {h.confirm}")
    return "\n".join(lines)


def as_json(report: TriageReport, *, limit: int = MAX_HYPOTHESES) -> dict[str, Any]:
    """The report as JSON-ready data: the first `limit` hypotheses with evidence, reads and unavailable calls."""
    data = report.as_dict()
    data["hypotheses"] = data["hypotheses"][:limit]
    data.pop("findings")
    return json.loads(json.dumps(data))
