"""The probe's `triage` tool: listed as a read tool, ranked hypotheses with the call that confirms each, narrowed by
service, errors that name the valid services, bounded output — through a real in-memory MCP client session."""

from __future__ import annotations

import copy
import json
from typing import Any

import anyio
import pytest
from mcp import Client

from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.sim.cluster import SimCluster
from aoi.diagnosis.backing import hypotheses_from_json
from aoi.diagnosis.reads import parse_call
from aoi.diagnosis.triage import DEFAULT_BUDGET as TRIAGE_BUDGET
from aoi.evals.opsbench import case_dirs, dev_split_dir
from aoi.tools.probe import DEFAULT_OUTPUT_BUDGET, ProbeServer, build_probe_server
from aoi.tools.registry import READ_TOOLS, classify
from aoi.tools.wiring import open_cluster

NS = "boutique"
SERVICES = ("adservice", "cartservice", "checkoutservice", "currencyservice", "emailservice", "frontend",
            "paymentservice", "productcatalogservice", "recommendationservice", "redis-cart", "shippingservice")


@pytest.fixture(scope="module")
def oom() -> SimCluster:
    cluster = SimCluster("online-boutique", seed=0)
    cluster.inject("oom_killed")
    cluster.tick(24)
    return cluster


@pytest.fixture(scope="module")
def healthy() -> SimCluster:
    return SimCluster("online-boutique", seed=0)


def _server(cluster: SimCluster, **kwargs: Any) -> ProbeServer:
    return build_probe_server(ReadOnlyView(cluster), default_namespace=NS, **kwargs)


def _calls(server: ProbeServer, *calls: tuple[str, dict[str, Any]]) -> list[tuple[bool, str]]:
    async def go() -> list[tuple[bool, str]]:
        out = []
        async with Client(server) as client:
            for tool, args in calls:
                result = await client.call_tool(tool, args)
                out.append((bool(result.is_error), "\n".join(getattr(c, "text", "") for c in result.content)))
        return out

    return anyio.run(go)


def _triage(server: ProbeServer, **args: Any) -> tuple[bool, str]:
    return _calls(server, ("triage", args))[0]


def test_triage_is_a_registered_read_tool_listed_read_only_with_a_description(oom: SimCluster) -> None:
    async def go() -> Any:
        async with Client(_server(oom)) as client:
            return {t.name: t for t in (await client.list_tools()).tools}

    tools = anyio.run(go)
    assert "triage" in READ_TOOLS and classify("triage") == "read"
    tool = tools["triage"]
    assert tool.annotations.read_only_hint and not tool.annotations.destructive_hint
    assert tool.description.startswith("Call first: ranked root-cause hypotheses")
    assert set(tool.input_schema["properties"]) == {"namespace", "service", "as_json"}
    assert not tool.input_schema.get("required")


def test_as_json_gives_the_same_hypotheses_as_the_text_report(oom: SimCluster) -> None:
    server = _server(oom)
    _, text = _triage(server)
    is_error, raw = _triage(server, as_json=True)
    hypotheses = hypotheses_from_json(json.loads(raw))
    assert not is_error and hypotheses
    assert (hypotheses[0].cause, hypotheses[0].object) == ("oom_killed", "service/adservice")
    assert hypotheses[0].structural  # a container's last state, not only a log line
    assert [f"{i}. {h.cause} on {h.object}" for i, h in enumerate(hypotheses, 1)] == [
        line.split(" (score")[0] for line in text.splitlines()[1:] if line[:1].isdigit()]


def test_the_first_hypothesis_names_the_injected_fault_and_its_service(oom: SimCluster) -> None:
    is_error, text = _triage(_server(oom))
    assert not is_error
    lines = text.splitlines()
    assert lines[0].startswith(f"Triage of namespace {NS}: ")
    assert lines[1].startswith("1. oom_killed on service/adservice (score ")
    assert any(line.strip().startswith("evidence: ") for line in lines)
    assert any(line.strip().startswith("confirm: ") for line in lines)


def test_each_confirm_call_is_a_probe_read_tool_that_answers(oom: SimCluster) -> None:
    _, text = _triage(_server(oom))
    parsed = [parse_call(line.split("confirm: ", 1)[1]) for line in text.splitlines() if "confirm: " in line]
    confirms = [call for call in parsed if call is not None]
    assert confirms and len(confirms) == len(parsed)
    assert all(classify(tool) == "read" for tool, _ in confirms)
    assert [is_error for is_error, _ in _calls(_server(oom), *confirms)] == [False] * len(confirms)


def test_service_narrows_to_that_service(oom: SimCluster) -> None:
    server = _server(oom)
    _, on_adservice = _triage(server, service="adservice")
    _, on_frontend = _triage(server, service="frontend")
    assert "1. oom_killed on service/adservice" in on_adservice
    assert "service/adservice" not in on_frontend
    assert on_frontend.startswith(f"Triage of namespace {NS}: 0 hypotheses")


def test_an_unknown_service_is_a_tool_error_naming_the_valid_services(oom: SimCluster) -> None:
    is_error, text = _triage(_server(oom), service="payments")
    assert is_error
    assert "service 'payments' not found in namespace 'boutique'" in text
    assert all(name in text for name in SERVICES)
    assert "Traceback" not in text


def test_an_unknown_namespace_is_a_tool_error_naming_the_valid_namespaces(oom: SimCluster) -> None:
    is_error, text = _triage(_server(oom), namespace="shop")
    assert is_error and "namespace 'shop' not found" in text and "boutique" in text


def test_an_unknown_namespace_on_a_snapshot_is_an_error_too() -> None:
    root = dev_split_dir()
    if root is None:
        pytest.skip("Cloud-OpsBench dev split not found (set AOI_OPSBENCH_DEV_DIR)")
    snapshot = open_cluster(f"replay:{case_dirs(root)[0]}")
    server = build_probe_server(ReadOnlyView(snapshot), default_namespace=snapshot.namespace)
    (bad, text), (ok, _) = _calls(server, ("triage", {"namespace": "shop"}), ("triage", {}))
    assert bad and "namespace 'shop' not found" in text and snapshot.namespace in text
    assert not ok


def test_the_output_stays_within_the_probe_and_triage_budgets(oom: SimCluster) -> None:
    _, text = _triage(_server(oom))
    assert len(text) <= min(TRIAGE_BUDGET, DEFAULT_OUTPUT_BUDGET)
    _, small = _triage(_server(oom, output_budget=200))
    assert len(small) <= 200 and small.startswith(f"Triage of namespace {NS}: ")


def test_a_healthy_cluster_reports_no_fault(healthy: SimCluster) -> None:
    is_error, text = _triage(_server(healthy))
    assert not is_error
    assert text.startswith(f"Triage of namespace {NS}: 0 hypotheses")
    assert "No analyzer found a fault" in text


def test_triage_changes_nothing_in_the_cluster(oom: SimCluster) -> None:
    before = copy.deepcopy(oom.engine.state.store.snapshot()["objects"])
    _triage(_server(oom))
    _triage(_server(oom), service="adservice")
    assert oom.engine.state.store.snapshot()["objects"] == before
