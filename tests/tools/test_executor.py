"""The executor: no write without a valid single-use grant; policy re-checked; undo and audit recorded before
the apply; an idempotency key never applies twice; every write can be undone."""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aoi.cluster.interface import ClusterError
from aoi.cluster.sim.cluster import SimCluster
from aoi.store.db import connect
from aoi.tools.audit import AuditLog
from aoi.tools.executor import Executor
from aoi.tools.grants import GrantAuthority, HumanDecision
from aoi.tools.policy import WritePolicy

KEY = b"s" * 32
NS = "boutique"
_BASE: dict[str, tuple[SimCluster, dict]] = {}


def _cluster(app: str) -> SimCluster:
    if app not in _BASE:
        cluster = SimCluster(app, seed=0, warmup_ticks=12)
        _BASE[app] = (cluster, cluster.snapshot())
    cluster, snap = _BASE[app]
    cluster.restore(copy.deepcopy(snap))
    return cluster


def _first_pod(cluster: SimCluster, prefix: str) -> str:
    return next(p["metadata"]["name"] for p in cluster.engine.state.store.list("Pod", cluster.namespace)
                if p["metadata"]["name"].startswith(prefix))


CASES: list[tuple[str, str, Callable[[SimCluster], dict[str, Any]], tuple[str, str, str | None]]] = [
    ("scale_workload", "online-boutique",
     lambda c: {"kind": "deployment", "name": "adservice", "namespace": NS, "replicas": 2},
     ("Deployment", "adservice", NS)),
    ("restart_workload", "online-boutique",
     lambda c: {"kind": "deployment", "name": "cartservice", "namespace": NS}, ("Deployment", "cartservice", NS)),
    ("patch_resource", "online-boutique",
     lambda c: {"kind": "service", "name": "adservice", "namespace": NS,
                "patch": {"spec": {"ports": [{"name": "grpc", "port": 9555, "targetPort": 9999}]}}},
     ("Service", "adservice", NS)),
    ("set_image", "online-boutique",
     lambda c: {"kind": "deployment", "name": "adservice", "namespace": NS, "container": "server",
                "image": "example/ad:2"}, ("Deployment", "adservice", NS)),
    ("set_env", "online-boutique",
     lambda c: {"kind": "deployment", "name": "frontend", "namespace": NS, "container": "server",
                "env": {"ENABLE_PROFILER": "1"}}, ("Deployment", "frontend", NS)),
    ("delete_pod", "online-boutique", lambda c: {"name": _first_pod(c, "adservice-"), "namespace": NS}, None),
    ("delete_resource", "online-boutique", lambda c: {"kind": "service", "name": "emailservice", "namespace": NS},
     ("Service", "emailservice", NS)),
    ("cordon_node", "online-boutique", lambda c: {"node": "worker-01"}, ("Node", "worker-01", None)),
    ("uncordon_node", "online-boutique", lambda c: {"node": "master"}, ("Node", "master", None)),
    ("apply_manifest", "online-boutique",
     lambda c: {"manifest": {"kind": "ConfigMap", "metadata": {"name": "extra", "namespace": NS},
                             "data": {"k": "v"}}}, ("ConfigMap", "extra", NS)),
    ("datastore_admin", "hotel-reservation",
     lambda c: {"service": "mongodb-geo", "namespace": c.namespace, "operation": "revoke_roles",
                "args": {"user": "admin", "roles": [{"role": "readWrite", "db": "geo-db"}]}}, None),
    ("node_service", "online-boutique", lambda c: {"node": "worker-01", "component": "kube-proxy",
                                                   "action": "stop"}, None),
    ("rollback_deployment", "online-boutique", lambda c: {"name": "adservice", "namespace": NS},
     ("Deployment", "adservice", NS)),
]
IDS = [c[0] for c in CASES]


