"""Approval grants: single-use, signed permissions to run one write with exactly these arguments.

A grant binds (thread id, tool, canonical-args hash, target resource version) and an expiry, and is signed with
HMAC-SHA256 under a key that lives in the user data directory (mode 0600) and never enters a prompt — so no
text a model writes can be a grant. Grants are minted only from a `HumanDecision` (an interrupt's resume value,
or an IDE user's answer to an elicitation) or from an explicit `AutoApprovePolicy` (evaluations), and the grant
records which. The executor verifies a grant at call time and burns its nonce, so it works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from aoi.store.db import data_dir
from aoi.tools.sealing import derive_key

ApprovalChannel = Literal["human", "elicitation", "trusted-client", "auto-policy", "auto-rollback"]
"""How the approval was given: an operator resuming an interrupt, an IDE user answering the server's
confirmation prompt, an IDE client trusted (by a startup flag) to have confirmed itself, an evaluation's
auto-approve policy, or the undo of an approved write whose verification regressed (the approval of the write
covers its rollback; the grant names who approved the write)."""

GRANT_TTL_SECONDS = 600
NON_ARG_FIELDS = frozenset({"grant", "idempotency_key", "thread_id"})


class GrantError(Exception):
    """A grant is missing, forged, expired, used, or bound to something else. Nothing was changed."""


@dataclass(frozen=True, slots=True)
class HumanDecision:
    """A person's approval of one proposed write."""

    approver: str
    channel: Literal["human", "elicitation", "trusted-client"] = "human"
    reason: str = ""
    irreversible_ok: bool = False
    """The person explicitly accepted that this change cannot be undone (e.g. deleting a volume claim)."""


@dataclass(frozen=True, slots=True)
class AutoApprovePolicy:
    """An explicit, logged decision to approve writes without a person (evaluations only).

    `tools` lists the write tools it covers; anything else still needs a human.
    """

    name: str
    tools: frozenset[str]
    reason: str

    def covers(self, tool: str) -> bool:
        return tool in self.tools


@dataclass(frozen=True, slots=True)
class GrantClaims:
    thread_id: str
    tool: str
    args_hash: str
    resource_version: str
    expires_at: float
    nonce: str
    approver: str
    channel: ApprovalChannel
    irreversible_ok: bool = False


