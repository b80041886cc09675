"""The AOI database's tables, as named migrations (see `db.py`). Later migrations only ever add."""

from __future__ import annotations

import sqlite3

from aoi.store.db import migration


@migration("0001_audit")
def _audit(conn: sqlite3.Connection) -> None:
    conn.execute("""
        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            thread_id TEXT NOT NULL,
            approver TEXT NOT NULL,
            approval TEXT NOT NULL,
            tool TEXT NOT NULL,
            args TEXT NOT NULL,
            phase TEXT NOT NULL,
            diff TEXT NOT NULL,
            result TEXT NOT NULL,
            undo_id TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""")


@migration("0002_executions")
def _executions(conn: sqlite3.Connection) -> None:
    conn.execute("""
        CREATE TABLE grant_uses (
            nonce TEXT PRIMARY KEY,
            used_at TEXT NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE executions (
            idempotency_key TEXT PRIMARY KEY,
            thread_id TEXT NOT NULL,
            tool TEXT NOT NULL,
            args_hash TEXT NOT NULL,
            status TEXT NOT NULL,
            result TEXT,
            created_at TEXT NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE undo_records (
            undo_id TEXT PRIMARY KEY,
            thread_id TEXT NOT NULL,
            tool TEXT NOT NULL,
            description TEXT NOT NULL,
            record TEXT NOT NULL,
            created_at TEXT NOT NULL,
            undone_at TEXT
        )""")


@migration("0003_audit_head")
def _audit_head(conn: sqlite3.Connection) -> None:
    conn.execute("""
        CREATE TABLE audit_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL,
            mac TEXT NOT NULL
        )""")


@migration("0004_episodes")
def _episodes(conn: sqlite3.Connection) -> None:
    conn.execute("""
        CREATE TABLE episodes (
            thread_id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            task_type TEXT NOT NULL,
            task_text TEXT NOT NULL,
            cluster TEXT NOT NULL,
            model TEXT NOT NULL,
            approve_mode TEXT NOT NULL,
            status TEXT NOT NULL,
            outcome TEXT,
            submission TEXT,
            success REAL,
            ground_truth TEXT,
            steps INTEGER NOT NULL DEFAULT 0,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            wall_s REAL NOT NULL DEFAULT 0,
            flags TEXT NOT NULL DEFAULT '[]'
        )""")
    conn.execute("""
        CREATE TABLE steps (
            id INTEGER PRIMARY KEY,
            thread_id TEXT NOT NULL REFERENCES episodes(thread_id),
            step INTEGER NOT NULL,
            node TEXT NOT NULL,
            prompt TEXT,
            completion TEXT,
            decision TEXT,
            error TEXT,
            tool_calls TEXT,
            results TEXT,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            model_s REAL NOT NULL DEFAULT 0,
            wall_s REAL NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            UNIQUE (thread_id, step, node)
        )""")
    conn.execute("""
        CREATE TABLE approvals (
            id INTEGER PRIMARY KEY,
            thread_id TEXT NOT NULL REFERENCES episodes(thread_id),
            step INTEGER NOT NULL,
            tool TEXT NOT NULL,
            args TEXT NOT NULL,
            diff TEXT NOT NULL,
            resource_version TEXT NOT NULL,
            decision TEXT NOT NULL,
            approver TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (thread_id, step, tool)
        )""")
