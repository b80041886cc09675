"""Istio sidecars on Online Boutique: the injected pod, its start-up, the agent's probes, Envoy's answers and access
log, triage on a mesh cluster, and the switch (off: the simulator never touches the mesh module)."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from aoi.cli import main
from aoi.cluster.interface import InvalidArgumentError
from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.sim import controllers, kubelet, mesh, traffic
from aoi.cluster.sim.cluster import SimCluster
from aoi.cluster.sim.faults.k8s import K8S_FAULTS
from aoi.cluster.spec import parse_sim_spec
from aoi.diagnosis import triage

APP = "online-boutique"


def _pods(cluster: SimCluster, component: str) -> list[dict]:
    return cluster._component_pods(component, cluster.namespace)


def _row(cluster: SimCluster, component: str) -> list[str]:
    table = cluster.get_resources("pods", namespace=cluster.namespace)
    return next(line.split() for line in table.splitlines() if line.startswith(component + "-"))


def _faulty(family: str, target: str | None = None, ticks: int = 24, seed: int = 0) -> SimCluster:
    cluster = SimCluster(APP, seed, noise=False, mesh="istio")
    cluster.inject(family, target)
    cluster.tick(ticks)
    return cluster


@pytest.fixture(scope="module")
def healthy() -> SimCluster:
    return SimCluster(APP, 0, noise=False, mesh="istio")


def test_every_pod_runs_the_app_and_istio_proxy_after_istio_init(healthy: SimCluster) -> None:
    for pod in healthy.engine.state.store.list("Pod", healthy.namespace):
        spec = pod["spec"]
        assert [c["name"] for c in spec["initContainers"]] == ["istio-init"]
        assert [c["name"] for c in spec["containers"]][1:] == ["istio-proxy"]
        proxy = spec["containers"][1]
        assert proxy["image"].startswith("docker.io/istio/proxyv2:1.2")
        assert {"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"} in proxy["ports"]
        assert proxy["readinessProbe"]["httpGet"] == {"path": "/healthz/ready", "port": 15021, "scheme": "HTTP"}
        meta = pod["metadata"]
        assert meta["labels"]["security.istio.io/tlsMode"] == "istio"
        assert meta["labels"]["service.istio.io/canonical-name"] == meta["labels"]["app"]
        assert meta["annotations"]["prometheus.io/port"] == "15020"
        assert meta["annotations"]["kubectl.kubernetes.io/default-container"] == spec["containers"][0]["name"]
        status = json.loads(meta["annotations"]["sidecar.istio.io/status"])
        assert status["initContainers"] == ["istio-init"] and status["containers"] == ["istio-proxy"]
        assert pod["status"]["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    rows = healthy.get_resources("pods", namespace=healthy.namespace).splitlines()[1:]
    assert rows and all(row.split()[1:3] == ["2/2", "Running"] for row in rows)


def test_the_deployment_keeps_the_manifest_as_applied(healthy: SimCluster) -> None:
    dep = healthy.engine.state.store.get("Deployment", healthy.namespace, "cartservice")
    assert [c["name"] for c in dep["spec"]["template"]["spec"]["containers"]] == ["server"]
    assert "grpc" in dep["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]


def test_app_probes_are_rewritten_to_the_agent_with_the_originals_in_its_environment(healthy: SimCluster) -> None:
    pod = _pods(healthy, "cartservice")[0]
    app, proxy = pod["spec"]["containers"]
    assert app["livenessProbe"]["httpGet"] == {"path": "/app-health/server/livez", "port": 15020, "scheme": "HTTP"}
    assert app["readinessProbe"]["httpGet"]["path"] == "/app-health/server/readyz"
    probers = json.loads(next(e["value"] for e in proxy["env"] if e["name"] == "ISTIO_KUBE_APP_PROBERS"))
    assert probers["/app-health/server/livez"]["grpc"]["port"] == 7070


def test_pods_start_in_init_0_1_then_run_both_containers() -> None:
    cluster = SimCluster(APP, 0, noise=False, mesh="istio", warmup_ticks=0)
    cluster.tick(1)
    assert _row(cluster, "cartservice")[1:3] == ["0/2", "Init:0/1"]
    pod = _pods(cluster, "cartservice")[0]
    assert pod["status"]["phase"] == "Pending"
    assert {s["state"]["waiting"]["reason"] for s in pod["status"]["containerStatuses"]} == {"PodInitializing"}
    assert next(c for c in pod["status"]["conditions"] if c["type"] == "Initialized")["status"] == "False"
    cluster.tick(1)
    assert _row(cluster, "cartservice")[2] == "Running"
    cluster.tick(10)
    assert _row(cluster, "cartservice")[1:3] == ["2/2", "Running"]


def test_describe_shows_the_init_container_and_logs_default_to_the_app(healthy: SimCluster) -> None:
    ns = healthy.namespace
    name = _pods(healthy, "cartservice")[0]["metadata"]["name"]
    described = healthy.describe("pods", name, ns)
    assert re.search(r"^Init Containers:\n  istio-init:\n", described, re.M)
    assert re.search(r"^      Reason:       Completed$", described, re.M)
    assert "received request" in healthy.logs(name, ns, tail=20)
    assert "Envoy proxy is ready" in healthy.logs(name, ns, container="istio-proxy", tail=5000)
    assert "COMMIT" in healthy.logs(name, ns, container="istio-init")
    with pytest.raises(InvalidArgumentError, match="init containers: istio-init"):
        healthy.logs(name, ns, container="envoy")


def test_a_fault_in_the_app_container_leaves_istio_proxy_ready() -> None:
    cluster = _faulty("readiness_probe_incorrect_port", "cartservice")
    assert _row(cluster, "cartservice")[1:3] == ["1/2", "Running"]
    statuses = {s["name"]: s for s in _pods(cluster, "cartservice")[0]["status"]["containerStatuses"]}
    assert not statuses["server"]["ready"] and statuses["istio-proxy"]["ready"]
    events = cluster.events(cluster.namespace, warnings_only=True)
    assert "Readiness probe failed: HTTP probe failed with statuscode: 500" in events


def _frontend_logs(family: str, target: str) -> tuple[str, str]:
    """(the frontend's Envoy access log, its app's log) with a fault on one of its callees."""
    cluster = _faulty(family, target)
    ns = cluster.namespace
    return cluster.logs("frontend", ns, container="istio-proxy", tail=500), cluster.logs("frontend", ns, tail=200)


def test_envoy_answers_no_healthy_upstream_for_a_service_without_ready_endpoints() -> None:
    access, app = _frontend_logs("service_selector_mismatch", "cartservice")
    assert re.search(r'"POST /hipstershop\.CartService/GetCart HTTP/2" 503 UH no_healthy_upstream .* '
                     r'outbound\|7070\|\|cartservice\.boutique\.svc\.cluster\.local', access)
    assert "code = Unavailable desc = no healthy upstream" in app and "dial tcp" not in app


def test_refused_connections_reach_callers_as_envoy_connection_failures() -> None:
    access, app = _frontend_logs("service_port_mapping_mismatch", "productcatalogservice")
    assert re.search(r'503 URX,UF upstream_reset_before_response_started\{remote_connection_failure,'
                     r'delayed_connect_error:_111\} - "delayed_connect_error:_111"', access)
    assert "upstream connect error or disconnect/reset before headers" in app


def test_meshed_calls_do_not_go_through_kube_proxy() -> None:
    cluster = SimCluster(APP, 0, noise=False, mesh="istio")
    for agents in cluster.engine.state.nodes.values():
        agents.set_running("kube-proxy", False, cluster.engine.state.clock.tick)
    cluster.tick(12)
    assert "i/o timeout" not in cluster.logs("frontend", cluster.namespace, tail=200)


def test_a_tiny_memory_limit_fails_the_app_container_not_the_sandbox() -> None:
    cluster = _faulty("oom_killed", "cartservice", ticks=12)
    events = cluster.events(cluster.namespace, warnings_only=True)
    assert "container init was OOM-killed (memory limit too low?)" in events
    assert "FailedCreatePodSandBox" not in events
    statuses = {s["name"]: s for s in _pods(cluster, "cartservice")[0]["status"]["containerStatuses"]}
    assert statuses["istio-proxy"]["ready"] and not statuses["server"]["ready"]


ONLINE_BOUTIQUE_FAULTS = sorted(f for f, cls in K8S_FAULTS.items() if APP in cls.apps)


@pytest.mark.parametrize("family", ONLINE_BOUTIQUE_FAULTS)
def test_triage_ranks_the_injected_cause_first_on_a_mesh_cluster(family: str) -> None:
    cluster = SimCluster(APP, 1, mesh="istio")
    fault = cluster.inject(family)
    cluster.tick(24)
    report = triage(ReadOnlyView(cluster), cluster.namespace)
    truth = fault.ground_truth()
    assert [(h.cause, h.object) for h in report.hypotheses[:1]] == [(truth.fault_type, truth.fault_object)]


def test_the_sim_spec_takes_mesh_istio_for_online_boutique_only() -> None:
    spec = parse_sim_spec("sim:online-boutique/oom_killed?mesh=istio&clean=1")
    assert spec.mesh == "istio" and spec.clean
    assert parse_sim_spec("sim:online-boutique").mesh is None
    assert spec.name != parse_sim_spec("sim:online-boutique/oom_killed?clean=1").name
    with pytest.raises(InvalidArgumentError, match="unknown mesh 'linkerd'; meshes: istio"):
        parse_sim_spec("sim:online-boutique?mesh=linkerd")
    with pytest.raises(InvalidArgumentError, match="online-boutique only"):
        parse_sim_spec("sim:hotel-reservation?mesh=istio")


def test_sim_show_runs_under_the_mesh_and_refuses_an_app_without_one() -> None:
    result = CliRunner().invoke(main, ["sim", "show", "--app", APP, "--fault", "service_selector_mismatch",
                                       "--target", "cartservice", "--mesh", "istio", "--clean"])
    assert result.exit_code == 0, result.output
    assert "2/2" in result.output and "no healthy upstream" in result.output
    refused = CliRunner().invoke(main, ["sim", "show", "--app", "hotel-reservation", "--fault", "noop", "--mesh",
                                        "istio"])
    assert refused.exit_code == 2 and "online-boutique only" in refused.output


def test_a_cluster_without_the_mesh_never_calls_the_mesh_code(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a cluster without a mesh called the mesh code")

    monkeypatch.setattr(controllers.mesh, "inject", refuse)
    monkeypatch.setattr(controllers.mesh, "injects", refuse)
    for module, name in ((kubelet, "agent_probe_result"), (traffic, "envoy_call"), (traffic, "access_log_line")):
        monkeypatch.setattr(module, name, refuse)
    monkeypatch.setattr(traffic.TrafficModel, "_write_access_logs", refuse)
    cluster = SimCluster(APP, 2)
    cluster.inject("service_selector_mismatch")
    cluster.tick(24)
    pods = cluster.engine.state.store.list("Pod", cluster.namespace)
    assert pods and not any(mesh.has_proxy(p) or p["spec"].get("initContainers") for p in pods)
    assert "Init Containers" not in cluster.describe("pods", pods[0]["metadata"]["name"], cluster.namespace)