def canonical_args(args: dict[str, Any]) -> str:
    """The arguments as canonical JSON (sorted keys, no whitespace), without the grant/idempotency fields."""
    clean = {k: v for k, v in args.items() if k not in NON_ARG_FIELDS}
    return json.dumps(clean, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def args_hash(args: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_args(args).encode()).hexdigest()


def key_path() -> Path:
    return data_dir() / "grant.key"


def load_key(path: Path | None = None) -> bytes:
    """The existing signing key; never creates one (a checker must not mint the key it checks against).

    Raises:
        GrantError: the key file is missing, unreadable or too short.
    """
    path = path or key_path()
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise GrantError(f"the key file {path} is missing or unreadable ({exc.strerror})") from exc
    if len(key) < 32:
        raise GrantError(f"the key file {path} is too short")
    return key


def load_or_create_key(path: Path | None = None) -> bytes:
    """The signing key, created (32 random bytes, mode 0600) on first use."""
    key_path = path or data_dir() / "grant.key"
    if key_path.exists():
        key = key_path.read_bytes()
        if len(key) < 32:
            raise GrantError(f"grant key at {key_path} is too short; delete it to generate a new one")
        return key
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


class GrantAuthority:
    """Mints and verifies grants. Hold it on the human/approval side and in the executor — never in the model's
    context."""

    def __init__(self, key: bytes, *, ttl_seconds: int = GRANT_TTL_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        if len(key) < 32:
            raise ValueError("grant key must be at least 32 bytes")
        self._key = key
        self._ttl = ttl_seconds
        self._clock = clock

    def __repr__(self) -> str:
        return "<GrantAuthority>"

    def sealing_key(self, purpose: str) -> bytes:
        """A key derived from the signing key for sealing data at rest (`aoi.tools.sealing`), e.g. undo records."""
        return derive_key(self._key, purpose)

    def mint_from_human(self, decision: HumanDecision, *, thread_id: str, tool: str, args: dict[str, Any],
                        resource_version: str) -> str:
        if not decision.approver:
            raise GrantError("a human approval must name its approver")
        return self._mint(thread_id, tool, args, resource_version, decision.approver, decision.channel,
                          decision.irreversible_ok)

    def mint_from_policy(self, policy: AutoApprovePolicy, *, thread_id: str, tool: str, args: dict[str, Any],
                         resource_version: str) -> str:
        if not policy.covers(tool):
            raise GrantError(f"auto-approve policy {policy.name!r} does not cover tool {tool!r}")
        return self._mint(thread_id, tool, args, resource_version, f"policy:{policy.name}", "auto-policy", False)

    def mint_rollback(self, *, approved_by: str, thread_id: str, undo_args: dict[str, Any],
                      resource_version: str) -> str:
        """A grant for `undo` of a write `approved_by` approved, when verification found the cluster worse after it.
        Recorded on the `auto-rollback` channel: nobody was asked again, and the trail says so."""
        if not approved_by:
            raise GrantError("a rollback must name who approved the write it undoes")
        return self._mint(thread_id, "undo", undo_args, resource_version, f"rollback of a write approved by "
                          f"{approved_by}", "auto-rollback", False)

    def _mint(self, thread_id: str, tool: str, args: dict[str, Any], resource_version: str, approver: str,
              channel: ApprovalChannel, irreversible_ok: bool) -> str:
        claims = {"v": 1, "thread_id": thread_id, "tool": tool, "args_hash": args_hash(args),
                  "resource_version": resource_version, "expires_at": self._clock() + self._ttl,
                  "nonce": secrets.token_hex(16), "approver": approver, "channel": channel,
                  "irreversible_ok": irreversible_ok}
        payload = _b64(json.dumps(claims, sort_keys=True, separators=(",", ":")).encode())
        return f"aoi-grant.{payload}.{_b64(self._sign(payload))}"

    def _sign(self, payload: str) -> bytes:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).digest()

    def verify(self, token: str, *, thread_id: str, tool: str, args: dict[str, Any], resource_version: str,
               conn: sqlite3.Connection) -> GrantClaims:
        """Check every binding, then burn the nonce (in `conn`, atomically) so the grant cannot be used again.

        The executor does not use this: it `check`s first and `burn`s inside the transaction that records the
        write's intent, so a crash in between leaves the grant usable rather than used with no write behind it.

        Raises:
            GrantError: missing, malformed, forged, expired, already used, or bound to another thread, tool,
                arguments or resource version.
        """
        claims = self.check(token, thread_id=thread_id, tool=tool, args=args, resource_version=resource_version)
        self.burn(claims, conn)
        return claims

    def check(self, token: str, *, thread_id: str, tool: str, args: dict[str, Any],
              resource_version: str) -> GrantClaims:
        """Check every binding without consuming the grant (see `burn`).

        Raises:
            GrantError: missing, malformed, forged, expired, or bound to another thread, tool, arguments or
                resource version.
        """
        claims = self.inspect(token)
        if claims.thread_id != thread_id:
            raise GrantError("grant was issued for another thread")
        if claims.tool != tool:
            raise GrantError(f"grant was issued for tool {claims.tool!r}, not {tool!r}")
        if claims.args_hash != args_hash(args):
            raise GrantError("grant was issued for different arguments")
        if claims.resource_version != resource_version:
            raise GrantError(f"the target changed since approval (resource version {claims.resource_version} → "
                             f"{resource_version}); ask for a new approval")
        if self._clock() > claims.expires_at:
            raise GrantError("grant expired; ask for a new approval")
        return claims

    @staticmethod
    def is_used(claims: GrantClaims, conn: sqlite3.Connection) -> bool:
        return conn.execute("SELECT 1 FROM grant_uses WHERE nonce = ?", (claims.nonce,)).fetchone() is not None

    @staticmethod
    def burn(claims: GrantClaims, conn: sqlite3.Connection) -> None:
        """Record the grant's nonce as used, in `conn`'s current transaction if one is open.

        Raises:
            GrantError: the grant was already used.
        """
        try:
            conn.execute("INSERT INTO grant_uses (nonce, used_at) VALUES (?, ?)",
                         (claims.nonce, datetime.now(UTC).isoformat()))
        except sqlite3.IntegrityError as exc:
            raise GrantError("grant was already used") from exc

    def inspect(self, token: str) -> GrantClaims:
        """Decode and authenticate a grant without consuming it.

        Raises:
            GrantError: missing, malformed or with a bad signature.
        """
        if not isinstance(token, str) or not token:
            raise GrantError("no approval grant: this write needs a human approval first")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "aoi-grant":
            raise GrantError("malformed approval grant")
        payload, signature = parts[1], parts[2]
        try:
            given = _unb64(signature)
        except ValueError as exc:
            raise GrantError("malformed approval grant") from exc
        if not hmac.compare_digest(given, self._sign(payload)):
            raise GrantError("approval grant signature is invalid")
        try:
            data = json.loads(_unb64(payload))
            return GrantClaims(data["thread_id"], data["tool"], data["args_hash"], data["resource_version"],
                               float(data["expires_at"]), data["nonce"], data["approver"], data["channel"],
                               bool(data.get("irreversible_ok", False)))
        except (ValueError, KeyError, TypeError) as exc:
            raise GrantError("malformed approval grant") from exc


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
