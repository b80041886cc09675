"""AIOpsLab's fault families on the simulator: each injection produces its family's evidence through state alone
(pod statuses, events, callers' logs, metrics, traces) that a healthy run of the same seed does not show, and
each documented mitigation satisfies the family's mitigation check in time while a plausible wrong one does not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from aoi.cluster.sim.apps.catalog import get_app
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.faults import FAULTS, Fault, make_fault
from aoi.cluster.sim.faults.aiopslab import AIOPSLAB_FAULTS, targets_of
from aoi.cluster.sim.state import SimState

FAULT_TICKS = 24
"""Ticks (2 simulated minutes) between injection and looking at the evidence."""
SETTLE_TICKS = 6
"""A mitigated cluster must stay mitigated this long."""

REGISTRY_FAMILIES = {
    "k8s_target_port-misconfig", "auth_miss_mongodb", "revoke_auth_mongodb", "user_unregistered_mongodb",
    "misconfig_app_hotel_res", "scale_pod_zero_social_net", "assign_to_non_existent_node_social_net",
    "container_kill", "pod_failure_hotel_res", "pod_kill_hotel_res", "network_loss_hotel_res",
    "network_delay_hotel_res", "noop", "astronomy_shop_ad_service_failure", "astronomy_shop_ad_service_high_cpu",
    "astronomy_shop_ad_service_manual_gc", "astronomy_shop_cart_service_failure", "astronomy_shop_image_slow_load",
    "astronomy_shop_kafka_queue_problems", "astronomy_shop_loadgenerator_flood_homepage",
    "astronomy_shop_payment_service_failure", "astronomy_shop_payment_service_unreachable",
    "astronomy_shop_product_catalog_service_failure", "astronomy_shop_recommendation_service_cache_failure",
    "redeploy_without_PV", "wrong_bin_usage",
}
"""Every family of `reference/aiopslab_registry.csv` except the two Flower (docker compose) ones."""

REGISTRY_ANALYSIS_LABELS = {
    "k8s_target_port-misconfig": ("Virtualization", "Misconfiguration"),
    "auth_miss_mongodb": ("Application", "Misconfiguration"),
    "revoke_auth_mongodb": ("Application", "Authentication Issue"),
    "user_unregistered_mongodb": ("Application", "Network/Storage Issue"),
    "misconfig_app_hotel_res": ("Application", "Misconfiguration"),
    "scale_pod_zero_social_net": ("Virtualization", "Operation Error"),
    "assign_to_non_existent_node_social_net": ("Virtualization", "Dependency Problem"),
    "redeploy_without_PV": ("Virtualization", "Operation Error"),
    "wrong_bin_usage": ("Application", "Network/Storage Issue"),
}
"""expected_system_level / expected_fault_type of the registry's analysis problems."""

CASES = [(family, app, target) for family, cls in sorted(AIOPSLAB_FAULTS.items()) for app in cls.apps
         for target in targets_of(cls, app)]
MITIGATION_CASES = [case for case in CASES if case[0] != "noop"]


def _case_id(case: tuple[str, str, str]) -> str:
    return "-".join(part for part in case if part)


# -- clusters: restoring a snapshot is cheaper than deploying, and both cost more than most checks ------------
@functools.cache
def _healthy(app: str) -> SimCluster:
    """The app left alone for as long as a fault runs; never written to."""
    cluster = SimCluster(app, seed=0)
    cluster.tick(FAULT_TICKS)
    return cluster


@functools.cache
def _workbench(app: str) -> tuple[SimCluster, dict[str, Any]]:
    """The one cluster per app that tests inject into and mitigate on, and its freshly deployed snapshot."""
    cluster = SimCluster(app, seed=0)
    return cluster, cluster.snapshot()


_FAULTY_SNAPSHOTS: dict[tuple[str, str, str], dict[str, Any]] = {}


def _faulty(family: str, app: str, target: str) -> SimCluster:
    """The app's workbench rewound to `FAULT_TICKS` after the fault was injected (built on first use)."""
    cluster, deployed = _workbench(app)
    key = (family, app, target)
    if key in _FAULTY_SNAPSHOTS:
        cluster.restore(_FAULTY_SNAPSHOTS[key])
        return cluster
    cluster.restore(deployed)
    cluster.inject(family, target or None)
    cluster.tick(FAULT_TICKS)
    _FAULTY_SNAPSHOTS[key] = cluster.snapshot()
    return cluster


