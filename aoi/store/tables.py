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


@migration("0005_evolve")
def _evolve(conn: sqlite3.Connection) -> None:
    """The evolver's records (`aoi/evolve/`): failure modes, oracle-checked repairs, guidance memory with its FTS5
    index, corrective training samples."""
    conn.execute("""
        CREATE TABLE episode_failures (
            thread_id TEXT PRIMARY KEY REFERENCES episodes(thread_id) ON DELETE CASCADE,
            mode TEXT NOT NULL,
            failed_step INTEGER NOT NULL,
            branch_points TEXT NOT NULL,
            reason TEXT NOT NULL,
            evidence TEXT NOT NULL,
            classifier TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE evolve_repairs (
            id INTEGER PRIMARY KEY,
            thread_id TEXT NOT NULL REFERENCES episodes(thread_id) ON DELETE CASCADE,
            branch_step INTEGER NOT NULL,
            policy TEXT NOT NULL,
            status TEXT NOT NULL,
            score REAL,
            reason TEXT NOT NULL,
            continuation TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (thread_id, branch_step, policy)
        )""")
    conn.execute("""
        CREATE TABLE guidance (
            id INTEGER PRIMARY KEY,
            task_type TEXT NOT NULL,
            signature TEXT NOT NULL,
            lesson TEXT NOT NULL,
            failure_mode TEXT NOT NULL,
            support INTEGER NOT NULL DEFAULT 1,
            sources TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (task_type, signature, lesson)
        )""")
    conn.execute("CREATE VIRTUAL TABLE guidance_fts USING fts5(signature, lesson, content='guidance', "
                 "content_rowid='id')")
    conn.execute("CREATE TRIGGER guidance_ai AFTER INSERT ON guidance BEGIN INSERT INTO guidance_fts(rowid, "
                 "signature, lesson) VALUES (new.id, new.signature, new.lesson); END")
    conn.execute("CREATE TRIGGER guidance_ad AFTER DELETE ON guidance BEGIN INSERT INTO guidance_fts(guidance_fts, "
                 "rowid, signature, lesson) VALUES ('delete', old.id, old.signature, old.lesson); END")
    conn.execute("""
        CREATE TABLE corrective_samples (
            id TEXT PRIMARY KEY,
            repair_id INTEGER NOT NULL REFERENCES evolve_repairs(id) ON DELETE CASCADE,
            thread_id TEXT NOT NULL,
            step INTEGER NOT NULL,
            kind TEXT NOT NULL,
            sample TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""")


@migration("0006_eval")
def _eval(conn: sqlite3.Connection) -> None:
    """Evaluation runs (`aoi eval`, `aoi/evals/`): one row per run, one per (run, problem, run index) episode."""
    conn.execute("""
        CREATE TABLE eval_runs (
            name TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            suite TEXT NOT NULL,
            split TEXT NOT NULL,
            agent TEXT NOT NULL,
            model TEXT NOT NULL,
            runs INTEGER NOT NULL,
            seed INTEGER NOT NULL,
            config TEXT NOT NULL,
            problems TEXT NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE eval_episodes (
            run_name TEXT NOT NULL REFERENCES eval_runs(name) ON DELETE CASCADE,
            problem_id TEXT NOT NULL,
            run_index INTEGER NOT NULL,
            thread_id TEXT NOT NULL,
            family TEXT NOT NULL,
            app TEXT NOT NULL,
            task TEXT NOT NULL,
            split TEXT NOT NULL,
            status TEXT NOT NULL,
            outcome TEXT,
            success INTEGER NOT NULL DEFAULT 0,
            score REAL NOT NULL DEFAULT 0,
            steps INTEGER NOT NULL DEFAULT 0,
            wall_s REAL NOT NULL DEFAULT 0,
            tokens INTEGER NOT NULL DEFAULT 0,
            decisions INTEGER NOT NULL DEFAULT 0,
            invalid_decisions INTEGER NOT NULL DEFAULT 0,
            tool_calls INTEGER NOT NULL DEFAULT 0,
            tool_errors INTEGER NOT NULL DEFAULT 0,
            writes INTEGER NOT NULL DEFAULT 0,
            unapproved_writes INTEGER NOT NULL DEFAULT 0,
            diagnosis_writes INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (run_name, problem_id, run_index)
        )""")


@migration("0007_episode_error")
def _episode_error(conn: sqlite3.Connection) -> None:
    # Why an episode ended `failed` (a model or backend that raised), so it never stays `running` unexplained.
    conn.execute("ALTER TABLE episodes ADD COLUMN error TEXT")


@migration("0008_approval_backing")
def _approval_backing(conn: sqlite3.Connection) -> None:
    # The diagnosis an approved write rests on (`cause on object`, from `aoi.diagnosis.backing`); "" when none
    # does. Export quarantines episodes with an approved write that has none.
    conn.execute("ALTER TABLE approvals ADD COLUMN backing TEXT NOT NULL DEFAULT ''")
