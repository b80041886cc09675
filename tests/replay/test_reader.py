"""ReplayReader answers every read tool from the recording, misses the way kubectl does, says what was not
captured, never opens metadata.json and never lets the answer out; the replayed cluster refuses every write."""

from __future__ import annotations

import builtins
import contextlib
import json
import pathlib
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp import Client
from replay_snapshots import (
    ALERTS,
    CONFIG,
    DESCRIBE_CART,
    ERRORS,
    EVENTS,
    NODES_TABLE,
    NS,
    PODS,
    PODS_LABELS,
    PODS_TABLE,
    PODS_WIDE,
    SENTINELS,
    write_case,
)

from aoi.cluster.interface import ClusterError, ClusterReader, ForbiddenError, InvalidArgumentError, NotFoundError
from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.replay import NotCapturedError, ReplayReader, SnapshotWriter
from aoi.cluster.spec import parse_replay_spec
from aoi.graph.environment import Environment, run_async
from aoi.store.db import connect
from aoi.tools.kubectl import KubectlRefused, run_kubectl
from aoi.tools.wiring import executor_server, probe_server

TRUTH = {"fault_taxonomy": "Runtime_Fault", "fault_object": "service/cartservice", "root_cause": "oom_killed"}


@pytest.fixture
def reader(tmp_path: Path) -> ReplayReader:
    return ReplayReader(write_case(tmp_path, "runtime", "1", truth=TRUTH))


@pytest.fixture
def bare(tmp_path: Path) -> ReplayReader:
    """A case without logs.json and metrics.csv."""
    return ReplayReader(write_case(tmp_path, "infrastructure", "41", truth=TRUTH, logs=False, metrics=False))


def test_the_snapshot_is_a_cluster_reader_with_the_recorded_inventory(reader: ReplayReader) -> None:
    assert isinstance(reader, ClusterReader)
    assert reader.namespace == NS
    assert reader.services(NS) == ["cartservice", "frontend", "redis-cart"]
    assert reader.services("kube-system") == []
    assert reader.namespaces() == [NS]


def test_kubectl_get_is_answered_from_the_recorded_tables(reader: ReplayReader) -> None:
    assert reader.get_resources("pods", namespace=NS) == PODS_TABLE
    assert reader.get_resources("po") == PODS_TABLE  # aliases and the default namespace, as upstream normalised
    assert reader.get_resources("Pod", namespace=NS, wide=True) == PODS_WIDE
    assert reader.get_resources("pods", namespace=NS, show_labels=True) == PODS_LABELS
    assert reader.get_resources("nodes", namespace="default") == NODES_TABLE  # cluster-scoped: keyed with the app ns
    assert reader.get_resources("ingresses", namespace=NS) == f"No resources found in {NS} namespace."


def test_one_object_and_label_selectors_come_from_the_list_when_not_recorded_alone(reader: ReplayReader) -> None:
    header, cart, front, redis = PODS_WIDE.splitlines()
    assert reader.get_resources("pods", PODS["frontend"], NS, wide=True) == f"{header}\n{front}\n"
    assert reader.get_resources("pods", namespace=NS, label_selector="app=frontend") == \
        "\n".join(PODS_TABLE.splitlines()[0:1] + PODS_TABLE.splitlines()[2:3]) + "\n"  # the recorded key
    assert reader.get_resources("pods", namespace=NS, wide=True, label_selector="tier=backend") == \
        f"{header}\n{cart}\n{redis}\n"
    assert reader.get_resources("pods", namespace=NS, label_selector="app=nothing") == \
        f"No resources found in {NS} namespace."


def test_misses_read_like_kubectl(reader: ReplayReader) -> None:
    with pytest.raises(NotFoundError, match=r'^Error from server \(NotFound\): pods "ghost" not found$'):
        reader.get_resources("pods", "ghost", NS)
    with pytest.raises(NotFoundError, match=r'^Error from server \(NotFound\): pods "ghost" not found$'):
        reader.describe("pods", "ghost", NS)
    with pytest.raises(NotFoundError, match=r'deployments\.apps "ghost" not found'):
        reader.app_manifest("ghost", NS)
    with pytest.raises(InvalidArgumentError, match=r'the server doesn\'t have a resource type "widgets"'):
        reader.get_resources("widgets")
    with pytest.raises(NotFoundError, match=r'nodes "ghost-node" not found'):
        reader.node_service_status("ghost-node", "kubelet")
    assert reader.node_service_status("worker-01", "kube-scheduler") == \
        "Unit kube-scheduler.service could not be found."


