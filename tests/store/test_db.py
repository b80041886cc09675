"""Opening the database: migrations once, also when several processes open a new file at the same moment."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from aoi.store.db import MIGRATIONS, StoreError, applied_migrations, connect


def test_processes_opening_a_new_database_together_all_succeed_and_migrate_once(tmp_path: Path) -> None:
    path = str(tmp_path / "aoi.db")
    script = f"from aoi.store.db import connect; connect({path!r}).close()"
    procs = [subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True) for _ in range(6)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    assert applied_migrations(connect(path)) == [name for name, _ in MIGRATIONS]


def test_a_file_that_is_not_a_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "aoi.db"
    path.write_bytes(b"definitely not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable AOI database"):
        connect(path)
    assert path.read_bytes() == b"definitely not sqlite" * 100


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    conn = connect(tmp_path / "aoi.db")
    conn.execute("INSERT INTO episodes (thread_id, task_type, task_text, cluster, model, approve_mode, status, "
                 "created_at, updated_at) VALUES ('t', 'detection', '', 'sim:x', 'm', 'ask', 'running', '', '')")
    again = connect(tmp_path / "aoi.db")
    assert again.execute("SELECT count(*) FROM episodes").fetchone()[0] == 1
    assert len(applied_migrations(again)) == len(MIGRATIONS)
    assert isinstance(again, sqlite3.Connection)


def test_a_new_database_and_its_wal_files_are_private_to_their_owner(tmp_path: Path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        conn = connect(tmp_path / "aoi.db")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        files = [tmp_path / "aoi.db", tmp_path / "aoi.db-wal", tmp_path / "aoi.db-shm"]
        assert all(f.exists() for f in files)
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}
    finally:
        os.umask(old)


def test_an_existing_world_readable_database_is_narrowed_on_open(tmp_path: Path) -> None:
    import stat

    path = tmp_path / "aoi.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    connect(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
