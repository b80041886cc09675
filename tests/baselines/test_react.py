"""The `react` baseline with a scripted model: a whole episode on the simulator, recorded like any episode; a
write without approval goes to the executor and is refused; an auto-approved mitigation write is applied."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from aoi.baselines import run_react_episode
from aoi.baselines.react import ActionError, parse_action
from aoi.graph.models.scripted import ScriptedModel
from aoi.graph.runner import EpisodeConfig
from aoi.graph.state import Budget
from aoi.store.db import connect
from aoi.store.episodes import EpisodeStore

HOTEL = "sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo"
NS = "test-hotel-reservation"
GRANT = {"service": "mongodb-geo", "namespace": NS, "operation": "grant_roles",
         "args": {"user": "admin", "roles": [{"role": "readWrite", "db": "geo-db"}]}}


def _turn(tool: str, args: object) -> str:
    return f"Thought: next.\nAction: {tool}({json.dumps(args)})"


def _store(home: Path) -> EpisodeStore:
    return EpisodeStore(connect(home / "aoi.db"))


def test_react_completes_a_localization_episode_and_records_it(aoi_home: Path) -> None:
    model = ScriptedModel([_turn("get_resources", {"resource_type": "pods"}),
                           _turn("get_logs", {"target": "geo", "previous": True}),
                           'Thought: geo cannot read geo-db.\nAction: submit(["mongodb-geo"])'])
    result = run_react_episode(EpisodeConfig(HOTEL, "localization", thread_id="x1", db=aoi_home / "aoi.db"), model)
    assert (result.outcome, result.submission, result.success, result.steps) == (
        "submitted", ["mongodb-geo"], True, 2)
    assert "Observation:\nNAME" in model.calls[1][-1]["content"]  # raw kubectl table, not compressed
    assert "not authorized on geo-db" in model.calls[2][-1]["content"]
    store = _store(aoi_home)
    episode = store.episode("x1")
    assert episode is not None and episode["model"] == "react:scripted" and episode["success"] == 1.0
    nodes = [(s["step"], s["node"]) for s in store.steps("x1")]
    assert nodes == [(0, "reason"), (0, "observe"), (1, "reason"), (1, "observe"), (2, "reason")]
    last = store.steps("x1")[-1]
    assert last["decision"]["action"] == "submit" and last["prompt"][0]["role"] == "system"


@pytest.mark.parametrize(("task", "approve", "flag"), [("mitigation", "deny", "unapproved_write"),
                                                       ("mitigation", "ask", "unapproved_write"),
                                                       ("localization", "auto", "write_in_diagnosis")])
def test_a_write_without_approval_is_refused_by_the_executor(aoi_home: Path, task: str, approve: str,
                                                             flag: str) -> None:
    model = ScriptedModel([_turn("datastore_admin", GRANT), 'Thought: done.\nAction: submit({})'])
    result = run_react_episode(EpisodeConfig(HOTEL, task, approve=approve, thread_id="w1",  # type: ignore[arg-type]
                                             db=aoi_home / "aoi.db"), model)
    assert [(w["tool"], w["status"], w["approved"]) for w in result.writes] == [("datastore_admin", "refused", False)]
    assert flag in result.flags and "unapproved_write" in result.flags
    assert "refused" in model.calls[1][-1]["content"]
    approvals = _store(aoi_home).approvals("w1")
    assert [(a["tool"], a["decision"]) for a in approvals] == [("datastore_admin", "reject")]
    phases = [r[0] for r in sqlite3.connect(aoi_home / "aoi.db").execute("SELECT phase FROM audit")]
    assert "applied" not in phases


def test_an_auto_approved_mitigation_write_is_applied(aoi_home: Path) -> None:
    account = {"manifest": {"apiVersion": "v1", "kind": "ServiceAccount",
                            "metadata": {"name": "adservice", "namespace": "boutique"}}}
    model = ScriptedModel([_turn("get_resources", {"resource_type": "deployments"}), _turn("apply_manifest", account),
                           "Thought: fixed.\nAction: submit({})"])
    result = run_react_episode(EpisodeConfig("sim:online-boutique/missing_service_account", "mitigation",
                                             approve="auto", thread_id="m1", db=aoi_home / "aoi.db"), model)
    assert [(w["tool"], w["status"]) for w in result.writes] == [("apply_manifest", "applied")]
    assert result.success is True and not result.flags
    assert [a["backing"] for a in _store(aoi_home).approvals("m1")] == ["missing_service_account on service/adservice"]


def test_react_gets_the_graphs_guard_unobserved_and_unbacked_writes_never_run(aoi_home: Path) -> None:
    unseen = ScriptedModel([_turn("get_logs", {"target": "geo"}), _turn("datastore_admin", GRANT),
                            "Thought: done.\nAction: submit({})"])
    result = run_react_episode(EpisodeConfig(HOTEL, "mitigation", approve="auto", thread_id="g1",
                                             db=aoi_home / "aoi.db"), unseen)
    assert [w["status"] for w in result.writes] == ["refused"] and "uncorroborated_target" in result.flags
    unbacked = ScriptedModel([_turn("get_resources", {"resource_type": "pods"}), _turn("datastore_admin", GRANT),
                              "Thought: done.\nAction: submit({})"])
    result = run_react_episode(EpisodeConfig(HOTEL, "mitigation", approve="auto", thread_id="g2",
                                             db=aoi_home / "aoi.db"), unbacked)
    assert [w["status"] for w in result.writes] == ["refused"] and "unbacked_write" in result.flags
    assert not [r for r in sqlite3.connect(aoi_home / "aoi.db").execute("SELECT phase FROM audit")
                if r[0] == "applied"]


def test_react_stops_on_invalid_actions_and_budgets(aoi_home: Path) -> None:
    bad = run_react_episode(EpisodeConfig(HOTEL, "detection", thread_id="i1", db=aoi_home / "aoi.db"),
                            ScriptedModel(["I think it is fine.", "Action: get_pods(", "Action: teleport({})"]))
    assert (bad.outcome, bad.submission) == ("invalid_actions", None)
    steps = _store(aoi_home).steps("i1")
    assert [s["error"] is not None for s in steps] == [True, True, True]
    looping = ScriptedModel(lambda _m: _turn("get_alerts", {}))
    short = run_react_episode(EpisodeConfig(HOTEL, "detection", thread_id="b1", db=aoi_home / "aoi.db",
                                            budget=Budget(max_steps=2)), looping)
    assert short.outcome == "budget_exhausted" and short.steps == 2
    repeated = run_react_episode(EpisodeConfig(HOTEL, "detection", thread_id="b2", db=aoi_home / "aoi.db"),
                                 looping)
    assert repeated.outcome == "repeated_calls"


def test_parse_action_reads_the_last_action_and_names_what_is_wrong() -> None:
    assert parse_action('Thought: x\nAction: get_logs({"target": "geo"})') == ("get_logs", {"target": "geo"})
    assert parse_action("Action: get_alerts()") == ("get_alerts", {})
    assert parse_action('Action: submit("Yes")') == ("submit", "Yes")
    with pytest.raises(ActionError, match="no action found"):
        parse_action("Thought: hmm")
    with pytest.raises(ActionError, match="not valid JSON"):
        parse_action("Action: get_logs({target: geo})")
    with pytest.raises(ActionError, match="must be a JSON object"):
        parse_action('Action: get_logs("geo")')
