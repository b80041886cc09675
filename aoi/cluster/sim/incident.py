"""An incident as an on-call engineer first sees it: pods, warning events, error logs, metrics, firing alerts.

Used by `aoi sim show` and `make demo`. Everything comes through the read interface, so the view is exactly
what an agent's probe would see.
"""

from __future__ import annotations

from typing import Any

from aoi.cluster.interface import ClusterReader
from aoi.cluster.sim.faults import GroundTruth

SUMMARY_WINDOW_SECONDS = 120


def incident_evidence(reader: ClusterReader, namespace: str, services: list[str]) -> dict[str, Any]:
    error_logs = {}
    metrics = {}
    for service in services:
        summary = reader.error_log_summary(service, namespace)
        if summary:
            error_logs[service] = {"total_errors": summary["total_errors"],
                                   "top_patterns": summary["patterns"][:3]}
        m = reader.metrics(service, namespace, window_seconds=SUMMARY_WINDOW_SECONDS)["metrics"]
        metrics[service] = {name: m[name]["mean"] for name in ("request_rate", "error_rate", "p95_ms") if name in m}
    return {
        "pods": reader.get_resources("pods", namespace=namespace, wide=True),
        "events": reader.events(namespace, warnings_only=True),
        "error_logs": error_logs,
        "metrics": metrics,
        "alerts": reader.alerts(),
    }


def render_incident(app: str, family: str, seed: int, ticks: int, truth: GroundTruth,
                    evidence: dict[str, Any], *, show_truth: bool = True) -> str:
    lines = [f"# {app}: {family} (seed {seed}, {ticks} ticks after injection)", ""]
    lines += ["$ kubectl get pods -o wide", evidence["pods"].rstrip(), ""]
    lines += ["$ kubectl get events --field-selector type=Warning", evidence["events"].rstrip(), ""]
    lines.append("## Error logs")
    if not evidence["error_logs"]:
        lines.append("(no error lines)")
    for service, summary in evidence["error_logs"].items():
        lines.append(f"{service}: {summary['total_errors']} error lines")
        for pattern in summary["top_patterns"]:
            lines.append(f"  {pattern['count']:>4}x {_clip(pattern['sample'], 160)}")
    lines += ["", "## Metrics (mean over the last 2 minutes)",
              f"{'SERVICE':<28}{'RPS':>10}{'ERRORS':>10}{'P95 (ms)':>12}"]
    for service, m in evidence["metrics"].items():
        lines.append(f"{service:<28}{m.get('request_rate', 0):>10.2f}{m.get('error_rate', 0) * 100:>9.1f}%"
                     f"{m.get('p95_ms', 0):>12.1f}")
    lines += ["", "## Firing alerts"]
    alerts = evidence["alerts"].get("alerts", []) if evidence["alerts"] else []
    if not alerts:
        lines.append("(none)")
    for alert in alerts:
        lines.append(f"{alert['type']} {alert['name']}:")
        lines += [f"  - {_clip(e, 160)}" for e in alert["evidence"]]
    if show_truth:
        lines += ["", "## Ground truth (hidden from the agent)",
                  f"faulty: {', '.join(truth.faulty_components) or '(none)'}; level: {truth.system_level}; "
                  f"type: {truth.fault_type}"]
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
