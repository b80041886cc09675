"""The audit trail: an append-only, hash-chained table of every write attempt and its outcome.

Each record's hash is an HMAC over the previous hash and the record's content, under a key derived from the
AOI key (never in a prompt), and a signed head remembers the last record. `verify()` therefore detects an edited
record (its hash no longer matches), an inserted or deleted record (the chain breaks), and a truncated tail (the
head no longer matches) — even by someone who can write the SQLite file but does not hold the key.

What a record stores is redacted (arguments, diff and result go through `aoi.tools.redaction`): the trail says
that `DB_PASSWORD` was set, never to what.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from aoi.tools.redaction import redact, redact_diff, redact_text

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
                      "args": json.dumps(redact(args), sort_keys=True, default=str), "phase": phase,
                      "diff": redact_diff(diff), "result": redact_text(result), "undo_id": undo_id}
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
        """Every problem found, oldest first; an empty list means the trail is intact.

        Besides the chain and the signed head, the trail is checked against what every write leaves behind: a used
        grant, an undo record or an execution row with no audit record means the trail was wiped or truncated,
        even when its head went with it. A missing or unreadable table is reported as a problem, never raised.
        What no in-database check can see is the whole file replaced by an older or an empty one.
        """
        try:
            return self._verify()
        except sqlite3.DatabaseError as exc:
            return [f"the audit tables cannot be read ({str(exc)[:200]}): a table was dropped or damaged"]

    def has_history(self) -> bool:
        """Whether this database ever recorded a write attempt (records, a head, used grants or undo records).

        Raises:
            sqlite3.DatabaseError: a table is missing or damaged.
        """
        return any(self._conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None
                   for table in ("audit", "audit_head", "grant_uses", "undo_records", "executions"))

    def _verify(self) -> list[str]:
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
        problems += self._orphans()
        if head is None:
            if last_seq or self.has_history():
                problems.append("audit head is missing (the trail was wiped or its head deleted)")
        else:
            if not hmac.compare_digest(head["mac"], self._head_mac(head["seq"], head["hash"])):
                problems.append("audit head signature is invalid")
            if (head["seq"], head["hash"]) != (last_seq, last_hash):
                problems.append(f"audit head points at record {head['seq']} but the trail ends at {last_seq} "
                                f"(records were removed from the end)")
        return problems

    def _orphans(self) -> list[str]:
        """Traces of writes whose audit records are gone."""
        conn = self._conn
        problems = []
        audited = {row[0] for row in conn.execute("SELECT DISTINCT undo_id FROM audit WHERE phase = 'intent'")}
        missing = [row[0] for row in conn.execute("SELECT undo_id FROM undo_records ORDER BY created_at")
                   if row[0] not in audited]
        if missing:
            problems.append(f"{len(missing)} undo record(s) have no intent record in the trail (first: "
                            f"{missing[0]}): records were removed")
        grants = conn.execute("SELECT COUNT(*) FROM grant_uses").fetchone()[0]
        spent = conn.execute("SELECT COUNT(*) FROM audit WHERE phase IN ('intent', 'refused')").fetchone()[0]
        if grants > spent:
            problems.append(f"{grants} grants were used but the trail records only {spent} intents or refusals: "
                            f"records were removed")
        return problems

    def _hash(self, prev: str, values: dict[str, Any]) -> str:
        content = json.dumps([prev, *(values[f] for f in _FIELDS)], separators=(",", ":"), default=str)
        return hmac.new(self._key, content.encode(), hashlib.sha256).hexdigest()

    def _head_mac(self, seq: int, digest: str) -> str:
        return hmac.new(self._key, f"head:{seq}:{digest}".encode(), hashlib.sha256).hexdigest()
