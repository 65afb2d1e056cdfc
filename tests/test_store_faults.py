"""The store when the database cannot be written: another connection holding the write lock (waited out
with backoff, or refused after a while), a full disk, a read-only file, a file that will not open. Every
refusal is a StoreUnavailable worded for people (SQLite's own words kept in `cause`, for the logs),
nothing changes, reads keep working, and the answer service answers anyway."""

from __future__ import annotations

import gc
import logging
import os
import sqlite3
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from connectsbot.answers import AnswerService
from connectsbot.kbfiles import load_folder, render_entry
from connectsbot.store import ImportFailed, KnowledgeStore, QuestionRecord, StoreUnavailable
from tests.helpers import EntryFactory, build_entry
from tests.store_faults import BIG_ANSWER, fill_disk, free_disk, make_read_only, write_lock_held

ALIAS_OF_BETA = "tell me about beta topic"


@pytest.fixture
async def imported(store: KnowledgeStore, kb_folder: Path) -> KnowledgeStore:
    await store.import_folder(load_folder(kb_folder))
    return store


def assert_plain_words(error: StoreUnavailable, problem: str) -> None:
    text = str(error)
    assert error.problem == problem and f"({problem})" in text
    assert "nothing was changed" in text and "tell the bot's operator" in text
    assert "database is locked" not in text and "Error" not in text  # SQLite's words stay in the logs


async def test_a_write_waits_out_a_short_lock(imported: KnowledgeStore, tmp_path: Path) -> None:
    live = await imported.get("beta-topic")
    async with write_lock_held(tmp_path / "store.sqlite3", 0.5):
        started = time.monotonic()
        saved = await imported.edit(
            live.entry.model_copy(update={"answer": "waited"}), live.revision, "mod:1", "busy"
        )
        assert time.monotonic() - started >= 0.4
    assert saved.revision == 2 and (await imported.get("beta-topic")).entry.answer == "waited"


