"""Evaluation runs in SQLite (`eval_runs`, `eval_episodes`): what was asked, and every graded episode.

An episode row is written once its episode has ended and been graded, so "finished" means "has a `done` row"; an
evaluation started again under the same name skips those and resumes the rest (an interrupted episode continues
from its LangGraph checkpoint, since its thread id is derived from the run name, problem and run index).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any

from aoi.evals.metrics import EpisodeRecord

RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_IDENTITY = ("suite", "agent", "model", "seed")
"""Settings a resumed run must share with the stored one (episodes of different settings must not mix)."""
_RECORD_FIELDS = tuple(f.name for f in fields(EpisodeRecord))


class EvalStoreError(Exception):
    """A run name that cannot be used: the message says why and what to do instead."""


def _now() -> str:
    return datetime.now(UTC).isoformat()


def thread_id_for(run_name: str, problem_id: str, run_index: int) -> str:
    """The episode thread of one run of one problem: stable, so a second invocation resumes the same thread."""
    return f"eval-{run_name}-{problem_id}-r{run_index}"


class EvalStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def start_run(self, name: str, *, suite: str, split: str, agent: str, model: str, runs: int, seed: int,
                  config: dict[str, Any], problems: list[str]) -> bool:
        """Create the run, or reopen it to resume; returns True when it already existed.

        Raises:
            EvalStoreError: a bad name, or a run of that name with a different suite, agent, model or seed.
        """
        if not RUN_NAME.fullmatch(name):
            raise EvalStoreError(f"run name {name!r}: use letters, digits, '.', '_' and '-' (at most 128, starting "
                                 f"with a letter or digit)")
        wanted = {"suite": suite, "agent": agent, "model": model, "seed": seed}
        existing = self.run(name)
        if existing is not None:
            differs = {k: (existing[k], wanted[k]) for k in _IDENTITY if existing[k] != wanted[k]}
            if differs:
                what = ", ".join(f"{k} {old!r} (now {new!r})" for k, (old, new) in differs.items())
                raise EvalStoreError(f"run {name!r} already exists with {what}; resume it with the same settings or "
                                     f"choose another --name")
            merged = list(dict.fromkeys([*existing["problems"], *problems]))
            self._conn.execute(
                "UPDATE eval_runs SET updated_at = ?, split = ?, runs = ?, config = ?, problems = ? WHERE name = ?",
                (_now(), split, max(runs, existing["runs"]), json.dumps(config, sort_keys=True), json.dumps(merged),
                 name))
            return True
        now = _now()
        self._conn.execute(
            "INSERT INTO eval_runs (name, created_at, updated_at, suite, split, agent, model, runs, seed, config, "
            "problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, now, now, suite, split, agent, model, runs, seed, json.dumps(config, sort_keys=True),
             json.dumps(problems)))
        return False

    def run(self, name: str) -> dict[str, Any] | None:
        row = self._conn.execute("SELECT * FROM eval_runs WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        data = dict(row)
        data["config"], data["problems"] = json.loads(data["config"]), json.loads(data["problems"])
        return data

    def runs(self) -> list[dict[str, Any]]:
        """Every run, newest first, with its finished episode count."""
        rows = self._conn.execute(
            "SELECT r.name, r.created_at, r.suite, r.split, r.agent, r.model, r.runs, r.seed, "
            "(SELECT COUNT(*) FROM eval_episodes e WHERE e.run_name = r.name AND e.status = 'done') AS episodes "
            "FROM eval_runs r ORDER BY r.created_at DESC").fetchall()
        return [dict(r) for r in rows]

    def finished(self, name: str) -> set[tuple[str, int]]:
        """(problem id, run index) of every episode of the run that ended and was graded."""
        rows = self._conn.execute("SELECT problem_id, run_index FROM eval_episodes WHERE run_name = ? AND "
                                  "status = 'done'", (name,))
        return {(r[0], r[1]) for r in rows}

    def record(self, name: str, record: EpisodeRecord, *, thread_id: str, app: str, error: str | None = None) -> None:
        """Insert or replace the episode row (a rerun of an errored episode replaces it)."""
        row = {**asdict(record), "run_name": name, "thread_id": thread_id, "app": app, "error": error,
               "created_at": _now()}
        columns = ", ".join(row)
        self._conn.execute(f"INSERT OR REPLACE INTO eval_episodes ({columns}) VALUES ({', '.join('?' for _ in row)})",
                           tuple(int(v) if isinstance(v, bool) else v for v in row.values()))

    def records(self, name: str) -> list[EpisodeRecord]:
        """The run's episode records, in problem then run order.

        Raises:
            EvalStoreError: no run of that name (the message lists the stored ones).
        """
        if self.run(name) is None:
            names = ", ".join(r["name"] for r in self.runs()[:10]) or "none yet"
            raise EvalStoreError(f"no evaluation run {name!r}; stored runs: {names}")
        rows = self._conn.execute("SELECT * FROM eval_episodes WHERE run_name = ? ORDER BY problem_id, run_index",
                                  (name,)).fetchall()
        return [EpisodeRecord(**{k: (bool(row[k]) if k == "success" else row[k]) for k in _RECORD_FIELDS})
                for row in rows]

    def errors(self, name: str) -> list[dict[str, Any]]:
        rows = self._conn.execute("SELECT problem_id, run_index, thread_id, error FROM eval_episodes "
                                  "WHERE run_name = ? AND status = 'error'", (name,)).fetchall()
        return [dict(r) for r in rows]
