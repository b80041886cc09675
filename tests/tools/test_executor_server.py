"""The executor MCP server as an IDE agent uses it: approval by elicitation with the dry-run diff, refusal for
clients that cannot ask, an explicit trust flag, and grants from AOI's own approval step."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import Client

from aoi.cluster.sim.cluster import SimCluster
from aoi.store.db import connect
from aoi.tools.audit import AuditLog
from aoi.tools.executor import Executor
from aoi.tools.executor_server import build_executor_server
from aoi.tools.grants import GrantAuthority, HumanDecision
from aoi.tools.registry import WRITE_TOOLS

KEY = b"e" * 32
NS = "boutique"
SCALE = {"kind": "deployment", "name": "adservice", "namespace": NS, "replicas": 2}


@pytest.fixture
def setup(tmp_path: Path) -> tuple[SimCluster, sqlite3.Connection, Executor, GrantAuthority]:
    cluster = SimCluster("online-boutique", seed=0, warmup_ticks=6)
    conn = connect(tmp_path / "aoi.db")
    authority = GrantAuthority(KEY)
    return cluster, conn, Executor(cluster, conn, authority, AuditLog(conn, KEY)), authority


def _replicas(cluster: SimCluster) -> int:
    return cluster.engine.state.store.get("Deployment", NS, "adservice")["spec"]["replicas"]


def _call(server: Any, tool: str, args: dict[str, Any], answer: dict[str, Any] | None = None,
          seen: list[str] | None = None) -> str:
    return _result(server, tool, args, answer, seen)[1]


def _result(server: Any, tool: str, args: dict[str, Any], answer: dict[str, Any] | None = None,
            seen: list[str] | None = None) -> tuple[bool, str]:
    async def on_elicit(ctx: Any, params: Any) -> types.ElicitResult:
        if seen is not None:
            seen.append(params.message)
        assert answer is not None
        return types.ElicitResult(**answer)

    async def go() -> tuple[bool, str]:
        kwargs = {"elicitation_callback": on_elicit} if answer is not None else {}
        async with Client(server, **kwargs) as client:
            result = await client.call_tool(tool, args)
            return bool(result.is_error), "\n".join(getattr(c, "text", "") for c in result.content)

    return anyio.run(go)


def test_every_write_tool_is_listed_with_write_annotations(setup: Any) -> None:
    _, _, executor, authority = setup

    async def go() -> list[Any]:
        async with Client(build_executor_server(executor, authority)) as client:
            return (await client.list_tools()).tools

    tools = anyio.run(go)
    assert {t.name for t in tools} == {*WRITE_TOOLS, "undo"}
    assert all(t.annotations.read_only_hint is False for t in tools)
    assert all("approval" not in t.input_schema["properties"] for t in tools)
    assert all({"grant", "idempotency_key", "thread_id"} <= set(t.input_schema["properties"]) for t in tools)


def test_an_ide_user_who_accepts_the_shown_diff_gets_the_write_applied_and_audited(setup: Any) -> None:
    cluster, conn, executor, authority = setup
    seen: list[str] = []
    text = _call(build_executor_server(executor, authority), "scale_workload", SCALE,
                 {"action": "accept", "content": {"approve": True}}, seen)
    assert "status: applied" in text and "undo_id:" in text
    assert _replicas(cluster) == 2
    assert "-  replicas: 1" in seen[0] and "+  replicas: 2" in seen[0]
    records = AuditLog(conn, KEY).records()
    assert [(r.phase, r.approval, r.approver) for r in records] == [("intent", "elicitation", "ide-user"),
                                                                     ("applied", "elicitation", "ide-user")]


@pytest.mark.parametrize("answer", [{"action": "decline"}, {"action": "cancel"},
                                    {"action": "accept", "content": {"approve": False}}])
def test_an_ide_user_who_declines_changes_nothing(setup: Any, answer: dict) -> None:
    cluster, conn, executor, authority = setup
    text = _call(build_executor_server(executor, authority), "scale_workload", SCALE, answer)
    assert "refused" in text
    assert _replicas(cluster) == 1
    assert [(r.phase, r.approver) for r in AuditLog(conn, KEY).records()] == [("refused", "ide-user")]


def test_a_client_that_cannot_ask_the_user_gets_writes_refused(setup: Any) -> None:
    cluster, _, executor, authority = setup
    text = _call(build_executor_server(executor, authority), "scale_workload", SCALE)
    assert "status: refused" in text and "needs a human approval" in text
    assert _replicas(cluster) == 1


def test_trusting_the_client_is_explicit_and_audited_as_such(setup: Any) -> None:
    cluster, conn, executor, authority = setup
    text = _call(build_executor_server(executor, authority, trust_client_confirmation=True), "scale_workload", SCALE)
    assert "status: applied" in text and _replicas(cluster) == 2
    assert {r.approval for r in AuditLog(conn, KEY).records()} == {"trusted-client"}


def test_a_grant_from_the_approval_step_is_used_without_asking(setup: Any) -> None:
    cluster, conn, executor, authority = setup
    version = executor.resource_version(executor.target_of("scale_workload", SCALE))
    grant = authority.mint_from_human(HumanDecision("oncall@example.com"), thread_id="episode-7",
                                      tool="scale_workload", args=SCALE, resource_version=version)
    text = _call(build_executor_server(executor, authority), "scale_workload",
                 {**SCALE, "grant": grant, "thread_id": "episode-7"}, {"action": "decline"})
    assert "status: applied" in text and _replicas(cluster) == 2
    assert {r.approver for r in AuditLog(conn, KEY).records()} == {"oncall@example.com"}


def test_an_undo_through_the_server_restores_the_replicas(setup: Any) -> None:
    cluster, _, executor, authority = setup
    server = build_executor_server(executor, authority, trust_client_confirmation=True)
    applied = _call(server, "scale_workload", SCALE)
    undo_id = next(line.split(": ")[1] for line in applied.splitlines() if line.startswith("undo_id"))
    assert "status: applied" in _call(server, "undo", {"undo_id": undo_id})
    assert _replicas(cluster) == 1


@pytest.mark.parametrize("case", ["no approval", "declined", "forged grant", "bad arguments"])
def test_every_refusal_is_an_mcp_error_and_a_success_is_not(setup: Any, case: str) -> None:
    cluster, _, executor, authority = setup
    server = build_executor_server(executor, authority)
    args, answer = {**SCALE}, None
    if case == "declined":
        answer = {"action": "decline"}
    elif case == "forged grant":
        args["grant"] = "aoi-grant.e30.AAAA"
    elif case == "bad arguments":
        server = build_executor_server(executor, authority, trust_client_confirmation=True)
        args["name"] = "no-such-deployment"
    is_error, text = _result(server, "scale_workload", args, answer)
    assert is_error is True and "refused" in text
    assert _replicas(cluster) == 1
    is_error, text = _result(build_executor_server(executor, authority, trust_client_confirmation=True),
                             "scale_workload", SCALE)
    assert is_error is False and "status: applied" in text
