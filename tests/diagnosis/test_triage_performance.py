"""Triage of a slow service: latency alerts traced along the call graph to the service that causes them, and CPU
saturation told apart from a network delay."""

from __future__ import annotations

from diagnosis_fakes import FakeCluster, latency_alert, manifest, ranked, shop

from aoi.diagnosis import triage


def slow(*services: str) -> FakeCluster:
    """Latency alerts on `services`; each workload's pod on its own node, so no node is implicated."""
    cluster = shop()
    cluster.alert_list = [latency_alert(s) for s in services]
    return cluster


def test_the_slow_service_none_of_whose_callees_is_slow_is_the_origin_not_its_callers() -> None:
    assert ranked(triage(slow("web", "api", "cache"), "shop")) == [("pod_network_delay", "service/cache"),
                                                                   ("pod_cpu_overload", "service/cache")]


def test_a_slow_caller_of_a_slow_service_is_never_the_origin() -> None:
    assert [o for _, o in ranked(triage(slow("web", "api"), "shop"))] == ["service/api", "service/api"]


def test_a_slow_service_at_its_cpu_limit_is_cpu_overloaded_not_delayed() -> None:
    cluster = slow("web", "api", "cache")
    cluster.manifests["cache"] = manifest("cache", resources={"limits": {"cpu": "300m"}, "requests": {"cpu": "100m"}})
    cluster.metric_data["cache"] = {"target": "cache", "metrics": {"cpu_millicores": {"mean": 296.0, "max": 300.0}}}

    assert ranked(triage(cluster, "shop")) == [("pod_cpu_overload", "service/cache"),
                                               ("pod_network_delay", "service/cache")]


def test_no_latency_alert_means_no_performance_hypothesis() -> None:
    cluster = shop()
    cluster.alert_list = [{"type": "Service", "name": "api", "status": "ABNORMAL",
                           "evidence": ["ERROR_SPIKE [Success Rate Drop] | Normal=100.0% -> Cur=97.0% (-3.0%)"]}]

    assert ranked(triage(cluster, "shop")) == []