# -- what an SRE would look at, read from state --------------------------------------------------------------
def _pods(state: SimState, component: str) -> list[dict[str, Any]]:
    key = state.app.label_key
    return [p for p in state.store.list("Pod", state.app.namespace)
            if p["metadata"]["labels"].get(key) == component and not p["metadata"].get("deletionTimestamp")]


def _statuses(state: SimState, component: str) -> list[dict[str, Any]]:
    return [s for p in _pods(state, component) for s in p["status"].get("containerStatuses") or []]


def _waiting(state: SimState, component: str) -> set[str]:
    return {(s.get("state") or {}).get("waiting", {}).get("reason") for s in _statuses(state, component)} - {None}


def _crash_looping(state: SimState, component: str) -> bool:
    """Every container of the component is in a restart cycle: waiting in CrashLoopBackOff, or just started again
    after a crash (the kubelet restarts a container at once while it lived longer than its back-off)."""
    statuses = _statuses(state, component)
    return bool(statuses) and all(
        (s.get("state") or {}).get("waiting", {}).get("reason") == "CrashLoopBackOff"
        or ("running" in (s.get("state") or {}) and (s.get("lastState") or {}).get("terminated"))
        for s in statuses)


def _restarts(state: SimState, component: str) -> int:
    return max([s["restartCount"] for s in _statuses(state, component)] or [0])


def _last_exit(state: SimState, component: str) -> set[tuple[int, str]]:
    return {(t["exitCode"], t["reason"]) for s in _statuses(state, component)
            if (t := (s.get("lastState") or {}).get("terminated"))}


def _events(state: SimState, reason: str, prefix: str, text: str = "") -> list[str]:
    return [e["message"] for e in state.store.list("Event", state.app.namespace) if e["reason"] == reason
            and e["involvedObject"]["name"].startswith(prefix) and text in e["message"]]


def _logs(state: SimState, component: str, text: str, *, errors_only: bool = True) -> int:
    """Lines containing `text` in the logs of every container instance of a component (live pods)."""
    container = get_app(state.app.name).component(component).container
    count = 0
    for key, lines in state.telemetry.logs.items():
        if key.rsplit("/", 1)[-1].split("#")[0] == container:
            count += sum(1 for line in lines if text in line.text and (line.error or not errors_only))
    return count


def _metric(state: SimState, component: str, name: str, last: int = 6) -> list[float]:
    return [v for _, v in state.telemetry.series[f"{state.app.namespace}/{component}"][name]][-last:]


def _mean(state: SimState, component: str, name: str) -> float:
    values = _metric(state, component, name)
    return sum(values) / len(values)


def _error_spans(state: SimState, service: str | None, text: str) -> int:
    """Error spans (of one service, or of any when None) whose status message contains `text`."""
    return sum(1 for spans in state.telemetry.traces for s in spans
               if s.error and service in (None, s.service) and text in s.status_message)


def _endpoint_ports(state: SimState, service: str) -> list[int]:
    ep = state.store.get("Endpoints", state.app.namespace, service) or {}
    return [p["port"] for s in ep.get("subsets") or [] for p in s.get("ports") or [] if s.get("addresses")]


Evidence = dict[str, Callable[[SimState], bool]]

_TARGET_PORT_CALLER = {"user-service": "compose-post-service", "text-service": "compose-post-service",
                       "post-storage-service": "user-timeline-service"}
_MONGO_CLIENT = {"mongodb-geo": "geo", "mongodb-rate": "rate"}


