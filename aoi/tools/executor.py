"""The executor: the only code path from an approved decision to a cluster write.

Every call runs the same steps, in this order, and stops at the first that says no:

1. an idempotency key already seen for these arguments returns the first call's result (no second write);
2. the approval grant is checked — bound to this thread, tool, canonical arguments and the target's current
   resource version, unexpired, unused;
3. the write policy is re-checked;
4. the write is dry-run;
5. the grant's nonce is burned, and the undo record, the execution row and an `intent` audit record are
   written, in one transaction: a crash before it commits leaves the grant unused and nothing recorded, so a
   retry with the same grant and idempotency key runs the write once; a crash after it leaves a `pending`
   execution that is never replayed blindly;
6. the write is applied, and its outcome audited.

Refusals change nothing and are audited too (a refusal after the grant checked out burns it, in the same
transaction as its audit record). The MCP executor server is a thin shell around this class.

What is stored is redacted: the audit trail's arguments, diffs and results, the undo record's description and the
stored outcome of an idempotency key. The undo record itself holds the real pre-images — an undo must restore
them — so it lives only in the AOI database, which is created private to its owner (mode 0600).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from aoi.cluster.interface import ClusterError, ClusterWriter, UndoRecord, WriteResult
from aoi.tools.audit import AuditLog
from aoi.tools.grants import GrantAuthority, GrantClaims, GrantError, args_hash
from aoi.tools.policy import PolicyError, WritePolicy, WriteTarget
from aoi.tools.redaction import redact_diff, redact_text
from aoi.tools.registry import WRITE_TOOLS, WriteTool

ExecutionStatus = Literal["applied", "noop", "refused", "failed"]
UNDO_TOOL = "undo"


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    status: ExecutionStatus
    message: str
    diff: str = ""
    undo_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Preview:
    """What a human is asked to approve: the dry-run diff against the target at this resource version."""

    tool: str
    target: WriteTarget
    resource_version: str
    result: WriteResult


class Executor:
    def __init__(self, backend: ClusterWriter, conn: sqlite3.Connection, authority: GrantAuthority,
                 audit: AuditLog, policy: WritePolicy | None = None) -> None:
        self._backend = backend
        self._conn = conn
        self._authority = authority
        self._audit = audit
        self._policy = policy or WritePolicy()

    # -- previews (for approval) -------------------------------------------------------------------------------
    def target_of(self, tool: str, args: dict[str, Any]) -> WriteTarget:
        """Raises:
            ClusterError: unknown tool or missing arguments.
        """
        if tool == UNDO_TOOL:
            return WriteTarget("undo", "UndoRecord", str(args.get("undo_id", "")), None)
        spec = WRITE_TOOLS.get(tool)
        if spec is None:
            raise ClusterError(f"unknown write tool {tool!r}; write tools: {', '.join(sorted(WRITE_TOOLS))}, undo")
        try:
            return spec.target(args)
        except (KeyError, AttributeError, TypeError) as exc:
            raise ClusterError(f"{tool}: missing or malformed argument {exc}") from exc

    def resource_version(self, target: WriteTarget) -> str:
        if target.kind == "UndoRecord":
            row = self._conn.execute("SELECT undone_at FROM undo_records WHERE undo_id = ?",
                                     (target.name,)).fetchone()
            return "absent" if row is None else ("undone" if row["undone_at"] else "pending")
        return self._backend.resource_version(target.kind, target.name, target.namespace)

    def preview(self, tool: str, args: dict[str, Any]) -> Preview:
        """Dry-run a proposed write (no grant needed: nothing changes).

        Raises:
            ClusterError: unknown tool, bad arguments, refused by policy or by the backend.
        """
        target = self.target_of(tool, args)
        self._policy.check(target, replicas=args.get("replicas"), irreversible_approved=True)
        version = self.resource_version(target)
        dry = self._call(tool, args, dry_run=True)
        # What a preview shows travels to approval cards, prompts and the episode store: never a secret's value.
        shown = replace(dry, summary=redact_text(dry.summary), diff=redact_diff(dry.diff))
        return Preview(tool, target, version, shown)

    # -- execution --------------------------------------------------------------------------------------------
    def execute(self, tool: str, args: dict[str, Any], *, thread_id: str, grant: str,
                idempotency_key: str = "") -> ExecutionResult:
        digest = args_hash(args)
        if idempotency_key:
            previous = self._previous(idempotency_key, thread_id, tool, digest)
            if previous is not None:
                return previous
        try:
            target = self.target_of(tool, args)
            version = self.resource_version(target)
        except ClusterError as exc:
            return self.refuse(thread_id, tool, args, "", str(exc))
        try:
            claims = self._authority.check(grant, thread_id=thread_id, tool=tool, args=args,
                                           resource_version=version)
            if self._authority.is_used(claims, self._conn):
                raise GrantError("grant was already used")
        except GrantError as exc:
            return self.refuse(thread_id, tool, args, "", f"refused: {exc}")
        try:
            self._policy.check(target, replicas=args.get("replicas"), irreversible_approved=True)
            dry = self._call(tool, args, dry_run=True)
            # The irreversible rule last: only the dry run's pre-images say whether the objects hold data.
            self._policy.check(target, irreversible_approved=claims.irreversible_ok
                               or not self._policy.loses_data(target, dry.undo.pre_images))
        except PolicyError as exc:
            return self._refuse_burning(thread_id, tool, args, f"refused by policy: {exc}", claims)
        except ClusterError as exc:
            return self._refuse_burning(thread_id, tool, args, f"refused by the cluster: {exc}", claims)
        undo_id = uuid.uuid4().hex
        try:
            self._record_intent(thread_id, tool, args, digest, idempotency_key, claims, dry, undo_id, version)
        except GrantError as exc:  # a concurrent call with the same grant committed first
            return self.refuse(thread_id, tool, args, claims.approver, f"refused: {exc}", claims)
        try:
            result = self._call(tool, args, dry_run=False)
        except ClusterError as exc:
            self._finish(idempotency_key, "failed", None)
            self._audit.append(thread_id=thread_id, approver=claims.approver, approval=claims.channel, tool=tool,
                               args=args, phase="failed", result=str(exc), undo_id=undo_id)
            return ExecutionResult("failed", f"the write failed: {exc}")
        outcome = ExecutionResult("applied", redact_text(result.summary), redact_diff(result.diff), undo_id)
        if tool == UNDO_TOOL:
            self._conn.execute("UPDATE undo_records SET undone_at = ? WHERE undo_id = ?", (_now(), args["undo_id"]))
        self._finish(idempotency_key, "applied", outcome)
        self._audit.append(thread_id=thread_id, approver=claims.approver, approval=claims.channel, tool=tool,
                           args=args, phase="applied", diff=result.diff, result=result.summary, undo_id=undo_id)
        return outcome

    # -- steps --------------------------------------------------------------------------------------------------
    def _call(self, tool: str, args: dict[str, Any], *, dry_run: bool) -> WriteResult:
        if tool == UNDO_TOOL:
            return self._backend.apply_undo(self.undo_record(str(args.get("undo_id", ""))), dry_run=dry_run)
        spec: WriteTool = WRITE_TOOLS[tool]
        try:
            return spec.call(self._backend, args, dry_run)
        except (KeyError, TypeError) as exc:
            raise ClusterError(f"{tool}: missing or malformed argument {exc}") from exc

    def undo_record(self, undo_id: str) -> UndoRecord:
        """Raises:
            ClusterError: no such undo record, or it was already undone.
        """
        row = self._conn.execute("SELECT record, undone_at FROM undo_records WHERE undo_id = ?",
                                 (undo_id,)).fetchone()
        if row is None:
            raise ClusterError(f"no undo record {undo_id!r}")
        if row["undone_at"]:
            raise ClusterError(f"undo record {undo_id!r} was already undone at {row['undone_at']}")
        data = json.loads(row["record"])
        return UndoRecord(data["description"], tuple(data["pre_images"]), tuple(data["inverse_calls"]))

    def _previous(self, key: str, thread_id: str, tool: str, digest: str) -> ExecutionResult | None:
        row = self._conn.execute("SELECT * FROM executions WHERE idempotency_key = ?", (key,)).fetchone()
        if row is None:
            return None
        if (row["thread_id"], row["tool"], row["args_hash"]) != (thread_id, tool, digest):
            return ExecutionResult("refused", f"idempotency key {key!r} was already used for a different call")
        if row["status"] == "applied" and row["result"]:
            stored = json.loads(row["result"])
            self._audit.append(thread_id=thread_id, approver="-", approval="-", tool=tool, args={"key": key},
                               phase="noop", result="retry of an applied call: not applied again",
                               undo_id=stored.get("undo_id"))
            return ExecutionResult("noop", "already applied (same idempotency key); not applied again",
                                   stored.get("diff", ""), stored.get("undo_id"))
        if row["status"] == "pending":
            return ExecutionResult("refused", f"a call with idempotency key {key!r} was interrupted mid-way; "
                                              f"check the target's state and the audit trail before retrying "
                                              f"with a new key")
        return None

    def _record_intent(self, thread_id: str, tool: str, args: dict[str, Any], digest: str, key: str,
                       claims: GrantClaims, dry: WriteResult, undo_id: str, version: str) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._authority.burn(claims, conn)
            record = {"description": dry.undo.description, "pre_images": list(dry.undo.pre_images),
                      "inverse_calls": list(dry.undo.inverse_calls)}
            conn.execute("INSERT INTO undo_records (undo_id, thread_id, tool, description, record, created_at) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         (undo_id, thread_id, tool, redact_text(dry.undo.description),
                          json.dumps(record, default=str), _now()))
            if key:
                conn.execute("INSERT INTO executions (idempotency_key, thread_id, tool, args_hash, status, "
                             "created_at) VALUES (?, ?, ?, ?, 'pending', ?)", (key, thread_id, tool, digest, _now()))
            self._audit.append(thread_id=thread_id, approver=claims.approver, approval=claims.channel, tool=tool,
                               args=args, phase="intent", diff=redact_diff(dry.diff),
                               result=f"target version {version}",
                               undo_id=undo_id)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _finish(self, key: str, status: str, outcome: ExecutionResult | None) -> None:
        if key:
            self._conn.execute("UPDATE executions SET status = ?, result = ? WHERE idempotency_key = ?",
                               (status, json.dumps(outcome.to_dict()) if outcome else None, key))

    def _refuse_burning(self, thread_id: str, tool: str, args: dict[str, Any], message: str,
                        claims: GrantClaims) -> ExecutionResult:
        """A refusal after the grant checked out: the grant is spent with the refusal's audit record."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            try:
                self._authority.burn(claims, conn)
            except GrantError as exc:
                message = f"refused: {exc}"
            result = self.refuse(thread_id, tool, args, claims.approver, message, claims)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return result

    def refuse(self, thread_id: str, tool: str, args: dict[str, Any], approver: str, message: str,
                claims: GrantClaims | None = None) -> ExecutionResult:
        self._audit.append(thread_id=thread_id, approver=approver or "-",
                           approval=claims.channel if claims else "-", tool=tool, args=args, phase="refused",
                           result=message)
        return ExecutionResult("refused", message)


def _now() -> str:
    return datetime.now(UTC).isoformat()
