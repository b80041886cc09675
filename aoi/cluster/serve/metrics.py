"""Prometheus text exposition (format 0.0.4) of the simulator's metrics, for a real Prometheus to scrape.

The names are stable; AOI's Prometheus backend queries them. Every family is a gauge holding the latest
5-second sample the simulator recorded (`aoi.cluster.sim.traffic`); samples carry no timestamp, so Prometheus
stamps them at scrape time.

Per service (labels `namespace`, `service`):

    aoi_service_request_rate          requests per second served
    aoi_service_error_rate            fraction of requests that failed, 0..1
    aoi_service_latency_p50_ms        latency percentiles in milliseconds
    aoi_service_latency_p95_ms
    aoi_service_latency_p99_ms
    aoi_service_cpu_millicores        CPU used by all its pods, millicores
    aoi_service_memory_mib            memory working set of all its pods, MiB
    aoi_service_restarts              container restarts of all its pods

Per pod (labels `namespace`, `pod`, `service`): `aoi_pod_request_rate`, `aoi_pod_error_rate`,
`aoi_pod_cpu_millicores`, `aoi_pod_memory_mib`, `aoi_pod_restarts` (same units).

And `aoi_sim_tick`: the simulator's tick (5 simulated seconds each).
"""

from __future__ import annotations

from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.network import component_of

SERVICE_METRICS: dict[str, tuple[str, str]] = {
    "request_rate": ("aoi_service_request_rate", "Requests per second served by the service."),
    "error_rate": ("aoi_service_error_rate", "Fraction of the service's requests that failed (0..1)."),
    "p50_ms": ("aoi_service_latency_p50_ms", "Median request latency of the service in milliseconds."),
    "p95_ms": ("aoi_service_latency_p95_ms", "95th percentile request latency of the service in milliseconds."),
    "p99_ms": ("aoi_service_latency_p99_ms", "99th percentile request latency of the service in milliseconds."),
    "cpu_millicores": ("aoi_service_cpu_millicores", "CPU used by the service's pods in millicores."),
    "memory_mib": ("aoi_service_memory_mib", "Memory working set of the service's pods in MiB."),
    "restarts": ("aoi_service_restarts", "Container restarts of the service's pods."),
}
"""Simulator metric name → (Prometheus family, help text), per service."""

POD_METRICS: dict[str, tuple[str, str]] = {
    "request_rate": ("aoi_pod_request_rate", "Requests per second served by the pod."),
    "error_rate": ("aoi_pod_error_rate", "Fraction of the pod's requests that failed (0..1)."),
    "cpu_millicores": ("aoi_pod_cpu_millicores", "CPU used by the pod in millicores."),
    "memory_mib": ("aoi_pod_memory_mib", "Memory working set of the pod in MiB."),
    "restarts": ("aoi_pod_restarts", "Container restarts of the pod."),
}
"""Simulator metric name → (Prometheus family, help text), per pod."""


def exposition(cluster: SimCluster) -> str:
    state = cluster.engine.state
    ns = state.app.namespace
    series = state.telemetry.series
    pods = [(p["metadata"]["name"], component_of(state, p)) for p in state.store.list("Pod", ns)]
    lines = ["# HELP aoi_sim_tick The simulator's tick (5 simulated seconds each).", "# TYPE aoi_sim_tick gauge",
             f"aoi_sim_tick {state.clock.tick}"]
    for metric, (family, help_text) in SERVICE_METRICS.items():
        lines += [f"# HELP {family} {help_text}", f"# TYPE {family} gauge"]
        for service in state.app.component_names:
            samples = series.get(f"{ns}/{service}", {}).get(metric)
            if samples:
                lines.append(f'{family}{{namespace="{_escape(ns)}",service="{_escape(service)}"}} '
                             f"{_number(samples[-1][1])}")
    for metric, (family, help_text) in POD_METRICS.items():
        lines += [f"# HELP {family} {help_text}", f"# TYPE {family} gauge"]
        for pod, service in pods:
            samples = series.get(f"{ns}/pod/{pod}", {}).get(metric)
            if samples:
                lines.append(f'{family}{{namespace="{_escape(ns)}",pod="{_escape(pod)}",service="{_escape(service)}"}} '
                             f"{_number(samples[-1][1])}")
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return repr(float(value)) if value == value else "NaN"
