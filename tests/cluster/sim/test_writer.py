"""The simulator's write interface: dry runs change nothing, every write has a working undo, bad input is
refused with a reason, and the controllers act on accepted writes."""

from __future__ import annotations

import copy

import pytest

from aoi.cluster.interface import ForbiddenError, InvalidArgumentError, NotFoundError
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.controllers import pod_ready

NS = "boutique"


@pytest.fixture(scope="module")
def base() -> tuple[SimCluster, dict]:
    cluster = SimCluster("online-boutique", seed=0)
    return cluster, cluster.snapshot()


@pytest.fixture
def cluster(base: tuple[SimCluster, dict]) -> SimCluster:
    sim, snap = base
    sim.restore(copy.deepcopy(snap))
    return sim


def _objects(cluster: SimCluster) -> dict:
    return copy.deepcopy(cluster.engine.state.store.snapshot()["objects"])


WRITES = [
    ("scale", lambda c, d: c.scale("deployment", "adservice", NS, 3, dry_run=d)),
    ("restart", lambda c, d: c.rollout_restart("deploy", "cartservice", NS, dry_run=d)),
    ("patch", lambda c, d: c.patch("service", "adservice", NS,
                                   {"spec": {"ports": [{"port": 9555, "targetPort": 1}]}}, dry_run=d)),
    ("json patch", lambda c, d: c.patch("deployment", "frontend", NS,
                                        [{"op": "replace", "path": "/spec/replicas", "value": 2}],
                                        patch_type="json", dry_run=d)),
    ("set image", lambda c, d: c.set_image("deployment", "adservice", NS, "server", "x:1", dry_run=d)),
    ("set env", lambda c, d: c.set_env("deployment", "frontend", NS, "server", {"AD_SERVICE_ADDR": "nope:1"},
                                       dry_run=d)),
    ("cordon", lambda c, d: c.cordon("worker-01", dry_run=d)),
    ("delete", lambda c, d: c.delete("service", "emailservice", NS, dry_run=d)),
    ("apply", lambda c, d: c.apply({"kind": "ConfigMap", "metadata": {"name": "new", "namespace": NS},
                                    "data": {"a": "b"}}, dry_run=d)),
]


@pytest.mark.parametrize(("name", "write"), WRITES, ids=[w[0] for w in WRITES])
def test_a_dry_run_returns_a_diff_and_changes_nothing(cluster: SimCluster, name: str, write) -> None:
    before = _objects(cluster)
    result = write(cluster, True)
    assert result.dry_run
    assert result.diff.startswith("--- ")
    assert any(line.startswith(("+", "-")) and not line.startswith(("+++", "---")) for line in result.diff.splitlines())
    assert _objects(cluster) == before


@pytest.mark.parametrize(("name", "write"), WRITES, ids=[w[0] for w in WRITES])
def test_applying_then_undoing_restores_every_object(cluster: SimCluster, name: str, write) -> None:
    store = cluster.engine.state.store
    dry = write(cluster, True)
    before = {label: copy.deepcopy(_lookup(store, label)) for label in dry.changed}
    real = write(cluster, False)
    assert not real.dry_run and real.changed == dry.changed and real.diff == dry.diff
    assert any(_lookup(store, label) != obj for label, obj in before.items())
    cluster.apply_undo(real.undo)
    for label, obj in before.items():
        now = _lookup(store, label)
        assert (None if now is None else _strip(now)) == (None if obj is None else _strip(obj))


def _lookup(store, label: str):
    kind, *rest = label.split("/")
    namespace, name = (rest[0], rest[1]) if len(rest) == 2 else (None, rest[0])
    return store.get(kind, namespace, name)


def _strip(obj: dict) -> dict:
    clean = copy.deepcopy(obj)
    clean["metadata"].pop("resourceVersion", None)
    clean.pop("status", None)
    return clean


def test_a_scale_to_zero_takes_the_pods_away_and_its_undo_brings_them_back(cluster: SimCluster) -> None:
    result = cluster.scale("deployment", "adservice", NS, 0)
    cluster.tick(4)
    assert [p for p in cluster.engine.state.store.list("Pod", NS) if p["metadata"]["name"].startswith("adservice-")] \
        == []
    cluster.apply_undo(result.undo)
    cluster.tick(6)
    pods = [p for p in cluster.engine.state.store.list("Pod", NS) if p["metadata"]["name"].startswith("adservice-")]
    assert len(pods) == 1 and pod_ready(pods[0])


