"""A secret planted anywhere in a simulated cluster — an env var, an annotation, a ConfigMap value, a container
argument or a Secret, under any of the names and token formats an outside test found leaking — never comes out of
any probe tool (invariant 5), called the way a model calls it: through the MCP server on a read-only view; nor any
row an episode stores (steps, approvals, audit trail, undo records, LangGraph's checkpoints) or any file `aoi export`
writes, after episodes that read everything and write the object holding it."""

from __future__ import annotations

import base64
import copy
import re
import sqlite3
import string
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, Phase, given, settings
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

values = st.text(alphabet=string.ascii_letters + string.digits, min_size=40, max_size=48).filter(
    lambda s: len(set(s[-24:])) >= 12).map(lambda s: "Zq9" + s)
"""Random enough that no hash, id or padding in a stored row can contain one by chance."""

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


EPISODE = "sim:online-boutique/missing_service_account?target=adservice"
FIX = {"tool": "apply_manifest", "args": {"manifest": {"apiVersion": "v1", "kind": "ServiceAccount",
                                                       "metadata": {"name": "adservice", "namespace": NS}}}}
TOUCH = {"tool": "set_env", "args": {"kind": "deployment", "name": SERVICE, "namespace": NS, "container": "server",
                                     "env": {"LOG_LEVEL": "debug"}}}
"""A write on the object holding the secret: its diff, undo pre-image and audit row all see the object."""


def _episode(home: Path, thread: str, writes: list[dict[str, Any]], where: str, name: str, value: str,
             approve: str) -> None:
    """A mitigation episode that reads with every read tool (three calls a step), makes `writes` and submits."""
    from aoi.graph.models.scripted import ScriptedModel
    from aoi.graph.runner import EpisodeConfig, EpisodeRunner
    from aoi.graph.state import Budget

    def decision(action: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
        return {"summary": "reading cartservice", "phase": "mitigate" if action == "act" else "investigate",
                "hypothesis": "adservice lacks its ServiceAccount", "confidence": 60, "action": action,
                "tool_calls": calls, **({"submission": {}} if action == "submit" else {})}

    reads = [{"tool": tool, "args": args} for tool, args in CALLS if tool != "kubectl"][:18]
    plan = [decision("probe", reads[i:i + 3]) for i in range(0, len(reads), 3)]
    plan += [decision("act", [w]) for w in writes] + [decision("submit", [])]

    def policy(messages: list[dict[str, str]]) -> dict[str, Any]:
        step = int(re.search(r"This is step (\d+)", messages[-1]["content"]).group(1)) - 1
        return plan[min(step, len(plan) - 1)]

    runner = EpisodeRunner(EpisodeConfig(EPISODE, "mitigation", model="scripted", approve=approve,  # type: ignore[arg-type]
                                         thread_id=thread, db=home / "aoi.db",
                                         budget=Budget(max_steps=len(plan) + 2, max_tool_calls=80)),
                           model=ScriptedModel(policy),
                           ask_approval=lambda _p: {"action": "approve", "approver": "alice"})
    with runner.env.simulation() as cluster:
        _plant(cluster, where, name, value)
    result = runner.run()
    assert result.status == "done", result


def _stored(db: Path) -> list[tuple[str, str, bytes]]:
    """Every value in every table of the database (LangGraph's checkpoints included), as bytes."""
    conn = sqlite3.connect(db)
    try:
        out = []
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if value is not None:
                        out.append((table, str(row[:2]), value if isinstance(value, bytes) else str(value).encode()))
        return out
    finally:
        conn.close()


@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking:
          suppress_health_check=[HealthCheck.too_slow])  # each example is two episodes; the first failure is clear
@given(where=st.sampled_from(["env", "annotation", "configmap-file", "args"]), secret=st.one_of(
    st.tuples(st.sampled_from(NAMES), values),
    st.tuples(st.just("NOTE"), st.tuples(st.sampled_from(FORMATS), values).map(lambda t: _token(*t)))))
def test_a_planted_secret_never_reaches_a_stored_row_or_an_exported_file(tmp_path_factory: pytest.TempPathFactory,
                                                                         where: str, secret: tuple[str, str]) -> None:
    """Two episodes on the cluster holding the secret: one reads everything and makes the backed fix (exported as
    training data), one writes the object that holds the secret (diff, undo record and audit row see it)."""
    from aoi.store.db import connect
    from aoi.training.export import export_episodes

    name, value = secret
    home = tmp_path_factory.mktemp("secrets")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AOI_HOME", str(home))
        _episode(home, "reads", [FIX], where, name, value, "auto")
        _episode(home, "writes", [TOUCH], where, name, value, "ask")
        report = export_episodes(connect(home / "aoi.db"), home / "export")
    assert report.steps > 0  # the reading episode became training data
    hidden = {value, base64.b64encode(value.encode()).decode(), value[-24:]}
    for table, key, blob in _stored(home / "aoi.db"):
        for needle in hidden:
            assert needle.encode() not in blob, f"{name} planted in {where} is stored in {table} {key}"
    for path in (home / "export").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in hidden:
                assert needle.encode() not in data, f"{name} planted in {where} was exported in {path.name}"
