"""`connectsbot db migrate-to`: a SQLite database copied whole into an empty PostgreSQL schema.

The SQLite database is opened as the store opens it (so it is at the current schema version first),
the PostgreSQL schema is migrated to the same version, and every table is copied in one transaction
under the store's write lock: all of it, or (on any failure, or a target that already holds data)
nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from connectsbot.store.database import SqliteDatabase, shipped_migrations
from connectsbot.store.errors import StoreError
from connectsbot.store.postgresql import (
    WRITE_LOCK,
    create_pool,
    described,
    migrate_postgresql,
)


class MigrationRefused(StoreError):
    """The copy was refused or failed; nothing was written to the target."""


async def _sqlite_tables(database: SqliteDatabase) -> dict[str, list[str]]:
    """Each table of the SQLite database (SQLite's own left out) and its columns, in order."""
    rows = await database.reader.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    tables = {}
    for (name,) in rows:
        columns = await database.reader.fetchall(f'PRAGMA table_info("{name}")')
        tables[str(name)] = [str(column["name"]) for column in columns]
    return tables


# Copied in this order: a revision's entry must be there before it (the foreign key).
_FIRST = ("entries",)


async def copy_to_postgresql(source: Path, url: str, *, write_patience: float = 5.0) -> dict[str, int]:
    """Copy every table of the SQLite database `source` into the PostgreSQL database at `url` (its first
    search_path schema), which must hold no connectsbot data; the rows copied, by table. Raises
    MigrationRefused, or StoreUnavailable when either database cannot be used."""
    if not await asyncio.to_thread(source.is_file):
        raise MigrationRefused(f"there is no SQLite database at {source}")
    sqlite = await SqliteDatabase.open(source, write_patience=write_patience)
    try:
        tables = await _sqlite_tables(sqlite)
        pool = await create_pool(url)
        try:
            async with pool.acquire() as target:
                await migrate_postgresql(target, shipped_migrations("postgresql"))
                async with target.transaction():
                    await target.execute(
                        "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", WRITE_LOCK
                    )
                    for table in tables:
                        if await target.fetchval("SELECT to_regclass($1)", table) is None:
                            raise MigrationRefused(f"{described(url)} has no table {table}: not copied")
                        if await target.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                            raise MigrationRefused(
                                f"{described(url)} already holds connectsbot data (table {table}): "
                                "nothing was copied; give an empty database or schema"
                            )
                    copied = {}
                    for table in sorted(tables, key=lambda name: (name not in _FIRST, name)):
                        columns = tables[table]
                        quoted = ", ".join(f'"{column}"' for column in columns)
                        rows = await sqlite.reader.fetchall(f'SELECT {quoted} FROM "{table}"')
                        records = [tuple(row) for row in rows]
                        await target.copy_records_to_table(table, records=records, columns=columns)
                        copied[table] = len(records)
                    # New questions are numbered after the copied ones.
                    await target.execute(
                        "SELECT setval(pg_get_serial_sequence('questions', 'id'), "
                        "COALESCE((SELECT max(id) FROM questions), 0) + 1, false)"
                    )
        except asyncpg.PostgresError as error:
            raise MigrationRefused(f"{described(url)}: nothing was copied ({error})") from error
        finally:
            await pool.close()
    finally:
        await sqlite.close()
    return copied
