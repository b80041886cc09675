"""The `expert` baseline through the real graph: it solves known faults per task type, says "No" on a healthy
app, never writes in a diagnosis task, and is a pure function of its prompt (every recorded prompt replays to the
same decision, and every decision parses)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aoi.baselines import AGENTS, agent_model
from aoi.baselines import evidence as ev
from aoi.baselines.expert import ExpertPolicy
from aoi.baselines.prompt_view import parse_notes, read_prompt, render_notes
from aoi.graph.runner import EpisodeConfig, EpisodeResult, EpisodeRunner
from aoi.store.episodes import EpisodeStore


def _run(home: Path, cluster: str, task: str, thread: str = "t1",
         answer: dict | None = None) -> tuple[EpisodeResult, EpisodeStore]:
    """Writes are approved automatically, or with `answer` by a person."""
    runner = EpisodeRunner(EpisodeConfig(cluster, task, approve="ask" if answer else "auto",  # type: ignore[arg-type]
                                         thread_id=thread, db=home / "aoi.db"), model=ExpertPolicy(),
                           ask_approval=(lambda _p: answer) if answer else None)
    return runner.run(), runner.store


def _audit_rows(home: Path) -> int:
    return sqlite3.connect(home / "aoi.db").execute("SELECT COUNT(*) FROM audit").fetchone()[0]


# Clean scenarios (`clean=1`): these pin the expert's answers on the simulator without background noise. On noisy
# clusters (stale warnings of earlier incidents, a drawn time since the fault) it answers some of them wrongly — a
# known weakness of the baseline, not of these tests.
@pytest.mark.parametrize(("cluster", "task", "expected"), [
    ("sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo&clean=1", "detection", "Yes"),
    ("sim:social-network/k8s_target_port-misconfig?target=text-service&clean=1", "localization", ["text-service"]),
    ("sim:hotel-reservation/wrong_bin_usage?clean=1", "localization", ["profile"]),
    ("sim:hotel-reservation/user_unregistered_mongodb?target=mongodb-rate&clean=1", "analysis",
     {"system_level": "Application", "fault_type": "Network/Storage Issue"}),
])
def test_expert_solves_known_diagnosis_faults_without_writing(aoi_home: Path, cluster: str, task: str,
                                                               expected: object) -> None:
    result, store = _run(aoi_home, cluster, task)
    assert result.outcome == "submitted"
    assert result.submission == expected
    assert result.success is True and result.score == 1.0
    assert result.writes == [] and store.approvals("t1") == [] and _audit_rows(aoi_home) == 0
    assert not result.flags


@pytest.mark.parametrize("cluster", ["sim:astronomy-shop?clean=1"])
def test_expert_says_no_on_a_healthy_app(aoi_home: Path, cluster: str) -> None:
    result, _ = _run(aoi_home, cluster, "detection")
    assert result.submission == "No"
    assert result.writes == []


@pytest.mark.parametrize(("cluster", "tools", "answer"), [
    ("sim:online-boutique/missing_service_account?clean=1", ["apply_manifest"], None),
    ("sim:online-boutique/namespace_cpu_quota_exceeded?clean=1", ["patch_resource"], None),
    # two writes: after the claim is deleted triage no longer shows the mismatch; recreating it continues the
    # fix of the diagnosis that backed the delete
    ("sim:online-boutique/pvc_capacity_mismatch?clean=1", ["delete_resource", "apply_manifest"], None),
    ("sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-rate&clean=1", ["datastore_admin", "restart_workload"],
     {"action": "approve", "approver": "alice"}),
    ("sim:social-network/auth_miss_mongodb?clean=1", ["rollback_deployment", "restart_workload"],
     {"action": "approve", "approver": "alice"}),
])
def test_expert_mitigates_through_the_approval_path(aoi_home: Path, cluster: str, tools: list[str],
                                                    answer: dict | None) -> None:
    """Kubernetes faults triage shows are approved automatically (the writes are backed, a fix of several writes by
    the diagnosis that backed its first); the fixes of AIOpsLab's
    application-level faults rest on log lines alone, so a person approves them."""
    result, store = _run(aoi_home, cluster, "mitigation", answer=answer)
    assert result.success is True
    assert [w["tool"] for w in result.writes] == tools
    assert all(w["status"] == "applied" and not w["rolled_back"] for w in result.writes)
    approvals = store.approvals("t1")
    approver = answer["approver"] if answer else "policy:simulated-evaluation"
    assert [(a["tool"], a["decision"], a["approver"]) for a in approvals] == [(t, "approve", approver) for t in tools]
    assert all(bool(a["backing"]) == (answer is None) for a in approvals)
    assert _audit_rows(aoi_home) > 0
    # Stateless: every recorded prompt (also those after a write) replays to the recorded decision, which parsed.
    reasons = [s for s in store.steps("t1") if s["node"] == "reason"]
    assert len(reasons) == result.steps + 1
    for step in reasons:
        assert step["error"] is None and step["decision"] is not None
        assert ExpertPolicy().complete(step["prompt"]).text == step["completion"]
        assert {"submission": None, **json.loads(step["completion"])} == step["decision"]


@pytest.mark.parametrize(("cluster", "tools"), [
    ("sim:online-boutique/oom_killed?clean=1&variant=runtime", ["rollback_deployment"]),
    ("sim:online-boutique/service_env_var_address_mismatch?clean=1&variant=port", ["set_env"]),
    ("sim:online-boutique/service_port_mapping_mismatch?clean=1&variant=named", ["patch_resource"]),
    ("sim:online-boutique/node_cordoned?clean=1&variant=pinned", ["uncordon_node"]),
    ("sim:hotel-reservation/incorrect_image_reference?clean=1&variant=repository", ["rollback_deployment"]),
    ("sim:online-boutique/missing_image_pull_secret?clean=1&variant=wrong", ["rollback_deployment"]),
])
def test_expert_mitigates_the_variants_of_a_root_cause(aoi_home: Path, cluster: str, tools: list[str]) -> None:
    result, _ = _run(aoi_home, cluster, "mitigation")
    assert result.success is True
    assert [w["tool"] for w in result.writes] == tools
    assert all(w["status"] == "applied" and not w["rolled_back"] for w in result.writes)


def test_automatic_approval_declines_a_fix_no_diagnosis_backs(aoi_home: Path) -> None:
    result, store = _run(aoi_home, "sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-rate&clean=1",
                         "mitigation")
    assert result.writes == [] and "unbacked_write" in result.flags and _audit_rows(aoi_home) == 0
    approvals = store.approvals("t1")
    assert approvals and all(a["decision"] == "reject" and "no diagnosis backs" in a["reason"] for a in approvals)


def test_same_problem_twice_gives_the_same_trajectory(aoi_home: Path) -> None:
    cluster = "sim:hotel-reservation/misconfig_app_hotel_res?clean=1"
    first, store = _run(aoi_home, cluster, "localization", thread="a")
    second, _ = _run(aoi_home, cluster, "localization", thread="b")
    decisions = [[s["decision"] for s in store.steps(t) if s["node"] == "reason"] for t in ("a", "b")]
    assert decisions[0] == decisions[1]
    assert first.submission == second.submission == ["geo"]


def test_agent_model_names_each_agent_and_refuses_unknown_ones(tmp_path: Path) -> None:
    script = tmp_path / "plan.jsonl"
    script.write_text('"Action: submit(\\"No\\")"\n')
    assert AGENTS == ("aoi", "expert", "react", "random")
    assert isinstance(agent_model("expert"), ExpertPolicy)
    assert agent_model("random", seed=3).name == "random:3"
    assert agent_model("react", model=f"scripted:{script}").name == "scripted:plan.jsonl"
    with pytest.raises(ValueError, match="valid: aoi, expert, react, random"):
        agent_model("oracle")


# -- the parts ------------------------------------------------------------------------------------------------
_NOTE_TEXT = st.text(st.characters(blacklist_characters=";=\n\r", blacklist_categories=("Cs",)), max_size=30)


@given(st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True), _NOTE_TEXT.map(str.strip)
                       .filter(bool), max_size=8))
def test_notes_survive_a_summary_round_trip(notes: dict[str, str]) -> None:
    rendered = render_notes(notes, 10_000)
    assert parse_notes("Found it. " + rendered) == notes


def test_notes_are_cut_to_the_budget_whole() -> None:
    rendered = render_notes({"a": "x" * 50, "b": "y"}, 20)
    assert len(rendered) <= 20
    assert parse_notes(rendered) == {"b": "y"}


def test_read_prompt_rejects_messages_without_an_observer_prompt() -> None:
    with pytest.raises(ValueError, match="no Observer prompt"):
        read_prompt([{"role": "user", "content": "hello"}])


def test_analyzers_read_pods_events_and_error_lines() -> None:
    services = ["geo", "mongodb-geo", "search", "frontend", "user-service", "user"]
    pods = ("NAME READY STATUS RESTARTS AGE\n"
            "geo-abc12-x9 0/1     CrashLoopBackOff   4 (25s ago)   115s\n"
            "mongodb-geo-q1-z2 1/1 Running 0 3m\n"
            "user-service-9r-w7 0/1 Pending 0 1m\n"
            "user-1a-2b 1/1 Running 1 (30s ago) 3m\n"
            "search-1-2 0/1 Running 0 3m\n")
    assert [(p.component, p.status) for p in ev.unhealthy_pods(pods, services)] == [
        ("geo", "CrashLoopBackOff"), ("user-service", "Pending"), ("user", "Restarted"), ("search", "NotReady")]
    events = ("LAST SEEN TYPE REASON OBJECT MESSAGE\n"
              "25s Warning FailedScheduling pod/user-service-9r-w7 0/4 nodes are available: 1 node(s) had "
              "untolerated taint {x}, 3 node(s) didn't match Pod's node affinity/selector.\n")
    assert [(e.component, e.reason, e.detail) for e in ev.warning_events(events, services)] == [
        ("user-service", "FailedScheduling", "selector")]
    errors = ('"sample": "ERR search.Search/Nearby failed: geo.Geo/Nearby failed: connection refused"\n'
              "flagd.evaluation.v1.Service/ResolveBoolean failed: dial tcp: connection refused\n")
    finding = ev.error_lines(errors, "frontend", services)
    assert finding.callees == ["geo"] and finding.kind == "refused"
    log = ev.crash_log("New session to mongodb-geo:27017\npanic: not authorized on geo-db to execute command")
    assert (log.cause, log.host, log.port, log.database) == ("mongo_auth", "mongodb-geo", 27017, "geo-db")
