"""The guidance memory: lessons keyed by symptom signature in SQLite, found again by FTS5 full-text rank.

A lesson learned twice is stored once, with its support (how many verified repairs taught it) and every source
episode as provenance. Retrieval ranks by BM25 over the signatures, lessons of the same task type first; the
answer filter (`AnswerFilter`) drops any lesson that mentions an answer the caller must not see, or that was
learned from one of the caller's own problem families.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aoi.evolve.lessons import Lesson
from aoi.evolve.symptoms import TASK_TOKEN, is_token


@dataclass(frozen=True, slots=True)
class GuidanceItem:
    id: int
    task_type: str
    signature: str
    lesson: str
    failure_mode: str
    support: int
    sources: tuple[dict[str, Any], ...]
    created_at: str = ""

    @property
    def families(self) -> set[str]:
        return {str(s.get("family", "")) for s in self.sources if s.get("family")}

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "task_type": self.task_type, "signature": self.signature, "lesson": self.lesson,
                "failure_mode": self.failure_mode, "support": self.support, "sources": list(self.sources),
                "created_at": self.created_at}


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass(frozen=True, slots=True)
class AnswerFilter:
    """What guidance must not reveal: answer terms (service names, fault types) and families it must not come
    from. A term matches case-insensitively, ignoring separators (`oom_killed` matches `OOMKilled`)."""

    terms: frozenset[str] = field(default_factory=frozenset)
    families: frozenset[str] = field(default_factory=frozenset)

    def allows(self, item: GuidanceItem) -> bool:
        if item.families & self.families:
            return False
        text = _squash(item.lesson)
        return not any(term and term in text for term in (_squash(t) for t in self.terms))


class GuidanceMemory:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def add(self, lesson: Lesson) -> int:
        """Store a lesson, or add a source to the same lesson under the same signature; returns its id."""
        now = datetime.now(UTC).isoformat()
        row = self._conn.execute("SELECT id, sources FROM guidance WHERE task_type = ? AND signature = ? AND "
                                 "lesson = ?", (lesson.task_type, lesson.signature, lesson.text)).fetchone()
        if row is None:
            cursor = self._conn.execute(
                "INSERT INTO guidance (task_type, signature, lesson, failure_mode, support, sources, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?)",
                (lesson.task_type, lesson.signature, lesson.text, lesson.failure_mode,
                 json.dumps([lesson.source], sort_keys=True), now, now))
            return int(cursor.lastrowid or 0)
        sources = json.loads(row["sources"])
        if lesson.source not in sources:
            sources.append(lesson.source)
        self._conn.execute("UPDATE guidance SET support = ?, sources = ?, updated_at = ? WHERE id = ?",
                           (len(sources), json.dumps(sources, sort_keys=True), now, row["id"]))
        return int(row["id"])

    def get(self, item_id: int) -> GuidanceItem | None:
        row = self._conn.execute("SELECT * FROM guidance WHERE id = ?", (item_id,)).fetchone()
        return _item(row) if row else None

    def list(self, *, task_type: str | None = None, limit: int = 100) -> list[GuidanceItem]:
        query, params = "SELECT * FROM guidance", []
        if task_type:
            query, params = query + " WHERE task_type = ?", [task_type]
        rows = self._conn.execute(query + " ORDER BY support DESC, id LIMIT ?", [*params, limit])
        return [_item(r) for r in rows]

    def remove(self, item_id: int) -> bool:
        return self._conn.execute("DELETE FROM guidance WHERE id = ?", (item_id,)).rowcount > 0

    def search(self, task_type: str, tokens: Iterable[str], *, limit: int = 3,
               answer_filter: AnswerFilter | None = None) -> list[GuidanceItem]:
        """Lessons whose signature shares tokens with `tokens`, best first: same task type before others, then by
        BM25 rank, then by support. With no symptom tokens, the task type's best-supported lessons."""
        words = [t for t in dict.fromkeys(tokens) if is_token(t)]
        task_token = TASK_TOKEN.format(task_type)
        if task_token not in words and is_token(task_token):
            words.append(task_token)
        match = "signature : (" + " OR ".join(words) + ")"
        rows = self._conn.execute(
            "SELECT g.*, bm25(guidance_fts) AS rank FROM guidance_fts JOIN guidance g ON g.id = guidance_fts.rowid "
            "WHERE guidance_fts MATCH ? ORDER BY (g.task_type = ?) DESC, rank, g.support DESC, g.id LIMIT ?",
            (match, task_type, max(limit * 10, 50))).fetchall()
        items = [_item(r) for r in rows]
        if answer_filter is not None:
            items = [i for i in items if answer_filter.allows(i)]
        return items[:limit]


def _item(row: Mapping[str, Any]) -> GuidanceItem:
    return GuidanceItem(row["id"], row["task_type"], row["signature"], row["lesson"], row["failure_mode"],
                        row["support"], tuple(json.loads(row["sources"])), row["created_at"])
