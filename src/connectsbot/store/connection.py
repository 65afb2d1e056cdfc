"""What the store's parts see of a database, whichever it is (SQLite or PostgreSQL): connections that
run SQL with `?` placeholders, rows readable by column name and position, and a `Database` that hands
out write transactions.

The SQL the parts write is valid in both dialects (`ON CONFLICT`, `1 = 1`, `CASE` instead of summing
booleans); the few differences live in `database` (SQLite) and `postgresql`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from connectsbot.store.errors import StoreUnavailable

# The `meta` row counting committed changes of the knowledge (entries, imports): another process
# compares it with what it has loaded.
KNOWLEDGE_VERSION = "knowledge_version"


class Row(Protocol):
    """A result row (sqlite3.Row, asyncpg.Record): by position or by column name, and iterable."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


class Reader(Protocol):
    """Queries with `?` placeholders, bound, never formatted."""

    async def fetchone(self, sql: str, parameters: Sequence[Any] = ()) -> Row | None: ...

    async def fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]: ...


class Connection(Reader, Protocol):
    """A connection that may write (inside a write transaction)."""

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run a statement; how many rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...


class DuplicateKey(Exception):
    """An insert met a row with the same primary or unique key (both dialects raise this)."""


class Database(ABC):
    """A database the store can use: `reader` for committed data, `transaction()` for writes (one at a
    time in this process, and across processes: the database's own single writer or lock)."""

    def __init__(self, write_patience: float) -> None:
        # Seconds a write may wait for another connection's transaction before StoreUnavailable.
        self.write_patience = write_patience
        # One write transaction at a time in this process.
        self.write_lock = asyncio.Lock()
        # Set when the open transaction wrote a revision, or imported the knowledge folder.
        self._entries_written = False
        self._files_imported = False
        # Bumped on every committed change to the entries (here, or elsewhere when told), so callers
        # know when to rebuild a matcher.
        self.generation = 0
        # Why the database was opened read-only (every write is refused with it); None when writable.
        self.read_only: StoreUnavailable | None = None
        # This opened store among the processes sharing the database (in change notifications).
        self.origin = secrets.token_hex(8)

    @property
    @abstractmethod
    def reader(self) -> Reader:
        """Committed data only; reads never wait for a writer."""

    @property
    def notify_channel(self) -> str | None:
        """Where changes of the knowledge are announced (PostgreSQL's LISTEN/NOTIFY); None: nowhere."""
        return None

    @property
    def database_url(self) -> str | None:
        """The PostgreSQL address the database was opened with; None for SQLite."""
        return None

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def _write_transaction(self) -> AbstractAsyncContextManager[Connection]:
        """One write transaction, taken up front, committed whole or rolled back; failures of the
        environment come out as StoreUnavailable."""

    @abstractmethod
    async def _announce(self, db: Connection, version: int, files: bool) -> None:
        """Inside the committing transaction: tell other processes the knowledge changed."""

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A write transaction, committed or rolled back whole. Failures of the environment (busy,
        full, read-only, unreachable) come out as StoreUnavailable; other errors as they are."""
        async with self.write_lock, self.locked_transaction() as db:
            yield db

    @asynccontextmanager
    async def locked_transaction(self) -> AsyncIterator[Connection]:
        """`transaction` for a caller that already holds `write_lock`."""
        self._entries_written = self._files_imported = False
        if self.read_only is not None:
            raise StoreUnavailable(self.read_only.problem, self.read_only.cause)
        async with self._write_transaction() as db:
            yield db
            if self._entries_written or self._files_imported:
                version = await bump_knowledge_version(db)
                await self._announce(db, version, self._files_imported)
        if self._entries_written:
            self.generation += 1

    def entries_written(self) -> None:
        """The open transaction changed the entries: move `generation` when it commits."""
        self._entries_written = True

    def files_imported(self) -> None:
        """The open transaction is an import of the knowledge folder (changed entries or not)."""
        self._files_imported = True


async def bump_knowledge_version(db: Connection) -> int:
    """Inside a write transaction: add one to the knowledge version; the new value."""
    await db.execute(
        "INSERT INTO meta (key, value) VALUES (?, '1') "
        "ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)",
        (KNOWLEDGE_VERSION,),
    )
    return await knowledge_version(db)


async def knowledge_version(db: Reader) -> int:
    """The knowledge version `db` sees (0 before the first change)."""
    row = await db.fetchone("SELECT value FROM meta WHERE key = ?", (KNOWLEDGE_VERSION,))
    return 0 if row is None else int(row[0])


def change_payload(version: int, origin: str, files: bool) -> str:
    """The notification of a committed change: `{"version": 7, "origin": "…", "files": false}`."""
    return json.dumps({"version": version, "origin": origin, "files": files})
