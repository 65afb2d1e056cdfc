"""What the second backend brings: the knowledge version and its change notifications, writers in
separate pools and processes, migrations under concurrent opens, a server that cannot be reached, the
settings that choose PostgreSQL, and `db migrate-to`. The tests taking `store` or `open_store` run on
both backends; the others on PostgreSQL only."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import asyncpg
import pytest

from connectsbot.cli import main
from connectsbot.kbfiles import load_folder
from connectsbot.settings import SettingsError, StoreSettings, read_section
from connectsbot.store import (
    AlreadyExists,
    KnowledgeStore,
    QuestionRecord,
    StaleRevision,
    StoredChange,
    StoreUnavailable,
)
from connectsbot.store.asker_salt import salt_file
from connectsbot.store.database import shipped_migrations
from connectsbot.store.postgresql import WRITE_LOCK, numbered_placeholders
from tests.helpers import REPO, TEST_POSTGRESQL, EntryFactory, OpenStore, postgresql_schema, with_search_path


def unanswered(text: str) -> QuestionRecord:
    return QuestionRecord("asker", "7", "help", text, "none", None, 20.0, [])


# Both backends


async def test_the_knowledge_version_counts_committed_changes_of_the_knowledge(
    store: KnowledgeStore, kb_folder: Path
) -> None:
    assert await store.knowledge_version() == 0
    await store.import_folder(load_folder(kb_folder))
    assert await store.knowledge_version() == 1
    await store.import_folder(load_folder(kb_folder))  # nothing changed, but an import was committed
    assert await store.knowledge_version() == 2
    live = await store.get("beta-topic")
    await store.edit(live.entry.model_copy(update={"answer": "new"}), live.revision, "mod:1", "fix")
    assert await store.knowledge_version() == 3
    with pytest.raises(StaleRevision):
        await store.edit(live.entry.model_copy(update={"answer": "old"}), live.revision, "mod:2", "fix")
    await store.record_questions([unanswered("delta?")])
    await store.record_vote("m1", "alice", "beta-topic", True, "7")
    assert await store.knowledge_version() == 3  # refused changes, questions and votes are not counted


async def test_each_opened_store_is_its_own_origin_and_follows_changes_made_elsewhere(
    open_store: OpenStore,
) -> None:
    async with await open_store() as one, await open_store() as two:
        assert one.origin != two.origin and len(one.origin) == 16 and int(one.origin, 16) >= 0
        generation = one.generation
        one.changed_elsewhere()
        assert one.generation == generation + 1


async def test_concurrent_adds_of_one_entry_one_is_refused(
    open_store: OpenStore, make_entry: EntryFactory
) -> None:
    async with await open_store() as one, await open_store() as two:
        outcomes = await asyncio.gather(
            one.add(make_entry("delta-topic"), "mod:a", "new"),
            two.add(make_entry("delta-topic", answer="Another answer."), "mod:b", "new"),
            return_exceptions=True,
        )
        assert sorted(type(outcome).__name__ for outcome in outcomes) == ["AlreadyExists", "StoredChange"]
        assert any(isinstance(outcome, AlreadyExists) for outcome in outcomes)
        assert any(isinstance(outcome, StoredChange) for outcome in outcomes)
        assert [revision.revision for revision in await two.history("delta-topic")] == [1]


async def test_sqlite_announces_nothing(tmp_path: Path) -> None:
    async with await KnowledgeStore.open(tmp_path / "kb.sqlite3") as store:
        assert (store.notify_channel, store.database_url) == (None, None)


# PostgreSQL only


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with postgresql_schema() as address:
        yield address


@pytest.fixture
def salt(tmp_path: Path) -> Path:
    return tmp_path / "asker.salt"


def test_placeholders_are_numbered_outside_quotes() -> None:
    sql = "SELECT '?', \"a?\", ? FROM t WHERE x = 'it''s ?' AND y IN (?, ?)"
    assert numbered_placeholders(sql) == "SELECT '?', \"a?\", $1 FROM t WHERE x = 'it''s ?' AND y IN ($2, $3)"


async def test_every_committed_change_is_announced_on_the_schemas_channel(
    url: str, salt: Path, kb_folder: Path
) -> None:
    async with await KnowledgeStore.open(url, salt=salt) as store:
        schema = url.rsplit("search_path=", 1)[1]
        assert (store.notify_channel, store.database_url) == (f"connectsbot.knowledge.{schema}", url)
        heard: asyncio.Queue[object] = asyncio.Queue()
        listener = await asyncpg.connect(url)
        try:
            await listener.add_listener(store.notify_channel, lambda *event: heard.put_nowait(event[3]))
            await store.import_folder(load_folder(kb_folder))
            first = json.loads(str(await asyncio.wait_for(heard.get(), 10)))
            assert first == {"version": 1, "origin": store.origin, "files": True}
            live = await store.get("beta-topic")
            with pytest.raises(StaleRevision):  # refused: rolled back, announced nothing
                await store.edit(live.entry, live.revision + 1, "mod:1", "stale")
            await store.edit(live.entry.model_copy(update={"answer": "new"}), live.revision, "mod:1", "fix")
            second = json.loads(str(await asyncio.wait_for(heard.get(), 10)))
            assert second == {"version": 2, "origin": store.origin, "files": False}
        finally:
            await listener.close()


async def test_writers_in_separate_processes_exactly_one_edit_wins(
    url: str, salt: Path, kb_folder: Path
) -> None:
    async with await KnowledgeStore.open(url, salt=salt) as store:
        await store.import_folder(load_folder(kb_folder))
        live = await store.get("beta-topic")
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.store_edit_worker",
            url,
            str(salt),
            "beta-topic",
            str(live.revision),
            f"from process {n}",
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
        )
        for n in range(3)
    ]
    outcomes = sorted([(await worker.communicate())[0].decode().strip() for worker in workers])
    assert outcomes == ["saved", "stale", "stale"]
    async with await KnowledgeStore.open(url, salt=salt) as store:
        history = await store.history("beta-topic")
        assert [revision.revision for revision in history] == [1, 2]
        assert history[-1].entry.answer.startswith("from process")


async def test_a_write_waits_for_another_transaction_then_is_refused_clearly(
    url: str, salt: Path, kb_folder: Path
) -> None:
    async with await KnowledgeStore.open(url, salt=salt, write_patience=0.2) as store:
        await store.import_folder(load_folder(kb_folder))
        live = await store.get("beta-topic")
        edited = live.entry.model_copy(update={"answer": "new"})
        holder = await asyncpg.connect(url)
        try:
            async with holder.transaction():
                await holder.execute(
                    "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", WRITE_LOCK
                )
                with pytest.raises(StoreUnavailable, match="the database is busy"):
                    await store.edit(edited, live.revision, "mod:1", "fix")
        finally:
            await holder.close()
        assert (await store.get("beta-topic")).revision == live.revision  # nothing was written
        await store.edit(edited, live.revision, "mod:1", "fix")  # once the lock is free, it goes through


async def test_a_connection_lost_mid_transaction_changes_nothing_and_the_store_recovers(
    url: str, salt: Path, kb_folder: Path
) -> None:
    async with await KnowledgeStore.open(url, salt=salt) as store:
        await store.import_folder(load_folder(kb_folder))
        admin = await asyncpg.connect(TEST_POSTGRESQL)
        try:
            with pytest.raises(StoreUnavailable) as lost:
                async with store._database.transaction() as db:
                    await db.execute("DELETE FROM meta")
                    pid = db.raw.get_server_pid()
                    # Waits (up to 10 s) until the server process has ended.
                    assert await admin.fetchval("SELECT pg_terminate_backend($1, 10000)", pid)
                    await db.execute("DELETE FROM entries WHERE id = ?", ("beta-topic",))
        finally:
            await admin.close()
        assert lost.value.problem == "the database server cannot be reached"
        assert await store.knowledge_version() == 1  # nothing of that transaction was kept
        live = await store.get("beta-topic")  # a new connection replaces the lost one
        await store.edit(live.entry.model_copy(update={"answer": "new"}), live.revision, "mod:1", "fix")


async def test_stores_opening_a_new_schema_at_once_migrate_it_once(url: str, salt: Path) -> None:
    stores = await asyncio.gather(*(KnowledgeStore.open(url, salt=salt) for _ in range(3)))
    for store in stores:
        await store.close()
    connection = await asyncpg.connect(url)
    try:
        applied = [
            row[0] for row in await connection.fetch("SELECT version FROM schema_migrations ORDER BY 1")
        ]
    finally:
        await connection.close()
    assert applied == [migration.version for migration in shipped_migrations("postgresql")]
    assert applied == list(range(1, len(applied) + 1))


async def test_both_dialects_make_the_same_tables_and_columns(url: str, salt: Path, tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite3"
    async with await KnowledgeStore.open(path), await KnowledgeStore.open(url, salt=salt):
        pass
    with closing(sqlite3.connect(path)) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        in_sqlite = {table: {row[1] for row in db.execute(f"PRAGMA table_info({table})")} for table in tables}
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'"
        )
    finally:
        await connection.close()
    in_postgresql: dict[str, set[str]] = {}
    for table, column in rows:
        in_postgresql.setdefault(table, set()).add(column)
    assert in_postgresql == in_sqlite


async def test_a_server_that_cannot_be_reached_is_named_without_the_password(salt: Path) -> None:
    with pytest.raises(StoreUnavailable) as refused:
        await KnowledgeStore.open("postgresql://bot:s3cret@127.0.0.1:1/knowledge", salt=salt)
    message = str(refused.value)
    assert message.startswith(
        "PostgreSQL database knowledge on 127.0.0.1:1: the database server cannot be reached"
    )
    assert "s3cret" not in message


async def test_a_schema_that_does_not_exist_is_named(salt: Path) -> None:
    missing = f"t_missing_{uuid.uuid4().hex}"
    with pytest.raises(StoreUnavailable, match="the schema does not exist"):
        await KnowledgeStore.open(with_search_path(TEST_POSTGRESQL, missing), salt=salt)


async def test_a_schema_too_long_for_its_change_channel_is_refused_at_open(salt: Path) -> None:
    async with postgresql_schema(name=f"t_{'long' * 10}_{uuid.uuid4().hex[:8]}") as url:
        with pytest.raises(StoreUnavailable, match="the schema's name is too long"):
            await KnowledgeStore.open(url, salt=salt)


async def test_a_postgresql_store_needs_a_salt_file(url: str) -> None:
    with pytest.raises(ValueError, match="needs a salt file"):
        await KnowledgeStore.open(url)


# The settings and the operator's commands


def test_the_database_url_chooses_postgresql_and_is_never_echoed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = read_section(StoreSettings, env_file=None)
    assert settings.location == settings.db and settings.asker_salt == salt_file(settings.db)
    monkeypatch.setenv("CONNECTSBOT_DATABASE_URL", "postgresql://bot:s3cret@127.0.0.1/kb")
    monkeypatch.setenv("CONNECTSBOT_SALT_FILE", str(tmp_path / "kb.salt"))
    settings = read_section(StoreSettings, env_file=None)
    assert (settings.location, settings.asker_salt) == (
        "postgresql://bot:s3cret@127.0.0.1/kb",
        tmp_path / "kb.salt",
    )
    monkeypatch.setenv("CONNECTSBOT_DATABASE_URL", "mysql://bot:s3cret@127.0.0.1/kb")
    with pytest.raises(SettingsError) as refused:
        read_section(StoreSettings, env_file=None)
    assert "CONNECTSBOT_DATABASE_URL: " in str(refused.value) and "s3cret" not in str(refused.value)


async def test_migrate_to_copies_everything_and_refuses_a_second_time(
    url: str, tmp_path: Path, kb_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bot.sqlite3"
    async with await KnowledgeStore.open(path) as old:
        await old.import_folder(load_folder(kb_folder))
        live = await old.get("beta-topic")
        await old.edit(live.entry.model_copy(update={"answer": "edited"}), live.revision, "mod:1", "fix")
        await old.retire("gamma-topic", "mod:1", "obsolete")
        asked = await old.record_questions([unanswered("delta?"), unanswered("epsilon?")])
        await old.record_pick(asked[0], "beta-topic")
        await old.record_vote("m1", "alice", "beta-topic", True, "7")
        await old.put_text_vectors("model", {"ab" * 32: b"\x00\x01\x02"})
        assert await old.first_direct_message("bob")
        expected = (
            await old.all_entries(),
            [await old.history(entry.entry.id) for entry in await old.all_entries()],
            await old.unanswered(),
            await old.feedback(),
            await old.text_vectors("model", ["ab" * 32]),
            await old.knowledge_version(),
            await old.asker_hash("alice", "7"),
        )
    assert await asyncio.to_thread(main, ["--db", str(path), "db", "migrate-to", url]) == 0
    printed = capsys.readouterr().out
    assert "entries: 3 rows" in printed and "questions: 2 rows" in printed and str(salt_file(path)) in printed
    async with await KnowledgeStore.open(url, salt=salt_file(path)) as moved:
        copied = (
            await moved.all_entries(),
            [await moved.history(entry.entry.id) for entry in await moved.all_entries()],
            await moved.unanswered(),
            await moved.feedback(),
            await moved.text_vectors("model", ["ab" * 32]),
            await moved.knowledge_version(),
            await moved.asker_hash("alice", "7"),
        )
        assert copied == expected
        assert not await moved.first_direct_message("bob")
        assert await moved.record_questions([unanswered("zeta?")]) == [max(asked) + 1]
    assert await asyncio.to_thread(main, ["--db", str(path), "db", "migrate-to", url]) == 1
    assert "already holds connectsbot data" in capsys.readouterr().err


async def test_db_commands_with_postgresql_point_to_its_own_tools(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONNECTSBOT_DATABASE_URL", url)
    assert await asyncio.to_thread(main, ["db", "backup", str(tmp_path / "copy.sqlite3")]) == 1
    assert "pg_dump" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["db", "check"]) == 0
    assert "ok" in capsys.readouterr().out
    monkeypatch.setenv("CONNECTSBOT_DATABASE_URL", "postgresql://bot:s3cret@127.0.0.1:1/knowledge")
    assert await asyncio.to_thread(main, ["db", "check"]) == 1
    refused = capsys.readouterr().err
    assert "cannot be reached" in refused and "s3cret" not in refused
