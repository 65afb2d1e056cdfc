"""The SQLite database under the store (the embedded default): opening and migrating it, its two
connections, and write transactions that wait out other connections' locks and turn environmental
failures into StoreUnavailable.

Two connections to one WAL database: the writer, where transactions run one at a time, and the
reader, which sees only committed data and never queues behind a commit, a busy wait or another
coroutine's half-done transaction.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from connectsbot.store.backup import backup_database, timestamped
from connectsbot.store.connection import Connection, Database, DuplicateKey, Row
from connectsbot.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

# While another connection (the CLI, a second bot) holds the write lock, the writer retries here with
# backoff instead of waiting in SQLite's busy handler, which would block its thread the whole time:
# each attempt waits at most LOCK_ATTEMPT_MS inside SQLite, then the coroutine sleeps. After
# WRITE_PATIENCE_SECONDS the change is refused with StoreUnavailable, early enough for the bot to
# still tell the member within Discord's 3-second reply deadline.
LOCK_ATTEMPT_MS = 50
WRITE_PATIENCE_SECONDS = 2.0
FIRST_RETRY_SECONDS = 0.01
LONGEST_RETRY_SECONDS = 0.25
# Readers never wait for writers under WAL; this covers rare moments such as another process's recovery.
READ_BUSY_TIMEOUT_MS = 2_000

# SQLite's primary result codes that mean "the database cannot be used just now", in plain words.
_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY: "the database is busy: another program has been writing to it for too long",
    sqlite3.SQLITE_LOCKED: "the database is busy: another program has been writing to it for too long",
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the database is read-only",
    sqlite3.SQLITE_PERM: "the database may not be written to",
    sqlite3.SQLITE_IOERR: "the disk could not be read or written",
    sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened",
    sqlite3.SQLITE_CORRUPT: "the database file is damaged",
    sqlite3.SQLITE_NOTADB: "the file is not a database, or it is damaged",
}
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_DUPLICATE_KEY = (sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE)
# An existing database refused for these may still be read: it is then opened read-only.
_NOT_WRITABLE = (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN)


def _result_code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF  # extended codes carry the primary one in the low byte


def _unavailable(error: sqlite3.Error) -> StoreUnavailable | None:
    """The typed error for an environmental SQLite failure; None for anything else (a bug)."""
    problem = _UNAVAILABLE.get(_result_code(error) or 0)
    return StoreUnavailable(problem, f"{type(error).__name__}: {error}") if problem else None


def _cannot_open(path: Path, error: StoreUnavailable) -> StoreUnavailable:
    """The failure worded for the operator starting the bot: which file, what is wrong, SQLite's words
    (the launcher and the CLI put it after "cannot open the database: " and "connectsbot: ")."""
    return StoreUnavailable(error.problem, error.cause, f"{path}: {error.problem} ({error.cause})")


async def _connect(database: str, *, uri: bool = False) -> aiosqlite.Connection:
    """An aiosqlite connection in autocommit mode (transactions are explicit), rows by column name."""
    connection = aiosqlite.connect(database, isolation_level=None, uri=uri)
    try:
        await connection
    except BaseException:
        # aiosqlite hands its worker thread the stop request without waiting for it: wait here, or the
        # thread later reports to an event loop that has closed ("RuntimeError: Event loop is closed").
        await asyncio.to_thread(connection._thread.join)
        raise
    connection.row_factory = sqlite3.Row
    return connection


class SqliteConnection:
    """An aiosqlite connection as the store's parts use it (see connectsbot.store.connection)."""

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self.raw = raw

    async def fetchone(self, sql: str, parameters: Sequence[Any] = ()) -> Row | None:
        cursor = await self.raw.execute(sql, parameters)
        row: Row | None = await cursor.fetchone()
        return row

    async def fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        cursor = await self.raw.execute(sql, parameters)
        return list(await cursor.fetchall())

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        try:
            cursor = await self.raw.execute(sql, parameters)
        except sqlite3.IntegrityError as error:
            if getattr(error, "sqlite_errorcode", None) in _DUPLICATE_KEY:
                raise DuplicateKey(str(error)) from error
            raise
        return int(cursor.rowcount)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self.raw.executemany(sql, rows)

    async def close(self) -> None:
        await self.raw.close()


async def _patiently(db: aiosqlite.Connection, statement: str, patience: float) -> None:
    """Run a statement that takes the write lock (BEGIN IMMEDIATE, COMMIT, switching to WAL), retrying with
    backoff while another connection holds it (a COMMIT refused as busy leaves the transaction open, so it
    may be retried too)."""
    deadline = time.monotonic() + patience
    pause = FIRST_RETRY_SECONDS
    while True:
        try:
            await db.execute(statement)
            return
        except sqlite3.Error as error:
            if _result_code(error) not in _BUSY or time.monotonic() + pause > deadline:
                unavailable = _unavailable(error)
                if unavailable is None:
                    raise
                raise unavailable from error
        # Jittered, so that two processes waiting for each other do not retry in step.
        await asyncio.sleep(random.uniform(pause / 2, pause))
        pause = min(pause * 2, LONGEST_RETRY_SECONDS)


