"""Repairs in the simulator: the recorded prefix is replayed (writes included), a continuation is searched, and only
what the oracle accepts is kept — as a lesson without names and as corrective samples."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from evolve_trajectories import NS, act, probe, run_episode, submit

from aoi.evolve import records
from aoi.evolve.evolver import evolve, mine
from aoi.evolve.lessons import names_of
from aoi.evolve.memory import GuidanceMemory
from aoi.evolve.modes import classify
from aoi.evolve.repair import RepairPolicy, hindsight_policy, repair_episode
from aoi.evolve.trajectory import Trajectory, load_trajectory
from aoi.graph.models.scripted import ScriptedModel

PODS = ("get_resources", {"resource_type": "pods"})
PREMATURE = [probe(PODS), submit(["frontend"])]
GRANT = {"service": "mongodb-geo", "namespace": NS, "operation": "grant_roles",
         "args": {"user": "admin", "roles": [{"role": "readWrite", "db": "geo-db"}]}}
RESTART_GEO = {"kind": "deployment", "name": "geo", "namespace": NS}


def _scripted(name: str, decisions: list[dict[str, Any]]) -> RepairPolicy:
    return RepairPolicy(name, lambda _t: ScriptedModel(list(decisions)))


def _failed(home: Path, plan: list[dict[str, Any]], task: str = "localization", thread: str = "ep-1",
            approver: str | None = None) -> Trajectory:
    from aoi.store.db import connect

    result, _ = run_episode(home, plan, task=task, thread=thread, approver=approver)
    assert result.success is False
    return load_trajectory(connect(home / "aoi.db"), thread)


@pytest.fixture(scope="module")
def premature_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One recorded failure (a localization answered after one listing), copied into each test's home."""
    home = tmp_path_factory.mktemp("premature")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AOI_HOME", str(home))
        _failed(home, PREMATURE)
    return home / "aoi.db"


@pytest.fixture
def premature(aoi_home: Path, premature_db: Path) -> Any:
    from aoi.store.db import connect

    source, target = sqlite3.connect(premature_db), sqlite3.connect(aoi_home / "aoi.db")
    source.backup(target)  # WAL mode: a file copy could miss the log
    source.close()
    target.close()
    conn = connect(aoi_home / "aoi.db")
    yield conn, load_trajectory(conn, "ep-1")
    conn.close()


def test_a_verified_repair_leaves_a_name_free_lesson_and_corrective_samples(premature: Any) -> None:
    conn, t = premature
    assert [thread for thread, _ in mine(conn)] == ["ep-1"]
    diagnosis = classify(t)
    assert diagnosis.mode == "premature_submission" and diagnosis.branch_points == (1, 0)
    seen: list[tuple[str, Any]] = []
    report = evolve(conn, [_scripted("wrong", [submit(["frontend"])]), hindsight_policy()], split="all",
                    on_repair=lambda _thread, attempt: seen.append((attempt.policy, attempt)))
    assert [(policy, a.status, a.branch_step) for policy, a in seen] == [("wrong", "failed", 1),
                                                                       ("hindsight", "passed", 1)]
    assert report.repaired == 1 and report.by_mode == {"premature_submission": [1, 1]}
    continuation = seen[-1][1].continuation
    assert [c["step"] for c in continuation] == [1, 2] and seen[-1][1].score == 1.0
    assert continuation[0]["messages"][1]["content"] == t.step(1).prompt[1]["content"]  # the same context
    assert seen[0][1].continuation == ()  # a rejected repair keeps nothing
    [item] = GuidanceMemory(conn).list()
    components, nodes = names_of(t.cluster)
    assert item.signature.startswith("tasklocalization ") and "crashloopbackoff" in item.signature
    lowered = item.lesson.lower()
    assert not [n for n in (*components, *nodes) if f'"{n}"' in lowered or f" {n} " in lowered], item.lesson
    assert "authentication" not in lowered and "mongodb" not in lowered and "<a dependency of" in lowered
    assert item.sources[0]["thread_id"] == "ep-1" and item.sources[0]["family"] == "revoke_auth_mongodb"
    corrective, following = records.samples(conn)
    assert corrective["evolve"]["kind"] == "corrective" and corrective["step"] == 1
    assert corrective["messages"] == [dict(m) for m in t.step(1).prompt[:2]]
    assert json.loads(corrective["completion"])["action"] == "probe"
    assert corrective["evolve"]["failed_completion"] == t.step(1).completion
    assert json.loads(following["decision"])["submission"] == ["mongodb-geo"]
    assert corrective["labels"]["faulty_components"] == ["mongodb-geo"]
    again = evolve(conn, [hindsight_policy()], split="all")
    assert again.skipped == {"already repaired": 1} and again.repaired == 0


def test_a_repair_the_oracle_rejects_is_discarded_and_teaches_nothing(premature: Any) -> None:
    conn, _ = premature
    wrong = _scripted("wrong", [probe(("get_logs", {"target": "geo"})), submit(["search"])])
    report = evolve(conn, [wrong], split="all", max_attempts=1)
    assert report.failures == 1 and report.repaired == 0 and dict(report.attempts) == {"failed": 1}
    assert [r["status"] for r in records.repairs(conn)] == ["failed"]
    assert GuidanceMemory(conn).list() == [] and records.samples(conn) == []


def test_a_replay_that_drifts_from_the_record_is_diverged_whatever_its_score(premature: Any) -> None:
    _, t = premature
    first = t.steps[0]
    tampered = dataclasses.replace(first, calls=tuple(dataclasses.replace(c, text=c.text + "x") for c in first.calls))
    repair = repair_episode(dataclasses.replace(t, steps=(tampered, *t.steps[1:])), 1, hindsight_policy())
    assert repair.status == "diverged" and "differs from the record" in repair.reason
    assert repair.score == 1.0 and repair.continuation == ()


def test_evolve_by_default_learns_only_from_the_train_split(premature: Any) -> None:
    conn, _ = premature  # revoke_auth_mongodb is a held-out family
    report = evolve(conn, [hindsight_policy()])
    assert report.failures == 0 and report.skipped == {"not train": 1}
    assert records.repairs(conn) == []


@pytest.mark.slow  # two mitigation episodes with settling time: about 10 s on a busy 2-core machine
def test_a_mitigation_replays_its_recorded_write_and_the_repair_fixes_the_fault(aoi_home: Path) -> None:
    restart_frontend = {"kind": "deployment", "name": "frontend", "namespace": NS}
    t = _failed(aoi_home, [probe(PODS), act("restart_workload", restart_frontend), submit({})], task="mitigation",
                approver="alice")
    diagnosis = classify(t)
    assert (diagnosis.mode, diagnosis.failed_step) == ("wrong_fix", 1)
    fix = _scripted("grant", [act("datastore_admin", GRANT), act("restart_workload", RESTART_GEO), submit({})])
    repair = repair_episode(t, 2, fix)  # after the recorded (wrong) write, which the replay must re-apply
    assert repair.status == "passed", repair.reason
    assert [c["decision"]["action"] for c in repair.continuation] == ["act", "act", "submit"]
    assert repair.continuation[0]["write"]["status"] == "applied"
    assert t.step(1) is not None and t.step(1).write is not None  # the drift check saw it re-applied