def test_what_was_never_recorded_is_not_captured_rather_than_invented(reader: ReplayReader,
                                                                      bare: ReplayReader) -> None:
    with pytest.raises(NotCapturedError, match=r"cronjobs .* not captured in this snapshot"):
        reader.get_resources("cronjobs", namespace=NS)
    with pytest.raises(NotCapturedError, match="events in namespace kube-system were not captured"):
        reader.events("kube-system")
    with pytest.raises(NotCapturedError, match="traces were not captured"):
        reader.traces(NS)
    with pytest.raises(NotCapturedError, match=r"connectivity to cartservice:80 was not captured.*7070"):
        reader.check_connectivity("cartservice", 80, NS)
    with pytest.raises(NotCapturedError, match=r"^logs not captured in this snapshot"):
        bare.logs("cartservice", NS)
    with pytest.raises(NotCapturedError, match="metrics were not captured"):
        bare.metrics("cartservice", NS)


def test_describe_uses_the_recording_and_kubectls_name_prefix_match(reader: ReplayReader) -> None:
    assert reader.describe("pods", PODS["cartservice"], NS) == DESCRIBE_CART
    assert reader.describe("po", "cartservice", NS) == DESCRIBE_CART
    assert reader.describe("node", "worker-01") == "Name: worker-01\n"


def test_events_filter_the_recorded_table_by_object_and_type(reader: ReplayReader) -> None:
    rows = EVENTS.splitlines()
    assert reader.events(NS) == EVENTS
    assert reader.events(NS, warnings_only=True) == f"{rows[0]}\n{rows[2]}\n"
    assert reader.events(NS, object_name="frontend") == f"{rows[1]}\n{rows[2]}\n"
    assert reader.events(NS, object_name="redis-cart") == f"No resources found in {NS} namespace."


def test_logs_are_the_recorded_tail_of_a_service_or_its_pod(reader: ReplayReader) -> None:
    assert reader.logs("cartservice", NS, tail=2) == "line 7\nERROR redis timeout"
    assert reader.logs(PODS["cartservice"], NS, tail=1) == "ERROR redis timeout"
    assert reader.logs("cartservice", NS, grep="error|line 1$") == "line 1\nERROR redis timeout"
    assert reader.logs("redis-cart", NS) == ""
    with pytest.raises(NotFoundError, match='pods "cartservice-0000-zzzzz" not found'):
        reader.logs("cartservice-0000-zzzzz", NS)
    with pytest.raises(NotCapturedError, match="previous"):
        reader.logs("cartservice", NS, previous=True)
    with pytest.raises(InvalidArgumentError, match="tail"):
        reader.logs("cartservice", NS, tail=0)


@pytest.mark.timeout(30)
def test_a_backtracking_grep_over_a_long_recorded_line_ends_within_the_limit(reader: ReplayReader) -> None:
    reader._logs["cartservice"] = ["a" * 5000 + " ERROR redis timeout"]
    started = time.monotonic()
    for pattern in ("(.*.*)*Q", "(a+)+$Q", "(a|aa)+$Q"):
        try:
            reader.logs("cartservice", NS, grep=pattern)
        except InvalidArgumentError as exc:
            assert "1 s limit" in str(exc)
    assert time.monotonic() - started < 4
    with pytest.raises(InvalidArgumentError, match="limit is 256"):
        reader.logs("cartservice", NS, grep="x" * 1_000_000)


def test_error_logs_in_every_recorded_form(reader: ReplayReader) -> None:
    assert reader.error_log_summary("cartservice", NS) == ERRORS  # recorded as a JSON string
    assert reader.error_log_summary("frontend", NS)["total_errors"] == 1  # recorded as an object
    assert reader.error_log_summary("redis-cart", NS) == {}  # recorded empty: no errors
    with pytest.raises(NotFoundError):
        reader.error_log_summary("ghost", NS)


def test_metrics_summarise_the_recorded_series_under_their_recorded_names(reader: ReplayReader) -> None:
    cart = reader.metrics("cartservice", NS, window_seconds=20)
    assert cart["level"] == "service"
    assert cart["metrics"]["cpu"] == {"last": 0.7, "min": 0.4, "max": 0.7, "mean": 0.55,
                                      "series": [0.4, 0.5, 0.6, 0.7]}
    assert cart["metrics"]["p50latency"]["last"] == 17.0
    assert reader.metrics(PODS["cartservice"], NS)["level"] == "pod"
    node = reader.metrics("worker-01", NS)
    assert node["level"] == "node" and node["metrics"]["cpu"]["max"] == 27.0


