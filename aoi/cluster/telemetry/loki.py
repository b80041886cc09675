"""Aggregated logs from Loki (`/loki/api/v1/query_range`): every pod of a service, replaced pods included, over a
time window the kubelet no longer keeps."""

from __future__ import annotations

import re
import time
from typing import Any

from aoi.cluster.interface import InvalidArgumentError
from aoi.cluster.telemetry.http import get_json
from aoi.cluster.telemetry.prometheus import pods_regex

MAX_LINES = 5000
_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")


class LokiClient:
    """A read-only client of one Loki server. Streams are selected by the `namespace` and `pod` labels that
    Promtail and the Grafana agent attach to Kubernetes logs."""

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s

    def labels(self) -> dict[str, Any]:
        """Loki's label names, for `aoi doctor` (any JSON answer means the API is reachable)."""
        return get_json("Loki", self.url, "/loki/api/v1/labels", timeout_s=self.timeout_s)

    def query_range(self, logql: str, *, start_s: float, end_s: float, limit: int = 1000) -> list[tuple[int, str]]:
        """(timestamp ns, line) pairs of every stream the query selects, oldest first."""
        if not 1 <= limit <= MAX_LINES:
            raise InvalidArgumentError(f"limit must be between 1 and {MAX_LINES}")
        answer = get_json("Loki", self.url, "/loki/api/v1/query_range",
                          {"query": logql, "start": int(start_s * 1e9), "end": int(end_s * 1e9), "limit": limit,
                           "direction": "backward"}, timeout_s=self.timeout_s)
        data = answer.get("data") if isinstance(answer, dict) else None
        lines = [(int(ts), line) for stream in (data or {}).get("result") or []
                 for ts, line in stream.get("values") or []]
        return sorted(lines)

    def service_lines(self, namespace: str, service: str, *, window_s: int = 3600, limit: int = MAX_LINES,
                      now: float | None = None) -> list[str]:
        """The log lines of every pod of `service` within the window, oldest first."""
        for label in (namespace, service):
            if not _SAFE.match(label):
                raise InvalidArgumentError(f"{label!r} is not a valid Kubernetes name")
        end = time.time() if now is None else now
        pods = pods_regex(service).replace("\\", "\\\\")  # LogQL strings unescape backslashes once
        selector = f'{{namespace="{namespace}", pod=~"{pods}"}}'
        return [line for _, line in self.query_range(selector, start_s=end - window_s, end_s=end, limit=limit)]
