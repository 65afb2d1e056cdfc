"""Backing up and restoring the database file with SQLite's online backup API.

A backup is one read transaction over the source: in WAL mode the bot keeps writing meanwhile, and the
copy is the database as of one commit, WAL included. A restore refuses while any other connection has
the database open (the bot, a CLI command): it holds SQLite's exclusive lock while it copies, so nothing
can open the database half-restored, and it first checks the backup's integrity.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from connectsbot.store.errors import StoreError


class BackupFailed(StoreError):
    """A backup or restore was refused or failed; the message says why, and nothing was changed."""


@contextlib.contextmanager
def _connection(path: Path, *, timeout: float = 5.0) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, isolation_level=None, timeout=timeout)
    try:
        yield connection
    finally:
        connection.close()


def integrity_problems(path: Path, *, quick: bool = False) -> list[str]:
    """What SQLite's integrity check finds wrong with the database at `path` (empty: it is sound), or
    why the file is not a connectsbot database. `quick`: SQLite's quick_check, which skips the indexes'
    contents (for a health check while the bot runs)."""
    if not path.is_file():
        return [f"{path} does not exist or is not a file"]
    try:
        with _connection(path) as connection:
            connection.execute("PRAGMA query_only = ON")
            check = "quick_check" if quick else "integrity_check"
            rows = [str(row[0]) for row in connection.execute(f"PRAGMA {check}")]
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as error:
        return [f"{path} is not a readable SQLite database ({error})"]
    if rows != ["ok"]:
        return rows
    if version == 0:
        return [f"{path} is not a connectsbot database (it has no schema version)"]
    return []


def timestamped(path: Path, label: str) -> Path:
    """A file beside `path` named for what it is and when: db.before-restore-20261204T230000Z.sqlite3."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return path.with_name(f"{path.stem}.{label}-{stamp}{path.suffix or '.sqlite3'}")


def backup_database(source: Path, target: Path) -> None:
    """Copy the database `source` to `target` while other connections may be writing to it. The copy is
    written beside `target` and renamed into place only once it passes the integrity check."""
    if not source.is_file():
        raise BackupFailed(f"there is no database at {source}")
    if target.resolve() == source.resolve():
        raise BackupFailed("the backup must be another file than the database")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _connection(source) as reader, _connection(partial) as copy:
            reader.backup(copy)  # all pages in one step: one read transaction, one consistent state
            # A self-contained file: the copy keeps no -wal beside it.
            copy.execute("PRAGMA journal_mode = DELETE")
        problems = integrity_problems(partial)
        if problems:
            raise BackupFailed(f"the copy of {source} failed the integrity check: {'; '.join(problems)}")
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as error:
        raise BackupFailed(f"could not back up {source} to {target}: {error}") from error
    finally:
        partial.unlink(missing_ok=True)


def restore_database(backup: Path, database: Path) -> Path | None:
    """Replace the database with `backup`, after checking the backup's integrity. Refused while anything
    else has the database open. The database it replaces is kept beside it first; returns that copy's
    path (None when there was no database)."""
    problems = integrity_problems(backup)
    if problems:
        raise BackupFailed(f"not restored; the backup has problems: {'; '.join(problems)}")
    kept = timestamped(database, "before-restore") if database.is_file() else None
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        with _connection(database, timeout=0) as target:
            # Held until the connection closes: nobody can open the database mid-restore. In WAL mode an
            # idle connection of the bot holds a shared lock, so this fails while the bot runs.
            target.execute("PRAGMA locking_mode = EXCLUSIVE")
            try:
                target.execute("BEGIN EXCLUSIVE")
                target.execute("COMMIT")
            except sqlite3.OperationalError as error:
                raise BackupFailed(
                    f"not restored: {database} is in use (is the bot running? stop it first)"
                ) from error
            if kept is not None:
                with _connection(kept) as copy:
                    target.backup(copy)
            with _connection(backup) as source:
                source.backup(target)
    except (OSError, sqlite3.Error) as error:
        raise BackupFailed(f"could not restore {backup} to {database}: {error}") from error
    return kept
