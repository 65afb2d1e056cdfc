"""What tests import: the repository's paths, the shared evaluation data, the test PostgreSQL server,
entry and folder builders, a scripted terminal reader. Fixtures and hooks stay in the conftest.py files."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

from connectsbot.chat import Reader
from connectsbot.kbfiles import render_entry
from connectsbot.knowledge import Entry
from connectsbot.store import KnowledgeStore
from fakediscord.harness import FakeDiscord

REPO = Path(__file__).resolve().parents[1]
SHIPPED_KNOWLEDGE = REPO / "knowledge"
# The shared data beside the repository (a sibling checkout, as on CI): the public evaluation set.
SHARED = REPO.parent / "shared"
PUBLIC_QUESTIONS = SHARED / "eval" / "questions.jsonl"
PUBLIC_TIMELINES = SHARED / "eval" / "timelines"
REQUIRED_TOPICS = SHARED / "knowledge-topics.md"

# The PostgreSQL server the store's tests run against (each test in a schema of its own).
TEST_POSTGRESQL = os.environ.get("CONNECTSBOT_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/test")

EntryFactory = Callable[..., Entry]
# `await open_store(**options)` -> a store on the test's database (the fixture of that name).
OpenStore = Callable[..., Awaitable[KnowledgeStore]]
# `await start_fake_discord(bot, **options)` -> a started fake Discord (the fixture of that name).
StartFakeDiscord = Callable[..., Awaitable[FakeDiscord]]


def missing_shared_data(shared: Path = SHARED) -> list[str]:
    """What the suite needs from the shared folder and does not find there (empty when all is there)."""
    missing = [
        f"{path} (a file)"
        for path in (shared / "eval" / "questions.jsonl", shared / "knowledge-topics.md")
        if not path.is_file()
    ]
    timelines = shared / "eval" / "timelines"
    if not any(timelines.glob("*.txt")):
        missing.append(f"{timelines} (a folder of *.txt timelines)")
    return missing


def postgresql_unreachable(url: str = TEST_POSTGRESQL) -> str | None:
    """Why the test PostgreSQL server cannot be used (None: it can)."""

    async def probe() -> None:
        connection = await asyncpg.connect(url, timeout=5)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        return (
            f"the store's tests need PostgreSQL at {url} (set CONNECTSBOT_TEST_POSTGRESQL for another): "
            f"{type(error).__name__}: {error}"
        )
    return None


def with_search_path(url: str, schema: str) -> str:
    """`url` connecting with `schema` first on the search_path (asyncpg passes it to the server)."""
    return f"{url}{'&' if '?' in url else '?'}search_path={schema}"


@asynccontextmanager
async def postgresql_schema(url: str = TEST_POSTGRESQL, name: str = "") -> AsyncIterator[str]:
    """A new empty schema on the test server (`name`, else a new unique one), as an address whose
    search_path is that schema; dropped, with all it holds, afterwards."""
    schema = name or f"t_{uuid.uuid4().hex}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield with_search_path(url, schema)
        finally:
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()


async def refuse_updates(
    store: KnowledgeStore, table: str, message: str, column: str = ""
) -> type[Exception]:
    """A fault in the database itself: a trigger refusing every UPDATE of `table` (of `column`) with
    `message`, on either backend; the exception the refusal raises."""
    of = f" OF {column}" if column else ""
    async with store._database.transaction() as db:
        if store.database_url is None:
            await db.execute(
                f"CREATE TRIGGER refuse_{table} BEFORE UPDATE{of} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
            return sqlite3.IntegrityError
        await db.execute(
            f"CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$BEGIN RAISE EXCEPTION '{message}'; END$$"
        )
        await db.execute(
            f"CREATE TRIGGER refuse_{table} BEFORE UPDATE{of} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION refuse_{table}()"
        )
        return asyncpg.RaiseError


def build_entry(entry_id: str, **overrides: Any) -> Entry:
    data: dict[str, Any] = {
        "id": entry_id,
        "question": f"What about {entry_id.replace('-', ' ')}?",
        "category": "connects",
        "as_of": date(2026, 11, 1),
        "aliases": [f"tell me about {entry_id.replace('-', ' ')}"],
        "sources": [{"source": "upwork-connects-announcement", "supports": "the figures"}],
        "answer": f"**Answer** about {entry_id}.",
    }
    data.update(overrides)
    return Entry.model_validate(data)


def write_folder(folder: Path, entries: list[Entry]) -> Path:
    (folder / "entries").mkdir(parents=True, exist_ok=True)
    for entry in entries:
        (folder / "entries" / f"{entry.id}.md").write_text(render_entry(entry), encoding="utf-8")
    shutil.copy(SHIPPED_KNOWLEDGE / "policy.yaml", folder / "policy.yaml")
    shutil.copy(SHIPPED_KNOWLEDGE / "sources.yaml", folder / "sources.yaml")
    return folder


def scripted_reader(lines: Iterable[str]) -> Reader:
    """A terminal for the chat that types `lines` one by one, then ends the input (Ctrl-D)."""
    remaining = iter(lines)

    def reader(prompt: str) -> str:
        try:
            return next(remaining)
        except StopIteration:
            raise EOFError from None

    return reader
