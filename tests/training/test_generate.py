"""The training pool: only what the split lets train, balanced, resumable; and the expert's episodes on it."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from aoi.cli import main
from aoi.cluster.sim.faults.base import GroundTruth
from aoi.cluster.sim.faults.k8s import K8S_FAULTS
from aoi.cluster.spec import parse_sim_spec
from aoi.evals.grading import grade
from aoi.evals.problems import K8S_EVAL_SEED_OFFSET, K8S_TRAIN_ROOT_CAUSES, TRAIN_FAMILIES
from aoi.store.db import connect
from aoi.training.export import export_episodes
from aoi.training.generate import generate, rca_choices, training_jobs
from aoi.training.splits import episode_family, episode_split


def test_the_pool_holds_only_training_families_and_root_causes_below_the_evaluation_seeds() -> None:
    jobs = training_jobs(range(3))
    families = {episode_family(j.cluster) or "noop" for j in jobs}
    assert families <= TRAIN_FAMILIES | K8S_TRAIN_ROOT_CAUSES
    assert families >= K8S_TRAIN_ROOT_CAUSES and not families & (set(K8S_FAULTS) - K8S_TRAIN_ROOT_CAUSES)
    assert {episode_split(j.cluster) for j in jobs} == {"train"}
    assert all(parse_sim_spec(j.cluster).seed < 3 for j in jobs)
    assert len({j.thread_id for j in jobs}) == len(jobs)
    with pytest.raises(ValueError, match="below 10000"):
        training_jobs(range(K8S_EVAL_SEED_OFFSET - 1, K8S_EVAL_SEED_OFFSET + 1))


def test_every_root_cause_gets_the_same_tasks_on_every_app_and_seed() -> None:
    jobs = training_jobs(range(2))
    per_cause = Counter((episode_family(j.cluster), j.task) for j in jobs if episode_family(j.cluster)
                        in K8S_TRAIN_ROOT_CAUSES)
    for family in K8S_TRAIN_ROOT_CAUSES:
        apps = len(K8S_FAULTS[family].apps)
        assert per_cause[(family, "detection")] == per_cause[(family, "mitigation")] == per_cause[(family, "rca")] \
            == 2 * apps, family
    assert training_jobs(range(2))[:len(training_jobs(range(1)))] == training_jobs(range(1))  # seed-major


def test_an_rca_job_offers_all_forty_root_causes_and_the_apps_objects() -> None:
    choices = rca_choices("online-boutique")
    assert choices["root_causes"] == sorted(K8S_FAULTS) and len(choices["root_causes"]) == 40
    assert {"service/adservice", "node/worker-01", "namespace/boutique"} <= set(choices["fault_objects"])


def test_rca_is_graded_on_the_top_root_cause_and_object() -> None:
    truth = GroundTruth(("adservice",), "Runtime_Fault", "oom_killed", "service/adservice")
    right = grade("rca", {"root_causes": ["oom_killed", "x"], "fault_objects": ["service/adservice"]}, truth)
    half = grade("rca", {"root_causes": ["x", "oom_killed"], "fault_objects": ["service/adservice"]}, truth)
    assert (right.success, right.score, half.success, half.score) == (True, 1.0, False, 0.5)
    assert grade("rca", "oom_killed", truth).reason.startswith("invalid format")


def test_generating_runs_the_expert_and_a_second_run_skips_what_is_done(aoi_home: Path) -> None:
    pool = training_jobs(range(1))
    jobs = [next(j for j in pool if j.task == "rca"), next(j for j in pool if j.task == "detection")]
    db = aoi_home / "gen.db"
    first = generate(jobs, db)
    assert (first.ran, first.succeeded, first.skipped) == (2, 2, 0)
    again = generate(jobs, db)
    assert (again.ran, again.skipped) == (0, 2)
    rows = sqlite3.connect(db).execute("SELECT task_type, model, success FROM episodes ORDER BY task_type").fetchall()
    assert rows == [("detection", "expert", 1.0), ("rca", "expert", 1.0)]
    report = export_episodes(connect(db), aoi_home / "data", split="train", datasets=False)
    samples = [json.loads(line) for line in (aoi_home / "data" / "steps.jsonl").read_text().splitlines()]
    assert report.episodes == 2 and not report.quarantined
    assert {s["split"] for s in samples} == {"train"} and {s["task_type"] for s in samples} == {"detection", "rca"}
    assert all("Read tools (name(args; ? = optional)):" in s["messages"][0]["content"] for s in samples)  # compact


def test_the_cli_reports_the_pool_and_refuses_evaluation_seeds(aoi_home: Path) -> None:
    runner = CliRunner()
    dry = runner.invoke(main, ["train", "generate", "--seeds", "1", "--dry-run"])
    assert dry.exit_code == 0 and dry.output.startswith(f"{len(training_jobs(range(1)))} episodes in the pool: ")
    bad = runner.invoke(main, ["train", "generate", "--from-seed", "9999", "--seeds", "2"])
    assert bad.exit_code == 2 and "below 10000" in bad.output
