"""The problem table: it mirrors AIOpsLab's registry (ids, task types, targets, labels), the split is fixed and
disjoint, and every problem's cluster spec builds the fault it names."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from aoi.cluster.sim.apps.catalog import get_app
from aoi.cluster.sim.faults import make_fault
from aoi.cluster.sim.faults.k8s import K8S_FAULTS
from aoi.cluster.spec import parse_sim_spec
from aoi.evals.problems import (
    K8S_EVAL_SEED_OFFSET,
    K8S_TRAIN_ROOT_CAUSES,
    NOT_SIMULATED,
    PROBLEMS,
    TRAIN_FAMILIES,
    by_id,
    select,
)
from aoi.training.splits import episode_split

REFERENCE = next((p / "shared" / "reference" for p in Path(__file__).resolve().parents
                  if (p / "shared" / "reference" / "aiopslab_registry.csv").is_file()), None)


def _csv(name: str) -> list[dict[str, str]]:
    if REFERENCE is None:
        pytest.skip("shared/reference/ (AIOpsLab's registry) is not beside this checkout")
    with (REFERENCE / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_suite_has_every_registry_problem_except_flower_with_the_same_ids_and_task_types() -> None:
    rows = {r["problem_id"]: r for r in _csv("aiopslab_registry.csv")}
    ours = {p.id: p for p in select("aiopslab-sim")}
    assert set(rows) - set(ours) == set(NOT_SIMULATED)
    assert set(ours) <= set(rows)
    for pid, problem in ours.items():
        assert problem.task == rows[pid]["task"], pid
        assert problem.family == rows[pid]["family"], pid
    expected = Counter(r["task"] for pid, r in rows.items() if pid not in NOT_SIMULATED)
    assert Counter(p.task for p in ours.values()) == expected == Counter(
        {"detection": 32, "localization": 28, "mitigation": 14, "analysis": 13})


def test_no_disabled_registry_problem_is_in_the_suite() -> None:
    disabled = {r["problem_id"] for r in _csv("aiopslab_disabled_problems.csv")}
    assert disabled and not disabled & {p.id for p in PROBLEMS}


def test_each_problem_injects_the_registry_target_and_grades_with_its_labels() -> None:
    rows = {r["problem_id"]: r for r in _csv("aiopslab_registry.csv")}
    for problem in select("aiopslab-sim"):
        row = rows[problem.id]
        truth = make_fault(problem.family, problem.app, problem.target or None).ground_truth()
        if problem.family == "noop":
            assert truth.faulty_components == ()
        elif row["faulty_component"].startswith("("):  # redeploy_without_PV: the namespace is at fault
            assert truth.faulty_components == (row["namespace"],)
        else:
            assert truth.faulty_components == (row["faulty_component"],), problem.id
        if problem.task == "analysis":
            assert (truth.system_level, truth.fault_type) == (row["expected_system_level"],
                                                              row["expected_fault_type"]), problem.id


def test_every_cluster_spec_parses_to_its_app_fault_target_and_seed() -> None:
    for problem in PROBLEMS:
        spec = parse_sim_spec(problem.cluster(seed=7))
        assert (spec.app, spec.seed) == (problem.app, 7 + (K8S_EVAL_SEED_OFFSET if problem.suite == "k8s-sim" else 0))
        if spec.fault is not None:
            assert spec.fault == problem.family
            assert (spec.target or "") == problem.target
        else:  # a healthy control on an app without a `noop` fault
            assert problem.family == "noop" and problem.app == "online-boutique"


def test_ids_are_unique_across_suites() -> None:
    ids = [p.id for p in PROBLEMS]
    assert len(ids) == len(set(ids)) == 197


def test_the_split_is_fixed_disjoint_and_covers_the_suite() -> None:
    train, heldout = select("aiopslab-sim", "train"), select("aiopslab-sim", "heldout")
    assert {p.id for p in train}.isdisjoint({p.id for p in heldout})
    assert len(train) + len(heldout) == len(select("aiopslab-sim")) == 87
    assert (len(train), len(heldout)) == (27, 60)
    assert len(TRAIN_FAMILIES - {"noop"}) == 11
    assert {p.family for p in train} == TRAIN_FAMILIES
    assert not {p.family for p in heldout} & TRAIN_FAMILIES
    # training sees every task type's answer format and the healthy control's "No"
    assert {p.task for p in train} == {"detection", "localization", "analysis", "mitigation"}
    # held-out keeps unseen fault types of every task type
    assert Counter(p.task for p in heldout) == {"detection": 18, "localization": 17, "mitigation": 13, "analysis": 12}


def test_the_k8s_suite_has_every_kubernetes_fault_with_service_localization_only() -> None:
    problems = select("k8s-sim")
    assert {p.family for p in problems} == set(K8S_FAULTS) | {"noop"}
    services = set(get_app("online-boutique").component_names)
    assert all(p.task != "analysis" for p in problems)
    assert Counter(p.task for p in problems) == {"detection": 41, "mitigation": 40, "localization": 29}
    for p in problems:
        if p.task == "localization":
            assert p.target in services, p.id
    assert by_id("noop_detection_online_boutique-1").split == "train"
    assert by_id("oom_killed-mitigation-1").split == "train"
    assert by_id("pod_cpu_overload-mitigation-1").split == "heldout"


def test_the_k8s_split_trains_the_dev_split_root_causes_below_the_evaluation_seeds_only() -> None:
    assert len(K8S_TRAIN_ROOT_CAUSES) == 30 and set(K8S_FAULTS) > K8S_TRAIN_ROOT_CAUSES
    heldout = {p.family for p in select("k8s-sim", "heldout")}
    assert heldout == set(K8S_FAULTS) - K8S_TRAIN_ROOT_CAUSES and len(heldout) == 10
    assert episode_split("sim:social-network/oom_killed?target=text-service&seed=3") == "train"
    assert episode_split(f"sim:online-boutique/oom_killed?seed={K8S_EVAL_SEED_OFFSET}") == "heldout"
    assert episode_split("sim:online-boutique/containerd_unavailable?seed=3") == "heldout"
    assert episode_split(by_id("oom_killed-mitigation-1").cluster(seed=0)) == "heldout"
    assert episode_split("sim:hotel-reservation/misconfig_app_hotel_res?seed=99999") == "train"
    assert episode_split("replay:/data/case") == "external"
    assert episode_split("sim:online-boutique/oom_killed?seed=\u00b2") == "train"  # not a seed: read as 0


def test_select_filters_by_glob_and_explains_bad_input() -> None:
    chosen = select("aiopslab-sim", "all", ("revoke_auth_mongodb-*", "noop_*"))
    assert [p.id for p in chosen] == [
        "revoke_auth_mongodb-detection-1", "revoke_auth_mongodb-localization-1", "revoke_auth_mongodb-analysis-1",
        "revoke_auth_mongodb-mitigation-1", "revoke_auth_mongodb-detection-2", "revoke_auth_mongodb-localization-2",
        "revoke_auth_mongodb-analysis-2", "revoke_auth_mongodb-mitigation-2", "noop_detection_hotel_reservation-1",
        "noop_detection_social_network-1", "noop_detection_astronomy_shop-1"]
    with pytest.raises(ValueError, match="no problem of aiopslab-sim"):
        select("aiopslab-sim", "all", ("nothing-*",))
    with pytest.raises(ValueError, match="valid: aiopslab-sim, k8s-sim"):
        select("cloud", "all")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="valid: train, heldout, all"):
        select("aiopslab-sim", "test")  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="no problem 'x'"):
        by_id("x")