def _evidence(family: str, target: str) -> Evidence:
    """The symptoms an SRE would find for a family, each a predicate on state."""
    if family == "k8s_target_port-misconfig":
        caller = _TARGET_PORT_CALLER[target]
        return {
            "endpoints point at 9999": lambda s: _endpoint_ports(s, target) == [9999],
            "caller logs refused connections": lambda s: _logs(s, caller, "connect: connection refused") >= 6,
            "caller fails every request": lambda s: _mean(s, caller, "error_rate") == 1.0,
            "traces show refused dials": lambda s: _error_spans(s, None, "connection refused") > 0,
        }
    if family == "auth_miss_mongodb":
        return {
            "client crash-loops": lambda s: _crash_looping(s, "url-shorten-service")
            and _restarts(s, "url-shorten-service") >= 3,
            "client logs the TLS refusal": lambda s: _logs(s, "url-shorten-service", "No suitable servers found") >= 3,
            "BackOff events for the client": lambda s: bool(_events(s, "BackOff", "url-shorten-service")),
            "upstream text-service fails": lambda s: _mean(s, "text-service", "error_rate") == 1.0,
        }
    if family in ("revoke_auth_mongodb", "user_unregistered_mongodb"):
        client = _MONGO_CLIENT[target]
        panic = (f"panic: not authorized on {client}-db" if family == "revoke_auth_mongodb"
                 else "panic: server returned error on SASL authentication step: Authentication failed.")
        return {
            "client crash-loops": lambda s: _crash_looping(s, client) and _restarts(s, client) >= 3,
            "client panics at startup": lambda s: _logs(s, client, panic) >= 3,
            "search logs failed calls": lambda s: _logs(s, "search", f"{client.capitalize()}/") >= 6,
            "search fails every request": lambda s: _mean(s, "search", "error_rate") == 1.0,
        }
    if family == "misconfig_app_hotel_res":
        return {
            "geo runs the app3 image": lambda s: {c["image"] for c in _statuses(s, "geo")} == {"yinfangchen/geo:app3"},
            "geo crash-loops": lambda s: _crash_looping(s, "geo") and _restarts(s, "geo") >= 3,
            "geo dials the wrong MongoDB port": lambda s: _logs(s, "geo", "New session to mongodb-geo:27777",
                                                                errors_only=False) >= 3
            and _logs(s, "geo", "panic: no reachable servers") >= 3,
            "search errors": lambda s: _mean(s, "search", "error_rate") == 1.0,
        }
    if family == "scale_pod_zero_social_net":
        return {
            "no user-service pod": lambda s: _pods(s, target) == [],
            "no endpoints": lambda s: _endpoint_ports(s, target) == [],
            "scaled-down event": lambda s: bool(_events(s, "ScalingReplicaSet", target, "Scaled down")),
            "nginx-thrift logs refused logins": lambda s: _logs(s, "nginx-thrift", f"login -> {target}") >= 3,
        }
    if family == "assign_to_non_existent_node_social_net":
        return {
            "pod pending": lambda s: [p["status"]["phase"] for p in _pods(s, target)] == ["Pending"],
            "FailedScheduling on the selector": lambda s: bool(_events(
                s, "FailedScheduling", target, "3 node(s) didn't match Pod's node affinity/selector")),
            "compose-post-service fails": lambda s: _mean(s, "compose-post-service", "error_rate") == 1.0,
        }
    if family == "container_kill":
        return {
            "geo restarted once after a SIGKILL": lambda s: _restarts(s, "geo") == 1
            and _last_exit(s, "geo") == {(137, "Error")},
            "search logged failures while geo was down": lambda s: _logs(s, "search", "geo.Geo/Nearby failed") >= 1,
        }
    if family in ("pod_failure_hotel_res", "pod_kill_hotel_res"):
        return {
            "user restarted into the pause image": lambda s: _restarts(s, "user") == 1
            and _last_exit(s, "user") == {(143, "Error")},
            "Killing event for a changed definition": lambda s: bool(_events(s, "Killing", "user",
                                                                             "definition changed")),
            "frontend logs refused CheckUser calls": lambda s: _logs(s, "frontend", "user.User/CheckUser failed") >= 6,
            "traces show refused dials": lambda s: _error_spans(s, "frontend", "connection refused") > 0,
        }
    if family == "network_loss_hotel_res":
        return {
            "frontend logs timeouts": lambda s: _logs(s, "frontend", "i/o timeout") >= 6,
            "the 1% of frontend requests that need user fail": lambda s: _mean(s, "frontend", "error_rate")
            == pytest.approx(0.01, abs=1e-3),
            "traces show timeouts": lambda s: _error_spans(s, "frontend", "i/o timeout") > 0,
        }
    if family == "network_delay_hotel_res":
        return {"frontend p50 near 10 s": lambda s: _mean(s, "frontend", "p50_ms") > 9000}
    if family == "redeploy_without_PV":
        return {
            "claims pending": lambda s: {c["status"]["phase"] for c in s.store.list("PersistentVolumeClaim")}
            == {"Pending"},
            "volumes released": lambda s: {v["status"]["phase"] for v in s.store.list("PersistentVolume")}
            == {"Released"},
            "FailedBinding on the claims": lambda s: len(_events(s, "FailedBinding", "", "no persistent volumes")) == 6,
            "mongodb pods unschedulable": lambda s: bool(_events(s, "FailedScheduling", "mongodb-geo",
                                                                 "unbound immediate PersistentVolumeClaims")),
            "geo crash-loops": lambda s: _crash_looping(s, "geo"),
        }
    if family == "wrong_bin_usage":
        return {
            "a ready profile pod runs the geo binary": lambda s: all(c["ready"] for c in _statuses(s, "profile"))
            and _logs(s, "profile", "cmd/geo/main.go:37 > Read target port: 8083", errors_only=False) == 1,
            "frontend logs refused profile calls": lambda s: _logs(s, "frontend", "GetProfiles failed") >= 6,
        }
    return _flag_evidence(family)


