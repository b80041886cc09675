"""Metrics through a real Prometheus that scrapes the served simulator, and traces through its Jaeger API: the live
backend's answers carry the simulator's own numbers and spans."""

from __future__ import annotations

from typing import Any

import pytest

from aoi.cluster.interface import InvalidArgumentError
from aoi.cluster.kube.cluster import KubeCluster
from aoi.cluster.kube.reader import Telemetry
from aoi.cluster.telemetry.jaeger import JaegerClient
from aoi.cluster.telemetry.prometheus import PrometheusClient

NS = "test-hotel-reservation"


@pytest.fixture(scope="module")
def observed(writer: Any, served: Any, prometheus_url: str) -> KubeCluster:
    return KubeCluster(writer.api, Telemetry(prometheus=PrometheusClient(prometheus_url, preset="aoi-sim"),
                                             jaeger=JaegerClient(served.jaeger_url)))


@pytest.mark.parametrize("target", ["frontend", "geo", "mongodb-geo"])
def test_service_metrics_from_prometheus_are_the_simulators_numbers(observed: KubeCluster, simulated: Any,
                                                                   target: str) -> None:
    live = observed.metrics(target, NS, window_seconds=60)
    truth = simulated.metrics(target, NS, window_seconds=60)
    assert live["level"] == "service" and live["source"].startswith("prometheus ")
    assert set(live["metrics"]) == set(truth["metrics"])
    for metric, stats in truth["metrics"].items():
        assert live["metrics"][metric]["last"] == pytest.approx(stats["last"], abs=1e-3), metric


def test_pod_metrics_use_the_pod_level_queries(observed: KubeCluster, simulated: Any) -> None:
    pod = simulated.get_resources("pods", namespace=NS, label_selector="io.kompose.service=geo").splitlines()[1]
    name = pod.split()[0]
    live = observed.metrics(name, NS, window_seconds=60)
    truth = simulated.metrics(name, NS, window_seconds=60)
    assert live["level"] == "pod"
    assert {m: s["last"] for m, s in live["metrics"].items()} == pytest.approx(
        {m: s["last"] for m, s in truth["metrics"].items()}, abs=1e-3)


def test_a_raw_promql_query_reads_the_same_numbers(observed: KubeCluster, simulated: Any) -> None:
    prometheus = observed.telemetry.prometheus
    assert prometheus is not None
    data = prometheus.read_query(f'aoi_service_restarts{{namespace="{NS}",service="geo"}}')
    assert data["resultType"] == "vector"
    assert float(data["result"][0]["value"][1]) == simulated.metrics("geo", NS)["metrics"]["restarts"]["last"]
    ranged = prometheus.read_query("sum(aoi_service_request_rate)", range_seconds=60)
    assert ranged["resultType"] == "matrix" and ranged["result"][0]["values"]
    with pytest.raises(InvalidArgumentError, match=r"parse error|unexpected"):
        prometheus.read_query("sum(")


def test_traces_and_dependencies_come_from_the_jaeger_api(observed: KubeCluster, simulated: Any) -> None:
    live = observed.traces(NS, service="frontend", limit=5)
    truth = simulated.traces(NS, service="frontend", limit=200)
    known = {t["trace_id"]: t for t in truth["traces"]}
    assert 1 <= len(live["traces"]) <= 5
    for trace in live["traces"]:
        assert trace["trace_id"] in known
        spans = [(s["service"], s["operation"], s["error"]) for s in trace["spans"]]
        expected = [(s["service"], s["operation"], s["error"]) for s in known[trace["trace_id"]]["spans"]]
        assert spans[0] == expected[0] and sorted(spans) == sorted(expected)  # root first, then by start time
    errors = observed.traces(NS, service="frontend", errors_only=True, limit=5)
    assert all(t["error"] for t in errors["traces"])
    callers_and_callees = observed.service_dependencies("search", NS)
    expected = simulated.service_dependencies("search", NS)
    assert callers_and_callees["upstream"] == ["frontend"] == expected["upstream"]
    assert {d["name"] for d in callers_and_callees["downstream"]} <= {d["name"] for d in expected["downstream"]}
