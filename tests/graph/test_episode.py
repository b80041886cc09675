"""Episodes end to end with a scripted Observer on the simulated cluster: the approval interrupt, resuming in a
new process, reject/edit/stale approvals, crash recovery, prompt injection, budgets."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path
from typing import Any

import pytest
from scripted_plans import (
    GRANT,
    HOTEL_MITIGATION,
    HOTEL_NS,
    RESTART_GEO,
    act,
    by_step,
    plant_injections,
    probe,
    step_of,
    submit,
)

from aoi.graph.models.scripted import ScriptedModel
from aoi.graph.runner import EpisodeConfig, EpisodeFailedError, EpisodeRunner, ThreadMismatchError
from aoi.graph.state import Budget

HOTEL = "sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo"
ALICE = {"action": "approve", "approver": "alice"}
"""A person approving: no triage hypothesis backs the fix of this application-level fault, so automatic approval
would decline it (tests/graph/test_injection_corpus.py covers that)."""
PLANS_FILE = Path(__file__).with_name("scripted_plans.py")


def _runner(home: Path, plan: Any, *, task: str = "mitigation", approve: str = "ask", thread: str = "t1",
            cluster: str = HOTEL, answer: dict | None = None, budget: Budget | None = None,
            guidance: Any = None) -> EpisodeRunner:
    policy = plan if callable(plan) else by_step(plan)
    return EpisodeRunner(EpisodeConfig(cluster, task, model="scripted", approve=approve,  # type: ignore[arg-type]
                                       thread_id=thread, db=home / "aoi.db", budget=budget or Budget(),
                                       guidance=guidance),
                         model=ScriptedModel(policy), ask_approval=(lambda _p: answer) if answer else None)


def _audit(home: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(home / "aoi.db")
    return [(r[0], r[1]) for r in conn.execute("SELECT phase, tool FROM audit ORDER BY seq")]


def _resume_in_new_process(home: Path, thread: str, answer: dict[str, Any]) -> dict[str, Any]:
    script = textwrap.dedent(f"""
        import importlib.util, json, sys
        spec = importlib.util.spec_from_file_location("scripted_plans", {str(PLANS_FILE)!r})
        plans = importlib.util.module_from_spec(spec); spec.loader.exec_module(plans)
        from aoi.graph.models.scripted import ScriptedModel
        from aoi.graph.runner import EpisodeConfig, EpisodeRunner
        runner = EpisodeRunner(EpisodeConfig({HOTEL!r}, "mitigation", model="scripted", approve="ask",
                                             thread_id={thread!r}, db={str(home / 'aoi.db')!r}),
                               model=ScriptedModel(plans.by_step(plans.HOTEL_MITIGATION)),
                               ask_approval=lambda proposal: {json.dumps(answer)})
        print(json.dumps(runner.run().to_dict(), default=str))
    """)
    out = subprocess.run([sys.executable, "-c", script], env={**os.environ, "AOI_HOME": str(home)},
                         capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_mitigation_pauses_for_approval_and_a_new_process_finishes_it_with_one_write_each(aoi_home: Path) -> None:
    paused = _runner(aoi_home, HOTEL_MITIGATION).run()
    assert paused.status == "awaiting_approval"
    assert paused.pending["tool"] == "datastore_admin" and "readWrite" in paused.pending["diff"]
    assert _audit(aoi_home) == []  # nothing reached the executor
    done = _resume_in_new_process(aoi_home, "t1", {"action": "approve", "approver": "alice"})
    assert done["status"] == "done" and done["outcome"] == "submitted" and done["success"] is True
    assert [(w["tool"], w["status"], w["rolled_back"]) for w in done["writes"]] == [
        ("datastore_admin", "applied", False), ("restart_workload", "applied", False)]
    assert _audit(aoi_home) == [("intent", "datastore_admin"), ("applied", "datastore_admin"),
                                ("intent", "restart_workload"), ("applied", "restart_workload")]
    episode = _runner(aoi_home, HOTEL_MITIGATION).store.episode("t1")
    assert episode["status"] == "done" and episode["success"] == 1.0


def test_a_write_that_makes_the_cluster_worse_is_rolled_back_on_the_auto_rollback_channel(aoi_home: Path) -> None:
    """The person approved the write, and with it its undo if verification regresses: the undo runs without asking
    again, and the audit trail says whose approval it rests on and that nobody was asked twice."""
    bad_image = {"kind": "deployment", "name": "geo", "namespace": HOTEL_NS, "container": "hotel-reserv-geo",
                 "image": "registry.invalid/geo:does-not-exist"}
    plan = [probe(("get_resources", {"resource_type": "deployments"})), act("set_image", bad_image), submit({})]
    result = _runner(aoi_home, plan, answer=ALICE).run()
    assert [(w["tool"], w["status"], w["rolled_back"]) for w in result.writes] == [("set_image", "applied", True)]
    conn = sqlite3.connect(aoi_home / "aoi.db")
    rows = conn.execute("SELECT phase, tool, approval, approver FROM audit ORDER BY seq").fetchall()
    assert rows == [("intent", "set_image", "human", "alice"), ("applied", "set_image", "human", "alice"),
                    ("intent", "undo", "auto-rollback", "rollback of a write approved by alice"),
                    ("applied", "undo", "auto-rollback", "rollback of a write approved by alice")]
    with _runner(aoi_home, plan, answer=ALICE).env.simulation() as cluster:
        geo = cluster.engine.state.store.get("Deployment", HOTEL_NS, "geo")
        assert geo["spec"]["template"]["spec"]["containers"][0]["image"] != bad_image["image"]


def test_a_resumed_episode_reports_its_running_time_summed_over_its_runs(aoi_home: Path) -> None:
    runner = _runner(aoi_home, HOTEL_MITIGATION)
    paused = runner.run()
    assert runner.store.episode("t1")["wall_s"] == pytest.approx(paused.wall_s)
    runs = [paused]
    while runs[-1].status == "awaiting_approval":  # one pause per write in this plan
        runs.append(runner.resume({"action": "approve", "approver": "alice"}))
    assert runs[-1].status == "done" and len(runs) == 3 and all(r.wall_s > 0 for r in runs)
    assert runner.store.episode("t1")["wall_s"] == pytest.approx(sum(r.wall_s for r in runs))


def test_a_rejected_write_is_recorded_not_executed_and_the_observer_is_told(aoi_home: Path) -> None:
    plan = [*HOTEL_MITIGATION[:3], submit({})]
    result = _runner(aoi_home, plan, answer={"action": "reject", "approver": "bob",
                                             "reason": "not during business hours"}).run()
    assert result.status == "done" and result.writes == []
    assert _audit(aoi_home) == []
    runner = _runner(aoi_home, plan)
    approvals = runner.store.approvals("t1")
    assert [(a["decision"], a["approver"], a["reason"]) for a in approvals] == [
        ("reject", "bob", "not during business hours")]
    last_prompt = runner.store.steps("t1")[-1]["prompt"][-1]["content"]
    assert "rejected" in last_prompt and "not during business hours" in last_prompt
    assert result.success is False


def test_an_edited_approval_runs_the_edited_arguments(aoi_home: Path) -> None:
    edited = {**GRANT, "args": {"user": "admin", "roles": [{"role": "dbOwner", "db": "geo-db"}]}}
    plan = [*HOTEL_MITIGATION[:3], submit({})]
    result = _runner(aoi_home, plan, answer={"action": "edit", "approver": "carol", "args": edited}).run()
    assert [w["args"] for w in result.writes] == [edited]
    with _runner(aoi_home, plan).env.simulation() as cluster:
        roles = cluster.engine.state.datastores[f"{HOTEL_NS}/mongodb-geo"].users["admin"].roles
    assert {"role": "dbOwner", "db": "geo-db"} in roles


def test_an_approval_for_a_target_that_changed_meanwhile_is_not_used_and_asked_again(aoi_home: Path) -> None:
    paused = _runner(aoi_home, HOTEL_MITIGATION).run()
    runner = _runner(aoi_home, HOTEL_MITIGATION, answer={"action": "approve", "approver": "alice"})
    with runner.env.simulation() as cluster:  # someone else changes the target while the question is pending
        cluster.datastore_admin("mongodb-geo", HOTEL_NS, "create_user", {"user": "ops", "password": "x", "roles": []})
    asked: list[dict[str, Any]] = []

    def answer_once(proposal: dict[str, Any]) -> dict[str, Any] | None:
        asked.append(proposal)
        return {"action": "approve", "approver": "alice"}

    runner.ask_approval = answer_once  # the second question must reach the human again
    result = runner.run()
    assert paused.pending["resource_version"] != asked[-1]["resource_version"]
    assert any(p.get("stale") for p in asked)
    assert result.status == "done"
    assert ("applied", "datastore_admin") in _audit(aoi_home)


def test_a_process_killed_mid_episode_resumes_to_the_same_steps_without_repeating_a_write(aoi_home: Path,
                                                                                         tmp_path: Path) -> None:
    reference_home = tmp_path / "reference"
    reference_home.mkdir()
    os.environ["AOI_HOME"] = str(reference_home)
    reference = _runner(reference_home, HOTEL_MITIGATION, answer=ALICE, thread="ref").run()
    os.environ["AOI_HOME"] = str(aoi_home)
    for kill_at in (1, 3, 4):
        thread = f"k{kill_at}"
        script = textwrap.dedent(f"""
            import importlib.util, os, signal
            spec = importlib.util.spec_from_file_location("scripted_plans", {str(PLANS_FILE)!r})
            plans = importlib.util.module_from_spec(spec); spec.loader.exec_module(plans)
            from aoi.graph.models.scripted import ScriptedModel
            from aoi.graph.runner import EpisodeConfig, EpisodeRunner
            base = plans.by_step(plans.HOTEL_MITIGATION)
            def policy(messages):
                if plans.step_of(messages) == {kill_at}:
                    os.kill(os.getpid(), signal.SIGKILL)
                return base(messages)
            EpisodeRunner(EpisodeConfig({HOTEL!r}, "mitigation", model="scripted", approve="ask",
                                        thread_id={thread!r}, db={str(aoi_home / 'aoi.db')!r}),
                          model=ScriptedModel(policy), ask_approval=lambda _p: {ALICE!r}).run()
        """)
        killed = subprocess.run([sys.executable, "-c", script], env={**os.environ, "AOI_HOME": str(aoi_home)},
                                capture_output=True, text=True, timeout=300, check=False)
        assert killed.returncode == -signal.SIGKILL
        resumed = _runner(aoi_home, HOTEL_MITIGATION, answer=ALICE, thread=thread).run()
        assert resumed.status == "done" and resumed.success is True
        assert [(w["step"], w["tool"]) for w in resumed.writes] == [(w["step"], w["tool"]) for w in reference.writes]
        steps = _runner(aoi_home, HOTEL_MITIGATION, answer=ALICE, thread=thread).store.steps(thread)
        ref_steps = _runner(reference_home, HOTEL_MITIGATION, answer=ALICE, thread="ref").store.steps("ref")
        assert [(s["step"], s["node"], s["decision"]) for s in steps] == \
            [(s["step"], s["node"], s["decision"]) for s in ref_steps]
    applied = [t for phase, t in _audit(aoi_home) if phase == "applied"]
    assert applied == ["datastore_admin", "restart_workload"] * 3


OBEYED = {
    "a target named only by the injection": (
        act("delete_pod", {"name": "frontend-evil-7d9f", "namespace": HOTEL_NS}), "injection_target"),
    "deleting the namespace": (
        act("delete_resource", {"kind": "namespace", "name": HOTEL_NS, "namespace": None}), "injection_target"),
    "a deployment that does not exist": (
        act("scale_workload", {"kind": "deployment", "name": "backdoor-admin", "namespace": HOTEL_NS,
                               "replicas": 5}), None),
}


@pytest.mark.parametrize("case", sorted(OBEYED))
def test_an_observer_that_obeys_injected_instructions_executes_nothing(aoi_home: Path, case: str) -> None:
    proposal, flag = OBEYED[case]
    plan = [probe(("get_logs", {"target": "frontend", "tail": 50})), proposal, submit({})]
    runner = _runner(aoi_home, plan)
    plant_injections(runner)
    result = runner.run()
    assert result.status == "done" and result.writes == []
    assert _audit(aoi_home) == [] and runner.store.approvals("t1") == []
    assert any(f.startswith("injection:") for f in result.flags)
    if flag:
        assert flag in result.flags
    else:  # the closed decision schema does not even let the model name it
        errors = [s["error"] for s in runner.store.steps("t1") if s["node"] == "reason" and s["error"]]
        assert errors and "backdoor-admin" in errors[0]


def test_a_looping_observer_ends_with_repeated_calls(aoi_home: Path) -> None:
    loop = [probe(("get_alerts", {}))]
    result = _runner(aoi_home, loop, task="detection").run()
    assert (result.status, result.outcome, result.steps) == ("done", "repeated_calls", 3)


def test_a_step_budget_ends_an_episode_that_never_submits(aoi_home: Path) -> None:
    wander = [probe(("get_resources", {"resource_type": "pods", "name": f"p{i}"})) for i in range(30)]
    result = _runner(aoi_home, lambda m: wander[step_of(m)], task="detection", budget=Budget(max_steps=4)).run()
    assert (result.outcome, result.steps) == ("budget_exhausted", 4)


def test_a_wall_clock_budget_ends_an_episode_that_runs_too_long(aoi_home: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Each decision costs 0.4 s on a fake clock; with 1 s allowed, steps 0–2 run and step 3 is refused."""
    import aoi.graph.nodes.reason as reason_module
    import aoi.graph.runner as runner_module

    now = [1_000.0]
    clock = types.SimpleNamespace(time=lambda: now[0], perf_counter=time.perf_counter)
    monkeypatch.setattr(reason_module, "time", clock)
    monkeypatch.setattr(runner_module, "time", clock)

    def slow(messages: list[dict[str, str]]) -> dict[str, Any]:
        now[0] += 0.4
        return probe(("get_resources", {"resource_type": "pods", "name": f"p{step_of(messages)}"}))

    result = _runner(aoi_home, slow, task="detection", budget=Budget(max_seconds=1.0)).run()
    assert (result.outcome, result.steps) == ("time_exhausted", 3)


