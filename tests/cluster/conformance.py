"""Read/write behaviour every cluster backend must show, whatever transport sits under it.

Each test takes a `backend` fixture (a `ClusterReader` + `ClusterWriter`) running the hotel-reservation app with
MongoDB auth revoked on `mongodb-geo` (so `geo` crash-loops). `tests/cluster/kube/` parametrises it over the
simulator and the live backend talking to `aoi sim serve`. Every write is undone by the test that made it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from aoi.cluster.interface import ForbiddenError, InvalidArgumentError, NotFoundError, WriteResult

NS = "test-hotel-reservation"


def _rows(table: str) -> list[list[str]]:
    return [line.split() for line in table.splitlines()[1:] if line.strip()]


def _geo_pod(backend: Any) -> str:
    return _rows(backend.get_resources("pods", namespace=NS, label_selector="io.kompose.service=geo"))[0][0]


def test_get_lists_every_pod_with_the_kubectl_columns(backend: Any) -> None:
    table = backend.get_resources("pods", namespace=NS)
    assert table.splitlines()[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    rows = _rows(table)
    assert len(rows) == 19
    geo = next(r for r in rows if r[0].startswith("geo-"))
    assert geo[1:3] == ["0/1", "CrashLoopBackOff"]


def test_a_label_selector_narrows_the_list(backend: Any) -> None:
    rows = _rows(backend.get_resources("pods", namespace=NS, label_selector="io.kompose.service=geo"))
    assert [r[0].split("-")[0] for r in rows] == ["geo"]


def test_a_missing_object_is_not_found_and_an_unknown_type_is_invalid(backend: Any) -> None:
    with pytest.raises(NotFoundError, match='pods "ghost" not found'):
        backend.get_resources("pods", "ghost", NS)
    with pytest.raises(InvalidArgumentError, match="doesn't have a resource type"):
        backend.get_resources("frobnicators", namespace=NS)


def test_describe_follows_related_objects(backend: Any) -> None:
    deployment = backend.describe("deployment", "geo", NS)
    assert re.search(r"^NewReplicaSet:\s+geo-\w+ \(1/1 replicas created\)", deployment, re.M)
    pod = backend.describe("pod", _geo_pod(backend), NS)
    assert "Controlled By:  ReplicaSet/geo-" in pod
    assert re.search(r"Warning\s+BackOff\s+.*Back-off restarting failed container hotel-reserv-geo", pod)


def test_logs_honour_tail_grep_and_previous(backend: Any) -> None:
    assert len(backend.logs("frontend", NS, tail=3).splitlines()) == 3
    matched = backend.logs("frontend", NS, tail=50, grep="nearby").splitlines()
    assert matched and all("nearby" in line.lower() for line in matched)
    crashed = backend.logs("geo", NS, previous=True, tail=40)
    assert "panic" in crashed or "not authorized" in crashed
    with pytest.raises(NotFoundError, match="previous terminated container"):
        backend.logs("frontend", NS, previous=True)
    with pytest.raises(InvalidArgumentError, match="tail"):
        backend.logs("frontend", NS, tail=0)


@pytest.mark.timeout(30)
def test_a_backtracking_grep_ends_within_the_limit(backend: Any) -> None:
    """`(.*.*)*Q` is exponential in `re` on any log line; the call ends with a result or an error naming the
    limit, in well under the old 300 s."""
    started = time.monotonic()
    for pattern in ("(.*.*)*Q", "(\\w|\\W)*(\\w|\\W)*(\\w|\\W)*Q", "(.+)+$Q"):
        try:
            backend.logs("frontend", NS, tail=50, grep=pattern)
        except InvalidArgumentError as exc:
            assert "limit" in str(exc)
    assert time.monotonic() - started < 6
    with pytest.raises(InvalidArgumentError, match="256"):
        backend.logs("frontend", NS, grep="a" * 10_000)
    with pytest.raises(InvalidArgumentError, match="repeats too much"):
        backend.logs("frontend", NS, grep="(a{65535}){65535}")


def test_events_can_be_narrowed_to_warnings_of_one_object(backend: Any) -> None:
    rows = _rows(backend.events(NS, object_name="geo", warnings_only=True))
    assert rows and all(r[1] == "Warning" for r in rows)
    assert all(r[3].startswith("pod/geo-") for r in rows)


def test_inventory_views_agree_with_the_objects(backend: Any) -> None:
    assert NS in backend.namespaces()
    assert {"frontend", "geo", "mongodb-geo"} <= set(backend.services(NS))
    config = backend.cluster_configuration()
    assert config["node_count"] == len(config["nodes"]) >= 2
    manifest = backend.app_manifest("geo", NS)
    assert "kind: Deployment" in manifest and "kind: Service" in manifest and "resourceVersion" not in manifest


def _version(backend: Any, kind: str, name: str) -> str:
    return backend.resource_version(kind, name, NS)


WRITES: list[tuple[str, str, str, Callable[[Any, bool], WriteResult]]] = [
    ("scale", "Deployment", "frontend", lambda b, d: b.scale("deployment", "frontend", NS, 3, dry_run=d)),
    ("merge patch", "Service", "geo", lambda b, d: b.patch("service", "geo", NS, {"metadata": {"labels": {
        "aoi-test": "yes"}}}, dry_run=d)),
    ("json patch", "Deployment", "rate", lambda b, d: b.patch("deployment", "rate", NS, [
        {"op": "replace", "path": "/spec/replicas", "value": 2}], patch_type="json", dry_run=d)),
    ("set env", "Deployment", "profile", lambda b, d: b.set_env("deployment", "profile", NS, "hotel-reserv-profile",
                                                                 {"AOI_TEST": "1"}, dry_run=d)),
    ("set image", "Deployment", "user", lambda b, d: b.set_image("deployment", "user", NS, "hotel-reserv-user",
                                                                 "example.org/user:2", dry_run=d)),
]


@pytest.mark.parametrize(("name", "kind", "target", "write"), WRITES, ids=[w[0] for w in WRITES])
def test_a_dry_run_changes_nothing_and_a_write_is_undone_by_its_record(backend: Any, name: str, kind: str,
                                                                       target: str, write: Callable) -> None:
    service = target
    manifest, version = backend.app_manifest(service, NS), _version(backend, kind, target)
    dry = write(backend, True)
    assert dry.dry_run and dry.diff.startswith("--- a/")
    assert any(line[:1] in "+-" and line[:3] not in ("+++", "---") for line in dry.diff.splitlines())
    assert (backend.app_manifest(service, NS), _version(backend, kind, target)) == (manifest, version)
    real = write(backend, False)
    try:
        assert not real.dry_run and real.changed == dry.changed and real.diff == dry.diff
        assert _version(backend, kind, target) != version
        assert backend.app_manifest(service, NS) != manifest
    finally:
        backend.apply_undo(real.undo)
    assert backend.app_manifest(service, NS) == manifest


def test_writes_outside_the_allow_list_are_refused(backend: Any) -> None:
    with pytest.raises(ForbiddenError):
        backend.patch("secret", "anything", NS, {"data": {}})
    with pytest.raises(InvalidArgumentError, match="between 0 and"):
        backend.scale("deployment", "frontend", NS, -1)
    with pytest.raises(NotFoundError, match="existing:"):
        backend.scale("deployment", "ghost", NS, 1)
