"""Traces and service dependencies from the Jaeger query HTTP API (`/api/services`, `/api/traces`,
`/api/dependencies`), converted to the shape every AOI backend returns."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from aoi.cluster.telemetry.http import get_json

DEFAULT_LOOKBACK_S = 3600


class JaegerClient:
    """A read-only client of one Jaeger query service."""

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s

    def _data(self, path: str, params: dict[str, Any] | None = None) -> Any:
        answer = get_json("Jaeger", self.url, path, params, timeout_s=self.timeout_s)
        return answer.get("data") if isinstance(answer, dict) else None

    def services(self) -> list[str]:
        return sorted(str(s) for s in self._data("/api/services") or [] if s != "jaeger-query")

    def traces(self, service: str, *, operation: str | None = None, errors_only: bool = False, limit: int = 20,
               lookback_s: int = DEFAULT_LOOKBACK_S) -> list[dict[str, Any]]:
        """Recent traces through `service`, newest first, each as `{trace_id, operation, duration_ms, error,
        spans}`."""
        end = int(time.time() * 1_000_000)
        params = {"service": service, "operation": operation, "limit": limit, "start": end - lookback_s * 1_000_000,
                  "end": end, "tags": json.dumps({"error": "true"}) if errors_only else None}
        traces = [trace_view(t) for t in self._data("/api/traces", params) or []]
        return sorted(traces, key=lambda t: -t["start_us"])

    def neighbours(self, service: str, *, limit: int = 200,
                   lookback_s: int = DEFAULT_LOOKBACK_S) -> tuple[list[str], list[str]]:
        """(callers, callees) of `service` seen in its recent traces: the services of its spans' parents and
        children. Derived from traces rather than `/api/dependencies`, which many Jaeger storages only fill from a
        separate batch job."""
        return call_edges(self.traces(service, limit=limit, lookback_s=lookback_s), service)


def _tags(span: dict[str, Any]) -> dict[str, Any]:
    return {t.get("key"): t.get("value") for t in span.get("tags") or []}


def _is_error(tags: dict[str, Any]) -> bool:
    return tags.get("error") in (True, "true") or str(tags.get("otel.status_code", "")).upper() == "ERROR"


def trace_view(trace: dict[str, Any]) -> dict[str, Any]:
    """A Jaeger trace as `{trace_id, operation, duration_ms, error, spans: [...]}`, root span first."""
    processes = trace.get("processes") or {}
    spans = sorted(trace.get("spans") or [], key=lambda s: (s.get("startTime", 0), s.get("spanID", "")))
    ids = {s.get("spanID") for s in spans}
    views = []
    for span in spans:
        tags = _tags(span)
        parent = next((r.get("spanID") for r in span.get("references") or []
                       if r.get("refType") == "CHILD_OF" and r.get("spanID") in ids), None)
        view = {"span_id": span.get("spanID"), "parent_id": parent,
                "service": (processes.get(span.get("processID")) or {}).get("serviceName", ""),
                "operation": span.get("operationName", ""), "duration_ms": round(span.get("duration", 0) / 1000, 2),
                "error": _is_error(tags)}
        message = tags.get("otel.status_description") or (tags.get("error.message") if view["error"] else None)
        if message:
            view["status_message"] = str(message)
        views.append(view)
    root = next((v for v in views if v["parent_id"] is None), views[0] if views else None)
    if root is not None:
        views.remove(root)
        views.insert(0, root)
    return {"trace_id": trace.get("traceID", ""), "operation": root["operation"] if root else "",
            "duration_ms": root["duration_ms"] if root else 0.0, "error": any(v["error"] for v in views),
            "spans": views, "start_us": spans[0].get("startTime", 0) if spans else 0}


def call_edges(traces: Iterable[dict[str, Any]], service: str) -> tuple[list[str], list[str]]:
    """(callers, callees) of `service` across trace views: parent-span and child-span services of its spans."""
    callers: set[str] = set()
    callees: set[str] = set()
    for trace in traces:
        by_id = {s["span_id"]: s for s in trace["spans"]}
        for span in trace["spans"]:
            parent = by_id.get(span["parent_id"])
            if parent is None or parent["service"] == span["service"]:
                continue
            if span["service"] == service:
                callers.add(parent["service"])
            if parent["service"] == service:
                callees.add(span["service"])
    return sorted(callers), sorted(callees)


def operation_aggregates(traces: Iterable[dict[str, Any]], service: str | None) -> list[dict[str, Any]]:
    """Per (service, operation): span count, errors, p50 and p95 duration, as the simulator computes them."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for trace in traces:
        for span in trace["spans"]:
            if service is None or span["service"] == service:
                groups.setdefault((span["service"], span["operation"]), []).append(span)
    aggregates = []
    for (svc, op), spans in sorted(groups.items()):
        durations = sorted(s["duration_ms"] for s in spans)
        aggregates.append({"service": svc, "operation": op, "count": len(spans),
                           "errors": sum(1 for s in spans if s["error"]),
                           "p50_ms": round(durations[len(durations) // 2], 2),
                           "p95_ms": round(durations[min(len(durations) - 1, int(len(durations) * 0.95))], 2)})
    return aggregates
