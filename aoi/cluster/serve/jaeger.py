"""A Jaeger-compatible query API (the HTTP JSON API of jaeger-query) over the simulator's traces.

Served under `/jaeger` (like jaeger-query's `--query.base-path`):

    GET /jaeger/api/services                          service names that reported spans
    GET /jaeger/api/services/{service}/operations     operation names of a service
    GET /jaeger/api/operations?service=S             [{name, spanKind}]
    GET /jaeger/api/traces?service=S[&operation=O][&limit=N][&lookback=1h|&start=µs&end=µs][&tags={"error":"true"}]
    GET /jaeger/api/traces/{traceID}

Responses use Jaeger's envelope `{data, total, limit, offset, errors}`; span times are microseconds since the
Unix epoch, moved from the simulator's clock onto the wall clock like every other served timestamp.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any

from aoi.cluster.sim.clock import TICK_SECONDS
from aoi.cluster.sim.session import SimSession
from aoi.cluster.sim.telemetry import Span

DEFAULT_LIMIT = 20
MAX_LIMIT = 1500
_DURATION = re.compile(r"^(\d+)(us|ms|s|m|h|d)$")
_UNIT_US = {"us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000}


class JaegerApi:
    def __init__(self, session: SimSession) -> None:
        self._session = session

    def handle(self, path: str, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) for a path below the `/jaeger` root."""
        parts = [p for p in path.split("/") if p]
        if parts[:1] != ["api"]:
            return _error(404, f"no Jaeger API at {path or '/'}; try /jaeger/api/services")
        with self._session.cluster(save=False) as cluster:
            traces = list(cluster.engine.state.telemetry.traces)
            offset_us = int((time.time() - cluster.engine.state.clock.now.timestamp()) * 1_000_000)
        if parts[1:] == ["services"]:
            return _ok(sorted({s.service for spans in traces for s in spans}))
        if len(parts) == 4 and parts[1] == "services" and parts[3] == "operations":
            return _ok(_operations(traces, parts[2]))
        if parts[1:] == ["operations"]:
            if not query.get("service"):
                return _error(400, "parameter 'service' is required")
            return _ok([{"name": op, "spanKind": "server"} for op in _operations(traces, query["service"])])
        if parts[1:] == ["traces"]:
            return self._search(traces, query, offset_us)
        if len(parts) == 3 and parts[1] == "traces":
            found = [spans for spans in traces if spans and spans[0].trace_id == parts[2]]
            if not found:
                return _error(404, "trace not found")
            return _ok([_trace(found[0], offset_us)])
        return _error(404, f"no Jaeger API at {path}")

    def _search(self, traces: list[list[Span]], query: Mapping[str, str], offset_us: int) -> tuple[int, dict]:
        service = query.get("service")
        if not service:
            return _error(400, "parameter 'service' is required")
        try:
            limit = min(int(query.get("limit") or DEFAULT_LIMIT), MAX_LIMIT)
            now_us = int(time.time() * 1_000_000)
            # The simulator stamps a tick's traces anywhere within that tick, up to 5 s ahead of its clock.
            end = int(query["end"]) if query.get("end") else now_us + TICK_SECONDS * 1_000_000
            start = int(query["start"]) if query.get("start") else end - _duration_us(query.get("lookback") or "1h")
            tags = json.loads(query["tags"]) if query.get("tags") else {}
        except (ValueError, TypeError) as exc:
            return _error(400, f"bad query parameter: {exc}")
        operation = query.get("operation")
        selected = []
        for spans in reversed(traces):
            own = [s for s in spans if s.service == service and (not operation or s.operation == operation)]
            if not own or not start <= spans[0].start_us + offset_us <= end:
                continue
            if str(tags.get("error", "")).lower() == "true" and not any(s.error for s in own):
                continue
            selected.append(_trace(spans, offset_us))
            if len(selected) >= limit:
                break
        return _ok(selected)


def _operations(traces: list[list[Span]], service: str) -> list[str]:
    return sorted({s.operation for spans in traces for s in spans if s.service == service})


def _duration_us(text: str) -> int:
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"lookback {text!r} is not a duration like 1h, 30m or 2d")
    return int(match.group(1)) * _UNIT_US[match.group(2)]


def _trace(spans: list[Span], offset_us: int) -> dict[str, Any]:
    processes: dict[str, str] = {}
    out = []
    for s in spans:
        pid = processes.setdefault(s.service, f"p{len(processes) + 1}")
        tags = [{"key": "span.kind", "type": "string", "value": s.tags.get("span.kind", "server")}]
        tags += [{"key": k, "type": "string", "value": str(v)} for k, v in s.tags.items() if k != "span.kind"]
        if s.error:
            tags.append({"key": "error", "type": "bool", "value": True})
            if s.status_message:
                tags.append({"key": "otel.status_description", "type": "string", "value": s.status_message})
        out.append({"traceID": s.trace_id, "spanID": s.span_id, "operationName": s.operation, "flags": 1,
                    "references": [{"refType": "CHILD_OF", "traceID": s.trace_id, "spanID": s.parent_id}]
                    if s.parent_id else [],
                    "startTime": s.start_us + offset_us, "duration": s.duration_us, "tags": tags, "logs": [],
                    "processID": pid, "warnings": None})
    return {"traceID": spans[0].trace_id, "spans": out,
            "processes": {pid: {"serviceName": svc, "tags": []} for svc, pid in processes.items()}, "warnings": None}


def _ok(data: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"data": data, "total": len(data), "limit": 0, "offset": 0, "errors": None}


def _error(code: int, message: str) -> tuple[int, dict[str, Any]]:
    return code, {"data": None, "total": 0, "limit": 0, "offset": 0, "errors": [{"code": code, "msg": message}]}
