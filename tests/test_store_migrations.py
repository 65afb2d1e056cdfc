"""The migration runner: each file split where SQLite says a statement ends, run in one transaction
with the version it brings the database to."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import aiosqlite
import pytest

from connectsbot.store import KnowledgeStore
from connectsbot.store.database import Migration, migrate, shipped_migrations, sql_statements

NOTES = Migration(
    1,
    "V1__notes.sql",
    """-- Notes; and an audit of them (this comment's `;` ends nothing).
CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL DEFAULT 'a; b');
CREATE TABLE audit (note_id INTEGER, what TEXT);
CREATE TRIGGER note_added AFTER INSERT ON notes
BEGIN
    INSERT INTO audit (note_id, what) VALUES (new.id, 'added; once');
    INSERT INTO audit (note_id, what) VALUES (new.id, 'added; twice');
END;
INSERT INTO notes (text) VALUES ('it''s; here'); INSERT INTO notes DEFAULT VALUES;
""",
)


@pytest.fixture
async def connection(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    async with aiosqlite.connect(tmp_path / "m.sqlite3", isolation_level=None) as db:
        yield db


async def version(db: aiosqlite.Connection) -> int:
    cursor = await db.execute("PRAGMA user_version")
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def tables(db: aiosqlite.Connection) -> list[str]:
    cursor = await db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [str(row[0]) for row in await cursor.fetchall()]


def test_statements_end_where_sqlite_says_they_do() -> None:
    statements = sql_statements(NOTES.sql)
    assert len(statements) == 5
    assert statements[2].startswith("CREATE TRIGGER") and statements[2].endswith("END;")
    assert statements[3:] == [
        "INSERT INTO notes (text) VALUES ('it''s; here');",
        "INSERT INTO notes DEFAULT VALUES;",
    ]
    # An unfinished last statement is kept, for SQLite to refuse, rather than dropped.
    assert sql_statements("CREATE TABLE a (x);\nCREATE TABLE b (y") == [
        "CREATE TABLE a (x);",
        "CREATE TABLE b (y",
    ]


async def test_a_migration_with_semicolons_in_strings_and_triggers_runs_whole(
    connection: aiosqlite.Connection,
) -> None:
    await migrate(connection, [NOTES], patience=1.0)
    assert await version(connection) == 1
    cursor = await connection.execute("SELECT text FROM notes ORDER BY id")
    assert [row[0] for row in await cursor.fetchall()] == ["it's; here", "a; b"]
    cursor = await connection.execute("SELECT note_id, what FROM audit ORDER BY rowid")
    assert await cursor.fetchall() == [
        (1, "added; once"),
        (1, "added; twice"),
        (2, "added; once"),
        (2, "added; twice"),
    ]


async def test_a_failing_migration_leaves_schema_and_version_as_they_were(
    connection: aiosqlite.Connection,
) -> None:
    await migrate(connection, [NOTES], patience=1.0)
    broken = Migration(2, "V2__broken.sql", "CREATE TABLE later (x);\nINSERT INTO nowhere VALUES (1);\n")
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        await migrate(connection, [NOTES, broken], patience=1.0)
    assert await version(connection) == 1
    assert await tables(connection) == ["audit", "notes"]
    assert not connection.in_transaction
    fixed = Migration(2, "V2__fixed.sql", "CREATE TABLE later (x);\n")
    await migrate(connection, [NOTES, fixed], patience=1.0)
    assert await version(connection) == 2 and "later" in await tables(connection)


async def test_the_shipped_migrations_make_the_schema_their_scripts_describe(tmp_path: Path) -> None:
    async with await KnowledgeStore.open(tmp_path / "store.sqlite3"):
        pass
    with closing(sqlite3.connect(tmp_path / "plain.sqlite3")) as plain:
        for migration in shipped_migrations():
            plain.executescript(migration.sql)
        expected = plain.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    with closing(sqlite3.connect(tmp_path / "store.sqlite3")) as migrated:
        assert (
            migrated.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() == expected
        )
        assert migrated.execute("PRAGMA user_version").fetchone()[0] == shipped_migrations()[-1].version


async def test_two_connections_opening_a_new_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    # Patient enough for a loaded machine: the point is that the second waits, then finds it migrated.
    opened = await asyncio.gather(*(KnowledgeStore.open(path, write_patience=30) for _ in range(2)))
    for store in opened:
        await store.close()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == shipped_migrations()[-1].version
