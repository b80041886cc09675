"""The executor: the only code path from an approved decision to a cluster write.

Every call runs the same steps, in this order, and stops at the first that says no:

1. an idempotency key already seen for these arguments returns the first call's result (no second write);
2. the approval grant is checked — bound to this thread, tool, canonical arguments and the target's current
   resource version, unexpired, unused;
3. the write policy is re-checked;
4. the write is dry-run;
5. the grant's nonce is burned, and the undo record, the execution row and an `intent` audit record are
   written, in one transaction: a crash before it commits leaves the grant unused and nothing recorded, so a
   retry with the same grant and idempotency key runs the write once;
6. the write is applied, and its outcome (the execution row, the audit record) recorded in one transaction.

A crash between 5 and 6 leaves a `pending` execution. It is never replayed blindly: a retry with its idempotency
key and its grant reads the cluster first — a target (or changed object) whose resource version moved since the
intent means the write landed, and it is recorded applied without a second write; otherwise it is written now.

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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from aoi.cluster.interface import ClusterError, ClusterWriter, UndoRecord, WriteResult
from aoi.tools.audit import AuditLog
from aoi.tools.grants import GrantAuthority, GrantClaims, GrantError, args_hash
from aoi.tools.policy import PolicyError, WritePolicy, WriteTarget
from aoi.tools.redaction import redact_diff, redact_text
from aoi.tools.registry import WRITE_TOOLS, WriteTool
from aoi.tools.sealing import SealError, is_sealed, seal, unseal

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


UNDO_SEALING = "undo-records"
"""The purpose of the key undo records are sealed under: their pre-images hold every value of the objects a
write changed, secrets included, and undo needs them exact (`aoi.tools.sealing`)."""


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
            row = self._execution(idempotency_key)
            if row is not None:
                return self._again(row, tool, args, digest, thread_id=thread_id, grant=grant)
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
            dry = self._checked_dry_run(target, tool, args, claims)
        except PolicyError as exc:
            return self._refuse_burning(thread_id, tool, args, f"refused by policy: {exc}", claims)
        except ClusterError as exc:
            return self._refuse_burning(thread_id, tool, args, f"refused by the cluster: {exc}", claims)
        undo_id = uuid.uuid4().hex
        try:
            self._record_intent(thread_id, tool, args, digest, idempotency_key, claims, dry, undo_id, version)
        except GrantError as exc:  # a concurrent call with the same grant committed first
            return self.refuse(thread_id, tool, args, claims.approver, f"refused: {exc}", claims)
        return self._apply(thread_id, tool, args, idempotency_key, claims, undo_id)

    def _checked_dry_run(self, target: WriteTarget, tool: str, args: dict[str, Any],
                         claims: GrantClaims) -> WriteResult:
        """The write policy's checks and the dry run, which every write passes before it is applied.

        Raises:
            PolicyError: the policy refuses the write.
            ClusterError: the dry run failed.
        """
        self._policy.check(target, replicas=args.get("replicas"), irreversible_approved=True)
        dry = self._call(tool, args, dry_run=True)
        # The irreversible rule last: only the dry run's pre-images say whether the objects hold data.
        self._policy.check(target, irreversible_approved=claims.irreversible_ok
                           or not self._policy.loses_data(target, dry.undo.pre_images))
        return dry

    def _apply(self, thread_id: str, tool: str, args: dict[str, Any], key: str, claims: GrantClaims,
               undo_id: str, *, note: str = "") -> ExecutionResult:
        """Apply a write whose intent is on record; its outcome (the execution row, the undo record's mark and the
        audit record) is recorded in one transaction."""
        try:
            result = self._call(tool, args, dry_run=False)
        except ClusterError as exc:
            return self._apply_failed(thread_id, tool, args, key, claims, undo_id, f"the write failed{note}: {exc}")
        outcome = ExecutionResult("applied", redact_text(result.summary + note), redact_diff(result.diff), undo_id)
        with self._transaction():
            if tool == UNDO_TOOL:
                self._conn.execute("UPDATE undo_records SET undone_at = ? WHERE undo_id = ?",
                                   (_now(), args["undo_id"]))
            self._finish(key, "applied", outcome)
            self._audit.append(thread_id=thread_id, approver=claims.approver, approval=claims.channel, tool=tool,
                               args=args, phase="applied", diff=result.diff, result=result.summary + note,
                               undo_id=undo_id)
        return outcome

    def _again(self, row: sqlite3.Row, tool: str, args: dict[str, Any], digest: str, *, thread_id: str,
               grant: str) -> ExecutionResult:
        """A call with an idempotency key already seen: the first call's outcome, never a second write; a first
        call that was interrupted between its intent and its outcome is finished (`_resume`)."""
        key = row["idempotency_key"]
        if (row["thread_id"], row["tool"], row["args_hash"]) != (thread_id, tool, digest):
            return ExecutionResult("refused", f"idempotency key {key!r} was already used for a different call")
        stored = json.loads(row["result"]) if row["result"] else {}
        if row["status"] == "applied":
            self._audit.append(thread_id=thread_id, approver="-", approval="-", tool=tool, args={"key": key},
                               phase="noop", result="retry of an applied call: not applied again",
                               undo_id=stored.get("undo_id"))
            return ExecutionResult("noop", "already applied (same idempotency key); not applied again",
                                   stored.get("diff", ""), stored.get("undo_id"))
        if row["status"] == "pending" and isinstance(stored.get("intent"), dict):
            return self._resume(key, stored["intent"], tool, args, thread_id=thread_id, grant=grant)
        if row["status"] == "pending":  # recorded before intents kept what finishing them needs
            return ExecutionResult("refused", f"a call with idempotency key {key!r} was interrupted mid-way; "
                                              f"check the target's state and the audit trail before retrying "
                                              f"with a new key")
        return ExecutionResult("failed", stored.get("message") or f"the call with idempotency key {key!r} failed")

    def _resume(self, key: str, intent: dict[str, Any], tool: str, args: dict[str, Any], *, thread_id: str,
                grant: str) -> ExecutionResult:
        """Finish a call whose process died after recording its intent and before recording its outcome.

        Whether its write landed is read from the cluster (`_landed`): if it did, the call is recorded applied and
        not written again; if not, its checks and dry run are redone and it is written now. The grant the intent
        burnt finishes it (even past its expiry: it was used in time, and the target is as it was approved), or a
        new valid grant for the same call, which this spends. The check and the write hold the database's write
        lock, so two processes finishing the same call cannot both write.
        """
        try:
            target = self.target_of(tool, args)
            claims = self._authority.inspect(grant)
            own = claims.nonce == intent["nonce"]
            if own and (claims.thread_id, claims.tool, claims.args_hash) != (thread_id, tool, args_hash(args)):
                raise GrantError("grant was issued for another call")
            if not own:
                claims = self._authority.check(grant, thread_id=thread_id, tool=tool, args=args,
                                               resource_version=self.resource_version(target))
        except (ClusterError, GrantError) as exc:
            return self.refuse(thread_id, tool, args, "", f"refused: {exc}")
        try:
            with self._transaction():
                row = self._execution(key)
                if row is not None and row["status"] != "pending":  # another process finished it meanwhile
                    return self._again(row, tool, args, args_hash(args), thread_id=thread_id, grant=grant)
                if not own:
                    self._authority.burn(claims, self._conn)
                    self._audit.append(thread_id=thread_id, approver=claims.approver, approval=claims.channel,
                                       tool=tool, args=args, phase="intent", undo_id=intent["undo_id"],
                                       result=f"finishing the interrupted call {key} with a new grant")
                landed = self._landed(target, intent)
                if landed:
                    outcome = ExecutionResult("applied", f"applied before an interruption ({landed}); not applied "
                                                         f"again", "", intent["undo_id"])
                    self._finish(key, "applied", outcome)
                    if tool == UNDO_TOOL:
                        self._conn.execute("UPDATE undo_records SET undone_at = ? WHERE undo_id = ?",
                                           (_now(), args["undo_id"]))
                    self._audit.append(thread_id=thread_id, approver=claims.approver, approval=claims.channel,
                                       tool=tool, args=args, phase="applied", result=outcome.message,
                                       undo_id=intent["undo_id"])
                    return outcome
                note = " (after an interruption)"
                try:
                    self._checked_dry_run(target, tool, args, claims)
                except (PolicyError, ClusterError) as exc:
                    return self._apply_failed(thread_id, tool, args, key, claims, intent["undo_id"],
                                              f"refused{note}: {exc}")
                return self._apply(thread_id, tool, args, key, claims, intent["undo_id"], note=note)
        except GrantError as exc:  # the new grant was spent by a concurrent call
            return self.refuse(thread_id, tool, args, claims.approver, f"refused: {exc}", claims)

    def _landed(self, target: WriteTarget, intent: dict[str, Any]) -> str:
        """How the cluster shows that an interrupted write landed; "" when nothing shows it.

        A write changes the resource version of its target, or of an object it changes (the pre-images its undo
        record took at the intent): one that differs from the intent's means the write landed. The limits, both on
        the side of never writing twice: an object someone else changed meanwhile reads as landed; and a write that
        changes nothing a version covers (restarting a node daemon that is running) reads as not landed.
        """
        now = self.resource_version(target)
        if now != intent["version"]:
            return f"the target's resource version went from {intent['version']} to {now}"
        row = self._conn.execute("SELECT record FROM undo_records WHERE undo_id = ?", (intent["undo_id"],)).fetchone()
        for image in self._opened(intent["undo_id"], row["record"])["pre_images"] if row else ():
            meta = image.get("metadata") or {}
            was = "absent" if image.get("__absent__") else meta.get("resourceVersion")
            if was is None or "name" not in meta:
                continue
            try:
                now = self._backend.resource_version(image["kind"], meta["name"], meta.get("namespace"))
            except ClusterError:
                continue
            if now != was:
                return f"{image['kind']} {meta['name']} went from resource version {was} to {now}"
        return ""

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
        data = self._opened(undo_id, row["record"])
        return UndoRecord(data["description"], tuple(data["pre_images"]), tuple(data["inverse_calls"]))

    def _opened(self, undo_id: str, stored: str) -> dict[str, Any]:
        """An undo record's content: sealed since secrets were found in pre-images (plain JSON in older stores).

        Raises:
            ClusterError: the sealed record does not open (tampered, moved to another id, another install's key).
        """
        if not is_sealed(stored):
            return json.loads(stored)
        try:
            return json.loads(unseal(self._authority.sealing_key(UNDO_SEALING), stored, context=undo_id))
        except SealError as exc:
            raise ClusterError(f"undo record {undo_id!r} cannot be opened: {exc}") from exc

    def _execution(self, key: str) -> sqlite3.Row | None:
        return self._conn.execute("SELECT * FROM executions WHERE idempotency_key = ?", (key,)).fetchone()

    def _record_intent(self, thread_id: str, tool: str, args: dict[str, Any], digest: str, key: str,
                       claims: GrantClaims, dry: WriteResult, undo_id: str, version: str) -> None:
        with self._transaction():
            self._authority.burn(claims, self._conn)
            record = {"description": dry.undo.description, "pre_images": list(dry.undo.pre_images),
                      "inverse_calls": list(dry.undo.inverse_calls)}
            self._conn.execute("INSERT INTO undo_records (undo_id, thread_id, tool, description, record, "
                               "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                               (undo_id, thread_id, tool, redact_text(dry.undo.description),
                                seal(self._authority.sealing_key(UNDO_SEALING),
                                     json.dumps(record, default=str).encode(), context=undo_id), _now()))
            if key:  # while pending, the row keeps what finishing an interrupted call needs (`_resume`)
                intent = {"intent": {"version": version, "undo_id": undo_id, "nonce": claims.nonce}}
                self._conn.execute("INSERT INTO executions (idempotency_key, thread_id, tool, args_hash, status, "
                                   "result, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                                   (key, thread_id, tool, digest, json.dumps(intent), _now()))
            self._audit.append(thread_id=thread_id, approver=claims.approver, approval=claims.channel, tool=tool,
                               args=args, phase="intent", diff=redact_diff(dry.diff),
                               result=f"target version {version}",
                               undo_id=undo_id)

    def _apply_failed(self, thread_id: str, tool: str, args: dict[str, Any], key: str, claims: GrantClaims,
                      undo_id: str, message: str) -> ExecutionResult:
        failure = ExecutionResult("failed", redact_text(message))
        with self._transaction():
            self._finish(key, "failed", failure)
            self._audit.append(thread_id=thread_id, approver=claims.approver, approval=claims.channel, tool=tool,
                               args=args, phase="failed", result=message, undo_id=undo_id)
        return failure

    def _finish(self, key: str, status: str, outcome: ExecutionResult) -> None:
        if key:
            self._conn.execute("UPDATE executions SET status = ?, result = ? WHERE idempotency_key = ?",
                               (status, json.dumps(outcome.to_dict()), key))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A write transaction on the executor's connection; inside one already open, part of it."""
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _refuse_burning(self, thread_id: str, tool: str, args: dict[str, Any], message: str,
                        claims: GrantClaims) -> ExecutionResult:
        """A refusal after the grant checked out: the grant is spent with the refusal's audit record."""
        with self._transaction():
            try:
                self._authority.burn(claims, self._conn)
            except GrantError as exc:
                message = f"refused: {exc}"
            return self.refuse(thread_id, tool, args, claims.approver, message, claims)

    def refuse(self, thread_id: str, tool: str, args: dict[str, Any], approver: str, message: str,
                claims: GrantClaims | None = None) -> ExecutionResult:
        self._audit.append(thread_id=thread_id, approver=approver or "-",
                           approval=claims.channel if claims else "-", tool=tool, args=args, phase="refused",
                           result=message)
        return ExecutionResult("refused", message)


def _now() -> str:
    return datetime.now(UTC).isoformat()