def test_dependencies_connectivity_alerts_and_nodes(reader: ReplayReader) -> None:
    assert reader.service_dependencies("cartservice", NS) == {
        "service": "cartservice", "upstream": ["frontend"], "downstream": [{"name": "redis-cart", "type": "database"}]}
    assert reader.service_dependencies("frontend", NS)["upstream"] == []
    assert reader.check_connectivity("cartservice", 7070, NS) == "Connection Failed"
    assert reader.alerts() == ALERTS
    assert reader.cluster_configuration() == CONFIG
    assert reader.node_service_status("master", "kubelet").startswith("Service: kubelet\nNode: master")


def test_the_kubectl_passthrough_answers_from_the_snapshot(reader: ReplayReader) -> None:
    view = ReadOnlyView(reader)
    assert run_kubectl("kubectl get pods -o wide", view, default_namespace=NS) == PODS_WIDE
    assert run_kubectl("kubectl get events --field-selector type=Warning", view, default_namespace=NS) == \
        "\n".join(EVENTS.splitlines()[0::2]) + "\n"
    assert run_kubectl(f"kubectl logs {PODS['cartservice']} --tail=1", view, default_namespace=NS) == \
        "ERROR redis timeout"
    with pytest.raises(KubectlRefused):
        run_kubectl("kubectl get secrets -o yaml", view, default_namespace=NS)