def _flag_evidence(family: str) -> Evidence:
    flag = family.removeprefix("astronomy_shop_")
    table: dict[str, Evidence] = {
        "ad_service_failure": {
            "ad fails 10% of requests": lambda s: _mean(s, "ad", "error_rate") == pytest.approx(0.1),
            "ad logs the flag failure": lambda s: _logs(s, "ad", "GetAds Failed") >= 1,
            "frontend logs failed GetAds": lambda s: _logs(s, "frontend", "GetAds failed") >= 3},
        "ad_service_high_cpu": {"ad burns CPU": lambda s: _mean(s, "ad", "cpu_millicores") > 500},
        "ad_service_manual_gc": {"ad pauses": lambda s: max(_metric(s, "ad", "p50_ms")) > 400},
        "cart_service_failure": {
            "cart fails 35%": lambda s: _mean(s, "cart", "error_rate") == pytest.approx(0.35),
            "traces show the storage error": lambda s: _error_spans(s, "cart", "Can't access cart storage") > 0},
        "image_slow_load": {"frontend-proxy slows down": lambda s: _mean(s, "frontend-proxy", "p50_ms") > 2000},
        "kafka_queue_problems": {
            "kafka runs out of memory": lambda s: (137, "OOMKilled") in _last_exit(s, "kafka"),
            "kafka crash-loops": lambda s: _crash_looping(s, "kafka"),
            "checkout logs failed publishes": lambda s: _logs(s, "checkout", "orders publish failed") >= 1},
        "loadgenerator_flood_homepage": {
            "entry traffic quadruples": lambda s: _mean(s, "frontend-proxy", "request_rate") > 100},
        "payment_service_failure": {
            "payment fails every charge": lambda s: _mean(s, "payment", "error_rate") == 1.0,
            "checkout logs failed charges": lambda s: _logs(s, "checkout", "Payment request failed") >= 3},
        "payment_service_unreachable": {
            "checkout cannot resolve payment": lambda s: _logs(s, "checkout", "lookup badAddress") >= 3,
            "checkout fails": lambda s: _mean(s, "checkout", "error_rate") == 1.0},
        "product_catalog_service_failure": {
            "product-catalog fails 10%": lambda s: _mean(s, "product-catalog", "error_rate") == pytest.approx(0.1),
            "traces show the flag error": lambda s: _error_spans(s, "product-catalog", "Product Catalog Fail") > 0},
        "recommendation_service_cache_failure": {
            "recommendation memory grows": lambda s: _mean(s, "recommendation", "memory_mib") > 150,
            "recommendation slows down": lambda s: _mean(s, "recommendation", "p50_ms") > 200},
    }
    return table[flag]


# -- the registry ------------------------------------------------------------------------------------------------
def test_every_aiopslab_family_except_flower_has_a_fault_class() -> None:
    assert set(AIOPSLAB_FAULTS) == REGISTRY_FAMILIES
    assert all(FAULTS[family] is cls for family, cls in AIOPSLAB_FAULTS.items())


@pytest.mark.parametrize("family", sorted(REGISTRY_ANALYSIS_LABELS))
def test_analysis_labels_match_the_registry(family: str) -> None:
    cls = AIOPSLAB_FAULTS[family]
    fault = cls(cls.apps[0])
    truth = fault.ground_truth()
    assert (truth.system_level, truth.fault_type) == REGISTRY_ANALYSIS_LABELS[family]
    if family != "redeploy_without_PV":
        assert truth.faulty_components == (fault.target,)


