"""The real kubectl against Online Boutique served under Istio: 2/2 pods, the Init Containers section, the app's log
by default (the injector's default-container annotation) and Envoy's access log with `-c istio-proxy`."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator

import pytest

from aoi.cluster.serve import ServedCluster, serve_cluster

Kubectl = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedCluster]:
    state = tmp_path_factory.mktemp("served-mesh")
    with serve_cluster("sim:online-boutique/service_selector_mismatch?seed=0&target=cartservice&mesh=istio&clean=1",
                       state_dir=state, realtime=False) as cluster:
        yield cluster


def _pod(served: ServedCluster, component: str) -> str:
    with served.session.cluster() as cluster:
        return next(p["metadata"]["name"] for p in cluster.engine.state.store.list("Pod", served.namespace)
                    if p["metadata"]["name"].startswith(component + "-"))


def test_get_pods_shows_two_containers_ready(served: ServedCluster, kubectl: Kubectl) -> None:
    rows = kubectl("get", "pods", "-n", served.namespace).stdout.splitlines()[1:]
    assert rows and all(re.match(r"\S+\s+2/2\s+Running\s", row) for row in rows)


def test_describe_pod_has_the_init_container_and_the_sidecar(served: ServedCluster, kubectl: Kubectl) -> None:
    out = kubectl("describe", "pod", _pod(served, "frontend"), "-n", served.namespace).stdout
    assert re.search(r"^Init Containers:\n  istio-init:\n", out, re.M)
    assert re.search(r"^  istio-proxy:\n", out, re.M)
    assert "http-get http://:15020/app-health/server/readyz" in out


def test_logs_default_to_the_app_and_reach_envoy_with_c(served: ServedCluster, kubectl: Kubectl) -> None:
    pod = _pod(served, "frontend")
    app = kubectl("logs", pod, "-n", served.namespace, "--tail", "50").stdout
    assert '"severity":' in app and "no healthy upstream" in app
    envoy = kubectl("logs", pod, "-n", served.namespace, "-c", "istio-proxy", "--tail", "200").stdout
    assert re.search(r'" 503 UH no_healthy_upstream ', envoy)
    init = kubectl("logs", pod, "-n", served.namespace, "-c", "istio-init").stdout
    assert "COMMIT" in init
