"""The simulator's background noise: seeded, state-only, and absent from clean clusters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aoi.cluster.interface import InvalidArgumentError
from aoi.cluster.sim import engine as engine_module
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.engine import WARMUP_TICKS
from aoi.cluster.sim.faults.k8s import K8S_FAULTS
from aoi.cluster.sim.noise import DEV_PROFILE, draw
from aoi.cluster.sim.session import SimSession
from aoi.cluster.spec import parse_sim_spec

CLEAN_SCENARIOS = [("online-boutique", "oom_killed", 1), ("online-boutique", "node_cordoned", 2),
                   ("hotel-reservation", "liveness_probe_incorrect_port", 0), ("social-network", None, 3),
                   ("astronomy-shop", "insufficient_node_memory", 4)]


def _reads(cluster: SimCluster) -> str:
    ns = cluster.namespace
    return "\n".join([
        cluster.events(ns), cluster.get_resources("pods", namespace=ns, wide=True),
        cluster.get_resources("services", namespace=ns), cluster.get_resources("nodes"),
        cluster.get_resources("namespaces"), json.dumps(cluster.alerts(), sort_keys=True),
        cluster.describe("nodes", cluster.app.nodes[1].name), cluster.logs(cluster.app.entry, ns, tail=50)])


def _cluster(app: str, fault: str | None, seed: int, *, noise: bool, ticks: int = 24) -> SimCluster:
    cluster = SimCluster(app, seed, noise=noise)
    if fault:
        cluster.inject(fault)
    cluster.tick(ticks)
    return cluster


@pytest.mark.parametrize(("app", "fault", "seed"), CLEAN_SCENARIOS)
def test_a_clean_cluster_never_calls_the_noise_module_and_reads_the_same_without_it(
        app: str, fault: str | None, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _reads(_cluster(app, fault, seed, noise=False))

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a clean cluster called the noise module")

    for name in ("add_history", "alert_rules_off", "cluster_age"):
        monkeypatch.setattr(engine_module, name, refuse)
    cluster = _cluster(app, fault, seed, noise=False)
    assert _reads(cluster) == expected
    assert "alert_rules_off" not in cluster.engine.state.extra


def test_the_same_seed_gives_the_same_noise_and_another_seed_other_noise() -> None:
    first = _reads(_cluster("online-boutique", "oom_killed", 5, noise=True))
    assert _reads(_cluster("online-boutique", "oom_killed", 5, noise=True)) == first
    assert _reads(_cluster("online-boutique", "oom_killed", 6, noise=True)) != first


def test_a_noisy_cluster_has_history_about_objects_that_are_gone_and_within_the_event_ttl() -> None:
    cluster = _cluster("online-boutique", None, 0, noise=True)
    store = cluster.engine.state.store
    warnings = [e for e in store.list("Event", cluster.namespace) if e["type"] == "Warning"]
    assert warnings
    for event in warnings:
        inv = event["involvedObject"]
        assert store.get(inv["kind"], inv["namespace"], inv["name"]) is None
        assert event["lastTimestamp"] >= "2026-01-05T08:00:00Z"  # an hour before the simulation's first tick
    clean = _cluster("online-boutique", None, 0, noise=False)
    assert not [e for e in clean.engine.state.store.list("Event") if e["type"] == "Warning"]


def test_history_ages_out_with_the_event_ttl() -> None:
    cluster = _cluster("hotel-reservation", None, 2, noise=True, ticks=0)
    history = {e["metadata"]["name"] for e in cluster.engine.state.store.list("Event") if e["type"] == "Warning"}
    cluster.tick(13 * 60)  # 65 minutes: past the TTL and the next expiry sweep
    assert history.isdisjoint(e["metadata"]["name"] for e in cluster.engine.state.store.list("Event"))


def test_snapshot_and_restore_keep_the_noise() -> None:
    cluster = _cluster("social-network", "liveness_probe_incorrect_port", 3, noise=True, ticks=6)
    snap = cluster.snapshot()
    cluster.tick(6)
    after = _reads(cluster)
    cluster.restore(snap)
    cluster.tick(6)
    assert _reads(cluster) == after


def test_alert_rules_the_cluster_lacks_never_fire() -> None:
    for seed in range(20):
        cluster = SimCluster("online-boutique", seed)
        if "REPLICAS_UNAVAILABLE" in cluster.engine.state.extra["alert_rules_off"]:
            break
    cluster.inject("incorrect_image_reference")
    cluster.tick(24)
    evidence = [e for a in cluster.alerts().get("alerts", []) for e in a["evidence"]]
    assert not [e for e in evidence if e.startswith("REPLICAS_UNAVAILABLE")]
    clean = _cluster("online-boutique", "incorrect_image_reference", seed, noise=False)
    assert [e for a in clean.alerts()["alerts"] for e in a["evidence"] if e.startswith("REPLICAS_UNAVAILABLE")]


_FAULTS = sorted((family, app) for family, cls in K8S_FAULTS.items() for app in cls.apps)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(case=st.sampled_from(_FAULTS), seed=st.integers(0, 2**31 - 1))
def test_noise_never_changes_the_ground_truth_or_the_mitigation_predicate(case: tuple[str, str], seed: int) -> None:
    family, app = case
    results = []
    for noise in (False, True):
        cluster = SimCluster(app, seed, noise=noise)
        fault = cluster.inject(family)
        cluster.tick(24)
        before = fault.is_mitigated(cluster.engine)
        fault.mitigate(cluster, cluster.engine)
        cluster.tick(fault.mitigation_ticks)
        results.append((fault.ground_truth(), before, fault.is_mitigated(cluster.engine)))
    assert results[0] == results[1]
    assert results[1][1:] == (False, True)


@given(seed=st.integers(0, 2**32 - 1))
def test_draws_stay_within_the_measured_range(seed: int) -> None:
    import random

    value = draw(random.Random(seed), DEV_PROFILE.stale_last_seen_min)
    assert DEV_PROFILE.stale_last_seen_min[0] <= value <= DEV_PROFILE.stale_last_seen_min[-1]


def test_the_sim_spec_takes_clean_as_0_or_1() -> None:
    assert parse_sim_spec("sim:online-boutique/oom_killed?clean=1").clean
    assert not parse_sim_spec("sim:online-boutique/oom_killed").clean
    assert parse_sim_spec("sim:online-boutique?clean=1").name != parse_sim_spec("sim:online-boutique").name
    with pytest.raises(InvalidArgumentError, match="clean must be 0 or 1"):
        parse_sim_spec("sim:online-boutique?clean=yes")


def test_a_sim_spec_without_ticks_is_observed_a_measured_time_after_the_fault(tmp_path: Path) -> None:
    def tick_of(text: str) -> int:
        session = SimSession(parse_sim_spec(text), path=tmp_path / f"{len(text)}.state", realtime=False)
        with session.cluster(save=False) as cluster:
            return cluster.engine.state.clock.tick - WARMUP_TICKS

    assert tick_of("sim:online-boutique/oom_killed?clean=1") == 24
    assert tick_of("sim:online-boutique/oom_killed?ticks=7") == 7
    low, high = DEV_PROFILE.injection_age_min[0] * 12, DEV_PROFILE.injection_age_min[-1] * 12
    drawn = {tick_of(f"sim:online-boutique/oom_killed?seed={seed}") for seed in range(4)}
    assert all(low <= t <= high for t in drawn) and len(drawn) > 1
