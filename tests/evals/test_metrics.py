"""Metrics on hand-made episodes with known answers, and their invariants for any episodes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aoi.evals.metrics import (
    EpisodeRecord,
    avg_at_k,
    best_at_k,
    evaluate,
    family_matrix,
    invalid_action_rate,
    run_std,
    summarize,
)


def ep(problem: str, run: int, success: bool, *, task: str = "detection", family: str = "f", score: float | None = None,
       **kw: object) -> EpisodeRecord:
    return EpisodeRecord(problem, run, family, task, success, float(success) if score is None else score, **kw)


# Three problems × 3 runs: p1 solved 3/3, p2 1/3, p3 0/3.
GRID = [ep("p1", r, True) for r in range(3)] + [ep("p2", 0, True), ep("p2", 1, False), ep("p2", 2, False)] + \
       [ep("p3", r, False) for r in range(3)]


def test_best_and_avg_at_k_on_a_known_grid() -> None:
    assert best_at_k(GRID) == pytest.approx(2 / 3)
    assert avg_at_k(GRID) == pytest.approx((1 + 1 / 3 + 0) / 3)
    summary = summarize(GRID)
    assert summary["gap"] == pytest.approx(2 / 3 - 4 / 9)
    assert (summary["problems"], summary["episodes"], summary["k"]) == (3, 9, 3)


def test_std_is_across_runs_of_the_per_run_success_rate() -> None:
    # run 0: 2/3 solved; runs 1 and 2: 1/3 → pstdev of (2/3, 1/3, 1/3)
    assert run_std(GRID) == pytest.approx(math.sqrt(((2 / 3 - 4 / 9) ** 2 + 2 * (1 / 3 - 4 / 9) ** 2) / 3))
    assert run_std([ep("p1", 0, True), ep("p2", 0, False)]) == 0.0


def test_a_problem_with_fewer_finished_runs_counts_what_it_has() -> None:
    records = [ep("p1", 0, False), ep("p1", 1, True), ep("p2", 0, True)]
    assert best_at_k(records) == 1.0
    assert avg_at_k(records) == pytest.approx((0.5 + 1.0) / 2)


def test_empty_input_gives_zeros_not_errors() -> None:
    assert (best_at_k([]), avg_at_k([]), run_std([]), invalid_action_rate([])) == (0.0, 0.0, 0.0, 0.0)
    assert summarize([])["time_steps"] is None


def test_time_to_solve_uses_successful_episodes_only() -> None:
    records = [ep("d1", 0, True, steps=2, wall_s=4.0), ep("d2", 0, False, steps=15, wall_s=60.0),
               ep("m1", 0, True, task="mitigation", steps=6, wall_s=20.0),
               ep("m2", 0, True, task="mitigation", steps=8, wall_s=30.0)]
    overall = evaluate(records)["overall"]
    assert (overall["time_to_detect_steps"], overall["time_to_detect_s"]) == (2, 4.0)
    assert (overall["time_to_mitigate_steps"], overall["time_to_mitigate_s"]) == (7, 25.0)
    assert overall["time_to_localize_steps"] is None
    assert overall["steps"] == pytest.approx((2 + 15 + 6 + 8) / 4)


def test_invalid_action_rate_tokens_tool_calls_and_safety() -> None:
    records = [ep("a", 0, True, decisions=4, invalid_decisions=1, tool_calls=6, tool_errors=1, tokens=1000),
               ep("b", 0, False, decisions=6, tool_calls=4, tokens=3000, unapproved_writes=1, diagnosis_writes=2)]
    s = summarize(records)
    assert s["invalid_action_rate"] == pytest.approx(2 / 20)
    assert (s["tokens"], s["tool_calls"]) == (2000, 5)
    assert (s["unapproved_write_attempts"], s["diagnosis_writes"], s["safety_violations"]) == (1, 2, 3)


def test_partial_credit_shows_in_accuracy_not_in_success() -> None:
    records = [ep("l1", 0, False, task="localization", score=0.5), ep("l2", 0, True, task="localization")]
    s = summarize(records)
    assert (s["best_at_k"], s["accuracy"]) == (0.5, 0.75)


def test_evaluate_groups_by_task_and_family() -> None:
    records = [ep("a", 0, True, family="x"), ep("b", 0, False, family="x", task="analysis"),
               ep("c", 0, True, family="y", task="analysis"), ep("c", 1, False, family="y", task="analysis")]
    result = evaluate(records)
    assert set(result["by_task"]) == {"detection", "analysis"}
    assert result["by_task"]["analysis"]["avg_at_k"] == pytest.approx((0 + 0.5) / 2)
    assert result["by_family"] == {"x": {"detection": 1.0, "analysis": 0.0}, "y": {"analysis": 0.5}}
    assert family_matrix(records[2:]) == {"analysis": 0.5}


episodes = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 4), st.booleans()), min_size=1, max_size=60)


@given(episodes)
def test_avg_never_exceeds_best_and_every_rate_stays_in_bounds(raw: list[tuple[int, int, bool]]) -> None:
    unique = {(p, r): ok for p, r, ok in raw}
    records = [ep(f"p{p}", r, ok) for (p, r), ok in unique.items()]
    best, avg, std = best_at_k(records), avg_at_k(records), run_std(records)
    assert 0.0 <= avg <= best <= 1.0
    assert 0.0 <= std <= 0.5
    if all(r.run_index == 0 for r in records):
        assert best == avg and std == 0.0


@given(episodes)
def test_best_at_k_never_drops_when_runs_are_added(raw: list[tuple[int, int, bool]]) -> None:
    unique = {(p, r): ok for p, r, ok in raw}
    records = [ep(f"p{p}", r, ok) for (p, r), ok in unique.items()]
    first = [r for r in records if r.run_index == min(x.run_index for x in records if x.problem_id == r.problem_id)]
    assert best_at_k(records) >= best_at_k(first)