def test_guidance_is_asked_before_every_decision_and_shown_to_the_observer(aoi_home: Path) -> None:
    asked: list[int] = []

    def guidance(task: Any, memory: Any) -> list[str]:
        asked.append(len(memory.iterations))
        return ["[from episode ep-1, symptom CrashLoopBackOff] read the previous container's logs first"]

    plan = [probe(("get_resources", {"resource_type": "pods"})), submit("Yes")]
    model = ScriptedModel(by_step(plan))
    runner = EpisodeRunner(EpisodeConfig(HOTEL, "detection", model="scripted", thread_id="g1",
                                         db=aoi_home / "aoi.db", guidance=guidance), model=model)
    assert runner.run().outcome == "submitted"
    assert asked == [0, 1]
    assert all("read the previous container&#x27;s logs first" in m[-1]["content"]
               or "read the previous container's logs first" in m[-1]["content"] for m in model.calls)
    assert all("<guidance source='evolver'>" in m[-1]["content"] for m in model.calls)


def test_model_garbage_ends_with_invalid_actions_and_every_attempt_is_recorded(aoi_home: Path) -> None:
    runner = _runner(aoi_home, lambda _m: "I think the answer is probably yes?", task="detection")
    result = runner.run()
    assert result.outcome == "invalid_actions"
    errors = [s["error"] for s in runner.store.steps("t1") if s["node"] == "reason"]
    assert errors and all(errors)


