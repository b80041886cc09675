"""One evaluation episode: build the agent, run (or resume) its thread, grade it, and measure it from the store.

This is what a worker process runs. The agent goes through the same graph, tool servers and safety path as any
episode (`react` through its own single loop over the same tools); writes are approved by the recorded
auto-approve policy of simulated evaluations. Everything measured is read back from the database — the steps
table (decisions, tool calls, tool errors), the audit trail (applied and refused writes) and the episode's flags
— so a resumed episode is measured as a whole.
"""

from __future__ import annotations

import json
import sqlite3
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aoi.evals.metrics import EpisodeRecord
from aoi.evals.problems import by_id

REFUSED_WRITE_FLAGS = frozenset({"refused_write", "uncorroborated_target", "injection_target", "unbacked_write"})
"""Episode flags set when the graph refused a proposed write before any approval."""


@dataclass(frozen=True, slots=True)
class Job:
    """One run of one problem, as handed to a worker (plain data: it crosses a process boundary)."""

    run_name: str
    problem_id: str
    run_index: int
    thread_id: str
    agent: str
    model: str
    seed: int
    db: str
    budget: dict[str, Any]
    guidance: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    record: EpisodeRecord
    thread_id: str
    app: str
    error: str | None = None


def run_job(job: Job) -> Outcome:
    """Run one episode to its end and measure it; an exception becomes an `error` record, never a crash."""
    problem = by_id(job.problem_id)
    try:
        result = _run(job)
        success, score = result.success, result.score
        if success is None and problem.family == "noop":
            success, score = _grade_control(problem.task, result.submission)
        record = measure(job, problem.family, problem.task, problem.split, bool(success), float(score or 0.0),
                         outcome=result.outcome, steps=result.steps, wall_s=result.wall_s)
        if result.status == "done":  # graded and measured: nothing resumes it, and each state is ~0.7 MB
            from aoi.graph.environment import discard_episode_state

            discard_episode_state(job.thread_id)
        return Outcome(record, job.thread_id, problem.app)
    except Exception as exc:  # any failure of one episode is recorded and the evaluation goes on
        detail = "".join(traceback.format_exception_only(exc)).strip()
        record = EpisodeRecord(job.problem_id, job.run_index, problem.family, problem.task, False, 0.0,
                               split=problem.split, status="error")
        return Outcome(record, job.thread_id, problem.app, detail[-2000:])


def _run(job: Job) -> Any:
    from aoi.graph.runner import EpisodeConfig, EpisodeRunner
    from aoi.graph.state import Budget

    problem = by_id(job.problem_id)
    seed = job.seed + job.run_index
    guidance = None
    if job.guidance:
        from aoi.evolve.guidance import guidance_provider

        # On a held-out problem no lesson may name its answer or come from its family: that would leak it.
        guidance = guidance_provider(Path(job.db), exclude_answers_of=problem if problem.split == "heldout" else None)
    config = EpisodeConfig(problem.cluster(seed), problem.task, model=job.model, approve="auto",
                           thread_id=job.thread_id, db=Path(job.db), seed=seed, budget=Budget(**job.budget),
                           guidance=guidance)
    model = build_model(job.agent, job.model, seed)
    if job.agent == "react":
        from aoi.baselines import run_react_episode

        return run_react_episode(config, model)
    return EpisodeRunner(config, model=model).run()


def build_model(agent: str, model: str, seed: int) -> Any:
    """The Observer policy of an agent: the model itself for `aoi` and `react`, a baseline policy otherwise.

    Raises:
        ValueError: an unknown agent (the message lists the valid ones), or a bad model spec.
    """
    from aoi.baselines import agent_model

    return agent_model(agent, model=model, seed=seed)


def _grade_control(task: str, submission: Any) -> tuple[bool, float]:
    """Grade a healthy control on an app the fault library has no `noop` for: the truth is "no fault"."""
    from aoi.cluster.sim.faults.base import GroundTruth
    from aoi.evals.grading import grade

    result = grade(task, submission, GroundTruth((), "", ""))
    return result.success, result.score


def measure(job: Job, family: str, task: str, split: str, success: bool, score: float, *, outcome: str | None,
            steps: int, wall_s: float) -> EpisodeRecord:
    """The episode's record, with its counts read from the steps, audit and episodes tables."""
    conn = sqlite3.connect(job.db, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        counts = episode_counts(conn, job.thread_id)
    finally:
        conn.close()
    diagnosis = task != "mitigation"
    return EpisodeRecord(
        job.problem_id, job.run_index, family, task, success, score, split=split, outcome=outcome,
        steps=steps, wall_s=wall_s, tokens=counts["tokens"], decisions=counts["decisions"],
        invalid_decisions=counts["invalid_decisions"], tool_calls=counts["tool_calls"],
        tool_errors=counts["tool_errors"], writes=counts["applied"],
        unapproved_writes=counts["refused"] + int(bool(REFUSED_WRITE_FLAGS & counts["flags"])),
        diagnosis_writes=(counts["applied"] + int("write_in_diagnosis" in counts["flags"])) if diagnosis else 0)


def episode_counts(conn: sqlite3.Connection, thread_id: str) -> dict[str, Any]:
    """Tokens, decisions (and invalid ones), tool calls (and failed ones), applied and refused writes, flags.

    `refused` counts executor calls refused for want of a valid grant; flags are the episode's de-duplicated flags
    (a refused proposal shows once however often it happened).
    """
    episode = conn.execute("SELECT prompt_tokens, completion_tokens, flags FROM episodes WHERE thread_id = ?",
                           (thread_id,)).fetchone()
    decisions = invalid = calls = errors = 0
    for row in conn.execute("SELECT node, decision, error, tool_calls, results FROM steps WHERE thread_id = ?",
                            (thread_id,)):
        if row["node"] == "reason":
            decisions += 1
            invalid += row["decision"] is None
        elif row["node"] in ("observe", "act"):
            results = json.loads(row["results"]) if row["results"] else []
            calls += len(json.loads(row["tool_calls"])) if row["tool_calls"] else 0
            errors += sum(bool(r.get("error")) for r in results if isinstance(r, dict))
    phases = dict(conn.execute("SELECT phase, COUNT(*) FROM audit WHERE thread_id = ? GROUP BY phase",
                               (thread_id,)).fetchall())
    return {"tokens": (episode["prompt_tokens"] + episode["completion_tokens"]) if episode else 0,
            "decisions": decisions, "invalid_decisions": invalid, "tool_calls": calls, "tool_errors": errors,
            "applied": phases.get("applied", 0), "refused": phases.get("refused", 0),
            "flags": set(json.loads(episode["flags"])) if episode and episode["flags"] else set()}
