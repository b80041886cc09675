"""The evaluation runner end to end with a scripted Observer: parallel workers, grading, resume after a kill,
errors recorded instead of crashing, and the measurements read back from the store."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aoi.evals.episode import Job, episode_counts, measure
from aoi.evals.results import EvalStore, EvalStoreError, thread_id_for
from aoi.evals.runner import EvalConfig, run_evaluation
from aoi.store.db import connect

REVOKE, NOOP = "revoke_auth_mongodb-detection-1", "noop_detection_hotel_reservation-1"


def _episodes(db: Path, run: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return conn.execute("SELECT * FROM episodes WHERE thread_id LIKE ? ORDER BY thread_id",
                        (f"eval-{run}-%",)).fetchall()


@pytest.mark.slow
def test_two_workers_run_every_problem_k_times_and_grade_each_run(aoi_home: Path, script) -> None:
    config = EvalConfig("aiopslab-sim", patterns=(REVOKE, NOOP), model=f"scripted:{script('yes', 'Yes')}", runs=2,
                        workers=2, name="small")
    seen: list[tuple[int, int]] = []
    run = run_evaluation(config, on_episode=lambda _r, done, total: seen.append((done, total)))
    assert (run.ran, run.skipped, run.errors) == (4, 0, [])
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    outcome = {(r.problem_id, r.run_index): r.success for r in run.records}
    assert outcome == {(REVOKE, 0): True, (REVOKE, 1): True, (NOOP, 0): False, (NOOP, 1): False}
    summary = run.summary()
    assert (summary["overall"]["best_at_k"], summary["overall"]["avg_at_k"]) == (0.5, 0.5)
    assert all(r.steps == 1 and r.tool_calls == 1 and r.decisions == 2 and r.tokens > 0 for r in run.records)
    rows = _episodes(aoi_home / "aoi.db", "small")
    assert [r["thread_id"] for r in rows] == sorted(thread_id_for("small", p, k) for p in (REVOKE, NOOP)
                                                    for k in (0, 1))
    assert {r["approve_mode"] for r in rows} == {"auto"} and {r["status"] for r in rows} == {"done"}
    # run i uses seed + i; each episode's simulator state is discarded once it is graded (nothing resumes it)
    assert {r["cluster"] for r in rows if REVOKE in r["thread_id"]} == {
        "sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo&seed=0",
        "sim:hotel-reservation/revoke_auth_mongodb?target=mongodb-geo&seed=1"}
    assert list((aoi_home / "sim" / "episodes").glob("eval-small-*")) == []


def test_the_healthy_control_of_an_app_without_a_noop_fault_is_graded(aoi_home: Path, script) -> None:
    config = EvalConfig("k8s-sim", patterns=("noop_*",), model=f"scripted:{script('no', 'No')}", name="ctl")
    run = run_evaluation(config)
    assert [(r.problem_id, r.success, r.score) for r in run.records] == [
        ("noop_detection_online_boutique-1", True, 1.0)]


def test_an_episode_that_fails_is_recorded_as_an_error_and_retried_next_time(aoi_home: Path, script) -> None:
    config = EvalConfig("aiopslab-sim", patterns=(NOOP,), model="scripted:/nonexistent.jsonl", name="broken")
    run = run_evaluation(config)
    assert [(r.status, r.success) for r in run.records] == [("error", False)]
    assert "cannot read the script" in run.errors[0]["error"]
    assert run.summary()["overall"]["errors"] == 1
    fixed = run_evaluation(EvalConfig("aiopslab-sim", patterns=(NOOP,), model="scripted:/nonexistent.jsonl",
                                      name="broken"))
    assert fixed.ran == 1  # an errored episode is not "finished"


def test_a_run_name_cannot_be_reused_with_other_settings(aoi_home: Path, script) -> None:
    yes = f"scripted:{script('yes', 'Yes')}"
    run_evaluation(EvalConfig("aiopslab-sim", patterns=(NOOP,), model=yes, name="mine"))
    with pytest.raises(EvalStoreError, match="already exists with seed 0 \\(now 3\\)"):
        run_evaluation(EvalConfig("aiopslab-sim", patterns=(NOOP,), model=yes, name="mine", seed=3))
    with pytest.raises(EvalStoreError, match="run name"):
        run_evaluation(EvalConfig("aiopslab-sim", patterns=(NOOP,), model=yes, name="../x"))
    with pytest.raises(ValueError, match="unknown agent 'gpt'"):
        run_evaluation(EvalConfig("aiopslab-sim", agent="gpt", model=yes))


@pytest.mark.slow
def test_a_killed_evaluation_resumes_and_skips_the_finished_runs(aoi_home: Path, script) -> None:
    slow = script("slow", "Yes", probes=5)
    db = aoi_home / "aoi.db"
    args = [sys.executable, "-m", "aoi.cli", "eval", "--problems", f"{REVOKE},{NOOP}", "--runs", "2",
            "--model", f"scripted:{slow}", "--name", "resume"]
    proc = subprocess.Popen(args, env={**os.environ, "AOI_HOME": str(aoi_home)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    finished_before: dict[tuple[str, int], str] = {}
    try:
        while time.monotonic() < deadline and not finished_before:
            time.sleep(0.1)
            if db.exists():
                try:
                    conn = sqlite3.connect(db)
                    finished_before = {(r[0], r[1]): r[2] for r in conn.execute(
                        "SELECT problem_id, run_index, created_at FROM eval_episodes WHERE run_name = 'resume'")}
                    conn.close()
                except sqlite3.OperationalError:  # tables not created yet
                    pass
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert 1 <= len(finished_before) < 4, "the evaluation was not interrupted part-way"
    resumed = run_evaluation(EvalConfig("aiopslab-sim", patterns=(REVOKE, NOOP), model=f"scripted:{slow}", runs=2,
                                        name="resume"))
    assert resumed.skipped == len(finished_before) and resumed.ran == 4 - len(finished_before)
    assert len(resumed.records) == 4 and all(r.status == "done" for r in resumed.records)
    conn = sqlite3.connect(db)
    after = {(r[0], r[1]): r[2] for r in conn.execute(
        "SELECT problem_id, run_index, created_at FROM eval_episodes WHERE run_name = 'resume'")}
    assert {k: after[k] for k in finished_before} == finished_before  # finished runs were not run again
    assert len(_episodes(db, "resume")) == 4  # one episode per (problem, run): nothing duplicated


def test_measurements_come_from_the_steps_audit_and_flags(tmp_path: Path) -> None:
    conn = connect(tmp_path / "aoi.db")
    conn.execute("INSERT INTO episodes (thread_id, created_at, updated_at, task_type, task_text, cluster, model, "
                 "approve_mode, status, prompt_tokens, completion_tokens, flags) VALUES ('t', '', '', 'detection', "
                 "'', 'sim:x', 'm', 'auto', 'done', 100, 20, ?)", (json.dumps(["write_in_diagnosis",
                                                                               "uncorroborated_target"]),))
    steps = [(0, "reason", json.dumps({"action": "probe"}), None, None),
             (0, "observe", None, json.dumps([{"tool": "a"}, {"tool": "b"}]),
              json.dumps([{"error": False}, {"error": True}])),
             (1, "reason", None, None, None),
             (2, "act", None, json.dumps([{"tool": "scale_workload"}]), json.dumps([{"text": "ok"}]))]
    for step, node, decision, calls, results in steps:
        conn.execute("INSERT INTO steps (thread_id, step, node, decision, tool_calls, results, created_at) VALUES "
                     "('t', ?, ?, ?, ?, ?, '')", (step, node, decision, calls, results))
    for seq, phase in enumerate(("intent", "applied", "refused"), start=1):
        conn.execute("INSERT INTO audit (seq, time, thread_id, approver, approval, tool, args, phase, diff, result, "
                     "prev_hash, hash) VALUES (?, '', 't', '', '', 'x', '{}', ?, '', '', '', '')", (seq, phase))
    counts = episode_counts(conn, "t")
    assert {k: counts[k] for k in ("tokens", "decisions", "invalid_decisions", "tool_calls", "tool_errors",
                                   "applied", "refused")} == {
        "tokens": 120, "decisions": 2, "invalid_decisions": 1, "tool_calls": 3, "tool_errors": 1, "applied": 1,
        "refused": 1}
    job = Job("r", "p", 0, "t", "aoi", "m", 0, str(tmp_path / "aoi.db"), {})
    diagnosis = measure(job, "f", "detection", "heldout", False, 0.0, outcome="submitted", steps=3, wall_s=1.0)
    assert (diagnosis.writes, diagnosis.unapproved_writes, diagnosis.diagnosis_writes) == (1, 2, 2)
    mitigation = measure(job, "f", "mitigation", "heldout", True, 1.0, outcome="submitted", steps=3, wall_s=1.0)
    assert mitigation.diagnosis_writes == 0 and mitigation.unapproved_writes == 2


def test_stored_records_round_trip(tmp_path: Path) -> None:
    store = EvalStore(connect(tmp_path / "aoi.db"))
    assert store.start_run("r1", suite="aiopslab-sim", split="all", agent="aoi", model="m", runs=1, seed=0,
                           config={}, problems=["p"]) is False
    assert store.start_run("r1", suite="aiopslab-sim", split="all", agent="aoi", model="m", runs=3, seed=0,
                           config={}, problems=["q"]) is True
    assert store.run("r1")["problems"] == ["p", "q"] and store.run("r1")["runs"] == 3
    from aoi.evals.metrics import EpisodeRecord

    record = EpisodeRecord("p", 0, "f", "localization", False, 0.5, split="train", steps=4, tokens=9)
    store.record("r1", record, thread_id="t", app="a")
    assert store.records("r1") == [record]
    assert store.finished("r1") == {("p", 0)}
    with pytest.raises(EvalStoreError, match="no evaluation run 'nope'; stored runs: r1"):
        store.records("nope")


def test_guidance_on_runs_with_the_evolver_memory_and_names_the_run_apart(aoi_home: Path, script) -> None:
    config = EvalConfig("aiopslab-sim", patterns=(NOOP,), model=f"scripted:{script('no', 'No')}", guidance=True)
    assert config.run_name().startswith("aiopslab-sim-all-aoi-no.jsonl-guided-k1-s0-p")
    run = run_evaluation(config)
    assert [(r.success, r.status) for r in run.records] == [(True, "done")]