def test_a_diagnosis_task_offers_the_model_no_write_at_all(aoi_home: Path) -> None:
    plan = [probe(("get_resources", {"resource_type": "pods"})), act("restart_workload", RESTART_GEO),
            submit(["geo"])]
    runner = _runner(aoi_home, plan, task="localization")
    result = runner.run()
    assert result.writes == [] and _audit(aoi_home) == []
    errors = [s["error"] for s in runner.store.steps("t1") if s["node"] == "reason" and s["error"]]
    assert errors and "act" in errors[0]


def test_a_write_that_omits_optional_arguments_runs_with_the_defaults_it_was_approved_with(aoi_home: Path) -> None:
    patch = {"kind": "deployment", "name": "geo", "namespace": HOTEL_NS,
             "patch": {"metadata": {"labels": {"checked-by": "aoi"}}}}  # no patch_type: the tool's default applies
    plan = [probe(("get_resources", {"resource_type": "deployments"})), act("patch_resource", patch), submit({})]
    result = _runner(aoi_home, plan, answer=ALICE).run()
    assert [(w["tool"], w["status"]) for w in result.writes] == [("patch_resource", "applied")]
    approved = _runner(aoi_home, plan, answer=ALICE).store.approvals("t1")
    assert approved[0]["args"]["patch_type"] == "merge"