def test_the_noop_control_has_an_empty_ground_truth_on_every_aiopslab_app() -> None:
    for app in ("hotel-reservation", "social-network", "astronomy-shop"):
        truth = make_fault("noop", app).ground_truth()
        assert truth.faulty_components == ()
        assert truth.fault_object == ""


def test_a_fault_for_another_app_is_refused() -> None:
    with pytest.raises(ValueError, match="does not apply"):
        make_fault("wrong_bin_usage", "social-network")


# -- evidence --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_an_injected_fault_shows_its_evidence_and_fails_its_mitigation_check_unlike_a_healthy_run(
        case: tuple[str, str, str]) -> None:
    family, app, target = case
    healthy, faulty = _healthy(app).engine, _faulty(family, app, target).engine
    fault = make_fault(family, app, target or None)
    if family == "noop":
        assert list(faulty.state.store) == list(healthy.state.store)
        assert (faulty.state.telemetry, faulty.state.containers) == (healthy.state.telemetry, healthy.state.containers)
        assert fault.is_mitigated(faulty)
        return
    evidence = _evidence(family, target)
    missing = [name for name, holds in evidence.items() if not holds(faulty.state)]
    in_healthy = [name for name, holds in evidence.items() if holds(healthy.state)]
    assert (missing, in_healthy) == ([], [])
    assert (fault.is_mitigated(faulty), fault.is_mitigated(healthy)) == (False, True)


# -- mitigation ------------------------------------------------------------------------------------------------
def _ticks_until_mitigated(cluster: SimCluster, family: str, app: str, target: str,
                           act: Callable[[Fault, SimCluster], None]) -> int | None:
    fault = make_fault(family, app, target or None)
    act(fault, cluster)
    for tick in range(1, fault.mitigation_ticks + 1):
        cluster.tick()
        if fault.is_mitigated(cluster.engine):
            return tick
    return None


@pytest.mark.parametrize("case", MITIGATION_CASES, ids=_case_id)
def test_the_documented_mitigation_fixes_the_fault_and_it_stays_fixed(case: tuple[str, str, str]) -> None:
    family, app, target = case
    cluster = _faulty(family, app, target)
    fault = make_fault(family, app, target or None)
    took = _ticks_until_mitigated(cluster, family, app, target, lambda f, c: f.mitigate(c, c.engine))
    assert took is not None and took <= fault.mitigation_ticks
    for _ in range(SETTLE_TICKS):
        cluster.tick()
        assert fault.is_mitigated(cluster.engine)


@pytest.mark.parametrize("case", MITIGATION_CASES, ids=_case_id)
def test_a_plausible_wrong_mitigation_does_not_fix_the_fault(case: tuple[str, str, str]) -> None:
    family, app, target = case
    cluster = _faulty(family, app, target)
    assert _ticks_until_mitigated(cluster, family, app, target, lambda f, c: f.wrong_mitigation(c, c.engine)) is None


def test_deleting_a_pod_failure_experiment_restarts_the_container_back_into_its_real_image() -> None:
    cluster = _faulty("pod_failure_hotel_res", "hotel-reservation", "user")
    cluster.delete("PodChaos", "pod-failure-user", "test-hotel-reservation")
    cluster.tick(3)
    state = cluster.engine.state
    pod = _pods(state, "user")[0]["metadata"]["name"]
    assert _restarts(state, "user") == 2
    paused, real = (state.telemetry.container_logs(state.app.namespace, pod, "hotel-reserv-user", n) for n in (1, 2))
    assert paused == []
    assert any("Starting server..." in line.text for line in real)
    assert any("user.User/CheckUser handled" in line.text for line in real)
    assert _logs(state, "frontend", "user.User/CheckUser failed") >= 6  # the old lines remain
    assert _metric(state, "frontend", "error_rate", last=1) == [0.0]


def test_a_container_kill_experiment_kills_only_once() -> None:
    cluster = _faulty("container_kill", "hotel-reservation", "geo")
    cluster.tick(FAULT_TICKS)
    assert _restarts(cluster.engine.state, "geo") == 1
