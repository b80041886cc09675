"""The simulator's invariants: healthy apps serve, same seed → same cluster, snapshots are lossless,
controllers keep endpoints and replicas consistent under arbitrary writes."""

from __future__ import annotations

import contextlib
import copy
import pickle

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aoi.cluster.interface import ClusterError
from aoi.cluster.sim.apps.catalog import APPS
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.controllers import pod_ready
from aoi.cluster.sim.engine import Engine
from aoi.cluster.sim.scheduler import node_filter_reasons
from aoi.cluster.sim.store import selector_matches


@pytest.fixture(scope="module", params=sorted(APPS))
def healthy(request: pytest.FixtureRequest) -> Engine:
    return Engine(request.param, seed=0)


def test_a_freshly_deployed_app_has_every_pod_running_and_ready(healthy: Engine) -> None:
    pods = healthy.state.store.list("Pod", healthy.state.app.namespace)
    assert len(pods) == len(healthy.state.app.components)
    assert all(p["status"]["phase"] == "Running" and pod_ready(p) for p in pods)


def test_a_healthy_app_emits_no_warning_events_and_no_errors(healthy: Engine) -> None:
    state = healthy.state
    assert [e["reason"] for e in state.store.list("Event") if e["type"] == "Warning"] == []
    entry = state.telemetry.window(f"{state.app.namespace}/{state.app.entry}", "error_rate", state.clock.tick - 5)
    assert entry and all(v == 0.0 for _, v in entry)
    rate = state.telemetry.window(f"{state.app.namespace}/{state.app.entry}", "request_rate", state.clock.tick - 5)
    assert all(v > 0.8 * state.app.request_rate for _, v in rate)


def test_every_service_with_a_port_has_ready_endpoints(healthy: Engine) -> None:
    store = healthy.state.store
    for svc in store.list("Service", healthy.state.app.namespace):
        ep = store.get("Endpoints", svc["metadata"]["namespace"], svc["metadata"]["name"])
        addresses = [a for s in ep["subsets"] for a in s.get("addresses", [])]
        assert len(addresses) == 1, svc["metadata"]["name"]


def test_a_healthy_app_produces_traces_and_logs(healthy: Engine) -> None:
    telemetry = healthy.state.telemetry
    load_ticks = healthy.state.clock.tick - healthy.state.extra["load_started_tick"] + 1
    assert len(telemetry.traces) == load_ticks > 10
    assert all(not any(s.error for s in spans) for spans in telemetry.traces)
    assert sum(len(v) for v in telemetry.logs.values()) > 50


def _fingerprint(engine: Engine) -> bytes:
    state = engine.state
    return pickle.dumps((state.store.snapshot(), state.telemetry, state.containers, state.rng.getstate()))


def test_the_same_seed_builds_the_same_cluster_and_a_different_seed_does_not() -> None:
    a, b, c = Engine("online-boutique", seed=5), Engine("online-boutique", seed=5), Engine("online-boutique", seed=6)
    assert _fingerprint(a) == _fingerprint(b)
    names = lambda e: sorted(p["metadata"]["name"] for p in e.state.store.list("Pod"))  # noqa: E731
    assert names(a) != names(c)


def test_snapshot_then_restore_replays_identically() -> None:
    cluster = SimCluster("hotel-reservation", seed=2)
    snap = cluster.snapshot()
    cluster.scale("deployment", "geo", cluster.namespace, 0)
    cluster.tick(10)
    after_first = _fingerprint(cluster.engine)
    cluster.restore(snap)
    assert cluster.snapshot()["store"] == snap["store"]
    cluster.scale("deployment", "geo", cluster.namespace, 0)
    cluster.tick(10)
    assert _fingerprint(cluster.engine) == after_first


def test_a_recreate_deployment_replaces_its_pods_with_the_new_template() -> None:
    cluster = SimCluster("online-boutique", seed=0)
    ns = cluster.namespace
    cluster.patch("deployment", "adservice", ns, {"spec": {"strategy": {"type": "Recreate", "rollingUpdate": None}}})
    pod_spec = cluster.engine.state.store.get("Deployment", ns, "adservice")["spec"]["template"]["spec"]
    cluster.set_image("deployment", "adservice", ns, pod_spec["containers"][0]["name"], "redis:alpine")
    cluster.tick(12)
    pods = [p for p in cluster.engine.state.store.list("Pod", ns) if p["metadata"]["name"].startswith("adservice-")]
    assert [(p["spec"]["containers"][0]["image"], p["status"]["phase"]) for p in pods] == [("redis:alpine", "Running")]