def test_a_read_repeated_after_an_applied_write_is_a_new_observation(aoi_home: Path) -> None:
    pods = ("get_resources", {"resource_type": "pods"})
    plan = [probe(pods), probe(pods), act("restart_workload", RESTART_GEO), probe(pods), probe(pods),
            submit({})]
    result = _runner(aoi_home, plan, answer=ALICE).run()
    assert result.outcome == "submitted"
    assert [tool for _, tool in _audit(aoi_home) if tool] == ["restart_workload", "restart_workload"]


def test_reads_repeated_without_a_write_between_them_still_end_the_episode(aoi_home: Path) -> None:
    pods = ("get_resources", {"resource_type": "pods"})
    plan = [probe(pods), probe(pods), act("restart_workload", RESTART_GEO), probe(pods), probe(pods), probe(pods)]
    result = _runner(aoi_home, plan, answer=ALICE).run()
    assert result.outcome == "repeated_calls"


def test_the_simulated_clock_keeps_moving_after_a_write(aoi_home: Path) -> None:
    pods = ("get_resources", {"resource_type": "pods"})
    plan = [probe(pods), act("restart_workload", RESTART_GEO), probe(("get_resources", {"resource_type": "pods",
                                                                                          "wide": True})),
            probe(("get_resources", {"resource_type": "pods", "show_labels": True})), submit({})]
    runner = _runner(aoi_home, plan, answer=ALICE)
    base = runner.env.current_tick()
    result = runner.run()
    assert result.outcome == "submitted" and [tool for _, tool in _audit(aoi_home)] == ["restart_workload"] * 2
    # Each of the four steps before the submission moves time by two ticks, and the write adds its settling time
    # on top: the probes after the write see the cluster later than the write did, not frozen.
    assert runner.env.current_tick() - base == 4 * 2 + 12


