"""Read-only checks against a real cluster: the kubeconfig's current context, or the spec in `$AOI_LIVE_CLUSTER`
(e.g. `kube:kind-aiopslab/test-hotel-reservation`). Marked `live`: `make test` leaves them out; they skip without a
reachable cluster. Nothing here writes (writes are previewed with the server's dry run only)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from aoi.cluster.interface import ClusterError

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def live() -> Any:
    from aoi.cluster.kube.cluster import open_kube
    from aoi.cluster.spec import parse_kube_spec

    try:
        cluster = open_kube(parse_kube_spec(os.environ.get("AOI_LIVE_CLUSTER", "kube:")))
        cluster.api.version()
    except ClusterError as exc:
        pytest.skip(f"no reachable Kubernetes cluster: {exc}")
    return cluster


def test_a_live_cluster_lists_describes_and_previews(live: Any) -> None:
    assert "kube-system" in live.namespaces()
    table = live.get_resources("pods", namespace="kube-system")
    assert table.splitlines()[0].split()[:3] == ["NAME", "READY", "STATUS"]
    node = live.cluster_configuration()["nodes"][0]["name"]
    first = live.describe("node", node).splitlines()[0]
    assert first.startswith("Name:") and first.endswith(node)
    deployments = [d["metadata"]["name"] for d in live.api.list("Deployment", live.namespace)]
    if deployments:
        dry = live.rollout_restart("deployment", deployments[0], live.namespace, dry_run=True)
        assert dry.dry_run and "restartedAt" in dry.diff
