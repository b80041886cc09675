"""A secret planted anywhere in a simulated cluster — an env var, an annotation, a ConfigMap value, a container
argument or a Secret, under any of the names and token formats an outside test found leaking — never comes out of
any probe tool (invariant 5), called the way a model calls it: through the MCP server on a read-only view."""

from __future__ import annotations

import base64
import copy
import string
from typing import Any

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from aoi.cluster.readonly import ReadOnlyView
from aoi.cluster.sim.cluster import SimCluster
from aoi.tools.probe import build_probe_server
from aoi.tools.registry import READ_TOOLS

NS = "boutique"
SERVICE = "cartservice"
NAMES = ["DB_PASS", "MYSQL_PWD", "ADMIN_PW", "PGPASS", "JWT_SIGNING_KEY", "HMAC_KEY", "ENCRYPTION_KEY",
         "SESSION_KEY", "JWT_KEY", "SSH_PRIVATE_KEY", "TLS_KEY", "SENTRY_DSN", "SLACK_WEBHOOK_URL", "DB_PASSWORD",
         "API_TOKEN", "STRIPE_SECRET_KEY", "AWS_SECRET_ACCESS_KEY"]
"""Names whose value is a secret whatever it looks like."""
FORMATS = ["sk_test_", "rk_test_", "sk_live_", "sk-proj-", "sk-ant-api03-", "hf_", "glpat-", "npm_", "ghp_",
           "xoxb-1234-", "https://hooks.slack.com/services/T0A/B0B/", "https://{}@o45.ingest.sentry.io/7", "SG.{}.",
           "AKIA"]
"""Token shapes that are secrets under any name (`{}` is where the random part goes when not at the end)."""
LOCATIONS = ["env", "annotation", "configmap", "configmap-file", "args", "secret"]

values = st.text(alphabet=string.ascii_letters + string.digits, min_size=40, max_size=48).map(lambda s: "Zq9" + s)

_BASE: dict[str, Any] = {}


def _fresh() -> SimCluster:
    if not _BASE:
        cluster = SimCluster("online-boutique", seed=0, warmup_ticks=12)
        _BASE.update(cluster=cluster, snapshot=cluster.snapshot())
    cluster = _BASE["cluster"]
    cluster.restore(copy.deepcopy(_BASE["snapshot"]))
    return cluster


def _token(prefix: str, body: str) -> str:
    if prefix == "AKIA":
        return "AKIA" + body.upper()[:16].replace("Z", "Q")
    if prefix == "SG.{}.":
        return f"SG.{body[:22]}.{body}"
    return prefix.format(body) if "{}" in prefix else prefix + body


def _plant(cluster: SimCluster, where: str, name: str, value: str) -> None:
    store = cluster.engine.state.store
    if where == "env":
        cluster.set_env("deployment", SERVICE, NS, "server", {name: value})
    elif where == "annotation":
        cluster.patch("service", SERVICE, NS, {"metadata": {"annotations": {f"example.com/{name.lower()}": value}}})
    elif where == "configmap":
        cluster.apply({"kind": "ConfigMap", "metadata": {"name": "app-config", "namespace": NS},
                       "data": {name: value, "LOG_LEVEL": "info"}})
    elif where == "configmap-file":
        cluster.apply({"kind": "ConfigMap", "metadata": {"name": "app-config", "namespace": NS},
                       "data": {"app.env": f"LOG_LEVEL=info\n{name}={value}\nPORT=8080\n"}})
    elif where == "args":
        cluster.patch("deployment", SERVICE, NS, [{"op": "add", "path": "/spec/template/spec/containers/0/args",
                                                   "value": [f"--{name.lower().replace('_', '-')}={value}"]}],
                      patch_type="json")
    else:
        store.create({"kind": "Secret", "metadata": {"name": "app-secret", "namespace": NS}, "type": "Opaque",
                      "data": {name: base64.b64encode(value.encode()).decode()}})
    cluster.tick(3)


CALLS: list[tuple[str, dict[str, Any]]] = [
    ("triage", {}), ("triage", {"service": SERVICE}), ("list_services", {}),
    *[("get_resources", {"resource_type": kind, "wide": True, "show_labels": True})
      for kind in ("pods", "deployments", "services", "configmaps", "secrets", "events")],
    *[("describe_resource", {"resource_type": kind, "name": name}) for kind, name in (
        ("deployments", SERVICE), ("services", SERVICE), ("configmaps", "app-config"), ("secrets", "app-secret"))],
    ("describe_resource", {"resource_type": "pods", "name": SERVICE}),
    ("get_logs", {"target": SERVICE, "tail": 300}), ("get_error_logs", {"service": SERVICE}),
    ("get_events", {}), ("get_metrics", {"target": SERVICE}), ("get_traces", {"service": SERVICE}),
    ("get_service_dependencies", {"service": SERVICE}), ("check_service_connectivity", {"service": SERVICE,
                                                                                          "port": 7070}),
    ("get_alerts", {}), ("get_app_yaml", {"service": SERVICE}), ("get_cluster_configuration", {}),
    ("check_node_service_status", {"node": "worker-01", "component": "kubelet"}),
    *[("kubectl", {"command": command}) for command in (
        f"kubectl get deploy {SERVICE} -o yaml", f"kubectl get deploy {SERVICE} -o json",
        f"kubectl get svc {SERVICE} -o yaml", "kubectl get cm app-config -o yaml", "kubectl get cm app-config -o json",
        "kubectl describe cm app-config", "kubectl get secret app-secret -o yaml",
        "kubectl get secret app-secret -o json", "kubectl describe secret app-secret", "kubectl get pods -o yaml",
        f"kubectl describe deploy {SERVICE}", "kubectl get all")],
]


def _outputs(cluster: SimCluster) -> list[tuple[str, dict[str, Any], str]]:
    server = build_probe_server(ReadOnlyView(cluster), default_namespace=NS, output_budget=200_000)

    async def go() -> list[tuple[str, dict[str, Any], str]]:
        async with Client(server) as client:
            out = []
            for tool, args in CALLS:
                result = await client.call_tool(tool, args)
                out.append((tool, args, "\n".join(getattr(c, "text", "") for c in result.content)))
            return out

    return anyio.run(go)


def test_the_calls_cover_every_read_tool() -> None:
    assert {tool for tool, _ in CALLS} == READ_TOOLS


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(LOCATIONS), secret=st.one_of(
    st.tuples(st.sampled_from(NAMES), values),
    st.tuples(st.just("NOTE"), st.tuples(st.sampled_from(FORMATS), values).map(lambda t: _token(*t)))))
def test_a_planted_secret_never_appears_in_any_probe_output(where: str, secret: tuple[str, str]) -> None:
    name, value = secret
    cluster = _fresh()
    _plant(cluster, where, name, value)
    hidden = {value, base64.b64encode(value.encode()).decode(), value[-24:]}
    for tool, args, text in _outputs(cluster):
        for needle in hidden:
            assert needle not in text, f"{name} planted in {where} leaked through {tool}({args})"
