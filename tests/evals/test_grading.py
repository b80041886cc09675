"""AIOpsLab's oracles as `grade` applies them, on hand-made submissions of known score."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aoi.cluster.sim.faults import FAULTS
from aoi.cluster.sim.faults.base import GroundTruth
from aoi.evals.grading import grade

GEO = GroundTruth(("mongodb-geo",), "Application", "Authentication Issue", "service/mongodb-geo",
                  also_accepted=("geo",))


@pytest.mark.parametrize(("submission", "success", "score"), [
    (["mongodb-geo"], True, 1.0), ("mongodb-geo", True, 1.0), (["geo"], True, 1.0),
    (["mongodb-geo", "frontend"], False, 0.5), (["rate"], False, 0.0), ([], False, 0.0),
    ({"service": "geo"}, False, 0.0), ([1], False, 0.0)])
def test_localization_partial_credit_and_accepted_aliases(submission: object, success: bool, score: float) -> None:
    result = grade("localization", submission, GEO)
    assert (result.success, result.score) == (success, score)


def test_the_mongodb_faults_accept_their_client_like_aiopslab_and_others_do_not() -> None:
    for family, target, alias in [("revoke_auth_mongodb", "mongodb-rate", "rate"),
                                  ("user_unregistered_mongodb", "mongodb-geo", "geo")]:
        truth = FAULTS[family]("hotel-reservation", target).ground_truth()
        assert truth.also_accepted == (alias,)
        assert grade("localization", [alias], truth).success
    oom = FAULTS["oom_killed"]("online-boutique", None).ground_truth()
    assert oom.also_accepted == ()


@pytest.mark.parametrize(("submission", "success"), [("Yes", True), ("yes ", True), ("No", False), ("maybe", False),
                                                     (True, False)])
def test_detection_is_a_case_insensitive_yes_or_no(submission: object, success: bool) -> None:
    assert grade("detection", submission, GEO).success is success


def test_analysis_needs_both_labels() -> None:
    assert grade("analysis", {"system_level": "application", "fault_type": "authentication issue"}, GEO).success
    assert not grade("analysis", {"system_level": "Application", "fault_type": "Misconfiguration"}, GEO).success
    assert not grade("analysis", "Application", GEO).success


@given(st.lists(st.sampled_from(["mongodb-geo", "geo", "rate", "frontend", "search"]), min_size=1, max_size=5))
def test_localization_score_is_never_more_than_one_over_the_list_length_unless_exact(names: list[str]) -> None:
    result = grade("localization", names, GEO)
    assert 0.0 <= result.score <= 1.0
    assert result.success == (len(names) == 1 and names[0] in ("mongodb-geo", "geo"))
    if not result.success:
        assert result.score <= 1 / len(names) + 1e-9


def test_ground_truth_round_trips_through_its_record_and_reads_records_older_than_its_aliases() -> None:
    assert GroundTruth.from_dict(GEO.to_dict()) == GEO
    old = {"faulty_components": ["geo"], "system_level": "Application", "fault_type": "Misconfiguration"}
    assert GroundTruth.from_dict(old) == GroundTruth(("geo",), "Application", "Misconfiguration")