def _log_refused(error: StoreUnavailable) -> None:
    # A warning, not an error: the environment is at fault and the caller tells the member.
    log.warning("the database refused a write: %s (%s)", error.problem, error.cause)


async def _roll_back(db: aiosqlite.Connection) -> None:
    """Undo the open transaction, unless SQLite already has (it does after a full disk, for one)."""
    if not db.in_transaction:
        return
    try:
        await db.execute("ROLLBACK")
    except sqlite3.Error as error:
        log.warning("the database could not roll back a failed transaction: %s", error)


@asynccontextmanager
async def _whole(db: aiosqlite.Connection, patience: float) -> AsyncIterator[None]:
    """A write transaction on `db`, taken up front (BEGIN IMMEDIATE), committed or rolled back whole."""
    await _patiently(db, "BEGIN IMMEDIATE", patience)
    try:
        yield
        await _patiently(db, "COMMIT", patience)
    except BaseException:
        await _roll_back(db)
        raise


# Migrations


Dialect = Literal["sqlite", "postgresql"]


@dataclass(frozen=True)
class Migration:
    """One numbered SQL script: `migrations/{dialect}/V{version}__{name}.sql`."""

    version: int
    name: str
    sql: str


def shipped_migrations(dialect: Dialect = "sqlite") -> list[Migration]:
    """The migrations shipped in the package for one dialect, oldest first."""
    found = []
    for item in resources.files("connectsbot.store").joinpath("migrations", dialect).iterdir():
        name = item.name
        if name.startswith("V") and name.endswith(".sql") and "__" in name:
            version = int(name[1:].split("__", 1)[0])
            found.append(Migration(version, name, item.read_text(encoding="utf-8")))
    return sorted(found, key=lambda migration: migration.version)


def sql_statements(script: str) -> list[str]:
    """A script's statements, split where SQLite itself says a statement is complete: a `;` inside a
    string literal, a comment or a trigger body does not end one. What follows the last `;` is kept if it
    holds anything, so that SQLite reports an unfinished statement instead of it being dropped."""
    *pieces, rest = script.split(";")
    statements = []
    pending = ""
    for piece in pieces:
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if (pending + rest).strip():
        statements.append((pending + rest).strip())
    return statements


async def _user_version(db: aiosqlite.Connection) -> int:
    cursor = await db.execute("PRAGMA user_version")
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(
    writer: aiosqlite.Connection, migrations: Sequence[Migration], patience: float, path: Path | None = None
) -> None:
    """Apply the migrations newer than the database's `user_version`, each in its own transaction with the
    version it brings the database to: a migration that fails leaves the schema and the version as they
    were. (Not `executescript`, which commits the open transaction first.) An existing database at `path`
    is backed up beside itself first, when there is something to migrate."""
    current = await _user_version(writer)
    if path is not None and current > 0 and any(m.version > current for m in migrations):
        saved = timestamped(path, f"before-migration-v{current}")
        await asyncio.to_thread(backup_database, path, saved)
        log.info("the database is at schema version %d; backed up to %s before migrating", current, saved)
    for migration in migrations:
        if migration.version <= current:
            continue
        async with _whole(writer, patience):
            # Read again under the write lock: another process opening the database may have migrated it.
            current = await _user_version(writer)
            if migration.version > current:
                for statement in sql_statements(migration.sql):
                    await writer.execute(statement)
                await writer.execute(f"PRAGMA user_version = {int(migration.version)}")
                current = migration.version