class RecordingBackend:
    """Delegates to the simulator, and records what the database held at the moment of each real write."""

    def __init__(self, cluster: SimCluster, conn: sqlite3.Connection) -> None:
        self._cluster = cluster
        self._conn = conn
        self.applied: list[tuple[str, int, list[str]]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._cluster, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("dry_run") is False and name != "resource_version":
                undo_rows = self._conn.execute("SELECT COUNT(*) FROM undo_records").fetchone()[0]
                phases = [r[0] for r in self._conn.execute("SELECT phase FROM audit ORDER BY seq")]
                self.applied.append((name, undo_rows, phases))
            return method(*args, **kwargs)

        return call


@pytest.fixture
def db(tmp_path: Path) -> sqlite3.Connection:
    return connect(tmp_path / "aoi.db")


def _setup(app: str, db: sqlite3.Connection, tool: str) -> tuple[SimCluster, RecordingBackend, Executor,
                                                                  GrantAuthority]:
    cluster = _cluster(app)
    if tool == "rollback_deployment":
        cluster.set_image("deployment", "adservice", NS, "server", "example/ad:2")
        cluster.tick(2)
    backend = RecordingBackend(cluster, db)
    authority = GrantAuthority(KEY)
    return cluster, backend, Executor(backend, db, authority, AuditLog(db, KEY)), authority  # type: ignore[arg-type]


def _grant(executor: Executor, authority: GrantAuthority, tool: str, args: dict[str, Any], **overrides: Any) -> str:
    target = executor.target_of(tool, args)
    params = {"thread_id": "t1", "tool": tool, "args": args, "resource_version": executor.resource_version(target)}
    params.update(overrides)
    return authority.mint_from_human(HumanDecision("alice"), **params)


def _state(cluster: SimCluster) -> Any:
    state = cluster.engine.state
    return copy.deepcopy((state.store.snapshot()["objects"], {k: repr(v) for k, v in state.datastores.items()},
                          repr(state.nodes)))


@pytest.mark.parametrize(("tool", "app", "make_args", "target"), CASES, ids=IDS)
def test_without_a_valid_grant_nothing_changes(db: sqlite3.Connection, tool: str, app: str, make_args: Any,
                                               target: Any) -> None:
    cluster, backend, executor, authority = _setup(app, db, tool)
    args = make_args(cluster)
    before = _state(cluster)
    bad_grants = [
        "",
        "aoi-grant.e30.AAAA",
        _grant(executor, authority, tool, {**args, "extra": 1}),
        _grant(executor, authority, tool, args, resource_version="0"),
        _grant(executor, authority, tool, args, thread_id="t2"),
        GrantAuthority(KEY, ttl_seconds=-1).mint_from_human(
            HumanDecision("alice"), thread_id="t1", tool=tool, args=args,
            resource_version=executor.resource_version(executor.target_of(tool, args))),
    ]
    for grant in bad_grants:
        result = executor.execute(tool, args, thread_id="t1", grant=grant)
        assert result.status == "refused", (grant, result)
    assert backend.applied == []
    assert _state(cluster) == before
    assert [r.phase for r in AuditLog(db, KEY).records()] == ["refused"] * len(bad_grants)


@pytest.mark.parametrize(("tool", "app", "make_args", "target"), CASES, ids=IDS)
def test_a_valid_grant_applies_once_after_recording_undo_and_audit(db: sqlite3.Connection, tool: str, app: str,
                                                                  make_args: Any, target: Any) -> None:
    cluster, backend, executor, authority = _setup(app, db, tool)
    args = make_args(cluster)
    grant = _grant(executor, authority, tool, args)
    result = executor.execute(tool, args, thread_id="t1", grant=grant, idempotency_key="k1")
    assert result.status == "applied", result
    assert result.undo_id and result.diff
    assert len(backend.applied) == 1
    _, undo_rows, phases = backend.applied[0]
    assert undo_rows == 1 and phases == ["intent"]
    again = executor.execute(tool, args, thread_id="t1", grant=grant, idempotency_key="k1")
    assert (again.status, again.undo_id) == ("noop", result.undo_id)
    reused = executor.execute(tool, args, thread_id="t1", grant=grant, idempotency_key="k2")
    assert reused.status == "refused"
    assert len(backend.applied) == 1
    assert [r.phase for r in AuditLog(db, KEY).records()] == ["intent", "applied", "noop", "refused"]
    assert AuditLog(db, KEY).verify() == []


@pytest.mark.parametrize(("tool", "app", "make_args", "target"), CASES, ids=IDS)
def test_undo_restores_the_target(db: sqlite3.Connection, tool: str, app: str, make_args: Any, target: Any) -> None:
    cluster, _, executor, authority = _setup(app, db, tool)
    args = make_args(cluster)
    before = _state(cluster)
    result = executor.execute(tool, args, thread_id="t1", grant=_grant(executor, authority, tool, args))
    assert result.status == "applied"
    assert _state(cluster) != before
    undo_args = {"undo_id": result.undo_id}
    undone = executor.execute("undo", undo_args, thread_id="t1", grant=_grant(executor, authority, "undo", undo_args))
    assert undone.status == "applied", undone
    if target is not None:
        kind, name, ns = target
        now = cluster.engine.state.store.get(kind, ns, name)
        was = before[0].get(kind, {}).get((ns or "", name))
        assert _normal(now) == _normal(was)
    twice = executor.execute("undo", undo_args, thread_id="t1", grant=_grant(executor, authority, "undo", undo_args))
    assert twice.status == "refused"


def _normal(obj: dict | None) -> dict | None:
    if obj is None:
        return None
    clean = copy.deepcopy(obj)
    clean["metadata"].pop("resourceVersion", None)
    clean.pop("status", None)
    return clean


@pytest.mark.parametrize(("tool", "args", "message"), [
    ("scale_workload", {"kind": "deployment", "name": "coredns", "namespace": "kube-system", "replicas": 1},
     "protected"),
    ("scale_workload", {"kind": "deployment", "name": "adservice", "namespace": NS, "replicas": 50}, "between 0"),
    ("delete_resource", {"kind": "namespace", "name": NS, "namespace": None}, "never allowed"),
    ("delete_resource", {"kind": "pv", "name": "redis-cart-pv", "namespace": None}, "never allowed"),
    ("delete_resource", {"kind": "pvc", "name": "redis-cart-pvc", "namespace": NS}, "cannot be undone"),
    ("patch_resource", {"kind": "secret", "name": "x", "namespace": NS, "patch": {}}, "not allowed"),
])
def test_policy_refuses_what_no_grant_can_allow(db: sqlite3.Connection, tool: str, args: dict, message: str) -> None:
    cluster, backend, executor, authority = _setup("online-boutique", db, tool)
    before = _state(cluster)
    result = executor.execute(tool, args, thread_id="t1", grant=_grant(executor, authority, tool, args))
    assert result.status == "refused" and message in result.message
    assert backend.applied == [] and _state(cluster) == before


def test_an_irreversible_write_needs_an_irreversible_approval(db: sqlite3.Connection) -> None:
    _, _, executor, authority = _setup("online-boutique", db, "delete_resource")
    args = {"kind": "pvc", "name": "redis-cart-pvc", "namespace": NS}
    version = executor.resource_version(executor.target_of("delete_resource", args))
    grant = authority.mint_from_human(HumanDecision("alice", irreversible_ok=True), thread_id="t1",
                                      tool="delete_resource", args=args, resource_version=version)
    assert executor.execute("delete_resource", args, thread_id="t1", grant=grant).status == "applied"


def test_deleting_a_claim_that_never_bound_needs_no_irreversible_approval(db: sqlite3.Connection) -> None:
    cluster, _, executor, authority = _setup("online-boutique", db, "delete_resource")
    cluster.inject("pvc_storage_class_mismatch")  # the claim is re-created Pending: it holds no data
    cluster.tick(4)
    args = {"kind": "pvc", "name": "redis-cart-pvc", "namespace": NS}
    result = executor.execute("delete_resource", args, thread_id="t1",
                              grant=_grant(executor, authority, "delete_resource", args))
    assert result.status == "applied"
    assert cluster.engine.state.store.get("PersistentVolumeClaim", NS, "redis-cart-pvc") is None


def test_unknown_tools_are_writes_and_are_refused(db: sqlite3.Connection) -> None:
    _, backend, executor, _ = _setup("online-boutique", db, "x")
    result = executor.execute("exec_in_pod", {"cmd": "rm -rf /"}, thread_id="t1", grant="")
    assert result.status == "refused" and "unknown write tool" in result.message
    assert backend.applied == []


def test_a_custom_policy_can_only_narrow(db: sqlite3.Connection) -> None:
    cluster = _cluster("online-boutique")
    authority = GrantAuthority(KEY)
    narrow = WritePolicy(max_replicas=1)
    executor = Executor(cluster, db, authority, AuditLog(db, KEY), narrow)
    args = {"kind": "deployment", "name": "adservice", "namespace": NS, "replicas": 2}
    assert executor.execute("scale_workload", args, thread_id="t1",
                            grant=_grant(executor, authority, "scale_workload", args)).status == "refused"


class CrashingBackend(RecordingBackend):
    """Dies at the real write, as a killed process would: before it lands (`after=False`) or right after it,
    before the executor records the outcome (`after=True`)."""

    def __init__(self, cluster: SimCluster, conn: sqlite3.Connection, *, after: bool = False) -> None:
        super().__init__(cluster, conn)
        self._after = after

    def __getattr__(self, name: str) -> Any:
        method = super().__getattr__(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("dry_run") is False and name != "resource_version":
                if self._after:
                    method(*args, **kwargs)
                raise KeyboardInterrupt("killed")
            return method(*args, **kwargs)

        return call


SCALE = {"kind": "deployment", "name": "adservice", "namespace": NS, "replicas": 2}


def _killed_mid_write(db: sqlite3.Connection, *, after: bool) -> tuple[SimCluster, GrantAuthority, str]:
    """A scale call killed at its real write (its intent on record, the execution `pending`); returns its grant."""
    cluster = _cluster("online-boutique")
    authority = GrantAuthority(KEY)
    crashing = Executor(CrashingBackend(cluster, db, after=after), db, authority,  # type: ignore[arg-type]
                        AuditLog(db, KEY))
    grant = _grant(crashing, authority, "scale_workload", SCALE)
    with pytest.raises(KeyboardInterrupt):
        crashing.execute("scale_workload", SCALE, thread_id="t1", grant=grant, idempotency_key="k")
    assert db.execute("SELECT status FROM executions").fetchone()[0] == "pending"
    return cluster, authority, grant


@pytest.mark.parametrize("after", [False, True], ids=["before the write landed", "after the write landed"])
def test_a_call_killed_at_its_write_and_retried_with_its_grant_writes_exactly_once(db: sqlite3.Connection,
                                                                                  after: bool) -> None:
    cluster, authority, grant = _killed_mid_write(db, after=after)
    backend = RecordingBackend(cluster, db)
    executor = Executor(backend, db, authority, AuditLog(db, KEY))  # type: ignore[arg-type]
    retry = executor.execute("scale_workload", SCALE, thread_id="t1", grant=grant, idempotency_key="k")
    assert retry.status == "applied" and retry.undo_id, retry
    assert ("interrupt" in retry.message) and (("not applied again" in retry.message) == after)
    assert len(backend.applied) == (0 if after else 1)
    assert cluster.engine.state.store.get("Deployment", NS, "adservice")["spec"]["replicas"] == 2
    again = executor.execute("scale_workload", SCALE, thread_id="t1", grant=grant, idempotency_key="k")
    assert (again.status, again.undo_id) == ("noop", retry.undo_id)
    assert db.execute("SELECT status FROM executions").fetchone()[0] == "applied"
    assert [r.phase for r in AuditLog(db, KEY).records()] == ["intent", "applied", "noop"]
    assert AuditLog(db, KEY).verify() == []
    undo = {"undo_id": retry.undo_id}
    assert executor.execute("undo", undo, thread_id="t1", grant=_grant(executor, authority, "undo", undo)).status \
        == "applied"
    assert cluster.engine.state.store.get("Deployment", NS, "adservice")["spec"]["replicas"] == 1


def test_an_interrupted_call_is_not_finished_without_its_own_or_a_fresh_valid_grant(db: sqlite3.Connection) -> None:
    cluster, authority, _ = _killed_mid_write(db, after=False)
    backend = RecordingBackend(cluster, db)
    executor = Executor(backend, db, authority, AuditLog(db, KEY))  # type: ignore[arg-type]
    other_args = {**SCALE, "replicas": 3}
    for bad in ("", "aoi-grant.e30.AAAA", GrantAuthority(b"x" * 32).mint_from_human(
            HumanDecision("mallory"), thread_id="t1", tool="scale_workload", args=SCALE, resource_version="1"),
                _grant(executor, authority, "scale_workload", other_args)):
        assert executor.execute("scale_workload", SCALE, thread_id="t1", grant=bad,
                                idempotency_key="k").status == "refused"
    assert backend.applied == []
    assert db.execute("SELECT status FROM executions").fetchone()[0] == "pending"
    fresh = _grant(executor, authority, "scale_workload", SCALE)  # a new approval of the same call finishes it
    assert executor.execute("scale_workload", SCALE, thread_id="t1", grant=fresh, idempotency_key="k").status \
        == "applied"
    assert len(backend.applied) == 1
    assert executor.execute("scale_workload", SCALE, thread_id="t1", grant=fresh,
                            idempotency_key="k2").status == "refused"  # the fresh grant was spent on it
    assert AuditLog(db, KEY).verify() == []


def test_an_undo_killed_after_it_landed_is_not_applied_again_by_a_retry_with_a_fresh_grant(
        db: sqlite3.Connection) -> None:
    cluster = _cluster("online-boutique")
    authority = GrantAuthority(KEY)
    executor = Executor(cluster, db, authority, AuditLog(db, KEY))
    first = executor.execute("scale_workload", SCALE, thread_id="t1",
                             grant=_grant(executor, authority, "scale_workload", SCALE), idempotency_key="w")
    undo = {"undo_id": first.undo_id}
    crashing = Executor(CrashingBackend(cluster, db, after=True), db, authority,  # type: ignore[arg-type]
                        AuditLog(db, KEY))
    with pytest.raises(KeyboardInterrupt):
        crashing.execute("undo", undo, thread_id="t1", grant=_grant(crashing, authority, "undo", undo),
                         idempotency_key="u")
    backend = RecordingBackend(cluster, db)
    retry = Executor(backend, db, authority, AuditLog(db, KEY)).execute(  # type: ignore[arg-type]
        "undo", undo, thread_id="t1", grant=_grant(executor, authority, "undo", undo), idempotency_key="u")
    assert retry.status == "applied" and "not applied again" in retry.message
    assert backend.applied == []
    assert db.execute("SELECT undone_at FROM undo_records WHERE undo_id = ?", (first.undo_id,)).fetchone()[0]
    assert AuditLog(db, KEY).verify() == []


def test_a_failed_write_retried_with_its_key_reports_the_same_failure(db: sqlite3.Connection) -> None:
    cluster = _cluster("online-boutique")
    authority = GrantAuthority(KEY)

    class FailingBackend(RecordingBackend):
        def __getattr__(self, name: str) -> Any:
            method = super().__getattr__(name)

            def call(*args: Any, **kwargs: Any) -> Any:
                if kwargs.get("dry_run") is False and name != "resource_version":
                    raise ClusterError("the API server went away")
                return method(*args, **kwargs)

            return call

    executor = Executor(FailingBackend(cluster, db), db, authority, AuditLog(db, KEY))  # type: ignore[arg-type]
    grant = _grant(executor, authority, "scale_workload", SCALE)
    first = executor.execute("scale_workload", SCALE, thread_id="t1", grant=grant, idempotency_key="k")
    retry = executor.execute("scale_workload", SCALE, thread_id="t1", grant=grant, idempotency_key="k")
    assert first.status == retry.status == "failed" and "went away" in retry.message


SECRET = "Zq9hunter2-Canary-77xy"


def _stored_text(db: sqlite3.Connection) -> str:
    """Everything the executor stored, undo records (sealed pre-images) included."""
    rows = [*db.execute("SELECT * FROM audit"), *db.execute("SELECT * FROM executions"),
            *db.execute("SELECT * FROM undo_records")]
    return "\n".join(str(tuple(row)) for row in rows)


def test_the_audit_trail_and_stored_outcomes_never_hold_a_written_secret_but_undo_restores_it(
        db: sqlite3.Connection) -> None:
    cluster, _, executor, authority = _setup("online-boutique", db, "set_env")
    put = {"kind": "deployment", "name": "frontend", "namespace": NS, "container": "server",
           "env": {"DB_PASSWORD": SECRET}}
    first = executor.execute("set_env", put, thread_id="t1", grant=_grant(executor, authority, "set_env", put),
                             idempotency_key="k1")
    assert first.status == "applied"
    change = {**put, "env": {"DB_PASSWORD": "Zq9other-value-12345"}}
    second = executor.execute("set_env", change, thread_id="t1",
                              grant=_grant(executor, authority, "set_env", change), idempotency_key="k2")
    assert second.status == "applied"
    assert executor.execute("set_env", change, thread_id="t1", grant="", idempotency_key="k2").status == "noop"
    undo = {"undo_id": second.undo_id}
    assert executor.execute("undo", undo, thread_id="t1", grant=_grant(executor, authority, "undo", undo)).status \
        == "applied"
    stored = _stored_text(db)
    assert SECRET not in stored and "Zq9other-value-12345" not in stored
    assert "DB_PASSWORD" in stored  # the trail still says what was set
    container = cluster.engine.state.store.get("Deployment", NS, "frontend")["spec"]["template"]["spec"][
        "containers"][0]
    assert {"name": "DB_PASSWORD", "value": SECRET} in container["env"]  # the sealed pre-image opened for undo
    assert AuditLog(db, KEY).verify() == []


def test_an_undo_record_that_was_tampered_with_or_moved_does_not_open(db: sqlite3.Connection) -> None:
    _, _, executor, authority = _setup("online-boutique", db, "set_env")
    ids = []
    for value in ("1", "2"):
        put = {"kind": "deployment", "name": "frontend", "namespace": NS, "container": "server",
               "env": {"LEVEL": value}}
        ids.append(executor.execute("set_env", put, thread_id="t1",
                                    grant=_grant(executor, authority, "set_env", put)).undo_id)
    first = db.execute("SELECT record FROM undo_records WHERE undo_id = ?", (ids[0],)).fetchone()[0]
    assert first.startswith("sealed:v1:") and "LEVEL" not in first
    db.execute("UPDATE undo_records SET record = ? WHERE undo_id = ?", (first, ids[1]))  # moved onto another id
    db.execute("UPDATE undo_records SET record = ? WHERE undo_id = ?", (first[:-8] + "AAAAAAA=", ids[0]))
    db.commit()
    for undo_id in ids:
        with pytest.raises(ClusterError, match=f"undo record '{undo_id}' cannot be opened"):
            executor.undo_record(undo_id)


class DyingBackend(RecordingBackend):
    """Killed while dry-running: after the grant checked out, before the intent was recorded."""

    def __getattr__(self, name: str) -> Any:
        method = super().__getattr__(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("dry_run") is True:
                raise KeyboardInterrupt("killed")
            return method(*args, **kwargs)

        return call


@pytest.mark.parametrize("moment", ["dry-run", "recording the intent"])
def test_a_crash_between_checking_the_grant_and_recording_the_intent_lets_the_retry_write_exactly_once(
        db: sqlite3.Connection, moment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = _cluster("online-boutique")
    authority = GrantAuthority(KEY)
    args = {"kind": "deployment", "name": "adservice", "namespace": NS, "replicas": 2}
    grant = _grant(Executor(cluster, db, authority, AuditLog(db, KEY)), authority, "scale_workload", args)
    if moment == "dry-run":
        dying = Executor(DyingBackend(cluster, db), db, authority, AuditLog(db, KEY))  # type: ignore[arg-type]
    else:
        dying = Executor(cluster, db, authority, AuditLog(db, KEY))
        real_append = AuditLog.append

        def die_on_intent(self: AuditLog, **kwargs: Any) -> int:
            if kwargs["phase"] == "intent":
                raise KeyboardInterrupt("killed")
            return real_append(self, **kwargs)

        monkeypatch.setattr(AuditLog, "append", die_on_intent)
    with pytest.raises(KeyboardInterrupt):
        dying.execute("scale_workload", args, thread_id="t1", grant=grant, idempotency_key="k")
    monkeypatch.undo()
    assert db.execute("SELECT COUNT(*) FROM grant_uses").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM undo_records").fetchone()[0] == 0
    backend = RecordingBackend(cluster, db)
    executor = Executor(backend, db, authority, AuditLog(db, KEY))  # type: ignore[arg-type]
    retry = executor.execute("scale_workload", args, thread_id="t1", grant=grant, idempotency_key="k")
    assert retry.status == "applied", retry
    again = executor.execute("scale_workload", args, thread_id="t1", grant=grant, idempotency_key="k")
    assert again.status == "noop"
    assert len(backend.applied) == 1
    assert cluster.engine.state.store.get("Deployment", NS, "adservice")["spec"]["replicas"] == 2
    assert [r.phase for r in AuditLog(db, KEY).records()] == ["intent", "applied", "noop"]