def test_metadata_json_is_never_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = write_case(tmp_path, "runtime", "2", truth=TRUTH)
    opened: list[str] = []
    real_open, real_read_text = builtins.open, pathlib.Path.read_text

    def spy_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def spy_read_text(self: Path, *args: Any, **kwargs: Any) -> str:
        opened.append(str(self))
        return real_read_text(self, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(pathlib.Path, "read_text", spy_read_text)
    reader = ReplayReader(case)
    for call in _every_call():
        with contextlib.suppress(ClusterError):
            call(reader)
    assert opened and not [p for p in opened if p.endswith("metadata.json")]


def _every_call() -> list[Any]:
    return [lambda r: r.get_resources("pods", "metadata.json", NS), lambda r: r.describe("pods", "../metadata", NS),
            lambda r: r.logs("metadata.json", NS), lambda r: r.events(NS), lambda r: r.alerts(),
            lambda r: r.metrics("cartservice", NS), lambda r: r.error_log_summary("cartservice", NS),
            lambda r: r.app_manifest("cartservice", NS), lambda r: r.cluster_configuration(),
            lambda r: r.service_dependencies("cartservice", NS), lambda r: r.node_service_status("master", "kubelet"),
            lambda r: r.check_connectivity("cartservice", 7070, NS)]


_WORDS = st.sampled_from(["pods", "po", "svc", "nodes", "events", "deploy", "cartservice", "frontend", "metadata",
                          "metadata.json", "../metadata.json", NS, "kube-system", "worker-01", "result", "root_cause",
                          "fault_object", "query", "process", "zqx", "", "*", ".*", "app=cartservice"])
_TEXT = st.one_of(_WORDS, st.text(max_size=20))


@given(method=st.sampled_from(["get_resources", "describe", "logs", "error_log_summary", "events", "metrics",
                               "service_dependencies", "check_connectivity", "app_manifest", "node_service_status",
                               "traces"]),
       a=_TEXT, b=_TEXT, c=_TEXT, flag=st.booleans(), port=st.integers(-5, 70000))
def test_no_argument_lets_the_answer_out_and_every_failure_is_a_cluster_error(
        leaky_reader: ReplayReader, method: str, a: str, b: str, c: str, flag: bool, port: int) -> None:
    calls = {
        "get_resources": lambda r: r.get_resources(a, b, c or None, wide=flag, label_selector=None if flag else c),
        "describe": lambda r: r.describe(a, b, c or None),
        "logs": lambda r: r.logs(a, b or NS, grep=c or None, tail=max(1, port % 6000)),
        "error_log_summary": lambda r: r.error_log_summary(a, b),
        "events": lambda r: r.events(a or None, object_name=b or None, warnings_only=flag),
        "metrics": lambda r: r.metrics(a, b or NS),
        "service_dependencies": lambda r: r.service_dependencies(a, b or NS),
        "check_connectivity": lambda r: r.check_connectivity(a, port, b or NS),
        "app_manifest": lambda r: r.app_manifest(a, b or NS),
        "node_service_status": lambda r: r.node_service_status(a, b),
        "traces": lambda r: r.traces(a, service=b or None),
    }
    try:
        answer: Any = calls[method](leaky_reader)
    except ClusterError as exc:
        answer = str(exc)
    text = answer if isinstance(answer, str) else json.dumps(answer)
    assert not [s for s in SENTINELS if s in text]


@pytest.fixture(scope="module")
def leaky_reader(tmp_path_factory: pytest.TempPathFactory) -> ReplayReader:
    root = tmp_path_factory.mktemp("leaky")
    return ReplayReader(write_case(root, "zqxcategory", "7", truth={
        "fault_taxonomy": "zqxtaxonomy", "fault_object": "service/zqxobject", "root_cause": "zqxcause"}))


async def _call_all(server: Any) -> list[tuple[str, bool, str]]:
    calls = [("get_alerts", {}), ("get_resources", {"resource_type": "pods"}), ("list_services", {}),
             ("describe_resource", {"resource_type": "pods", "name": "cartservice"}),
             ("get_logs", {"target": "cartservice", "tail": 3}), ("get_error_logs", {"service": "cartservice"}),
             ("get_events", {"warnings_only": True}), ("get_metrics", {"target": "cartservice"}),
             ("get_traces", {}), ("get_service_dependencies", {"service": "cartservice"}),
             ("check_service_connectivity", {"service": "cartservice", "port": 7070}),
             ("get_app_yaml", {"service": "cartservice"}), ("get_cluster_configuration", {}),
             ("check_node_service_status", {"node": "master", "component": "kubelet"}),
             ("kubectl", {"command": "kubectl get pods -n shop"}), ("kubectl", {"command": "kubectl get pods ghost"}),
             ("get_resources", {"resource_type": "pods", "name": "metadata.json"})]
    out = []
    async with Client(server) as client:
        for tool, args in calls:
            result = await client.call_tool(tool, args)
            out.append((tool, bool(result.is_error), "\n".join(getattr(c, "text", "") for c in result.content)))
    return out


def test_the_probe_server_over_a_replay_answers_every_tool_without_the_answer_or_the_path(leaky_case: Path) -> None:
    results = run_async(lambda: _call_all(probe_server(f"replay:{leaky_case}")))
    by_tool = {tool: (error, text) for tool, error, text in results}
    assert by_tool["get_resources"] == (True, "Error executing tool get_resources: Error from server (NotFound): pods "
                                              '"metadata.json" not found')
    assert by_tool["list_services"] == (False, "cartservice\nfrontend\nredis-cart")
    assert by_tool["get_traces"] == (True, "Error executing tool get_traces: traces were not captured in this snapshot")
    assert by_tool["get_logs"] == (False, "line 6\nline 7\nERROR redis timeout")
    assert not by_tool["get_alerts"][0] and "ERROR_RATE" in by_tool["get_alerts"][1]
    assert sum(error for _, error, _ in results) == 3
    everything = "\n".join(text for _, _, text in results)
    assert not [s for s in SENTINELS if s in everything]
    assert str(leaky_case.parent.parent) not in everything


def test_a_replayed_cluster_refuses_every_write(tmp_path: Path, leaky_case: Path) -> None:
    with pytest.raises(ForbiddenError, match=r"recorded snapshot .* read-only"):
        SnapshotWriter().scale("Deployment", "cartservice", NS, 2, dry_run=True)  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        SnapshotWriter().not_a_write_method  # noqa: B018  # type: ignore[attr-defined]
    env = Environment(f"replay:{leaky_case}", conn=connect(tmp_path / "aoi.db"), key=b"k" * 32)
    assert (env.namespace, env.services, env.fault, env.current_tick()) == (NS, ["cartservice", "frontend",
                                                                                 "redis-cart"], None, 0)
    with pytest.raises(ForbiddenError, match="read-only"):
        env.preview("restart_workload", {"kind": "Deployment", "name": "cartservice", "namespace": NS})
    result = env.call("executor", "restart_workload", {"kind": "Deployment", "name": "cartservice", "namespace": NS,
                                                       "thread_id": "t", "grant": "x", "idempotency_key": "k"})
    assert "read-only" in result.text
    server = executor_server(f"replay:{leaky_case}", db_path=tmp_path / "exec.db")
    assert server is not None


def test_replay_specs_name_a_case_folder(tmp_path: Path, leaky_case: Path) -> None:
    assert parse_replay_spec(f"replay:{leaky_case}") == leaky_case
    for bad in ("replay:", f"replay:{tmp_path}", "sim:online-boutique"):
        with pytest.raises(InvalidArgumentError, match="replay"):
            parse_replay_spec(bad)
    with pytest.raises(InvalidArgumentError, match="not a snapshot folder"):
        ReplayReader(tmp_path)
