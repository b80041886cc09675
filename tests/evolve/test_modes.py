"""Every failure mode from a hand-made failed trajectory, the step it names, and invariants over any trajectory."""

from __future__ import annotations

from typing import Any

import pytest
from evolve_trajectories import (
    PODS_CALL,
    TRUTH,
    probe_step,
    submit,
    trajectory,
    write_step,
)
from hypothesis import given
from hypothesis import strategies as st

from aoi.evolve.modes import FAILURE_MODES, MIN_BRANCH_BUDGET, classify
from aoi.evolve.trajectory import Step

GRANT = {"service": "mongodb-geo", "namespace": "test-hotel-reservation", "operation": "grant_roles",
         "args": {"user": "admin"}}


def _submit(index: int, answer: Any) -> Step:
    return Step(index, submit(answer))


CASES = {
    "no_resolution": (trajectory("mitigation", [probe_step(0, PODS_CALL), _submit(1, {})], submission={}), 1),
    "wrong_fix": (trajectory("mitigation", [
        probe_step(0, PODS_CALL),
        write_step(1, "restart_workload", {"kind": "deployment", "name": "frontend", "namespace": "ns"}),
        probe_step(2, PODS_CALL), _submit(3, {})], submission={}), 1),
    "missing_verification": (trajectory("mitigation", [
        probe_step(0, PODS_CALL), probe_step(1, ("get_logs", {"target": "geo", "previous": True})),
        write_step(2, "datastore_admin", GRANT), _submit(3, {})], submission={}), 3),
    "premature_submission": (trajectory("localization", [probe_step(0, PODS_CALL), _submit(1, ["frontend"])],
                                        submission=["frontend"]), 1),
    "wrong_diagnostic_path": (trajectory("localization", [
        probe_step(0, PODS_CALL), probe_step(1, ("get_alerts", {})),
        probe_step(2, ("get_logs", {"target": "frontend"})), probe_step(3, ("get_logs", {"target": "search"})),
        _submit(4, ["search"])], submission=["search"]), 2),
    "incomplete_diagnosis": (trajectory("localization", [
        probe_step(0, PODS_CALL), probe_step(1, ("get_logs", {"target": "geo", "previous": True})),
        _submit(2, ["geo", "mongodb-geo"])], submission=["geo", "mongodb-geo"], score=0.5), 2),
    "invalid_actions": (trajectory("analysis", [
        probe_step(0, PODS_CALL), Step(1, None, error="not JSON")], outcome="invalid_actions"), 1),
    "budget_exhausted": (trajectory("detection", [
        probe_step(0, PODS_CALL), probe_step(1, ("get_alerts", {})), probe_step(2, PODS_CALL),
        probe_step(3, PODS_CALL)], outcome="budget_exhausted"), 2),
}


def test_the_cases_cover_every_failure_mode() -> None:
    assert set(CASES) == set(FAILURE_MODES)


@pytest.mark.parametrize("mode", sorted(CASES))
def test_a_hand_made_failure_is_classified_with_the_step_that_went_wrong(mode: str) -> None:
    t, failed_step = CASES[mode]
    diagnosis = classify(t)
    assert (diagnosis.mode, diagnosis.failed_step) == (mode, failed_step), diagnosis.reason
    assert diagnosis.branch_points[0] == failed_step
    assert list(diagnosis.branch_points) == sorted(diagnosis.branch_points, reverse=True)


def test_a_wrong_analysis_with_one_right_label_is_an_incomplete_diagnosis() -> None:
    answer = {"system_level": "Application", "fault_type": "Misconfiguration"}
    t = trajectory("analysis", [probe_step(0, PODS_CALL), probe_step(1, ("get_alerts", {})), _submit(2, answer)],
                   submission=answer)
    assert classify(t).mode == "incomplete_diagnosis"


def test_mostly_failing_tool_calls_are_invalid_actions_even_with_an_answer() -> None:
    bad = ("get_logs", {"target": "nope"})
    t = trajectory("localization", [probe_step(0, bad, error=True), probe_step(1, bad, bad, error=True),
                                    probe_step(2, PODS_CALL), _submit(3, ["frontend"])], submission=["frontend"])
    diagnosis = classify(t)
    assert (diagnosis.mode, diagnosis.failed_step) == ("invalid_actions", 0)


def test_a_success_or_an_ungraded_episode_has_no_failure_mode() -> None:
    with pytest.raises(ValueError, match="did not fail"):
        classify(trajectory("localization", [_submit(0, ["mongodb-geo"])], score=1.0))
    with pytest.raises(ValueError, match="did not fail"):
        classify(trajectory("question", [_submit(0, "text")], truth=None))


_calls = st.sampled_from([PODS_CALL, ("get_alerts", {}), ("get_logs", {"target": "geo"}),
                          ("get_logs", {"target": "mongodb-geo"}), ("get_events", {"object_name": "frontend"})])


@st.composite
def _trajectories(draw: st.DrawFn) -> Any:
    task = draw(st.sampled_from(["detection", "localization", "analysis", "mitigation"]))
    steps: list[Step] = []
    for index in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(["probe", "write", "invalid"] if task == "mitigation" else ["probe", "invalid"]))
        if kind == "probe":
            steps.append(probe_step(index, *draw(st.lists(_calls, min_size=1, max_size=3)),
                                    error=draw(st.booleans())))
        elif kind == "write":
            steps.append(write_step(index, "restart_workload", {"kind": "deployment",
                                                                "name": draw(st.sampled_from(["geo", "mongodb-geo"]))},
                                    draw(st.sampled_from(["applied", "failed"]))))
        else:
            steps.append(Step(index, None, error="bad"))
    outcome = draw(st.sampled_from(["submitted", "budget_exhausted", "repeated_calls", "invalid_actions",
                                    "time_exhausted"]))
    answer = draw(st.sampled_from([["frontend"], ["mongodb-geo", "geo"], "No", {}, {"system_level": "Application",
                                                                                 "fault_type": "Code Defect"}]))
    if outcome == "submitted":
        steps.append(Step(len(steps), submit(answer)))
    score = draw(st.sampled_from([0.0, 0.5, None]))
    return trajectory(task, steps, outcome=outcome, submission=answer, score=score,  # type: ignore[arg-type]
                      truth=TRUTH)


@given(_trajectories())
def test_any_failed_trajectory_gets_one_mode_and_branch_points_inside_the_budget(t: Any) -> None:
    diagnosis = classify(t)
    assert diagnosis.mode in FAILURE_MODES
    assert diagnosis.reason
    last = max((s.index for s in t.steps), default=0)
    assert 0 <= diagnosis.failed_step <= max(last, 0)
    assert all(0 <= p <= t.max_steps - MIN_BRANCH_BUDGET for p in diagnosis.branch_points)
    assert len(set(diagnosis.branch_points)) == len(diagnosis.branch_points)