def test_a_datastore_grant_is_undone_by_its_inverse() -> None:
    cluster = SimCluster("hotel-reservation", seed=0, warmup_ticks=6)
    ns = cluster.namespace
    roles = [{"role": "read", "db": "extra-db"}]
    before = cluster.resource_version("Datastore", "mongodb-geo", ns)
    result = cluster.datastore_admin("mongodb-geo", ns, "grant_roles", {"user": "admin", "roles": roles})
    assert cluster.resource_version("Datastore", "mongodb-geo", ns) != before
    cluster.apply_undo(result.undo)
    assert cluster.resource_version("Datastore", "mongodb-geo", ns) == before


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda c: c.scale("deployment", "adservice", NS, -1), InvalidArgumentError, "between 0 and"),
    (lambda c: c.scale("deployment", "adservice", NS, True), InvalidArgumentError, "integer"),
    (lambda c: c.scale("service", "adservice", NS, 1), InvalidArgumentError, "cannot scale a Service"),
    (lambda c: c.scale("deployment", "ghost", NS, 1), NotFoundError, "existing: adservice"),
    (lambda c: c.patch("secret", "x", NS, {}), ForbiddenError, "not allowed"),
    (lambda c: c.patch("deployment", "adservice", NS, ["not", "an", "object"]), InvalidArgumentError, "object"),
    (lambda c: c.patch("deployment", "adservice", NS, {"kind": "Pod"}), InvalidArgumentError, "cannot change kind"),
    (lambda c: c.patch("deployment", "adservice", NS, {"spec": {"template": {"spec": {"containers": []}}}}),
     InvalidArgumentError, "containers"),
    (lambda c: c.patch("deployment", "adservice", NS, {}, patch_type="xml"), InvalidArgumentError, "patch_type"),
    (lambda c: c.delete("namespace", NS, None), ForbiddenError, "never allowed"),
    (lambda c: c.delete("pv", "redis-cart-pv", None), ForbiddenError, "never allowed"),
    (lambda c: c.set_image("deployment", "adservice", NS, "nope", "x:1"), NotFoundError, "containers: server"),
    (lambda c: c.set_image("deployment", "adservice", NS, "server", "bad image"), InvalidArgumentError, "spaces"),
    (lambda c: c.datastore_admin("redis-cart", NS, "grant_roles", {}), NotFoundError, "no datastore"),
    (lambda c: c.node_service("worker-09", "kubelet", "start"), NotFoundError, "nodes: master"),
    (lambda c: c.node_service("worker-01", "sshd", "start"), InvalidArgumentError, "kubelet"),
    (lambda c: c.rollout_undo("adservice", NS), NotFoundError, "no rollout history"),
    (lambda c: c.apply({"kind": "Secret"}), InvalidArgumentError, "metadata.name"),
])
def test_bad_writes_are_refused_with_a_reason_and_change_nothing(cluster: SimCluster, call, error, message) -> None:
    before = _objects(cluster)
    with pytest.raises(error, match=message):
        call(cluster)
    assert _objects(cluster) == before


def test_creating_a_service_over_its_quota_is_forbidden_and_a_created_service_gets_an_address(
        cluster: SimCluster) -> None:
    store = cluster.engine.state.store
    service = copy.deepcopy(store.get("Service", NS, "emailservice"))
    cluster.delete("service", "emailservice", NS)
    count = len(store.list("Service", NS))
    cluster.apply({"kind": "ResourceQuota", "metadata": {"name": "svc", "namespace": NS},
                   "spec": {"hard": {"services": str(count)}}})
    manifest = {"kind": "Service", "metadata": {"name": "emailservice", "namespace": NS},
                "spec": {"selector": service["spec"]["selector"], "ports": service["spec"]["ports"]}}
    with pytest.raises(ForbiddenError, match="exceeded quota: svc"):
        cluster.apply(manifest)
    cluster.delete("resourcequota", "svc", NS)
    cluster.apply(manifest)
    created = store.get("Service", NS, "emailservice")
    assert created["spec"]["clusterIP"].startswith("10.68.")
    assert created["spec"]["clusterIP"] != service["spec"]["clusterIP"]


def test_pods_on_a_node_whose_kubelet_stays_down_are_evicted_and_replaced_elsewhere(cluster: SimCluster) -> None:
    store = cluster.engine.state.store
    victims = [p["metadata"]["name"] for p in store.list("Pod", NS) if p["spec"]["nodeName"] == "worker-01"]
    cluster.node_service("worker-01", "kubelet", "stop")
    cluster.tick(80)
    pods = store.list("Pod", NS)
    assert all(p["metadata"].get("deletionTimestamp") for p in pods if p["metadata"]["name"] in victims)
    replacements = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    assert len(replacements) == 11
    assert all(p["spec"].get("nodeName") != "worker-01" and pod_ready(p) for p in replacements)
    reasons = {e["reason"] for e in store.list("Event", NS)}
    assert "TaintManagerEviction" in reasons
