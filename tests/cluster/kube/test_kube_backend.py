"""The live backend against `aoi sim serve`: it says what the simulator says, the probe identity is refused writes
and Secrets (403), a stale write is a 409, and the tool servers, the agent environment and `aoi doctor` work on a
`kube:` spec."""

from __future__ import annotations

import re
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from mcp import Client

from aoi.cluster.interface import ConflictError, ForbiddenError
from aoi.tools.registry import READ_TOOLS

NS = "test-hotel-reservation"
_AGE = re.compile(r"\b\d+(s|m|h|d|y)(\d+(s|m|h))?\b")


def _masked(text: str) -> str:
    """Ages depend on which clock rendered them (the simulator's, or the API server's Date header)."""
    return _AGE.sub("<age>", text)


@pytest.mark.parametrize("view", [
    lambda c: c.get_resources("pods", namespace=NS, wide=True),
    lambda c: c.get_resources("deployments", namespace=NS),
    lambda c: c.get_resources("services", namespace=NS, show_labels=True),
    lambda c: c.get_resources("nodes"),
    lambda c: c.events(NS),
    lambda c: c.logs("frontend", NS, tail=20),
    lambda c: c.app_manifest("geo", NS),
    lambda c: c.cluster_configuration(),
    lambda c: sorted(c.services(NS)),
], ids=["pods", "deployments", "services", "nodes", "events", "logs", "manifest", "nodes-config", "services-list"])
def test_the_live_backend_shows_what_the_simulator_shows(simulated: Any, writer: Any, view: Any) -> None:
    assert _masked(str(view(writer))) == _masked(str(view(simulated)))


def test_the_probe_identity_gets_403_on_writes_and_secrets_and_changes_nothing(reader: Any, writer: Any) -> None:
    version = writer.resource_version("Deployment", "frontend", NS)
    with pytest.raises(ForbiddenError):
        reader.scale("deployment", "frontend", NS, 2)
    with pytest.raises(ForbiddenError):
        reader.patch("service", "geo", NS, {"metadata": {"labels": {"x": "y"}}}, dry_run=True)
    with pytest.raises(ForbiddenError):
        reader.get_resources("secrets", namespace=NS)
    assert writer.resource_version("Deployment", "frontend", NS) == version
    assert "frontend" in reader.get_resources("deployments", namespace=NS)