# -- property tests over random write sequences -----------------------------------------------------------------
_BASE = SimCluster("online-boutique", seed=0)
_SNAP = _BASE.snapshot()
_DEPLOYMENTS = [c.name for c in _BASE.app.components]
_NODES = [n.name for n in _BASE.app.nodes]

writes = st.one_of(
    st.tuples(st.just("scale"), st.sampled_from([*_DEPLOYMENTS, "nope"]), st.integers(-2, 4)),
    st.tuples(st.just("delete_pod"), st.integers(0, 12)),
    st.tuples(st.just("cordon"), st.sampled_from([*_NODES, "ghost"])),
    st.tuples(st.just("uncordon"), st.sampled_from(_NODES)),
    st.tuples(st.just("patch_selector"), st.sampled_from(_DEPLOYMENTS), st.sampled_from(["app", "tier"])),
    st.tuples(st.just("set_image"), st.sampled_from(_DEPLOYMENTS), st.sampled_from(["bad:tag", "redis:alpine"])),
    st.tuples(st.just("restart"), st.sampled_from(_DEPLOYMENTS)),
    st.tuples(st.just("patch_junk"), st.sampled_from(_DEPLOYMENTS), st.sampled_from([None, [], "x", {"kind": 1}])),
    st.tuples(st.just("tick"), st.integers(1, 6)),
)


def _apply(cluster: SimCluster, write: tuple) -> None:
    ns = cluster.namespace
    op = write[0]
    if op == "scale":
        cluster.scale("deployment", write[1], ns, write[2])
    elif op == "delete_pod":
        pods = cluster.engine.state.store.list("Pod", ns)
        cluster.delete_pod(pods[write[1] % len(pods)]["metadata"]["name"] if pods else "none", ns)
    elif op in ("cordon", "uncordon"):
        getattr(cluster, op)(write[1])
    elif op == "patch_selector":
        cluster.patch("service", write[1], ns, {"spec": {"selector": {write[2]: write[1]}}}) \
            if write[1] in [s["metadata"]["name"] for s in cluster.engine.state.store.list("Service", ns)] else None
    elif op == "set_image":
        dep = cluster.engine.state.store.get("Deployment", ns, write[1])
        cluster.set_image("deployment", write[1], ns, dep["spec"]["template"]["spec"]["containers"][0]["name"],
                          write[2])
    elif op == "restart":
        cluster.rollout_restart("deployment", write[1], ns)
    elif op == "patch_junk":
        cluster.patch("deployment", write[1], ns, write[2])
    else:
        cluster.tick(write[1])


def _check_invariants(cluster: SimCluster) -> None:
    store = cluster.engine.state.store
    ns = cluster.namespace
    pods = {p["metadata"]["name"]: p for p in store.list("Pod", ns)}
    for svc in store.list("Service", ns):
        ep = store.get("Endpoints", ns, svc["metadata"]["name"])
        for subset in (ep or {}).get("subsets") or []:
            for addr in subset.get("addresses") or []:
                pod = pods[addr["targetRef"]["name"]]
                assert pod_ready(pod)
                assert selector_matches(svc["spec"]["selector"], pod["metadata"]["labels"])
                assert not pod["metadata"].get("deletionTimestamp")
    nodes = store.list("Node")
    for dep in store.list("Deployment", ns):
        owned = [p for p in pods.values() if p["metadata"]["name"].startswith(dep["metadata"]["name"] + "-")
                 and not p["metadata"].get("deletionTimestamp")]
        schedulable = any(not node_filter_reasons(cluster.engine.state, owned[0], n) for n in nodes) if owned else True
        if schedulable:
            running = [p for p in owned if p["spec"].get("nodeName")]
            # A rolling update may surge by one pod above the desired count while it is in progress.
            assert dep["spec"]["replicas"] <= len(running) + 1 or not schedulable
            assert len(owned) <= dep["spec"]["replicas"] + 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(writes, min_size=1, max_size=8))
# A rollout that starts while scaled-up pods are not yet available: at most maxUnavailable of them may go at once.
@example([("scale", "adservice", 4), ("set_image", "adservice", "bad:tag")])
def test_random_write_sequences_never_crash_and_keep_the_invariants(sequence: list[tuple]) -> None:
    cluster = _BASE
    cluster.restore(copy.deepcopy(_SNAP))
    for write in sequence:
        with contextlib.suppress(ClusterError):
            _apply(cluster, write)
        cluster.tick(1)
        _check_invariants(cluster)
    cluster.tick(12)
    _check_invariants(cluster)
