"""Grants bind one approved write to its thread, tool, arguments and target version, once; the audit trail
detects every kind of tampering."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from aoi.cli import main
from aoi.store.db import StoreError, applied_migrations, connect
from aoi.tools.audit import AuditLog
from aoi.tools.grants import (
    AutoApprovePolicy,
    GrantAuthority,
    GrantError,
    HumanDecision,
    args_hash,
    load_or_create_key,
)

KEY = b"k" * 32
ARGS = {"kind": "deployment", "name": "geo", "namespace": "ns", "replicas": 1}


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    return connect(tmp_path / "aoi.db")


def _mint(authority: GrantAuthority, **overrides: object) -> str:
    params = {"thread_id": "t1", "tool": "scale_workload", "args": ARGS, "resource_version": "7"}
    params.update(overrides)
    return authority.mint_from_human(HumanDecision("alice"), **params)  # type: ignore[arg-type]


def _verify(authority: GrantAuthority, token: str, conn: sqlite3.Connection, **overrides: object):
    params = {"thread_id": "t1", "tool": "scale_workload", "args": ARGS, "resource_version": "7"}
    params.update(overrides)
    return authority.verify(token, conn=conn, **params)  # type: ignore[arg-type]


def test_a_grant_verifies_once_and_records_who_approved(conn: sqlite3.Connection) -> None:
    authority = GrantAuthority(KEY)
    token = _mint(authority)
    claims = _verify(authority, token, conn)
    assert (claims.approver, claims.channel, claims.args_hash) == ("alice", "human", args_hash(ARGS))
    with pytest.raises(GrantError, match="already used"):
        _verify(authority, token, conn)


@pytest.mark.parametrize(("override", "message"), [
    ({"thread_id": "t2"}, "another thread"),
    ({"tool": "delete_pod"}, "for tool"),
    ({"args": {**ARGS, "replicas": 5}}, "different arguments"),
    ({"resource_version": "8"}, "target changed"),
])
def test_a_grant_for_anything_else_is_refused(conn: sqlite3.Connection, override: dict, message: str) -> None:
    authority = GrantAuthority(KEY)
    with pytest.raises(GrantError, match=message):
        _verify(authority, _mint(authority), conn, **override)


def test_an_expired_grant_is_refused(conn: sqlite3.Connection) -> None:
    now = [1000.0]
    authority = GrantAuthority(KEY, ttl_seconds=60, clock=lambda: now[0])
    token = _mint(authority)
    now[0] += 61
    with pytest.raises(GrantError, match="expired"):
        _verify(authority, token, conn)


def test_a_grant_signed_with_another_key_is_refused(conn: sqlite3.Connection) -> None:
    forged = _mint(GrantAuthority(b"x" * 32))
    with pytest.raises(GrantError, match="signature is invalid"):
        _verify(GrantAuthority(KEY), forged, conn)


@given(st.text(max_size=200))
def test_no_text_a_model_can_write_is_a_grant(text: str) -> None:
    authority = GrantAuthority(KEY)
    with pytest.raises(GrantError):
        authority.inspect(text)


def test_grant_and_idempotency_fields_are_not_part_of_the_bound_arguments() -> None:
    assert args_hash({**ARGS, "grant": "x", "idempotency_key": "k", "thread_id": "t"}) == args_hash(ARGS)


def test_an_auto_approve_policy_covers_only_its_tools_and_is_recorded(conn: sqlite3.Connection) -> None:
    authority = GrantAuthority(KEY)
    policy = AutoApprovePolicy("eval-mitigation", frozenset({"scale_workload"}), "evaluation runs")
    token = authority.mint_from_policy(policy, thread_id="t1", tool="scale_workload", args=ARGS,
                                       resource_version="7")
    assert _verify(authority, token, conn).approver == "policy:eval-mitigation"
    with pytest.raises(GrantError, match="does not cover"):
        authority.mint_from_policy(policy, thread_id="t1", tool="delete_pod", args=ARGS, resource_version="7")


def test_the_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "grant.key"
    key = load_or_create_key(path)
    assert len(key) == 32 and path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(path) == key


# -- database ---------------------------------------------------------------------------------------------------
def test_migrations_are_applied_once_and_recorded_in_order(tmp_path: Path) -> None:
    first = applied_migrations(connect(tmp_path / "a.db"))
    assert first[:3] == ["0001_audit", "0002_executions", "0003_audit_head"]
    assert applied_migrations(connect(tmp_path / "a.db")) == first


def test_a_corrupt_database_is_reported_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "aoi.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"not a usable AOI database.*Move it aside"):
        connect(path)
    assert path.read_bytes() == b"this is not sqlite" * 100


# -- audit ------------------------------------------------------------------------------------------------------
def _filled(conn: sqlite3.Connection) -> AuditLog:
    log = AuditLog(conn, KEY)
    for i in range(4):
        log.append(thread_id="t", approver="alice", approval="human", tool="scale_workload", args={"i": i},
                   phase="applied", diff=f"-{i}\n+{i + 1}", result="ok", undo_id=f"u{i}")
    return log


def test_an_untouched_trail_verifies(conn: sqlite3.Connection) -> None:
    assert _filled(conn).verify() == []


@pytest.mark.parametrize(("tamper", "message"), [
    ("UPDATE audit SET result = 'nothing happened' WHERE seq = 2", "record 2: content does not match"),
    ("DELETE FROM audit WHERE seq = 2", "expected sequence number 2"),
    ("DELETE FROM audit WHERE seq = 4", "records were removed from the end"),
    ("INSERT INTO audit SELECT 10, time, thread_id, approver, approval, tool, args, phase, diff, result, undo_id, "
     "prev_hash, hash FROM audit WHERE seq = 1", "record 10"),
    ("UPDATE audit_head SET seq = 3", "head"),
])
def test_every_kind_of_tampering_is_detected(conn: sqlite3.Connection, tamper: str, message: str) -> None:
    log = _filled(conn)
    conn.execute(tamper)
    problems = log.verify()
    assert any(message in p for p in problems), problems


def test_aoi_audit_verify_exits_non_zero_on_tampering(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AOI_HOME", str(tmp_path))
    db = tmp_path / "aoi.db"
    conn = connect(db)
    log = AuditLog(conn, load_or_create_key())
    log.append(thread_id="t", approver="a", approval="human", tool="x", args={}, phase="applied")
    runner = CliRunner()
    ok = runner.invoke(main, ["audit", "verify", "--db", str(db)])
    assert ok.exit_code == 0 and "chain intact" in ok.output
    conn.execute("UPDATE audit SET approver = 'mallory'")
    bad = runner.invoke(main, ["audit", "verify", "--db", str(db)])
    assert bad.exit_code == 1
    assert "TAMPERED: record 1" in bad.output


def _with_history(conn: sqlite3.Connection, key: bytes = KEY) -> AuditLog:
    """A trail as the executor leaves it: a used grant, an undo record and its intent record."""
    log = AuditLog(conn, key)
    conn.execute("INSERT INTO grant_uses (nonce, used_at) VALUES ('n1', 'now')")
    conn.execute("INSERT INTO undo_records (undo_id, thread_id, tool, description, record, created_at) "
                 "VALUES ('u1', 't', 'scale_workload', 'scale', '{}', 'now')")
    log.append(thread_id="t", approver="alice", approval="human", tool="scale_workload", args={}, phase="intent",
               undo_id="u1")
    log.append(thread_id="t", approver="alice", approval="human", tool="scale_workload", args={}, phase="applied",
               undo_id="u1")
    assert log.verify() == []
    return log


@pytest.mark.parametrize("wipe", [
    "DELETE FROM audit; DELETE FROM audit_head",
    "DELETE FROM audit_head",
    "DELETE FROM audit WHERE seq = 2; UPDATE audit_head SET seq = 1",
])
def test_a_wiped_or_headless_trail_is_detected_from_what_the_writes_left(conn: sqlite3.Connection,
                                                                         wipe: str) -> None:
    log = _with_history(conn)
    conn.executescript(wipe)
    assert log.verify() != []


def test_a_wiped_trail_is_detected_even_with_its_intent_records_gone(conn: sqlite3.Connection) -> None:
    log = _with_history(conn)
    conn.executescript("DELETE FROM audit; DELETE FROM audit_head")
    problems = log.verify()
    assert any("head is missing" in p for p in problems)
    assert any("undo record" in p for p in problems) and any("grants were used" in p for p in problems)


def test_a_dropped_table_is_reported_as_a_problem_not_raised(conn: sqlite3.Connection) -> None:
    log = _with_history(conn)
    conn.execute("DROP TABLE audit")
    problems = log.verify()
    assert len(problems) == 1 and "dropped" in problems[0]


def _cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, sqlite3.Connection]:
    monkeypatch.setenv("AOI_HOME", str(tmp_path))
    db = tmp_path / "aoi.db"
    conn = connect(db)
    _with_history(conn, load_or_create_key())
    return db, conn


@pytest.mark.parametrize("damage", ["DELETE FROM audit; DELETE FROM audit_head", "DROP TABLE audit",
                                    "DROP TABLE audit_head", "missing key"])
def test_aoi_audit_verify_reports_a_wiped_trail_a_dropped_table_or_a_missing_key_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    db, conn = _cli_db(tmp_path, monkeypatch)
    if damage == "missing key":
        (tmp_path / "grant.key").unlink()
    else:
        conn.executescript(damage)
    result = CliRunner().invoke(main, ["audit", "verify", "--db", str(db)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.startswith("TAMPERED: ") and "Traceback" not in result.output
    if damage == "missing key":
        assert len(result.output.strip().splitlines()) == 1
        assert not (tmp_path / "grant.key").exists()  # never silently regenerated


def test_aoi_audit_verify_on_a_database_never_written_is_ok_without_a_key(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AOI_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["audit", "verify", "--db", str(tmp_path / "aoi.db")])
    assert result.exit_code == 0 and result.output.startswith("ok: 0 audit records")
    assert not (tmp_path / "grant.key").exists()
