"""Opening the AOI database: WAL mode, foreign keys, named migrations applied in order, clear errors.

The database lives in the user data directory (`AOI_HOME`, default `~/.local/share/aoi`) unless a path is
given. A file that is not a SQLite database, or is damaged, raises `StoreError` naming the file and what to do;
nothing is overwritten.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

Migration = tuple[str, Callable[[sqlite3.Connection], None]]

MIGRATIONS: list[Migration] = []
"""(name, apply) in order. Each runs once per database, inside a transaction, and is recorded by name."""


class StoreError(Exception):
    """The database cannot be opened or used: the message names the file and the way out."""


def migration(name: str) -> Callable[[Callable[[sqlite3.Connection], None]], Callable[[sqlite3.Connection], None]]:
    """Register a migration; names are applied in registration order and must be unique."""

    def register(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
        if any(existing == name for existing, _ in MIGRATIONS):
            raise ValueError(f"duplicate migration {name!r}")
        MIGRATIONS.append((name, fn))
        return fn

    return register


def data_dir() -> Path:
    """Where AOI keeps its files: `$AOI_HOME`, else `$XDG_DATA_HOME/aoi`, else `~/.local/share/aoi`."""
    if os.environ.get("AOI_HOME"):
        return Path(os.environ["AOI_HOME"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "aoi"


def default_db_path() -> Path:
    return data_dir() / "aoi.db"


def connect(path: str | Path | None = None) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the AOI database.

    Raises:
        StoreError: the file is not a usable SQLite database, or a migration failed.
    """
    # Importing the table modules registers their migrations.
    from aoi.store import tables  # noqa: F401

    db_path = Path(path) if path is not None else default_db_path()
    if str(db_path) != ":memory:":
        db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(db_path), isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        if str(db_path) != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
            # Narrowed right after SQLite creates the files, before any migration writes a row into them; the
            # -wal and -shm files SQLite creates later take the main file's mode.
            _make_private(db_path)
        conn.execute("CREATE TABLE IF NOT EXISTS _aoi_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        applied = {row[0] for row in conn.execute("SELECT name FROM _aoi_migrations")}
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{db_path} is not a usable AOI database ({exc}). Move it aside (it is not modified) "
                         f"and AOI will create a new one, or point AOI_HOME elsewhere.") from exc
    for name, apply in MIGRATIONS:
        if name in applied:
            continue
        try:
            conn.execute("BEGIN IMMEDIATE")
            # Another process may have applied it between our read and the write lock.
            if conn.execute("SELECT 1 FROM _aoi_migrations WHERE name = ?", (name,)).fetchone():
                conn.execute("COMMIT")
                continue
            apply(conn)
            conn.execute("INSERT INTO _aoi_migrations (name, applied_at) VALUES (?, ?)",
                         (name, datetime.now(UTC).isoformat()))
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            conn.execute("ROLLBACK")
            raise StoreError(f"migration {name!r} failed on {db_path}: {exc}") from exc
    return conn


def _make_private(db_path: Path) -> None:
    """Make the database file and its WAL siblings readable by their owner only (never widened).

    The database holds undo records with real pre-images (which may contain secrets) and the audit trail. Not done
    by creating the file first: another process opening a just-created empty file while SQLite writes its header
    would read "file is not a database".
    """
    for path in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm"), Path(f"{db_path}-journal")):
        try:
            if path.exists() and path.stat().st_mode & 0o077:
                os.chmod(path, path.stat().st_mode & 0o700)
        except OSError:
            continue  # not ours to change (another owner); sqlite3 reports what it cannot open


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT name FROM _aoi_migrations ORDER BY rowid")]
