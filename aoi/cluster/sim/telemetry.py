"""Where the simulated cluster's evidence accumulates: metric series, container logs and traces.

Bounded ring buffers, so a long simulation costs constant memory: one hour of 5-second samples per series,
a few hundred lines per container, the most recent traces.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

SERIES_LENGTH = 720
LOG_LINES_PER_CONTAINER = 400
TRACES_KEPT = 300
LEARN_SAMPLES = 12
"""An alert's notion of normal is learned from the first minute of load after a deploy (the healthy app)..."""
NORMAL_HORIZON_TICKS = 17_280
"""...and then follows the series over about a day, so an incident an hour old still stands out against it (a
baseline over the last few minutes would absorb the fault and the alert would fade)."""


@dataclass(slots=True)
class LogLine:
    tick: int
    text: str
    error: bool


@dataclass(slots=True)
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    operation: str
    start_us: int
    duration_us: int
    error: bool
    status_message: str = ""
    tags: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Telemetry:
    series: dict[str, dict[str, deque[tuple[int, float]]]] = field(default_factory=dict)
    """`namespace/component` or `namespace/pod/<name>` → metric → (tick, value) samples."""
    logs: dict[str, deque[LogLine]] = field(default_factory=dict)
    """`namespace/pod/container#restart` → lines of that container instance."""
    traces: deque[list[Span]] = field(default_factory=lambda: deque(maxlen=TRACES_KEPT))
    normal: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    """`namespace/component` or `node/<name>` → metric → [samples learned, normal value] (see `learn`)."""

    def record(self, key: str, metric: str, tick: int, value: float) -> None:
        per_key = self.series.setdefault(key, {})
        buf = per_key.get(metric)
        if buf is None:
            buf = per_key[metric] = deque(maxlen=SERIES_LENGTH)
        buf.append((tick, value))

    def learn(self, key: str, metric: str, value: float) -> None:
        """Fold a sample into the metric's normal value: the plain mean of the first `LEARN_SAMPLES`, then an
        exponential average with a horizon of `NORMAL_HORIZON_TICKS`."""
        per_key = self.normal.setdefault(key, {})
        learned = per_key.get(metric)
        if learned is None:
            per_key[metric] = [1.0, value]
            return
        learned[0] += 1
        learned[1] += (value - learned[1]) / (learned[0] if learned[0] <= LEARN_SAMPLES else NORMAL_HORIZON_TICKS)

    def normal_value(self, key: str, metric: str) -> float | None:
        learned = self.normal.get(key, {}).get(metric)
        return None if learned is None else learned[1]

    def window(self, key: str, metric: str, since_tick: int) -> list[tuple[int, float]]:
        buf = self.series.get(key, {}).get(metric)
        if not buf:
            return []
        recent = []
        for sample in reversed(buf):  # newest first: stop at the window's start instead of scanning an hour
            if sample[0] < since_tick:
                break
            recent.append(sample)
        recent.reverse()
        return recent

    def log(self, pod_namespace: str, pod: str, container: str, restart: int, tick: int, text: str,
            error: bool) -> None:
        key = log_key(pod_namespace, pod, container, restart)
        buf = self.logs.get(key)
        if buf is None:
            buf = self.logs[key] = deque(maxlen=LOG_LINES_PER_CONTAINER)
        buf.append(LogLine(tick, text, error))

    def container_logs(self, pod_namespace: str, pod: str, container: str, restart: int) -> list[LogLine]:
        return list(self.logs.get(log_key(pod_namespace, pod, container, restart), ()))

    def drop_pod(self, pod_namespace: str, pod: str) -> None:
        prefix = f"{pod_namespace}/{pod}/"
        for key in [k for k in self.logs if k.startswith(prefix)]:
            del self.logs[key]
        self.series.pop(f"{pod_namespace}/pod/{pod}", None)


def log_key(namespace: str, pod: str, container: str, restart: int) -> str:
    return f"{namespace}/{pod}/{container}#{restart}"