async def test_a_lock_held_too_long_is_refused_in_plain_words(
    imported: KnowledgeStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    imported.write_patience = 0.3
    live = await imported.get("beta-topic")
    edited = live.entry.model_copy(update={"answer": "too late"})
    async with write_lock_held(tmp_path / "store.sqlite3", 1.2):
        with pytest.raises(StoreUnavailable) as refused:
            await imported.edit(edited, live.revision, "mod:1", "busy")
        # Reads do not wait for the other connection's transaction.
        assert (await imported.get("beta-topic")) == live
    assert_plain_words(
        refused.value, "the database is busy: another program has been writing to it for too long"
    )
    assert "database is locked" in refused.value.cause
    assert any(
        r.levelno == logging.WARNING and "database is locked" in r.getMessage() for r in caplog.records
    )
    assert await imported.get("beta-topic") == live
    assert (await imported.edit(edited, live.revision, "mod:1", "again")).revision == 2


async def test_a_full_disk_refuses_the_change_and_the_store_keeps_serving(imported: KnowledgeStore) -> None:
    live = await imported.get("beta-topic")
    before, generation = await imported.live_entries(), imported.generation
    await fill_disk(imported)
    edited = live.entry.model_copy(update={"answer": BIG_ANSWER})
    with pytest.raises(StoreUnavailable) as refused:
        await imported.edit(edited, live.revision, "mod:1", "a long answer")
    assert_plain_words(refused.value, "the disk is full")
    assert await imported.live_entries() == before and imported.generation == generation
    assert len(await imported.history("beta-topic")) == 1
    await free_disk(imported)  # the connection is not left in a broken transaction
    assert (await imported.edit(edited, live.revision, "mod:1", "room again")).revision == 2


def _record() -> QuestionRecord:
    return QuestionRecord("asker", "g", "c", "gamma?", "suggest", None, 60.0, ["gamma-topic"])


async def test_a_read_only_database_refuses_every_write(
    imported: KnowledgeStore, kb_folder: Path, make_entry: EntryFactory
) -> None:
    (question_id,) = await imported.record_questions([_record()])
    live = await imported.get("beta-topic")
    before = await imported.live_entries()
    await make_read_only(imported)
    writes: list[Callable[[], Awaitable[Any]]] = [
        lambda: imported.edit(live.entry.model_copy(update={"answer": "x"}), live.revision, "m", "r"),
        lambda: imported.add(make_entry("delta-topic"), "m", "r"),
        lambda: imported.retire("beta-topic", "m", "r"),
        lambda: imported.revert("beta-topic", 1, "m", "r"),
        lambda: imported.add_alias("beta-topic", "beta?", "m", "r"),
        lambda: imported.remove_alias("gamma-topic", "gamma please", "m", "r"),
        lambda: imported.import_folder(load_folder(kb_folder), force=True),
        lambda: imported.record_vote("answer-1", "member", "beta-topic", True, "g"),
        lambda: imported.record_questions([_record()]),
        lambda: imported.record_pick(question_id, "gamma-topic"),
        lambda: imported.resolve_questions([question_id], "gamma-topic"),
    ]
    for write in writes:
        with pytest.raises(StoreUnavailable) as refused:
            await write()
        assert_plain_words(refused.value, "the database is read-only")
    assert await imported.live_entries() == before
    assert (await imported.question(question_id)).picked_entry_id is None


@pytest.fixture
async def answers(imported: KnowledgeStore) -> AnswerService:
    answers = AnswerService(imported)
    await answers.refresh()
    return answers


async def test_a_start_on_a_full_disk_serves_what_the_store_has(
    imported: KnowledgeStore, kb_folder: Path
) -> None:
    (kb_folder / "entries" / "beta-topic.md").write_text(
        render_entry(build_entry("beta-topic", answer=BIG_ANSWER)), encoding="utf-8"
    )
    await fill_disk(imported)
    answers, outcome = await AnswerService.start(imported, kb_folder)
    assert isinstance(outcome, ImportFailed)
    (problem,) = outcome.problems
    assert problem.message == "the database could not save the import (the disk is full)"
    assert answers.entries["beta-topic"].answer == "**Answer** about beta-topic."


async def test_the_member_gets_the_answer_when_the_question_cannot_be_recorded(
    answers: AnswerService, caplog: pytest.LogCaptureFixture
) -> None:
    await make_read_only(answers.store)
    answer = await answers.ask(ALIAS_OF_BETA, "member", "g", "c")
    assert answer.entry is not None and answer.entry.id == "beta-topic"
    assert answer.question_id is None
    assert any(r.levelno == logging.WARNING and "not recorded" in r.getMessage() for r in caplog.records)


async def test_a_picked_suggestion_is_shown_when_the_pick_cannot_be_recorded(answers: AnswerService) -> None:
    (question_id,) = await answers.store.record_questions([_record()])
    await make_read_only(answers.store)
    assert (await answers.pick_suggestion(question_id, "gamma-topic")).id == "gamma-topic"


async def test_the_answer_does_not_wait_for_a_busy_database(answers: AnswerService, tmp_path: Path) -> None:
    answers.record_wait = 0.2
    path = tmp_path / "store.sqlite3"
    async with write_lock_held(path, 1.0):
        started = time.monotonic()
        answer = await answers.ask(ALIAS_OF_BETA, "member", "g", "c")
        assert time.monotonic() - started < 0.6
    assert answer.entry is not None and answer.question_id is None
    await answers.store.close()  # waits for the question writer: the late record lands
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT entry_id FROM questions").fetchall() == [("beta-topic",)]


async def test_questions_that_fail_after_the_answer_are_logged_as_not_recorded(
    answers: AnswerService, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    answers.record_wait = 0.1
    answers.store.write_patience = 0.3
    async with write_lock_held(tmp_path / "store.sqlite3", 1.0):
        answer = await answers.ask(ALIAS_OF_BETA, "member", "g", "c")
        await answers.store.close()  # waits for the question writer, which gives up meanwhile
    assert answer.entry is not None and answer.question_id is None
    gc.collect()  # the failed batch's future sits in a cycle with its exception's traceback
    late = [r for r in caplog.records if "not recorded after all" in r.getMessage()]
    assert [r.levelno for r in late] == [logging.WARNING]
    assert not [r for r in caplog.records if r.name == "asyncio"]


# Opening


async def test_a_file_that_is_not_a_database_is_named_at_open(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite3"
    path.write_text("not a database " * 100)
    with pytest.raises(StoreUnavailable, match="not a database") as refused:
        await KnowledgeStore.open(path)
    assert str(refused.value).startswith(f"{path}: ")


async def test_a_folder_that_cannot_be_made_is_named_at_open(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    path = tmp_path / "a-file" / "kb.sqlite3"
    with pytest.raises(StoreUnavailable, match="its folder cannot be created") as refused:
        await KnowledgeStore.open(path)
    assert str(refused.value).startswith(f"{path}: ")


@pytest.fixture
def read_only_database(tmp_path: Path) -> Iterator[Path]:
    """A database file nobody may write to: `chattr +i` for root (whom file modes do not stop)."""
    path = tmp_path / "kb.sqlite3"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE t (x)")
    if os.geteuid() != 0:
        path.chmod(0o444)
        yield path
        return
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("this file system cannot make a file immutable")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


async def test_a_read_only_database_is_named_at_open(read_only_database: Path) -> None:
    with pytest.raises(StoreUnavailable, match="the database is read-only") as refused:
        await KnowledgeStore.open(read_only_database)
    assert str(refused.value).startswith(f"{read_only_database}: ")
