"""The audit trail: an append-only, hash-chained table of every write attempt and its outcome.

Each record's hash is an HMAC over the previous hash and the record's content, under a key derived from the
AOI key (never in a prompt), and a signed head remembers the last record. `verify()` therefore detects an edited
record (its hash no longer matches), an inserted or deleted record (the chain breaks), and a truncated tail (the
head no longer matches) — even by someone who can write the SQLite file but does not hold the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

AuditPhase = Literal["refused", "intent", "applied", "failed", "noop"]
"""`intent` is written before a write is applied (with its undo id); `applied`/`failed` after; `refused` when a
grant or the policy said no; `noop` for a retried idempotency key."""

GENESIS = "0" * 64
_FIELDS = ("seq", "time", "thread_id", "approver", "approval", "tool", "args", "phase", "diff", "result", "undo_id")


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    time: str
    thread_id: str
    approver: str
    approval: str
    tool: str
    args: str
    phase: str
    diff: str
    result: str
    undo_id: str | None


class AuditLog:
    def __init__(self, conn: sqlite3.Connection, key: bytes) -> None:
        self._conn = conn
        self._key = hmac.new(key, b"aoi-audit-chain", hashlib.sha256).digest()

    def append(self, *, thread_id: str, approver: str, approval: str, tool: str, args: dict[str, Any],
               phase: AuditPhase, diff: str = "", result: str = "", undo_id: str | None = None) -> int:
        conn = self._conn
        own_transaction = not conn.in_transaction
        if own_transaction:
            conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
            values = {"seq": seq, "time": datetime.now(UTC).isoformat(), "thread_id": thread_id,
                      "approver": approver, "approval": approval, "tool": tool,
                      "args": json.dumps(args, sort_keys=True, default=str), "phase": phase, "diff": diff,
                      "result": result, "undo_id": undo_id}
            digest = self._hash(prev, values)
            conn.execute(f"INSERT INTO audit ({', '.join(_FIELDS)}, prev_hash, hash) VALUES "
                         f"({', '.join('?' for _ in _FIELDS)}, ?, ?)", (*(values[f] for f in _FIELDS), prev, digest))
            conn.execute("INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE "
                         "SET seq = excluded.seq, hash = excluded.hash, mac = excluded.mac",
                         (seq, digest, self._head_mac(seq, digest)))
            if own_transaction:
                conn.execute("COMMIT")
        except BaseException:
            if own_transaction:
                conn.execute("ROLLBACK")
            raise
        return seq

    def records(self) -> list[AuditRecord]:
        return [AuditRecord(*(row[f] for f in _FIELDS))
                for row in self._conn.execute(f"SELECT {', '.join(_FIELDS)} FROM audit ORDER BY seq")]

    def verify(self) -> list[str]:
        """Every problem found, oldest first; an empty list means the trail is intact."""
        problems = []
        prev = GENESIS
        expected_seq = 1
        last_seq, last_hash = 0, GENESIS
        for row in self._conn.execute(f"SELECT {', '.join(_FIELDS)}, prev_hash, hash FROM audit ORDER BY seq"):
            values = {f: row[f] for f in _FIELDS}
            if row["seq"] != expected_seq:
                problems.append(f"record {row['seq']}: expected sequence number {expected_seq} "
                                f"(a record was deleted or inserted)")
            if row["prev_hash"] != prev:
                problems.append(f"record {row['seq']}: chain broken (previous hash does not match)")
            if not hmac.compare_digest(row["hash"], self._hash(row["prev_hash"], values)):
                problems.append(f"record {row['seq']}: content does not match its hash (record was edited)")
            prev = row["hash"]
            expected_seq = row["seq"] + 1
            last_seq, last_hash = row["seq"], row["hash"]
        head = self._conn.execute("SELECT seq, hash, mac FROM audit_head WHERE id = 1").fetchone()
        if head is None:
            if last_seq:
                problems.append("audit head is missing")
        else:
            if not hmac.compare_digest(head["mac"], self._head_mac(head["seq"], head["hash"])):
                problems.append("audit head signature is invalid")
            if (head["seq"], head["hash"]) != (last_seq, last_hash):
                problems.append(f"audit head points at record {head['seq']} but the trail ends at {last_seq} "
                                f"(records were removed from the end)")
        return problems

    def _hash(self, prev: str, values: dict[str, Any]) -> str:
        content = json.dumps([prev, *(values[f] for f in _FIELDS)], separators=(",", ":"), default=str)
        return hmac.new(self._key, content.encode(), hashlib.sha256).hexdigest()

    def _head_mac(self, seq: int, digest: str) -> str:
        return hmac.new(self._key, f"head:{seq}:{digest}".encode(), hashlib.sha256).hexdigest()