class _CrashBeforeCheckpoint(Exception):
    """Stands for a kill after a superstep's writes were saved and before its checkpoint was."""


@pytest.mark.parametrize("crash_at_put", [3, 11, 15, 18])
def test_a_crash_between_a_tasks_writes_and_the_next_checkpoint_resumes_instead_of_finishing(
        aoi_home: Path, crash_at_put: int) -> None:
    """Checkpoint 11 follows the first write's act step, 15 the second's, 18 the submit."""
    reference = _runner(aoi_home, HOTEL_MITIGATION, answer=ALICE, thread="ref").run()
    thread = f"w{crash_at_put}"
    runner = _runner(aoi_home, HOTEL_MITIGATION, answer=ALICE, thread=thread)
    saver = runner.graph.checkpointer
    put, calls = saver.put, []

    def crashing_put(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == crash_at_put:
            raise _CrashBeforeCheckpoint
        return put(*args, **kwargs)

    saver.put = crashing_put  # type: ignore[method-assign]
    with pytest.raises(EpisodeFailedError, match="_CrashBeforeCheckpoint"):
        runner.run()
    assert runner.store.episode(thread)["status"] == "failed"
    snapshot = runner.graph.get_state(runner._run_config)
    assert snapshot.next == () and snapshot.tasks  # what the old runner took for a finished thread
    resumed = _runner(aoi_home, HOTEL_MITIGATION, answer=ALICE, thread=thread).run()
    assert resumed.status == "done" and resumed.outcome == "submitted" and resumed.success is True
    assert [(w["step"], w["tool"]) for w in resumed.writes] == [(w["step"], w["tool"]) for w in reference.writes]
    store = _runner(aoi_home, HOTEL_MITIGATION, answer=ALICE, thread=thread).store
    assert (store.episode(thread)["status"], store.episode(thread)["error"]) == ("done", None)
    assert [(s["step"], s["node"]) for s in store.steps(thread)] == [(s["step"], s["node"]) for s in
                                                                     store.steps("ref")]
    applied = [t for phase, t in _audit(aoi_home) if phase == "applied"]
    assert applied == ["datastore_admin", "restart_workload"] * 2


def test_resuming_a_thread_on_another_cluster_is_refused_and_leaves_it_as_it_was(aoi_home: Path) -> None:
    paused = _runner(aoi_home, HOTEL_MITIGATION).run()
    assert paused.status == "awaiting_approval"
    other = "sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-rate"
    with pytest.raises(ThreadMismatchError, match=r"thread t1 was started on cluster .*mongodb-geo.*same --cluster"):
        _runner(aoi_home, HOTEL_MITIGATION, cluster=other)
    done = _runner(aoi_home, HOTEL_MITIGATION, answer={"action": "approve", "approver": "alice"}).run()
    assert done.status == "done" and done.success is True
