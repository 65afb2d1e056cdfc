"""Records per server and members' hashes (issue 14): the V5 upgrade of a database made by the
previous version, the salt kept outside the database, hashes keyed per server, scoped reads."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from connectsbot.store import KnowledgeStore, QuestionRecord, ServerScope, StoreUnavailable
from connectsbot.store.asker_salt import salt_file
from connectsbot.store.database import shipped_migrations

PREVIOUS_VERSION = 4


def _previous_version_database(path: Path) -> None:
    """A database as the previous version made it: migrations V1-V4, its salt in `meta`, questions asked
    in a server and in direct messages, a vote."""
    with sqlite3.connect(path) as db:
        for migration in shipped_migrations():
            if migration.version <= PREVIOUS_VERSION:
                db.executescript(migration.sql)
        db.execute(f"PRAGMA user_version = {PREVIOUS_VERSION}")
        db.execute("INSERT INTO meta (key, value) VALUES ('asker_salt', 'an-old-salt-0123456789')")
        for guild, text in (("111", "asked in a server"), (None, "asked in a DM")):
            db.execute(
                "INSERT INTO questions (asked_at, asker, guild_id, channel, decision, score, question, "
                "suggestions) VALUES ('2026-11-01T00:00:00+00:00', 'oldhash', ?, 'c', 'none', 0, ?, '[]')",
                (guild, text),
            )
        db.execute(
            "INSERT INTO feedback (answer_key, voter, entry_id, helpful, guild_id, voted_at) "
            "VALUES ('m1', 'oldhash', 'x-y', 1, '111', '2026-11-01T00:00:00+00:00')"
        )


async def test_a_database_of_the_previous_version_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _previous_version_database(path)
    async with await KnowledgeStore.open(path) as store:
        questions = {(q.guild_id, q.question) for q in await store.unanswered()}
        # Kept and counted; the DM's text dropped: that member was never told moderators read it.
        assert questions == {("111", "asked in a server"), (None, "")}
        assert (await store.feedback(scope=ServerScope("111")))["x-y"].helpful == 1
        assert await store.open_questions(ServerScope("222")) == []
        await store.asker_hash("42", "111")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == shipped_migrations()[-1].version
        assert db.execute("SELECT * FROM meta WHERE key = 'asker_salt'").fetchall() == []
    assert b"an-old-salt" not in path.read_bytes(), "the old salt is overwritten, not left in a free page"


async def test_the_salt_is_a_private_file_beside_the_database(tmp_path: Path) -> None:
    db_path = tmp_path / "kb.sqlite3"
    salt = salt_file(db_path)
    async with await KnowledgeStore.open(db_path) as store:
        assert not salt.exists(), "made on first use"
        first = await store.asker_hash("42", "111")
    assert stat.S_IMODE(salt.stat().st_mode) == 0o600
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT count(*) FROM meta WHERE key = 'asker_salt'").fetchone()[0] == 0
    async with await KnowledgeStore.open(db_path) as reopened:
        assert await reopened.asker_hash("42", "111") == first, "stable across restarts"


async def test_hashes_differ_per_server(store: KnowledgeStore) -> None:
    hashes = {await store.asker_hash("42", guild) for guild in ("111", "222", None)}
    assert len(hashes) == 3 and "42" not in hashes


async def test_a_salt_file_that_is_a_link_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite3"
    target = tmp_path / "elsewhere"
    target.write_bytes(os.urandom(32))
    salt_file(path).symlink_to(target)
    async with await KnowledgeStore.open(path) as store:
        with pytest.raises(StoreUnavailable, match="salt"):
            await store.asker_hash("42", "111")


async def test_reads_are_scoped_to_a_server_and_its_direct_messages(store: KnowledgeStore) -> None:
    records = [
        QuestionRecord("h", guild, "c", f"question from {guild}", "none", None, 0.0, [])
        for guild in ("111", "222", None)
    ]
    await store.record_questions(records)
    assert [q.question for q in await store.open_questions(ServerScope("111"))] == ["question from 111"]
    both = await store.open_questions(ServerScope("111", direct_messages=True))
    assert {q.question for q in both} == {"question from 111", "question from None"}
    assert [day.asked for day in await store.daily_questions(scope=ServerScope("222"))] == [1]
    assert len(await store.unanswered()) == 3, "no scope: the operator's view of every server"


async def test_members_are_told_once(store: KnowledgeStore) -> None:
    assert [await store.first_direct_message(member) for member in ("42", "42", "43")] == [True, False, True]
