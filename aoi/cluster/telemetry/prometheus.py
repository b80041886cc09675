"""Metrics and alerts from the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`, `/api/v1/alerts`).

Each AOI metric has a default PromQL template built on the exporters most clusters run (cAdvisor, kube-state-metrics,
an HTTP request counter and latency histogram); a config file can replace any of them. Placeholders:
`$namespace`, `$service`, `$pod` (pod-level queries) and `$pods`, a regular expression matching the pods of the
service (or the one pod).
"""

from __future__ import annotations

import math
import re
import statistics
import time
from string import Template
from typing import Any

from aoi.cluster.interface import METRIC_NAMES, InvalidArgumentError
from aoi.cluster.telemetry.http import get_json

_SEL = 'namespace="$namespace",pod=~"$pods"'
_REQ = f"sum(rate(http_requests_total{{{_SEL}}}[1m]))"


def _quantile(q: float) -> str:
    return f"1000 * histogram_quantile({q}, sum by (le) (rate(http_request_duration_seconds_bucket{{{_SEL}}}[1m])))"


DEFAULT_QUERIES: dict[str, str] = {
    "request_rate": _REQ,
    "error_rate": f'sum(rate(http_requests_total{{{_SEL},code=~"5.."}}[1m])) / {_REQ}',
    "p50_ms": _quantile(0.5),
    "p95_ms": _quantile(0.95),
    "p99_ms": _quantile(0.99),
    "cpu_millicores": f'1000 * sum(rate(container_cpu_usage_seconds_total{{{_SEL},container!=""}}[1m]))',
    "memory_mib": f'sum(container_memory_working_set_bytes{{{_SEL},container!=""}}) / 1048576',
    "restarts": f"sum(kube_pod_container_status_restarts_total{{{_SEL}}})",
}
"""Metric → PromQL template (requests and latency from `http_requests_total` / `http_request_duration_seconds`,
CPU and memory from cAdvisor, restarts from kube-state-metrics)."""

_SIM_FAMILY = {"p50_ms": "latency_p50_ms", "p95_ms": "latency_p95_ms", "p99_ms": "latency_p99_ms"}
PRESETS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "kubernetes": (DEFAULT_QUERIES, {}),
    "aoi-sim": ({m: f'aoi_service_{_SIM_FAMILY.get(m, m)}{{namespace="$namespace",service="$service"}}'
                 for m in METRIC_NAMES},
                {m: f'aoi_pod_{m}{{namespace="$namespace",pod="$pod"}}'
                 for m in ("request_rate", "error_rate", "cpu_millicores", "memory_mib", "restarts")}),
}
"""Named query sets: (service-level, pod-level overrides). `aoi-sim` reads what `aoi sim serve` exposes."""

MAX_SERIES = 50
"""Series a raw query returns to the probe; more means the query should aggregate."""
MAX_POINTS = 11_000
"""Prometheus refuses a range query with more points than this per series."""
_SAFE_LABEL = re.compile(r"^[A-Za-z0-9_.:-]+$")


def pods_regex(service: str | None = None, pod: str | None = None) -> str:
    """The pods of a workload as a PromQL regex: Deployment pods (`svc-<hash>-<5>`), StatefulSet pods (`svc-0`)
    and DaemonSet pods (`svc-<5>`); or exactly one pod."""
    if pod is not None:
        return pod.replace(".", "\\.")
    if service is None:
        raise InvalidArgumentError("a service or a pod is needed")
    name = service.replace(".", "\\.")  # names are checked against _SAFE_LABEL: a dot is the only metacharacter
    return f"{name}-([a-z0-9]{{6,10}}-)?[a-z0-9]{{5}}|{name}-[0-9]+"


