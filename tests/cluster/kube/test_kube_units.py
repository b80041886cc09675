"""The live backend's pieces that need no server: spec and config parsing, API status mapping, the JSON patch a
write sends, request parameters (dry run, field manager, precondition), and the telemetry clients' conversions."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aoi.cluster.interface import (
    ClusterError,
    ConflictError,
    ForbiddenError,
    InvalidArgumentError,
    NotFoundError,
)
from aoi.cluster.kube.api import KubeApi, status_error
from aoi.cluster.kube.config import load_config
from aoi.cluster.kube.reader import KubeReader, Telemetry, error_patterns
from aoi.cluster.kube.writer import KubeWriter, json_patch_ops
from aoi.cluster.patching import json_patch
from aoi.cluster.spec import parse_kube_spec
from aoi.cluster.telemetry.jaeger import call_edges, trace_view
from aoi.cluster.telemetry.loki import LokiClient
from aoi.cluster.telemetry.prometheus import PrometheusClient, pods_regex

# -- specs and config ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("kube:", (None, None, None, None)),
    ("kube:kind-aiopslab", ("kind-aiopslab", None, None, None)),
    ("kube:kind-aiopslab/test-hotel-reservation", ("kind-aiopslab", "test-hotel-reservation", None, None)),
    ("kube:/boutique?kubeconfig=/tmp/k&config=/tmp/c.yaml", (None, "boutique", "/tmp/k", "/tmp/c.yaml")),
])
def test_kube_specs_name_context_namespace_and_files(text: str, expected: tuple) -> None:
    spec = parse_kube_spec(text)
    assert (spec.context, spec.namespace, spec.kubeconfig, spec.config) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("sim:online-boutique", "not a live cluster"),
    ("kube:ctx?token=x", "unknown option"),
    ("kube:ctx/a/b", "one namespace"),
])
def test_bad_kube_specs_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        parse_kube_spec(text)


def test_the_config_file_is_optional_validated_and_names_the_bad_key(tmp_path: Path) -> None:
    config, found = load_config(None)
    assert found is None and config.prometheus is None and config.kube.request_timeout_s == 10
    good = tmp_path / "config.yaml"
    good.write_text("kube: {context: kind-x, namespace: app}\nprometheus: {url: 'http://p:9090', preset: aoi-sim,\n"
                    "  queries: {restarts: 'sum(x)'}}\njaeger: {url: 'http://j:16686'}\n")
    config, found = load_config(good)
    assert found == good and config.kube.context == "kind-x" and config.prometheus.queries == {"restarts": "sum(x)"}
    for text, message in [("kube: {contxt: x}", "kube.contxt"), ("prometheus: {queries: {}}", "prometheus.url"),
                          ("prometheus: {url: u, queries: {qps: x}}", "unknown metric"), ("- a list", "mapping"),
                          ("kube: {request_timeout_s: 0}", "request_timeout_s")]:
        good.write_text(text)
        with pytest.raises(InvalidArgumentError, match=message):
            load_config(good)
    with pytest.raises(InvalidArgumentError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")


def test_kubeconfig_problems_are_invalid_arguments(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="does not exist"):
        KubeApi.from_kubeconfig(str(tmp_path / "nope"))
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "a",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u", "namespace": "ns-a"}}]}))
    with pytest.raises(InvalidArgumentError, match="contexts: a"):
        KubeApi.from_kubeconfig(str(kubeconfig), "b")
    api = KubeApi.from_kubeconfig(str(kubeconfig))
    assert (api.context, api.namespace, api.host) == ("a", "ns-a", "https://127.0.0.1:1")
    with pytest.raises(ClusterError, match="cannot reach the Kubernetes API server"):
        KubeApi.from_kubeconfig(str(kubeconfig), timeout_s=2).list("Pod", "x")


# -- API statuses and requests -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "error"), [(404, NotFoundError), (403, ForbiddenError), (409, ConflictError),
                                             (422, InvalidArgumentError), (400, InvalidArgumentError),
                                             (401, ClusterError), (500, ClusterError)])
def test_api_statuses_become_typed_errors_with_the_servers_message(code: int, error: type) -> None:
    exc = status_error(code, json.dumps({"kind": "Status", "message": "the server says why"}).encode(), "GET /x")
    assert type(exc) is error and "the server says why" in str(exc)


class _Response:
    def __init__(self, status: int, body: Any) -> None:
        self.status, self._body = status, json.dumps(body).encode()

    def read(self) -> bytes:
        return self._body

    def getheader(self, name: str, default: Any = None) -> Any:
        return "Wed, 25 Nov 2026 12:00:00 GMT" if name.lower() == "date" else default


class _RecordingClient:
    """Stands in for the official `ApiClient`: records requests, answers from a dict of (method, path)."""

    def __init__(self, answers: dict[tuple[str, str], Any]) -> None:
        self.answers, self.sent = answers, []
        self.configuration = type("Configuration", (), {"host": "https://fake"})()

    def param_serialize(self, method: str, path: str, *, query_params: list, header_params: dict, body: Any,
                        auth_settings: list) -> tuple:
        return method, (path, dict(query_params)), header_params, body, None

    def call_api(self, method: str, url: tuple, *, header_params: dict, body: Any, _request_timeout: float) -> Any:
        path, query = url
        self.sent.append((method, path, query, header_params.get("Content-Type"), body))
        answer = self.answers.get((method, path))
        return _Response(200, answer) if answer is not None else _Response(404, {"message": f'"{path}" not found'})


DEPLOYMENT = {"kind": "Deployment", "apiVersion": "apps/v1",
              "metadata": {"name": "web", "namespace": "ns", "resourceVersion": "41", "uid": "u1"},
              "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "app", "image": "a:1"}]}}}}


def test_a_write_reads_first_then_patches_with_precondition_field_manager_and_dry_run() -> None:
    path = "/apis/apps/v1/namespaces/ns/deployments/web"
    after = json.loads(json.dumps(DEPLOYMENT))
    after["spec"]["replicas"] = 3
    client = _RecordingClient({("GET", path): DEPLOYMENT, ("PATCH", path): after})
    writer = KubeWriter(KubeApi(client, context="fake", namespace="ns"))
    result = writer.scale("deploy", "web", "ns", 3, dry_run=True)
    method, sent_path, query, content_type, body = client.sent[-1]
    assert (method, sent_path, content_type) == ("PATCH", path, "application/json-patch+json")
    assert query == {"fieldManager": "aoi", "dryRun": "All"}
    assert body == [{"op": "replace", "path": "/metadata/resourceVersion", "value": "41"},
                    {"op": "replace", "path": "/spec/replicas", "value": 3}]
    assert "-  replicas: 1\n+  replicas: 3\n" in result.diff
    assert result.undo.pre_images == (DEPLOYMENT,) and result.changed == ("Deployment/ns/web",)
    writer.patch("deployment", "web", "ns", {"spec": {"paused": True}}, patch_type="strategic")
    _, _, query, content_type, body = client.sent[-1]
    assert query == {"fieldManager": "aoi"} and content_type == "application/strategic-merge-patch+json"
    assert body == {"spec": {"paused": True}, "metadata": {"resourceVersion": "41"}}


def test_a_delete_carries_the_read_resource_version_as_precondition() -> None:
    pod = {"kind": "Pod", "metadata": {"name": "p", "namespace": "ns", "resourceVersion": "7"}, "spec": {}}
    client = _RecordingClient({("GET", "/api/v1/namespaces/ns/pods/p"): pod,
                               ("DELETE", "/api/v1/namespaces/ns/pods/p"): {"kind": "Status"}})
    KubeWriter(KubeApi(client, context="fake", namespace="ns")).delete_pod("p", "ns", dry_run=True)
    method, _, query, _, body = client.sent[-1]
    assert method == "DELETE" and query == {"dryRun": "All"}
    assert body["preconditions"] == {"resourceVersion": "7"} and body["dryRun"] == ["All"]


def test_a_patch_may_not_rename_or_retype_and_unknown_kinds_are_refused() -> None:
    writer = KubeWriter(KubeApi(_RecordingClient({}), context="fake", namespace="ns"))
    with pytest.raises(InvalidArgumentError, match=r"metadata\.name"):
        writer.patch("deployment", "web", "ns", {"metadata": {"name": "other"}})
    with pytest.raises(InvalidArgumentError, match="kind"):
        writer.patch("deployment", "web", "ns", [{"op": "replace", "path": "/kind", "value": "Pod"}],
                     patch_type="json")
    with pytest.raises(ForbiddenError, match="not allowed"):
        writer.delete("secret", "s", "ns")
    with pytest.raises(ForbiddenError, match="never opens"):
        writer.resource_version("Datastore", "mongodb", "ns")


_json = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.text("ab/~", max_size=3),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text("ab/~", max_size=3), inner,
                                                                                  max_size=3), max_leaves=12)
_objects = st.fixed_dictionaries({"kind": st.just("Deployment"), "metadata": st.fixed_dictionaries(
    {"name": st.just("web")}, optional={"labels": st.dictionaries(st.text("ab", max_size=2), st.text(max_size=2)),
                                        "annotations": st.dictionaries(st.text("a/", max_size=2), st.text())})},
    optional={"spec": _json, "data": _json, "status": _json})


@settings(max_examples=60)
@given(_objects, _objects)
def test_the_json_patch_turns_the_current_object_into_the_wanted_one(current: dict, wanted: dict) -> None:
    patched = json_patch(current, json_patch_ops(current, wanted))

    def writable(o: dict) -> dict:
        meta = {k: v for k, v in o["metadata"].items() if k in ("labels", "annotations")}
        return {**{k: v for k, v in o.items() if k not in ("status", "metadata")}, "metadata": meta}

    assert writable(patched) == writable(wanted)
    assert patched.get("status") == current.get("status")


# -- telemetry -----------------------------------------------------------------------------------------------------


def test_promql_templates_select_the_pods_of_a_service_or_one_pod() -> None:
    client = PrometheusClient("http://p", queries={"restarts": "max(x{ns=\"$namespace\",pod=~\"$pods\"})"})
    assert client.promql("restarts", namespace="shop", service="cart") == \
        'max(x{ns="shop",pod=~"cart-([a-z0-9]{6,10}-)?[a-z0-9]{5}|cart-[0-9]+"})'
    assert client.promql("cpu_millicores", namespace="shop", pod="cart-0").count('pod=~"cart-0"') == 1
    sim = PrometheusClient("http://p", preset="aoi-sim")
    assert sim.promql("p95_ms", namespace="a", service="b") == 'aoi_service_latency_p95_ms{namespace="a",service="b"}'
    assert sim.promql("restarts", namespace="a", pod="b-1") == 'aoi_pod_restarts{namespace="a",pod="b-1"}'
    with pytest.raises(InvalidArgumentError, match="not a valid Kubernetes name"):
        client.promql("restarts", namespace='x"}) or vector(1', service="s")
    with pytest.raises(InvalidArgumentError, match="unknown Prometheus preset"):
        PrometheusClient("http://p", preset="datadog")
    assert pods_regex(pod="a.b") == r"a\.b"


JAEGER_TRACE = {"traceID": "t1", "processes": {"p1": {"serviceName": "frontend"}, "p2": {"serviceName": "search"},
                                               "p3": {"serviceName": "geo"}},
                "spans": [{"spanID": "c", "operationName": "geo.Nearby", "processID": "p3", "startTime": 30,
                           "duration": 1500, "references": [{"refType": "CHILD_OF", "spanID": "b"}],
                           "tags": [{"key": "error", "value": True},
                                    {"key": "otel.status_description", "value": "refused"}]},
                          {"spanID": "a", "operationName": "HTTP GET /hotels", "processID": "p1", "startTime": 10,
                           "duration": 9000, "references": [], "tags": []},
                          {"spanID": "b", "operationName": "search.Nearby", "processID": "p2", "startTime": 20,
                           "duration": 4000, "references": [{"refType": "CHILD_OF", "spanID": "a"}], "tags": []}]}


def test_a_jaeger_trace_becomes_the_backends_trace_view_and_call_edges() -> None:
    view = trace_view(JAEGER_TRACE)
    assert (view["trace_id"], view["operation"], view["duration_ms"], view["error"]) == ("t1", "HTTP GET /hotels",
                                                                                         9.0, True)
    assert [(s["service"], s["parent_id"]) for s in view["spans"]] == [("frontend", None), ("search", "a"),
                                                                        ("geo", "b")]
    assert view["spans"][2]["status_message"] == "refused"
    assert call_edges([view], "search") == (["frontend"], ["geo"])


class _Loki(BaseHTTPRequestHandler):
    queries: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        _Loki.queries.append(parse_qs(urlparse(self.path).query))
        body = {"status": "success", "data": {"resultType": "streams", "result": [
            {"stream": {"pod": "cart-7d9f8c6b5-abcde"}, "values": [
                ["1700000000000000002", 'level=error msg="redis timeout after 250ms"'],
                ["1700000000000000001", "level=info msg=ok"],
                ["1700000000000000003", 'level=error msg="redis timeout after 300ms"']]}]}}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def loki_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Loki)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_error_log_patterns_come_from_loki_when_it_is_configured(loki_url: str) -> None:
    reader = KubeReader(KubeApi(_RecordingClient({}), context="fake", namespace="shop"),
                        Telemetry(loki=LokiClient(loki_url)))
    summary = reader.error_log_summary("cart", "shop")
    assert (summary["total_log_count"], summary["total_errors"]) == (3, 2)
    assert summary["patterns"] == [{"count": 2, "ratio": 0.6667, "sample": 'level=error msg="redis timeout after '
                                                                             '250ms"'}]
    query = _Loki.queries[-1]["query"][0]
    assert query.startswith('{namespace="shop", pod=~"cart-') and _Loki.queries[-1]["direction"] == ["backward"]


@pytest.mark.parametrize(("line", "error"), [
    ("2026-01-05T09:04:01Z ERR services/frontend/server.go:142 > failed", True),
    ('{"severity":"error","message":"x"}', True), ('{"t":1,"s":"E","msg":"auth failed"}', True),
    ("[2026-Jan-05 09:00:00.000000] <error>: (x.cpp:1) boom", True), ("panic: runtime error", True),
    ("2026-01-05T09:04:01Z INF cmd/geo/main.go:24 > Reading config...", False),
    ('{"severity":"info","message":"errors: 0"}', False),
])
def test_error_lines_are_recognised_in_the_common_log_styles(line: str, error: bool) -> None:
    assert bool(error_patterns([line])) is error
