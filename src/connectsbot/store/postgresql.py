"""The PostgreSQL database under the store (CONNECTSBOT_DATABASE_URL): a pool of asyncpg connections,
write transactions that keep SQLite's guarantees across processes, migrations of its own, and every
committed change of the knowledge announced with NOTIFY.

Write transactions take a transaction-level advisory lock first, so they run one at a time across every
process sharing the schema, like SQLite's single writer: what a transaction reads (an entry's head, the
live aliases) stays true until it commits, and the compare-and-set on `head_revision` refuses a stale
edit. The lock's second key is the schema's hash: stores in two schemas of one database do not wait for
each other.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from connectsbot.store.connection import Connection, Database, DuplicateKey, Row, change_payload
from connectsbot.store.database import Migration, shipped_migrations
from connectsbot.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

URL_SCHEMES = ("postgresql", "postgres")
# First keys of the advisory locks ("cbw", "cbm"); the second is hashtext(current_schema()).
WRITE_LOCK = 0x636277
MIGRATION_LOCK = 0x63626D
CONNECT_TIMEOUT_SECONDS = 10.0
# The reader's concurrent queries and the one write transaction at a time (made as they are needed).
POOL_SIZE = 10
CHANNEL_PREFIX = "connectsbot.knowledge."
# PostgreSQL's longest channel name (NAMEDATALEN - 1 bytes): longer ones are refused by pg_notify.
LONGEST_CHANNEL = 63
# The table of applied migrations (SQLite keeps the version in `PRAGMA user_version`).
SCHEMA_VERSIONS = "schema_migrations"


def is_database_url(location: object) -> bool:
    """Whether `location` names a PostgreSQL database (postgresql://… or postgres://…)."""
    return isinstance(location, str) and urlsplit(location).scheme in URL_SCHEMES


def described(url: str) -> str:
    """The database for the operator, never its password: "PostgreSQL database app on db.local:5432"."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or "localhost"
    name = parts.path.lstrip("/") or "(default)"
    return f"PostgreSQL database {name} on {host}:{port or 5432}"


@lru_cache(maxsize=512)
def numbered_placeholders(sql: str) -> str:
    """The store's `?` placeholders as asyncpg's `$1, $2, …`; a `?` inside a quoted literal or
    identifier is left alone ('' and "" inside one are its own quote, doubled)."""
    out = []
    number = 0
    quote: str | None = None
    for character in sql:
        if quote is not None:
            if character == quote:
                quote = None  # a doubled quote closes and opens again: same result
        elif character in "'\"":
            quote = character
        elif character == "?":
            number += 1
            out.append(f"${number}")
            continue
        out.append(character)
    return "".join(out)


def _changed_rows(status: str) -> int:
    """The row count in a command status: "UPDATE 3" -> 3, "INSERT 0 1" -> 1."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _unavailable(error: BaseException) -> StoreUnavailable | None:
    """The typed error for a failure of the environment; None for anything else (a bug)."""
    problem = None
    if isinstance(error, asyncpg.LockNotAvailableError):
        problem = "the database is busy: another program has been writing to it for too long"
    elif isinstance(error, asyncpg.DiskFullError):
        problem = "the database server's disk is full"
    elif isinstance(error, asyncpg.TooManyConnectionsError):
        problem = "the database server accepts no more connections"
    elif isinstance(error, asyncpg.ReadOnlySQLTransactionError):
        problem = "the database is read-only"
    elif isinstance(error, asyncpg.InsufficientPrivilegeError):
        problem = "the database may not be written to"
    elif isinstance(error, asyncpg.InvalidAuthorizationSpecificationError):
        problem = "the database server refused the login"
    elif isinstance(error, asyncpg.InvalidCatalogNameError):
        problem = "the database does not exist"
    elif isinstance(error, asyncpg.InvalidSchemaNameError):
        problem = "the schema does not exist (see search_path in the address)"
    elif isinstance(error, asyncpg.OperatorInterventionError):
        problem = "the database server is shutting down or starting"
    elif isinstance(error, asyncpg.PostgresConnectionError | asyncpg.InterfaceError | OSError | TimeoutError):
        problem = "the database server cannot be reached"
    if problem is None:
        return None
    return StoreUnavailable(problem, f"{type(error).__name__}: {error}")


# A connection of its own (migrate-to) or one lent by the pool.
RawConnection = asyncpg.Connection | PoolConnectionProxy

# What a failure of the environment can raise here (`_unavailable` says which ones it is).
_FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


class PostgresConnection:
    """An asyncpg connection as the store's parts use it (see connectsbot.store.connection)."""

    def __init__(self, raw: RawConnection) -> None:
        self.raw = raw

    async def fetchone(self, sql: str, parameters: Sequence[Any] = ()) -> Row | None:
        row: Row | None = await self.raw.fetchrow(numbered_placeholders(sql), *parameters)
        return row

    async def fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        return list(await self.raw.fetch(numbered_placeholders(sql), *parameters))

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        try:
            return _changed_rows(await self.raw.execute(numbered_placeholders(sql), *parameters))
        except asyncpg.UniqueViolationError as error:
            raise DuplicateKey(str(error)) from error

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self.raw.executemany(numbered_placeholders(sql), rows)


class PostgresReader:
    """Committed data: each read on a connection of the pool, outside any write transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[PostgresConnection]:
        try:
            async with self._pool.acquire() as raw:
                yield PostgresConnection(raw)
        except _FAILURES as error:
            unavailable = _unavailable(error)
            if unavailable is None:
                raise
            raise unavailable from error

    async def fetchone(self, sql: str, parameters: Sequence[Any] = ()) -> Row | None:
        async with self._connection() as db:
            return await db.fetchone(sql, parameters)

    async def fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        async with self._connection() as db:
            return await db.fetchall(sql, parameters)


async def migrate_postgresql(raw: RawConnection, migrations: Sequence[Migration]) -> None:
    """Apply the migrations newer than the schema's, all in one transaction under an advisory lock:
    two processes opening the database at once do not both migrate, and a failing migration leaves
    the schema as it was."""
    async with raw.transaction():
        await raw.execute("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", MIGRATION_LOCK)
        if await raw.fetchval("SELECT to_regclass($1)", SCHEMA_VERSIONS) is None:
            await raw.execute(
                f"CREATE TABLE {SCHEMA_VERSIONS} "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
        current = int(await raw.fetchval(f"SELECT COALESCE(max(version), 0) FROM {SCHEMA_VERSIONS}"))
        for migration in migrations:
            if migration.version <= current:
                continue
            await raw.execute(migration.sql)  # no arguments: the whole script, statement by statement
            await raw.execute(
                f"INSERT INTO {SCHEMA_VERSIONS} (version, name, applied_at) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                datetime.now(UTC).isoformat(),
            )
            log.info("the PostgreSQL schema migrated to version %d (%s)", migration.version, migration.name)


async def schema_version(raw: RawConnection) -> int:
    """The schema's migration version (0: no connectsbot schema here)."""
    if await raw.fetchval("SELECT to_regclass($1)", SCHEMA_VERSIONS) is None:
        return 0
    return int(await raw.fetchval(f"SELECT COALESCE(max(version), 0) FROM {SCHEMA_VERSIONS}"))


def _cannot_open(url: str, error: StoreUnavailable) -> StoreUnavailable:
    """The failure worded for the operator starting the bot: which database, what is wrong, the
    server's words (never the password)."""
    return StoreUnavailable(error.problem, error.cause, f"{described(url)}: {error.problem} ({error.cause})")


async def create_pool(url: str) -> asyncpg.Pool:
    """A pool on `url`, its first connection made; StoreUnavailable worded for the operator if not."""
    try:
        return await asyncpg.create_pool(url, min_size=1, max_size=POOL_SIZE, timeout=CONNECT_TIMEOUT_SECONDS)
    except ValueError as error:  # asyncpg's words for an address it cannot parse
        raise _cannot_open(url, StoreUnavailable("the database address is not valid", str(error))) from None
    except _FAILURES as error:
        unavailable = _unavailable(error)
        if unavailable is None:
            raise
        raise _cannot_open(url, unavailable) from error


class PostgresDatabase(Database):
    """A connection pool on one PostgreSQL database (its schema: the first of the search_path). Open
    with `await PostgresDatabase.open(url)`."""

    def __init__(self, pool: asyncpg.Pool, url: str, schema: str, write_patience: float) -> None:
        super().__init__(write_patience)
        self._pool = pool
        self._url = url
        self._schema = schema
        self._reader = PostgresReader(pool)

    @classmethod
    async def open(cls, url: str, *, write_patience: float) -> PostgresDatabase:
        """Connect and migrate. Raises StoreUnavailable, worded for the operator (naming the host and the
        database, never the password), when the database cannot be reached or used."""
        pool = await create_pool(url)
        try:
            async with pool.acquire() as raw:
                await migrate_postgresql(raw, shipped_migrations("postgresql"))
                schema = str(await raw.fetchval("SELECT current_schema()"))
        except _FAILURES as error:
            await pool.close()
            unavailable = _unavailable(error)
            if unavailable is None:
                raise
            raise _cannot_open(url, unavailable) from error
        except BaseException:
            await pool.close()
            raise
        if len((CHANNEL_PREFIX + schema).encode()) > LONGEST_CHANNEL:
            await pool.close()
            longest = LONGEST_CHANNEL - len(CHANNEL_PREFIX)
            problem = f"the schema's name is too long (changes are announced on {CHANNEL_PREFIX}<schema>)"
            raise _cannot_open(url, StoreUnavailable(problem, f"{schema!r}: at most {longest} bytes"))
        return cls(pool, url, schema, write_patience)

    @property
    def reader(self) -> PostgresReader:
        return self._reader

    @property
    def notify_channel(self) -> str:
        return CHANNEL_PREFIX + self._schema

    @property
    def database_url(self) -> str:
        return self._url

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def _write_transaction(self) -> AsyncIterator[Connection]:
        """A transaction that first takes the schema's write lock, waiting at most `write_patience`."""
        try:
            async with self._pool.acquire() as raw, raw.transaction():
                waited = f"{max(1, round(self.write_patience * 1000))}ms"
                await raw.execute("SELECT set_config('lock_timeout', $1, true)", waited)
                await raw.execute("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", WRITE_LOCK)
                yield PostgresConnection(raw)
        except _FAILURES as error:
            unavailable = _unavailable(error)
            if unavailable is None:
                raise
            log.warning("the database refused a write: %s (%s)", unavailable.problem, unavailable.cause)
            raise unavailable from error

    async def _announce(self, db: Connection, version: int, files: bool) -> None:
        # Delivered on commit only, to every LISTEN on the channel (this process's too).
        await db.execute(
            "SELECT pg_notify(?, ?)", (self.notify_channel, change_payload(version, self.origin, files))
        )
