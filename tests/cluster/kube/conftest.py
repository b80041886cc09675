"""One served simulator (the Kubernetes API, /metrics and the Jaeger API over `aoi sim serve`'s code) and at most one
real Prometheus per test session; the live backend under test talks to them as it would to a real cluster.

The served cluster does not advance on its own (`realtime=False`), so the simulator backend sharing its state file
and the live backend answering over HTTP see the same cluster at the same tick."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_CONFORMANCE = Path(__file__).parents[1] / "conformance.py"
if "conformance" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("conformance", _CONFORMANCE)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["conformance"] = _module
    _spec.loader.exec_module(_module)

SPEC = "sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo"


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    serve = pytest.importorskip("aoi.cluster.serve", reason="aoi sim serve (aoi.cluster.serve) is not available")
    home = tmp_path_factory.mktemp("served")
    with serve.serve_cluster(SPEC, state_dir=home / "sim", realtime=False,
                             kubeconfig_path=home / "kubeconfig") as cluster:
        yield cluster


def kube_api(served: Any, context: str) -> Any:
    from aoi.cluster.kube.api import KubeApi

    return KubeApi.from_kubeconfig(str(served.kubeconfig_path), context, timeout_s=20)


@pytest.fixture(scope="session")
def writer(served: Any) -> Any:
    """The live backend as the writer identity (context `aoi-sim`)."""
    from aoi.cluster.kube.cluster import KubeCluster

    return KubeCluster(kube_api(served, "aoi-sim"))


@pytest.fixture(scope="session")
def reader(served: Any) -> Any:
    """The live backend as the read-only probe identity (context `aoi-sim-readonly`)."""
    from aoi.cluster.kube.cluster import KubeCluster

    return KubeCluster(kube_api(served, "aoi-sim-readonly"))


@pytest.fixture(scope="session")
def simulated(served: Any) -> Any:
    """The simulator backend over the very state the server serves."""
    from aoi.cluster.sim.session import SessionCluster

    return SessionCluster(served.session)


@pytest.fixture(params=["sim", "kube"])
def backend(request: pytest.FixtureRequest, simulated: Any, writer: Any) -> Any:
    return simulated if request.param == "sim" else writer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def prometheus_url(served: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus (the Debian package) scraping the served `/metrics` every second."""
    binary = shutil.which("prometheus") or ("/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None)
    if binary is None:
        pytest.skip("the prometheus binary is not installed (apt-get install prometheus; .ci/run does)")
    root = tmp_path_factory.mktemp("prometheus")
    target = served.metrics_url.split("//", 1)[1].split("/", 1)[0]
    (root / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"scrape_configs:\n  - job_name: aoi-sim\n    static_configs: [{{targets: ['{target}']}}]\n")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([binary, f"--config.file={root / 'prometheus.yml'}",
                                f"--storage.tsdb.path={root / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
                                "--log.level=error"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v1/query?query=aoi_sim_tick", timeout=2) as response:
                    if b'"result":[{' in response.read():
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                error = process.stderr.read().decode()[-2000:] if process.poll() is not None else "timed out"
                pytest.fail(f"prometheus did not scrape the served simulator: {error}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
