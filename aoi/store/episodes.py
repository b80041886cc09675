"""Episodes, their steps and approvals: the record training and evaluation read.

Each step row keeps what training needs — the exact prompt, the raw completion, the parsed decision (or why it
did not parse), the tool calls and their redacted results, token counts and timings. Rows are keyed by
(thread, step, node) and written with upsert, so a node that re-runs after a crash rewrites its own row
instead of adding a second one. LangGraph's checkpoint blobs are never parsed for any of this.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlite_utils


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True, slots=True)
class StepRecord:
    thread_id: str
    step: int
    node: str
    prompt: list[dict[str, str]] | None = None
    completion: str | None = None
    decision: dict[str, Any] | None = None
    error: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    results: list[dict[str, Any]] | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_s: float = 0.0
    wall_s: float = 0.0


class EpisodeStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._db = sqlite_utils.Database(conn)

    def start(self, thread_id: str, *, task_type: str, task_text: str, cluster: str, model: str,
              approve_mode: str, ground_truth: dict[str, Any] | None) -> None:
        """Create the episode row if it does not exist (resuming leaves it as it is)."""
        now = _now()
        self._conn.execute(
            "INSERT OR IGNORE INTO episodes (thread_id, created_at, updated_at, task_type, task_text, cluster, model, "
            "approve_mode, status, ground_truth) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)",
            (thread_id, now, now, task_type, task_text, cluster, model, approve_mode,
             _json(ground_truth) if ground_truth is not None else None))

    def record_step(self, record: StepRecord) -> None:
        row = {"thread_id": record.thread_id, "step": record.step, "node": record.node,
               "prompt": _json(record.prompt) if record.prompt is not None else None,
               "completion": record.completion,
               "decision": _json(record.decision) if record.decision is not None else None,
               "error": record.error,
               "tool_calls": _json(record.tool_calls) if record.tool_calls is not None else None,
               "results": _json(record.results) if record.results is not None else None,
               "prompt_tokens": record.prompt_tokens, "completion_tokens": record.completion_tokens,
               "model_s": record.model_s, "wall_s": record.wall_s, "created_at": _now()}
        columns = ", ".join(row)
        updates = ", ".join(f"{k} = excluded.{k}" for k in row if k not in ("thread_id", "step", "node"))
        self._conn.execute(f"INSERT INTO steps ({columns}) VALUES ({', '.join('?' for _ in row)}) "
                           f"ON CONFLICT (thread_id, step, node) DO UPDATE SET {updates}", tuple(row.values()))

    def record_approval(self, thread_id: str, step: int, tool: str, args: dict[str, Any], diff: str,
                        resource_version: str, decision: str, approver: str, reason: str = "", *,
                        backing: str = "") -> None:
        """One approval decision; `backing` names the diagnosis the write rests on (`cause on object`), "" if
        none does."""
        self._conn.execute(
            "INSERT INTO approvals (thread_id, step, tool, args, diff, resource_version, decision, approver, reason, "
            "backing, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (thread_id, step, tool) DO "
            "UPDATE SET args = excluded.args, diff = excluded.diff, resource_version = excluded.resource_version, "
            "decision = excluded.decision, approver = excluded.approver, reason = excluded.reason, "
            "backing = excluded.backing",
            (thread_id, step, tool, _json(args), diff, resource_version, decision, approver, reason, backing,
             _now()))

    def finish(self, thread_id: str, *, status: str, outcome: str, submission: Any, success: float | None,
               flags: list[str], wall_s: float) -> None:
        """Close the episode; `wall_s` (this run's seconds) adds to the time of earlier runs of the thread, so a
        paused-and-resumed episode reports its whole running time, not the wait for the human in between."""
        totals = self._conn.execute(
            "SELECT COUNT(DISTINCT step), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0) "
            "FROM steps WHERE thread_id = ?", (thread_id,)).fetchone()
        self._conn.execute(
            "UPDATE episodes SET status = ?, outcome = ?, submission = ?, success = ?, flags = ?, steps = ?, "
            "prompt_tokens = ?, completion_tokens = ?, wall_s = wall_s + ?, updated_at = ? WHERE thread_id = ?",
            (status, outcome, _json(submission), success, _json(sorted(set(flags))), totals[0], totals[1], totals[2],
             wall_s, _now(), thread_id))

    def fail(self, thread_id: str, reason: str, *, wall_s: float) -> None:
        """Mark the episode `failed` with `reason` (one line, already redacted and bounded by the caller)."""
        self._conn.execute("UPDATE episodes SET status = 'failed', error = ?, wall_s = wall_s + ?, updated_at = ? "
                           "WHERE thread_id = ?", (reason, wall_s, _now(), thread_id))

    def reopen(self, thread_id: str) -> None:
        """A failed episode being resumed is `running` again, its old error cleared."""
        self._conn.execute("UPDATE episodes SET status = 'running', error = NULL, updated_at = ? "
                           "WHERE thread_id = ? AND status = 'failed'", (_now(), thread_id))

    def set_status(self, thread_id: str, status: str, *, add_wall_s: float = 0.0) -> None:
        self._conn.execute("UPDATE episodes SET status = ?, wall_s = wall_s + ?, updated_at = ? WHERE thread_id = ?",
                           (status, add_wall_s, _now(), thread_id))

    def episode(self, thread_id: str) -> dict[str, Any] | None:
        row = self._conn.execute("SELECT * FROM episodes WHERE thread_id = ?", (thread_id,)).fetchone()
        return _decode(dict(row), _EPISODE_JSON) if row else None

    def episodes(self, *, limit: int = 50) -> list[dict[str, Any]]:
        rows = self._conn.execute("SELECT * FROM episodes ORDER BY created_at DESC LIMIT ?", (limit,)).fetchall()
        return [_decode(dict(r), _EPISODE_JSON) for r in rows]

    def steps(self, thread_id: str) -> list[dict[str, Any]]:
        rows = self._conn.execute("SELECT * FROM steps WHERE thread_id = ? ORDER BY step, id", (thread_id,))
        return [_decode(dict(r), _STEP_JSON) for r in rows]

    def approvals(self, thread_id: str) -> list[dict[str, Any]]:
        rows = self._conn.execute("SELECT * FROM approvals WHERE thread_id = ? ORDER BY step, id", (thread_id,))
        return [_decode(dict(r), ("args",)) for r in rows]

    @property
    def db(self) -> sqlite_utils.Database:
        """For ad-hoc queries and exports (`store.db["steps"].rows_where(...)`)."""
        return self._db


_EPISODE_JSON = ("submission", "ground_truth", "flags")
_STEP_JSON = ("prompt", "decision", "tool_calls", "results")


def _decode(row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    for key in columns:
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key])
    return row
