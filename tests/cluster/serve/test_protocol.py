"""The served simulator's protocol pieces: discovery negotiation, protobuf access reviews, timestamp rebasing,
selectors, Prometheus exposition, the Jaeger query API, authentication and the `aoi sim serve` command."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from aoi.cluster.serve import ServedCluster
from aoi.cluster.serve.access import decode_review
from aoi.cluster.serve.discovery import AGGREGATED_V2, wants_aggregated
from aoi.cluster.serve.objects import dumps_rebased, rebase, select
from aoi.cluster.serve.status import ApiError

KUBECTL_DISCOVERY_ACCEPT = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
                            "application/json")


def _pinned(served: ServedCluster) -> ssl.SSLContext:
    """A TLS context that trusts only the certificate the kubeconfig pins."""
    cluster = yaml.safe_load(served.kubeconfig_path.read_text())["clusters"][0]["cluster"]
    return ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())


def _get(served: ServedCluster, path: str, *, token: str | None = None, accept: str = "application/json",
         plain: bool = False) -> tuple[int, str, Any]:
    """GET over https with the pinned certificate, or over plain HTTP on the same port (`plain`)."""
    headers = {"Accept": accept, **({"Authorization": f"Bearer {token}"} if token else {})}
    root = f"http://127.0.0.1:{served.port}" if plain else served.url
    request = urllib.request.Request(f"{root}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10, context=None if plain else _pinned(served)) as response:
            body = response.read().decode()
            kind = response.headers["Content-Type"]
            code = response.status
    except urllib.error.HTTPError as exc:
        body, kind, code = exc.read().decode(), exc.headers["Content-Type"], exc.code
    return code, kind, json.loads(body) if kind.startswith("application/json") else body


# -- pure pieces ---------------------------------------------------------------------------------------------------

def test_aggregated_discovery_only_for_the_exact_v2_media_type() -> None:
    assert wants_aggregated(KUBECTL_DISCOVERY_ACCEPT)
    assert not wants_aggregated("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList")
    assert not wants_aggregated("application/json, */*")


def _field(number: int, payload: bytes) -> bytes:
    key, out = (number << 3) | 2, bytearray()
    for value in (key, len(payload)):
        while True:
            byte, value = value & 0x7F, value >> 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                break
    return bytes(out) + payload


_NAMES = ("namespace", "verb", "group", "version", "resource", "subresource", "name")


@given(st.fixed_dictionaries({}, optional={n: st.text(max_size=300) for n in _NAMES}))
def test_protobuf_access_reviews_decode_to_their_json_shape(attributes: dict[str, str]) -> None:
    attrs = b"".join(_field(i, attributes[n].encode()) for i, n in enumerate(_NAMES, 1) if n in attributes)
    review = _field(1, b"") + _field(2, _field(1, attrs))
    unknown = _field(1, _field(1, b"authorization.k8s.io/v1") + _field(2, b"SelfSubjectAccessReview"))
    body = b"k8s\x00" + unknown + _field(2, review) + _field(4, b"application/vnd.kubernetes.protobuf")
    decoded = decode_review(body, "application/vnd.kubernetes.protobuf", "SelfSubjectAccessReview")
    assert decoded == {"spec": {"resourceAttributes": attributes}}


def test_undecodable_reviews_are_bad_requests() -> None:
    with pytest.raises(ApiError) as caught:
        decode_review(b"k8s\x00\x12\x7f", "application/vnd.kubernetes.protobuf", "SelfSubjectAccessReview")
    assert caught.value.code == 400
    assert decode_review(b'{"spec": {}}', "", "SelfSubjectAccessReview") == {"spec": {}}  # no Content-Type: JSON


_STAMPS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))
_VALUES = st.recursive(st.one_of(_STAMPS, st.text(max_size=30), st.integers(), st.none()),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                   max_size=4), max_leaves=20)


@given(_VALUES, st.integers(-10**8, 10**8))
def test_rebasing_moves_timestamps_only_and_is_undone_by_the_opposite_shift(value: Any, offset: int) -> None:
    moved = rebase(value, offset)
    assert rebase(moved, -offset) == value
    assert json.loads(dumps_rebased(value, offset)) == moved


def test_rebasing_shifts_by_the_offset_and_keeps_fractions() -> None:
    moved = rebase({"a": "2026-01-05T09:00:00Z", "b": ["2026-01-05T09:00:00.000000Z", "x 2026-01-05T09:00:00Z"]},
                   3600 * 24 + 61)
    assert moved == {"a": "2026-01-06T09:01:01Z", "b": ["2026-01-06T09:01:01.000000Z", "x 2026-01-05T09:00:00Z"]}


def test_field_selectors_compare_dotted_paths() -> None:
    objects = [{"metadata": {"name": n, "labels": {"app": n[0]}}, "status": {"phase": p}}
               for n, p in (("a1", "Running"), ("a2", "Failed"), ("b1", "Running"))]
    names = lambda found: [o["metadata"]["name"] for o in found]  # noqa: E731
    assert names(select(objects, None, "status.phase!=Failed,status.phase!=Succeeded")) == ["a1", "b1"]
    assert names(select(objects, "app=a", "metadata.name==a2")) == ["a2"]
    with pytest.raises(ApiError) as caught:
        select(objects, None, "status.phase")
    assert caught.value.code == 400


# -- over HTTP -----------------------------------------------------------------------------------------------------

def test_discovery_answers_aggregated_with_the_exact_content_type(served: ServedCluster) -> None:
    code, kind, body = _get(served, "/apis", token=served.reader_token, accept=KUBECTL_DISCOVERY_ACCEPT)
    assert (code, kind, body["kind"]) == (200, AGGREGATED_V2, "APIGroupDiscoveryList")
    apps = next(i for i in body["items"] if i["metadata"]["name"] == "apps")
    deployments = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deployments["shortNames"] == ["deploy"] and deployments["subresources"][0]["subresource"] == "scale"
    code, kind, legacy = _get(served, "/apis/apps/v1", token=served.reader_token)
    assert legacy["kind"] == "APIResourceList"
    assert "deployments/scale" in [r["name"] for r in legacy["resources"]]
    assert _get(served, "/apis/no.such.group/v1", token=served.reader_token)[0] == 404


def test_the_api_needs_a_known_token_but_version_and_metrics_do_not(served: ServedCluster) -> None:
    code, _, status = _get(served, "/api/v1/pods")
    assert (code, status["reason"]) == (401, "Unauthorized")
    assert _get(served, "/api/v1/pods", token="guess")[0] == 401
    code, _, pods = _get(served, "/api/v1/pods", token=served.reader_token)
    assert code == 200 and pods["kind"] == "PodList" and len(pods["items"]) == 19
    assert _get(served, "/version")[2]["minor"] == "32"


def test_tokens_carry_at_least_32_bytes_of_entropy(served: ServedCluster) -> None:
    for token in (served.reader_token, served.writer_token):
        assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) >= 32


@pytest.mark.parametrize("path", ["/api/v1/pods", "/api", "/apis", "/apis/apps/v1/deployments"])
def test_plain_http_refuses_the_api_with_or_without_a_token_and_names_the_https_url(served: ServedCluster,
                                                                                   path: str) -> None:
    answers = [_get(served, path, token=token, plain=True)
               for token in (served.writer_token, served.reader_token, "guess", None)]
    assert all(answer == answers[0] for answer in answers)  # the token is never looked at
    code, kind, status = answers[0]
    assert (code, kind, status["kind"], status["reason"]) == (403, "application/json", "Status", "Forbidden")
    assert served.url in status["message"] and "kubeconfig" in status["message"]


def test_plain_http_still_serves_version_health_metrics_and_jaeger_without_credentials(
        served: ServedCluster) -> None:
    assert _get(served, "/version", plain=True)[2]["minor"] == "32"
    assert _get(served, "/healthz", plain=True)[:1] == (200,)
    assert _get(served, "/jaeger/api/services", plain=True)[0] == 200
    assert served.metrics_url.startswith("http://") and served.jaeger_url.startswith("http://")
    with urllib.request.urlopen(served.metrics_url, timeout=10) as response:
        assert response.status == 200
    for path in ("/version", "/metrics", "/jaeger/api/services"):  # but never to a request that carries a token
        assert _get(served, path, token=served.reader_token, plain=True)[0] == 403


def test_metrics_exposition_carries_the_simulators_latest_samples(served: ServedCluster) -> None:
    with urllib.request.urlopen(served.metrics_url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    ns = served.namespace
    with served.session.cluster() as cluster:
        series = cluster.engine.state.telemetry.series
        tick = cluster.engine.state.clock.tick
        geo_pod = next(p["metadata"]["name"] for p in cluster.engine.state.store.list("Pod", ns)
                       if p["metadata"]["name"].startswith("geo-"))
    assert samples["aoi_sim_tick"] == tick
    for metric, family in (("request_rate", "aoi_service_request_rate"), ("p99_ms", "aoi_service_latency_p99_ms"),
                           ("error_rate", "aoi_service_error_rate")):
        assert samples[f'{family}{{namespace="{ns}",service="frontend"}}'] == series[f"{ns}/frontend"][metric][-1][1]
    restarts = samples[f'aoi_pod_restarts{{namespace="{ns}",pod="{geo_pod}",service="geo"}}']
    assert restarts == series[f"{ns}/pod/{geo_pod}"]["restarts"][-1][1] > 0
    assert samples[f'aoi_service_request_rate{{namespace="{ns}",service="geo"}}'] == 0.0
    assert re.search(r"^# TYPE aoi_service_memory_mib gauge$", text, re.MULTILINE)


def test_jaeger_api_lists_services_operations_and_traces(served: ServedCluster) -> None:
    with served.session.cluster() as cluster:
        traces = list(cluster.engine.state.telemetry.traces)
    root = f"{served.jaeger_url}/api"

    def get(path: str) -> dict[str, Any]:
        with urllib.request.urlopen(root + path, timeout=10) as response:
            return json.loads(response.read())

    assert get("/services")["data"] == sorted({s.service for spans in traces for s in spans})
    operations = get("/services/frontend/operations")["data"]
    assert operations == sorted({s.operation for spans in traces for s in spans if s.service == "frontend"})
    found = get(f"/traces?service=search&operation={urllib.request.quote(operations[0])}&limit=3&lookback=2h")
    expected = [spans[0].trace_id for spans in reversed(traces)
                if any(s.service == "search" and s.operation == operations[0] for s in spans)][:3]
    assert [t["traceID"] for t in found["data"]] == expected
    trace = found["data"][0] if found["data"] else get("/traces?service=frontend&limit=1")["data"][0]
    start = datetime.fromtimestamp(trace["spans"][0]["startTime"] / 1e6)
    assert abs(datetime.now() - start) < timedelta(hours=2)
    assert get(f"/traces/{trace['traceID']}")["data"][0]["traceID"] == trace["traceID"]
    errors = get('/traces?service=frontend&limit=50&tags=%7B%22error%22%3A%22true%22%7D')["data"]
    assert len(errors) == sum(1 for spans in traces if any(s.error for s in spans if s.service == "frontend")) > 0
    assert all(any(t["key"] == "error" for s in tr["spans"] for t in s["tags"]) for tr in errors)
    with pytest.raises(urllib.error.HTTPError) as missing:
        get("/traces")
    assert missing.value.code == 400


def test_aoi_sim_serve_prints_where_to_connect_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "AOI_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    kubeconfig = tmp_path / "sim.kubeconfig"
    process = subprocess.Popen([sys.executable, "-m", "aoi.cli", "sim", "serve", "--app", "online-boutique",
                                "--kubeconfig-out", str(kubeconfig)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        assert lines[0].startswith("Kubernetes API  https://127.0.0.1:")
        assert lines[4].strip() == f"Try:            kubectl --kubeconfig {kubeconfig} get pods -A"
        assert kubeconfig.stat().st_mode & 0o777 == 0o600
        url = lines[2].split()[1]
        with urllib.request.urlopen(url, timeout=10) as response:
            assert "aoi_service_request_rate" in response.read().decode()
        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