def test_a_write_based_on_a_stale_read_is_a_409_conflict(writer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = writer.api.get("Deployment", NS, "search")
    first = writer.scale("deployment", "search", NS, 2)
    try:
        monkeypatch.setattr(writer, "_object", lambda *args: stale)
        with pytest.raises(ConflictError, match="has been modified"):
            writer.scale("deployment", "search", NS, 3)
        monkeypatch.undo()
        assert "search" in writer.get_resources("deployments", "search", NS)
        assert writer.api.get("Deployment", NS, "search")["spec"]["replicas"] == 2
    finally:
        monkeypatch.undo()
        writer.apply_undo(first.undo)
    assert writer.api.get("Deployment", NS, "search")["spec"]["replicas"] == 1


def test_a_pod_delete_is_dry_run_by_the_server(writer: Any) -> None:
    table = writer.get_resources("pods", namespace=NS, label_selector="io.kompose.service=rate")
    pod = table.splitlines()[1].split()[0]
    result = writer.delete_pod(pod, NS, dry_run=True)
    assert result.changed == (f"Pod/{NS}/{pod}",) and "-kind: Pod" in result.diff
    assert writer.api.find("Pod", NS, pod) is not None


def test_shell_only_writes_are_refused_on_a_live_cluster(writer: Any) -> None:
    with pytest.raises(ForbiddenError, match="never opens"):
        writer.datastore_admin("mongodb-geo", NS, "grant_roles", {"user": "admin", "roles": []}, dry_run=True)
    with pytest.raises(ForbiddenError, match="never opens"):
        writer.node_service("kind-worker", "kubelet", "restart", dry_run=True)


def test_without_telemetry_the_answer_says_what_to_configure(writer: Any) -> None:
    from aoi.cluster.interface import ClusterError

    with pytest.raises(ClusterError, match=r"prometheus: \{url"):
        writer.metrics("frontend", NS)
    with pytest.raises(ClusterError, match=r"jaeger: \{url"):
        writer.traces(NS)


def test_the_static_connectivity_check_sees_a_service_without_ready_endpoints(writer: Any) -> None:
    assert writer.check_connectivity("geo", 8083, NS).startswith("Connection Failed: Service geo.")
    assert writer.check_connectivity("frontend", 5000, NS).startswith("Connection Succeeded:")
    assert "does not expose port 1" in writer.check_connectivity("frontend", 1, NS)


def _kube_spec(served: Any, context: str) -> str:
    return f"kube:{context}/{NS}?kubeconfig={served.kubeconfig_path}"


def test_the_probe_mcp_server_runs_on_a_kube_spec(served: Any) -> None:
    from aoi.tools.wiring import probe_server

    server = probe_server(_kube_spec(served, "aoi-sim-readonly"))

    async def go() -> tuple[set[str], str, bool]:
        async with Client(server) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            result = await client.call_tool("get_resources", {"resource_type": "deployments"})
            refused = await client.call_tool("scale_workload", {"kind": "deployment", "name": "geo", "namespace": NS,
                                                                "replicas": 0})
        return names, result.content[0].text, bool(refused.is_error)

    names, table, refused = anyio.run(go)
    assert names == READ_TOOLS
    assert table.startswith("NAME") and "frontend" in table
    assert refused


def test_the_agent_environment_runs_on_a_kube_spec(served: Any, tmp_path: Any) -> None:
    from aoi.graph.environment import Environment
    from aoi.store.db import connect

    env = Environment(_kube_spec(served, "aoi-sim"), conn=connect(tmp_path / "aoi.db"), key=b"k" * 32)
    assert (env.namespace, env.fault, env.current_tick(), env.mitigated()) == (NS, None, 0, None)
    assert "geo" in env.services
    env.advance_to(10)
    result = env.call("probe", "get_events", {"warnings_only": True})
    assert not result.is_error and "BackOff" in result.text
    preview = env.preview("scale_workload", {"kind": "deployment", "name": "geo", "namespace": NS, "replicas": 2})
    assert preview.resource_version == env._executor.resource_version(preview.target)
    assert "+  replicas: 2" in preview.result.diff


def test_doctor_passes_the_probe_identity_and_fails_the_writer_as_probe(served: Any) -> None:
    from aoi.cli import main

    runner = CliRunner()
    ok = runner.invoke(main, ["doctor", "--cluster", _kube_spec(served, "aoi-sim-readonly")])
    assert ok.exit_code == 0, ok.output
    assert re.search(r"^  no  patch deployments\.apps", ok.output, re.M)
    assert re.search(r"^  no  get secrets", ok.output, re.M)
    assert re.search(r"^  yes list pods", ok.output, re.M)
    assert "OK: the probe identity is read-only and cannot read Secrets." in ok.output
    bad = runner.invoke(main, ["doctor", "--cluster", _kube_spec(served, "aoi-sim")])
    assert bad.exit_code == 1
    assert "!!! FAIL: the probe identity can WRITE: patch deployments.apps" in bad.output
    assert "!!! FAIL: the probe identity can read Secrets: get secrets" in bad.output


def test_doctor_as_executor_accepts_the_writer_and_refuses_the_probe_identity(writer: Any, reader: Any) -> None:
    from aoi.cluster.kube.doctor import diagnose
    from aoi.cluster.kube.reader import Telemetry

    report = diagnose(writer.api, Telemetry(), role="executor", config_path=None)
    assert report.verdict == "warn" and not report.failures
    assert any("can read Secrets" in w for w in report.warnings)
    probe = diagnose(reader.api, Telemetry(), role="executor", config_path=None)
    assert probe.verdict == "fail" and "cannot perform any AOI write" in probe.failures[0]
    assert probe.to_dict()["verdict"] == "fail"