class SqliteDatabase(Database):
    """The writer and reader connections of one SQLite database. Open with
    `await SqliteDatabase.open(path)`."""

    def __init__(
        self,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        write_patience: float,
    ) -> None:
        super().__init__(write_patience)
        # Transactions run here, one at a time (`write_lock`).
        self.writer = SqliteConnection(writer)
        # Committed data only, and read-only (`query_only`): reads never wait for the writer.
        self._reader = SqliteConnection(reader)

    @property
    def reader(self) -> SqliteConnection:
        return self._reader

    @classmethod
    async def open(cls, path: Path, *, write_patience: float) -> SqliteDatabase:
        """Open (creating and migrating if needed) the database at `path`. Raises StoreUnavailable, worded for
        the operator, when it cannot be opened (not a database, no such folder, a full disk).

        A database that exists but cannot be written (a read-only file, folder or disk) is opened read-only:
        it answers, and every write raises StoreUnavailable (`read_only` says so)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            problem = f"its folder cannot be created ({error.strerror or error})"
            raise _cannot_open(path, StoreUnavailable(problem, repr(error))) from error
        try:
            return await cls._open_writable(path, write_patience)
        except (sqlite3.Error, StoreUnavailable) as error:
            # SQLite's own error: raised here, or under the StoreUnavailable of a refused transaction.
            sqlite_error = error if isinstance(error, sqlite3.Error) else error.__cause__
            unavailable = error if isinstance(error, StoreUnavailable) else _unavailable(error)
            if unavailable is None:
                raise
            code = _result_code(sqlite_error) if isinstance(sqlite_error, sqlite3.Error) else None
            if code not in _NOT_WRITABLE or not await asyncio.to_thread(path.is_file):
                raise _cannot_open(path, unavailable) from error
            try:
                database = await cls._open_read_only(path, write_patience, unavailable)
            except (sqlite3.Error, StoreUnavailable) as read_error:
                refused = read_error if isinstance(read_error, StoreUnavailable) else unavailable
                raise _cannot_open(path, refused) from read_error
            log.warning("%s opened read-only: it cannot be written (%s)", path, unavailable.cause)
            return database

    @classmethod
    async def _open_writable(cls, path: Path, write_patience: float) -> SqliteDatabase:
        opened: list[aiosqlite.Connection] = []
        try:
            writer = await _connect(str(path))
            opened.append(writer)
            await writer.execute(f"PRAGMA busy_timeout = {LOCK_ATTEMPT_MS}")
            # Switching a new database to WAL takes its lock: another process opening it at the same
            # moment waits for it like for any write.
            await _patiently(writer, "PRAGMA journal_mode = WAL", write_patience)
            for pragma in ("synchronous = FULL", "foreign_keys = ON"):
                await writer.execute(f"PRAGMA {pragma}")
            await migrate(writer, shipped_migrations(), write_patience, path)
            reader = await _connect(str(path))
            opened.append(reader)
            await reader.execute(f"PRAGMA busy_timeout = {READ_BUSY_TIMEOUT_MS}")
            await reader.execute("PRAGMA query_only = ON")
        except BaseException:
            for connection in reversed(opened):
                await connection.close()
            raise
        return cls(writer, reader, write_patience)

    @classmethod
    async def _open_read_only(
        cls, path: Path, write_patience: float, refused: StoreUnavailable
    ) -> SqliteDatabase:
        """Both connections read-only (SQLite's `mode=ro`), on a database already at the current schema:
        one that needs a migration cannot be read (raises StoreUnavailable)."""
        try:
            return await cls._read_only(path, "mode=ro", write_patience, refused)
        except sqlite3.Error as error:
            wal = path.with_name(f"{path.name}-wal")
            if _result_code(error) != sqlite3.SQLITE_CANTOPEN or await asyncio.to_thread(wal.exists):
                raise
        # A WAL database closed cleanly in a folder that cannot be written: SQLite cannot make the
        # shared-memory file it reads through. Without a -wal file no connection is writing to it, so it
        # is read as it stands.
        return await cls._read_only(path, "mode=ro&immutable=1", write_patience, refused)

    @classmethod
    async def _read_only(
        cls, path: Path, parameters: str, write_patience: float, refused: StoreUnavailable
    ) -> SqliteDatabase:
        uri = f"{(await asyncio.to_thread(path.resolve)).as_uri()}?{parameters}"
        opened: list[aiosqlite.Connection] = []
        try:
            for _ in range(2):
                connection = await _connect(uri, uri=True)
                opened.append(connection)
                await connection.execute(f"PRAGMA busy_timeout = {READ_BUSY_TIMEOUT_MS}")
            writer, reader = opened
            newest = max((migration.version for migration in shipped_migrations()), default=0)
            if await _user_version(reader) < newest:
                problem = f"{refused.problem}, and its tables are not those of this version of connectsbot"
                raise StoreUnavailable(problem, refused.cause)
        except BaseException:
            for connection in reversed(opened):
                await connection.close()
            raise
        database = cls(writer, reader, write_patience)
        database.read_only = StoreUnavailable(_UNAVAILABLE[sqlite3.SQLITE_READONLY], refused.cause)
        return database

    async def close(self) -> None:
        """Close both connections (the last one checkpoints the WAL)."""
        await self._reader.close()
        await self.writer.close()

    @asynccontextmanager
    async def _write_transaction(self) -> AsyncIterator[Connection]:
        """A write transaction on the writer connection, taken up front (BEGIN IMMEDIATE)."""
        try:
            async with _whole(self.writer.raw, self.write_patience):
                yield self.writer
        except StoreUnavailable as error:  # BEGIN or COMMIT waited too long, or failed
            _log_refused(error)
            raise
        except sqlite3.Error as error:
            unavailable = _unavailable(error)
            if unavailable is None:
                raise
            _log_refused(unavailable)
            raise unavailable from error

    async def _announce(self, db: Connection, version: int, files: bool) -> None:
        """Nothing to send: SQLite has no notifications; other processes read `knowledge_version`."""
