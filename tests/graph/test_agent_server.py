"""The agent as an MCP server: an IDE diagnoses through it, and only the person (by elicitation) approves writes."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters
from scripted_plans import HOTEL_MITIGATION, by_step, probe, submit

from aoi.graph.agent_server import build_agent_server
from aoi.graph.builder import pending_approval
from aoi.graph.models.scripted import ScriptedModel
from aoi.store.db import connect
from aoi.store.episodes import EpisodeStore

HOTEL = "sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo"


def _server(home: Path, plan: list[dict[str, Any]]) -> Any:
    return build_agent_server(default_cluster=HOTEL, db=home / "aoi.db", model_override=ScriptedModel(by_step(plan)))


def _calls(server: Any, calls: list[tuple[str, dict[str, Any]]], answers: list[dict[str, Any]] | None = None,
           seen: list[str] | None = None) -> list[str]:
    pending_answers = list(answers or [])

    async def on_elicit(ctx: Any, params: Any) -> types.ElicitResult:
        if seen is not None:
            seen.append(params.message)
        return types.ElicitResult(**pending_answers.pop(0))

    async def go() -> list[str]:
        kwargs = {"elicitation_callback": on_elicit} if answers is not None else {}
        out = []
        async with Client(server, **kwargs) as client:
            for tool, args in calls:
                result = await client.call_tool(tool, args)
                out.append("\n".join(getattr(c, "text", "") for c in result.content))
        return out

    return anyio.run(go)


def _thread(text: str) -> str:
    return text.splitlines()[0].removeprefix("thread: ")


def test_the_tools_take_no_argument_through_which_the_model_could_approve(aoi_home: Path) -> None:
    async def go() -> list[Any]:
        async with Client(_server(aoi_home, HOTEL_MITIGATION)) as client:
            return (await client.list_tools()).tools

    tools = {t.name: t for t in anyio.run(go)}
    assert set(tools) == {"diagnose", "approve_pending", "episode", "list_episodes"}
    assert set(tools["approve_pending"].input_schema["properties"]) == {"thread"}
    assert tools["episode"].annotations.read_only_hint and tools["list_episodes"].annotations.read_only_hint


def test_a_diagnosis_runs_to_a_submission_and_is_recorded(aoi_home: Path) -> None:
    plan = [probe(("get_resources", {"resource_type": "pods"})), submit(["mongodb-geo"])]
    diagnosis, listing = _calls(_server(aoi_home, plan), [("diagnose", {"task": "localization"}),
                                                          ("list_episodes", {})])
    assert "status: done" in diagnosis and 'submission: ["mongodb-geo"]' in diagnosis
    assert "graded: score 1.0" in diagnosis
    assert _thread(diagnosis) in listing


def test_a_proposed_write_waits_and_the_person_approves_it_through_elicitation(aoi_home: Path) -> None:
    seen: list[str] = []
    server = _server(aoi_home, HOTEL_MITIGATION)
    first, = _calls(server, [("diagnose", {"task": "mitigation"})])
    thread = _thread(first)
    assert "status: awaiting_approval" in first and "AOI proposes datastore_admin" in first
    assert pending_approval(aoi_home / "aoi.db", thread)["tool"] == "datastore_admin"
    # Two writes in the plan: each is shown to the person and approved by them.
    approve = {"action": "accept", "content": {"approve": True, "reason": "looks right"}}
    second, third = _calls(server, [("approve_pending", {"thread": thread})] * 2, [approve, approve], seen)
    assert "AOI proposes restart_workload" in second
    assert "status: done" in third and "outcome: submitted" in third and "graded: score 1.0" in third
    assert "Dry-run diff" in seen[0] and "datastore_admin" in seen[0]
    approvals = EpisodeStore(connect(aoi_home / "aoi.db")).approvals(thread)
    assert [(a["decision"], a["approver"]) for a in approvals] == [("approve", "ide-user"), ("approve", "ide-user")]
    trail = connect(aoi_home / "aoi.db").execute("SELECT DISTINCT approval FROM audit").fetchall()
    assert [tuple(r) for r in trail] == [("elicitation",)]  # not "human": the IDE relayed the person's answer


@pytest.mark.parametrize("answer", [{"action": "decline"}, {"action": "accept", "content": {"approve": False,
                                                                                            "reason": "not in prod"}}])
def test_a_person_who_rejects_changes_nothing_and_the_agent_is_told(aoi_home: Path, answer: dict[str, Any]) -> None:
    plan = [*HOTEL_MITIGATION[:3], submit({})]
    server = _server(aoi_home, plan)
    first, = _calls(server, [("diagnose", {"task": "mitigation"})])
    thread = _thread(first)
    second, = _calls(server, [("approve_pending", {"thread": thread})], [answer])
    assert "status: done" in second and "write:" not in second
    approvals = EpisodeStore(connect(aoi_home / "aoi.db")).approvals(thread)
    assert [a["decision"] for a in approvals] == ["reject"]


def test_a_client_that_cannot_ask_the_person_cannot_approve(aoi_home: Path) -> None:
    server = _server(aoi_home, HOTEL_MITIGATION)
    first, = _calls(server, [("diagnose", {"task": "mitigation"})])
    thread = _thread(first)
    refused, = _calls(server, [("approve_pending", {"thread": thread})])
    assert refused.startswith("refused") and f"--thread {thread}" in refused
    assert pending_approval(aoi_home / "aoi.db", thread) is not None  # still waiting, nothing written
    assert EpisodeStore(connect(aoi_home / "aoi.db")).approvals(thread) == []


def test_bad_input_gets_a_clear_error(aoi_home: Path) -> None:
    server = build_agent_server(db=aoi_home / "aoi.db", model_override=ScriptedModel([submit("No")]))
    no_cluster, bad_cluster, missing = _calls(server, [
        ("diagnose", {"task": "detection"}), ("diagnose", {"task": "detection", "cluster": "sim:nope"}),
        ("episode", {"thread": "ghost"})])
    assert "no cluster given" in no_cluster
    assert "unknown app 'nope'" in bad_cluster
    assert "no episode 'ghost'" in missing


def test_a_path_like_thread_from_the_calling_model_reaches_no_file(aoi_home: Path) -> None:
    server = build_agent_server(db=aoi_home / "aoi.db", model_override=ScriptedModel([submit("No")]))
    evil = "../../../tmp/evil"
    answers = _calls(server, [("diagnose", {"task": "detection", "cluster": "sim:online-boutique", "thread": evil}),
                              ("approve_pending", {"thread": evil}), ("episode", {"thread": "x" * 100_000})])
    assert all(a.startswith("error: invalid thread id") and len(a) < 300 for a in answers)
    assert not list(aoi_home.rglob("*evil*"))


def test_the_stdio_server_starts_as_the_readme_config_says_and_diagnoses(aoi_home: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = re.search(r"```json\n(\{\"mcpServers\": \{\"aoi-agent\".*?)```", readme, re.S)
    assert block, "README has no aoi-agent config"
    config = json.loads(block.group(1))["mcpServers"]["aoi-agent"]
    script = aoi_home / "plan.jsonl"
    script.write_text(json.dumps(probe(("get_alerts", {}))) + "\n" + json.dumps(submit("Yes")) + "\n")
    executable = shutil.which("aoi") or str(Path(sys.executable).parent / "aoi")
    params = StdioServerParameters(command=executable, args=[*config["args"], "--model", f"scripted:{script}"],
                                   env={**os.environ, "AOI_HOME": str(aoi_home)})

    async def go() -> tuple[set[str], str]:
        async with Client(params) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            result = await client.call_tool("diagnose", {"task": "detection"})
            return tools, result.content[0].text

    tools, report = anyio.run(go)
    assert tools == {"diagnose", "approve_pending", "episode", "list_episodes"}
    assert "status: done" in report and 'submission: "Yes"' in report and "graded: score 1.0" in report
