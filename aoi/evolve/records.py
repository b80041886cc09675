"""The evolver's tables (migration `0005_evolve`): failure modes stored with their episodes, repair attempts,
corrective samples. The guidance memory has its own module (`memory.py`)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from aoi.evolve.modes import Diagnosis
from aoi.evolve.repair import Repair


def _now() -> str:
    return datetime.now(UTC).isoformat()


def save_diagnosis(conn: sqlite3.Connection, thread_id: str, diagnosis: Diagnosis, classifier: str = "rules") -> None:
    conn.execute(
        "INSERT INTO episode_failures (thread_id, mode, failed_step, branch_points, reason, evidence, classifier, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (thread_id) DO UPDATE SET mode = excluded.mode, "
        "failed_step = excluded.failed_step, branch_points = excluded.branch_points, reason = excluded.reason, "
        "evidence = excluded.evidence, classifier = excluded.classifier, created_at = excluded.created_at",
        (thread_id, diagnosis.mode, diagnosis.failed_step, json.dumps(list(diagnosis.branch_points)),
         diagnosis.reason, json.dumps(diagnosis.evidence, sort_keys=True, default=str), classifier, _now()))


def load_diagnosis(conn: sqlite3.Connection, thread_id: str) -> Diagnosis | None:
    row = conn.execute("SELECT * FROM episode_failures WHERE thread_id = ?", (thread_id,)).fetchone()
    if row is None:
        return None
    return Diagnosis(row["mode"], row["failed_step"], row["reason"], tuple(json.loads(row["branch_points"])),
                     json.loads(row["evidence"]))


def failures(conn: sqlite3.Connection, *, mode: str | None = None) -> list[dict[str, Any]]:
    query = ("SELECT f.*, e.task_type, e.cluster, e.model, e.success AS score FROM episode_failures f "
             "JOIN episodes e USING (thread_id)")
    rows = conn.execute(query + (" WHERE f.mode = ?" if mode else "") + " ORDER BY f.created_at, f.thread_id",
                        (mode,) if mode else ())
    return [dict(r) for r in rows]


def save_repair(conn: sqlite3.Connection, repair: Repair) -> int:
    """Record one attempt (the latest attempt per thread, branch and policy wins); returns its row id."""
    conn.execute(
        "INSERT INTO evolve_repairs (thread_id, branch_step, policy, status, score, reason, continuation, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (thread_id, branch_step, policy) DO UPDATE SET "
        "status = excluded.status, score = excluded.score, reason = excluded.reason, "
        "continuation = excluded.continuation, created_at = excluded.created_at",
        (repair.thread_id, repair.branch_step, repair.policy, repair.status, repair.score, repair.reason,
         json.dumps(list(repair.continuation), sort_keys=True, default=str), _now()))
    row = conn.execute("SELECT id FROM evolve_repairs WHERE thread_id = ? AND branch_step = ? AND policy = ?",
                       (repair.thread_id, repair.branch_step, repair.policy)).fetchone()
    return int(row[0])


def passed_repair(conn: sqlite3.Connection, thread_id: str) -> bool:
    return conn.execute("SELECT 1 FROM evolve_repairs WHERE thread_id = ? AND status = 'passed'",
                        (thread_id,)).fetchone() is not None


def repairs(conn: sqlite3.Connection, thread_id: str | None = None) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT id, thread_id, branch_step, policy, status, score, reason, created_at FROM "
                        "evolve_repairs" + (" WHERE thread_id = ?" if thread_id else "") + " ORDER BY id",
                        (thread_id,) if thread_id else ())
    return [dict(r) for r in rows]


def save_samples(conn: sqlite3.Connection, repair_id: int, samples: list[dict[str, Any]]) -> int:
    """Store corrective samples; returns how many were new (a sample is keyed by thread, step and kind)."""
    added = 0
    for sample in samples:
        key = f"{sample['thread_id']}:{sample['step']}:{sample['evolve']['kind']}"
        cursor = conn.execute(
            "INSERT OR IGNORE INTO corrective_samples (id, repair_id, thread_id, step, kind, sample, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (key, repair_id, sample["thread_id"], sample["step"],
                                             sample["evolve"]["kind"], json.dumps(sample, sort_keys=True), _now()))
        added += cursor.rowcount
    return added


def samples(conn: sqlite3.Connection, *, kind: str | None = None) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT sample FROM corrective_samples" + (" WHERE kind = ?" if kind else "")
                        + " ORDER BY created_at, id", (kind,) if kind else ())
    return [json.loads(r[0]) for r in rows]
