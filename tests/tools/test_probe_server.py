"""The probe MCP server: read tools only (listed and at call time), redacted and bounded output, errors that
name the valid values — tested through a real in-memory MCP client session."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp import Client

from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.sim.cluster import SimCluster
from aoi.tools.probe import ProbeServer, build_probe_server
from aoi.tools.registry import READ_TOOLS, WRITE_TOOLS

NS = "boutique"
CANARIES = {
    "secret": "QmFuYW5hU3BsaXQ4Mjc0MTk",
    "env": "Zq81xWv0pLmN3rT5yUa7",
    "log_password": "Hx9kTq2LmZ7vBn4Rw1Ys",
    "log_bearer": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhb2kifQ.c2lnbmF0dXJlMTIz",
    "annotation": "Ann0tat10nT0k3nV4lu3",
}


def _plant(cluster: SimCluster) -> None:
    state = cluster.engine.state
    state.store.create({"kind": "Secret", "metadata": {"name": "db-credentials", "namespace": NS}, "type": "Opaque",
                        "data": {"password": base64.b64encode(CANARIES["secret"].encode()).decode()}})
    cluster.set_env("deployment", "cartservice", NS, "server", {"REDIS_PASSWORD": CANARIES["env"]})
    svc = state.store.get("Service", NS, "adservice")
    svc["metadata"].setdefault("annotations", {})["example.com/api-token"] = CANARIES["annotation"]
    cluster.tick(6)
    pod = next(p for p in state.store.list("Pod", NS) if p["metadata"]["name"].startswith("frontend-"))
    rt = state.containers[pod["metadata"]["uid"]]["server"]
    for text in (f"connecting with password={CANARIES['log_password']} failed",
                 f"upstream call failed: Authorization: Bearer {CANARIES['log_bearer']}"):
        state.telemetry.log(NS, pod["metadata"]["name"], "server", rt.restarts, state.clock.tick, text, True)


@pytest.fixture(scope="module")
def cluster() -> SimCluster:
    c = SimCluster("online-boutique", seed=0, warmup_ticks=12)
    _plant(c)
    return c


def _call(server: ProbeServer, tool: str, args: dict[str, Any]) -> tuple[bool, str]:
    async def go() -> tuple[bool, str]:
        async with Client(server) as client:
            result = await client.call_tool(tool, args)
            return result.is_error, "\n".join(getattr(c, "text", "") for c in result.content)

    return anyio.run(go)


def _tools(server: ProbeServer) -> list[Any]:
    async def go() -> list[Any]:
        async with Client(server) as client:
            return (await client.list_tools()).tools

    return anyio.run(go)


def test_only_registered_read_tools_are_listed_all_marked_read_only(cluster: SimCluster) -> None:
    tools = _tools(build_probe_server(ReadOnlyView(cluster), default_namespace=NS))
    assert {t.name for t in tools} == READ_TOOLS
    assert all(t.annotations.read_only_hint and not t.annotations.destructive_hint for t in tools)
    assert all(t.description for t in tools)


@pytest.mark.parametrize("tool", [*sorted(WRITE_TOOLS), "undo", "exec", "delete_namespace", ""])
def test_a_raw_call_to_a_write_tool_is_refused_at_call_time(cluster: SimCluster, tool: str) -> None:
    before = copy.deepcopy(cluster.engine.state.store.snapshot()["objects"])
    is_error, text = _call(build_probe_server(ReadOnlyView(cluster), default_namespace=NS), tool,
                           {"kind": "deployment", "name": "adservice", "namespace": NS, "replicas": 0})
    assert is_error and "refused" in text
    assert cluster.engine.state.store.snapshot()["objects"] == before


def test_the_probe_server_refuses_to_register_a_write_tool(cluster: SimCluster) -> None:
    server = build_probe_server(ReadOnlyView(cluster), default_namespace=NS)

    def scale_workload(name: str) -> str:
        return name

    with pytest.raises(ValueError, match="only holds read tools"):
        server.add_tool(scale_workload)


def test_errors_name_the_bad_argument_and_the_valid_values(cluster: SimCluster) -> None:
    server = build_probe_server(ReadOnlyView(cluster), default_namespace=NS)
    is_error, text = _call(server, "get_error_logs", {"service": "payments"})
    assert is_error and "unknown service 'payments'" in text and "paymentservice" in text
    is_error, text = _call(server, "get_resources", {"resource_type": "gizmos"})
    assert is_error and "gizmos" in text
    is_error, text = _call(server, "get_logs", {"target": "frontend", "tail": 0})
    assert is_error and "tail must be" in text


def test_long_output_is_cut_with_a_marker_that_says_how_to_narrow(cluster: SimCluster) -> None:
    server = build_probe_server(ReadOnlyView(cluster), default_namespace=NS, output_budget=500)
    is_error, text = _call(server, "get_events", {})
    assert not is_error
    assert "[... truncated: showing 500 of" in text and "warnings_only" in text
    assert len(text) < 700


def test_structured_answers_come_back_as_json(cluster: SimCluster) -> None:
    server = build_probe_server(ReadOnlyView(cluster), default_namespace=NS)
    _, text = _call(server, "get_metrics", {"target": "frontend", "window_seconds": 60})
    metrics = json.loads(text)
    assert metrics["target"] == "frontend" and metrics["metrics"]["request_rate"]["last"] > 0


TOOL_ARGS = st.one_of(
    st.tuples(st.just("get_resources"), st.fixed_dictionaries({"resource_type": st.sampled_from(
        ["pods", "secrets", "deployments", "services", "configmaps", "events", "serviceaccounts"]),
        "wide": st.booleans(), "show_labels": st.booleans()})),
    st.tuples(st.just("describe_resource"), st.sampled_from([
        {"resource_type": "secrets", "name": "db-credentials"}, {"resource_type": "services", "name": "adservice"},
        {"resource_type": "deployments", "name": "cartservice"}])),
    st.tuples(st.just("get_logs"), st.fixed_dictionaries({"target": st.sampled_from(["frontend", "cartservice"]),
                                                          "tail": st.integers(1, 300),
                                                          "grep": st.sampled_from([None, "pass", "Bearer", "a"])})),
    st.tuples(st.just("get_error_logs"), st.fixed_dictionaries({"service": st.sampled_from(["frontend",
                                                                                            "cartservice"])})),
    st.tuples(st.just("get_app_yaml"), st.fixed_dictionaries({"service": st.sampled_from(["cartservice",
                                                                                          "adservice"])})),
    st.tuples(st.just("kubectl"), st.sampled_from([
        {"command": "kubectl get secrets"}, {"command": "kubectl describe secret db-credentials"},
        {"command": "kubectl get deploy cartservice -o yaml"}, {"command": "kubectl logs deploy/frontend"},
        {"command": "kubectl get svc adservice -o json"}, {"command": "kubectl get secret db-credentials -o yaml"}])),
    st.tuples(st.sampled_from(["get_events", "get_alerts", "get_cluster_configuration", "list_services"]),
              st.just({})),
    st.tuples(st.just("get_metrics"), st.fixed_dictionaries({"target": st.sampled_from(["frontend", "cartservice"]),
                                                             "window_seconds": st.integers(5, 600)})),
    st.tuples(st.just("get_traces"), st.fixed_dictionaries({"service": st.sampled_from([None, "frontend"]),
                                                            "errors_only": st.booleans(),
                                                            "limit": st.integers(1, 20)})),
    st.tuples(st.just("get_service_dependencies"), st.fixed_dictionaries({"service": st.sampled_from(
        ["frontend", "cartservice", "redis-cart"])})),
    st.tuples(st.just("check_service_connectivity"), st.fixed_dictionaries({"service": st.sampled_from(
        ["cartservice", "redis-cart"]), "port": st.sampled_from([7070, 6379, 1])})),
    st.tuples(st.just("check_node_service_status"), st.fixed_dictionaries({"node": st.sampled_from(
        ["master", "worker-01"]), "component": st.sampled_from(["kubelet", "containerd", "kube-scheduler"])})),
    st.tuples(st.sampled_from(sorted(READ_TOOLS)), st.dictionaries(st.sampled_from(
        ["name", "service", "target", "resource_type", "namespace", "command"]), st.text(max_size=12), max_size=3)),
)


@settings(max_examples=120)
@given(TOOL_ARGS)
def test_no_canary_secret_ever_leaves_the_probe(cluster: SimCluster, call: tuple[str, dict]) -> None:
    tool, args = call
    _, text = _call(build_probe_server(ReadOnlyView(cluster), default_namespace=NS), tool, args)
    for where, canary in CANARIES.items():
        assert canary not in text, f"{where} canary leaked through {tool}({args})"
        assert base64.b64encode(canary.encode()).decode() not in text


def test_the_kubectl_tool_defaults_to_the_app_namespace(cluster: SimCluster) -> None:
    server = build_probe_server(ReadOnlyView(cluster), default_namespace=NS)
    is_error, text = _call(server, "kubectl", {"command": "kubectl logs deploy/frontend --tail 5"})
    assert not is_error and len(text.splitlines()) == 5
    is_error, text = _call(server, "kubectl", {"command": "kubectl delete pod x"})
    assert is_error and "delete" in text


@pytest.mark.parametrize(("tool", "args"), [
    ("describe_resource", {"resource_type": "pods", "name": "x" * 1_000_000}),
    ("get_logs", {"target": "y" * 1_000_000}),
    ("get_resources", {"resource_type": "z" * 1_000_000}),
    ("get_metrics", {"target": "frontend", "window_seconds": "9" * 1_000_000}),
    ("kubectl", {"command": "kubectl get pods " + "w" * 1_000_000}),
    ("w" * 1_000_000, {}),
])
def test_every_error_reply_fits_the_output_budget(cluster: SimCluster, tool: str, args: dict[str, Any]) -> None:
    server = build_probe_server(ReadOnlyView(cluster), default_namespace=NS, output_budget=2_000)
    is_error, text = _call(server, tool, args)
    assert is_error
    assert 0 < len(text) <= 2_000