class PrometheusClient:
    """A read-only client of one Prometheus server."""

    def __init__(self, url: str, *, preset: str = "kubernetes", queries: dict[str, str] | None = None,
                 pod_queries: dict[str, str] | None = None, timeout_s: float = 10.0) -> None:
        if preset not in PRESETS:
            raise InvalidArgumentError(f"unknown Prometheus preset {preset!r}; presets: {', '.join(PRESETS)}")
        service_level, pod_level = PRESETS[preset]
        self.url = url
        self.queries = {**service_level, **(queries or {})}
        """Metric → PromQL for a service (and for a pod, unless `pod_queries` has the metric)."""
        self.pod_queries = {**pod_level, **(pod_queries or {})}
        self.timeout_s = timeout_s

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        answer = get_json("Prometheus", self.url, path, params, timeout_s=self.timeout_s)
        if not isinstance(answer, dict) or answer.get("status") != "success":
            message = answer.get("error") if isinstance(answer, dict) else answer
            raise InvalidArgumentError(f"Prometheus refused the query: {message}")
        return answer["data"]

    # -- the raw API -------------------------------------------------------------------------------------------
    def query(self, promql: str, *, at: float | None = None) -> dict[str, Any]:
        """An instant query: `{resultType, result}` as Prometheus returns it."""
        return self._get("/api/v1/query", {"query": promql, "time": at})

    def query_range(self, promql: str, *, start: float, end: float, step: float) -> dict[str, Any]:
        if end <= start or step <= 0:
            raise InvalidArgumentError("a range query needs end > start and a positive step")
        if (end - start) / step > MAX_POINTS:
            raise InvalidArgumentError(f"at most {MAX_POINTS} points per series; raise the step")
        return self._get("/api/v1/query_range", {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}",
                                                 "step": f"{step:g}"})

    def ready(self) -> dict[str, Any]:
        """Build information (`/api/v1/status/buildinfo`), for `aoi doctor`."""
        return self._get("/api/v1/status/buildinfo", {})

    def alerts(self) -> list[dict[str, Any]]:
        """Firing and pending alerts of the server's alerting rules."""
        return list(self._get("/api/v1/alerts", {}).get("alerts") or [])

    def read_query(self, query: str, range_seconds: int | None = None) -> dict[str, Any]:
        """A raw PromQL query for the probe: instant, or over the last `range_seconds` (at most 24 h, ~60 points
        per series). At most `MAX_SERIES` series come back. PromQL cannot write, and this client only sends GETs.

        Raises:
            InvalidArgumentError: an empty query, a bad range, or Prometheus rejecting the query (its message).
        """
        if not isinstance(query, str) or not query.strip():
            raise InvalidArgumentError("query must be a non-empty PromQL expression")
        if range_seconds is None:
            data = self.query(query)
        else:
            if not isinstance(range_seconds, int) or not 60 <= range_seconds <= 86_400:
                raise InvalidArgumentError("range_seconds must be an integer between 60 and 86400")
            end = time.time()
            data = self.query_range(query, start=end - range_seconds, end=end, step=max(5, range_seconds // 60))
        result = data.get("result")
        if isinstance(result, list) and len(result) > MAX_SERIES:
            data = {**data, "result": result[:MAX_SERIES],
                    "truncated": f"showing {MAX_SERIES} of {len(result)} series; aggregate with sum by (...)"}
        return data

    # -- AOI's metrics -----------------------------------------------------------------------------------------
    def promql(self, metric: str, *, namespace: str, service: str | None = None, pod: str | None = None) -> str:
        """The PromQL that computes `metric` for a service or a pod."""
        if metric not in self.queries:
            raise InvalidArgumentError(f"unknown metric {metric!r}; metrics: {', '.join(METRIC_NAMES)}")
        for label in (namespace, service, pod):
            if label is not None and not _SAFE_LABEL.match(label):
                raise InvalidArgumentError(f"{label!r} is not a valid Kubernetes name")
        template = self.pod_queries.get(metric, self.queries[metric]) if pod is not None else self.queries[metric]
        return Template(template).safe_substitute(
            namespace=namespace, service=service or "", pod=pod or "",
            pods=pods_regex(service, pod).replace("\\", "\\\\"))

    def metrics(self, target: str, namespace: str, *, level: str, window_seconds: int,
                now: float | None = None) -> dict[str, Any]:
        """Summary stats and a compact series of every metric that has data, shaped like the simulator's answer."""
        end = time.time() if now is None else now
        step = max(5, math.ceil(window_seconds / 60))
        result: dict[str, Any] = {"target": target, "level": level, "window_seconds": window_seconds,
                                  "step_seconds": step, "metrics": {}, "source": f"prometheus {self.url}"}
        who = {"pod": target} if level == "pod" else {"service": target}
        for metric in METRIC_NAMES:
            data = self.query_range(self.promql(metric, namespace=namespace, **who), start=end - window_seconds,
                                    end=end, step=step)
            values = [float(v) for series in data.get("result") or [] for _, v in series.get("values") or []]
            values = [v for v in values if math.isfinite(v)]
            if values:
                result["metrics"][metric] = summarise(values)
        return result


def summarise(values: list[float]) -> dict[str, Any]:
    """last/min/max/mean and a series of about 12 points (means of equal chunks), as the simulator reports."""
    chunk = max(1, len(values) // 12)
    return {"last": round(values[-1], 3), "min": round(min(values), 3), "max": round(max(values), 3),
            "mean": round(statistics.fmean(values), 3),
            "series": [round(statistics.fmean(values[i:i + chunk]), 3) for i in range(0, len(values), chunk)]}
