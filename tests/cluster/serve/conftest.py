"""One served simulated cluster per test module (simulated time frozen, so kubectl and our renderers see the
same state), and a helper that runs the real kubectl against it with a private discovery cache."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aoi.cluster.serve import ServedCluster, serve_cluster

SPEC = "sim:hotel-reservation/revoke_auth_mongodb?seed=1"
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"

Kubectl = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedCluster]:
    state = tmp_path_factory.mktemp("served-sim")
    with serve_cluster(SPEC, state_dir=state, realtime=False) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def kubectl_command(served: ServedCluster,
                    tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], dict[str, str]]:
    """The kubectl argv prefix for the served cluster and its environment (a private discovery cache)."""
    if not Path(KUBECTL).exists():
        pytest.skip("kubectl is not installed")
    env = {**os.environ, "KUBECACHEDIR": str(tmp_path_factory.mktemp("kube-cache")),
           "HOME": str(tmp_path_factory.mktemp("kube-home"))}
    return [KUBECTL, "--kubeconfig", str(served.kubeconfig_path), "--request-timeout=20s"], env


@pytest.fixture(scope="module")
def kubectl(kubectl_command: tuple[list[str], dict[str, str]]) -> Kubectl:
    argv, env = kubectl_command

    def run(*args: str, context: str = "aoi-sim", check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([*argv, "--context", context, *args], capture_output=True, text=True, env=env,
                                timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    return run
