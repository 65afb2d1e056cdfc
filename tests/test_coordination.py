"""Processes sharing one store: each follows the changes the others make (LISTEN/NOTIFY on PostgreSQL,
the version check on SQLite and after a lost connection), the single-run jobs run in one process at a
time, and the answer model is trained once. Each "process" here is a store of its own (its own
connections) on the test's database; tests/bot/test_shards_processes.py runs real processes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from connectsbot import answers as answers_module
from connectsbot.answers import AnswerService, forget_trained_models
from connectsbot.coordination import ChangeFeed, Job, SingleRunJobs, jobs_lock_key
from connectsbot.curation import Actor, ChangedElsewhere, Curator, RemoteChange
from connectsbot.kbfiles import load_policy
from connectsbot.settings import shipped_knowledge_dir
from connectsbot.store import KnowledgeStore
from connectsbot.store.connection import change_payload
from tests.helpers import OpenStore, build_entry, postgresql_schema

MODERATOR = Actor("ana (42)", user_id=42, guild_id=7)
WAIT_SECONDS = 10.0  # bounded waits: a failure, never a measurement


async def eventually(condition: Callable[[], bool], what: str) -> None:
    async def until() -> None:
        while not condition():  # noqa: ASYNC110 (polled: the conditions are other tasks' state)
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(until(), WAIT_SECONDS)
    except TimeoutError:
        raise AssertionError(f"not within {WAIT_SECONDS:g} s: {what}") from None


class Changes:
    """A ChangeFeed callback that records what it was told."""

    def __init__(self) -> None:
        self.seen: list[RemoteChange] = []

    async def __call__(self, change: RemoteChange) -> None:
        self.seen.append(change)


@asynccontextmanager
async def opened_twice(open_store: OpenStore) -> AsyncIterator[tuple[KnowledgeStore, KnowledgeStore]]:
    """Two stores on one database: two processes' worth of connections."""
    async with await open_store() as first, await open_store() as second:
        yield first, second


@pytest.fixture
async def two_stores(open_store: OpenStore) -> AsyncIterator[tuple[KnowledgeStore, KnowledgeStore]]:
    async with opened_twice(open_store) as stores:
        yield stores


@pytest.fixture
async def follow() -> AsyncIterator[Callable[..., Awaitable[ChangeFeed]]]:
    feeds: list[ChangeFeed] = []

    async def started(store: KnowledgeStore, on_change: Changes, **options: float) -> ChangeFeed:
        feed = ChangeFeed(store, on_change, **options)
        await feed.start(seen=await store.knowledge_version())
        feeds.append(feed)
        if store.database_url is not None:
            await asyncio.wait_for(feed.listening.wait(), WAIT_SECONDS)
        return feed

    yield started
    for feed in feeds:
        await feed.close()


@pytest.fixture
async def postgresql_stores(tmp_path: Path) -> AsyncIterator[tuple[KnowledgeStore, KnowledgeStore]]:
    """Two stores on one new PostgreSQL schema, for what only PostgreSQL has (notifications from one
    connection, connections that can be cut)."""
    async with postgresql_schema() as url:

        async def open_store() -> KnowledgeStore:
            return await KnowledgeStore.open(url, salt=tmp_path / "salt")

        async with opened_twice(open_store) as stores:
            yield stores


@pytest.fixture
async def admin(
    postgresql_stores: tuple[KnowledgeStore, KnowledgeStore],
) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the database's administrator, on the stores' schema."""
    url = postgresql_stores[0].database_url
    assert url is not None
    connection = await asyncpg.connect(url)
    try:
        yield connection
    finally:
        await connection.close()


def check_every(store: KnowledgeStore) -> float:
    """PostgreSQL: never within a test, so only LISTEN can deliver; SQLite: often (its only way)."""
    return 3600.0 if store.database_url is not None else 0.05


async def test_a_change_in_one_process_reaches_the_other(
    two_stores: tuple[KnowledgeStore, KnowledgeStore], follow: Callable[..., Awaitable[ChangeFeed]]
) -> None:
    writer, follower = two_stores
    changes = Changes()
    await follow(follower, changes, check_every=check_every(follower))
    stored = await writer.add(build_entry("new-topic"), "ana", "new")
    await eventually(lambda: bool(changes.seen), "the other process was told of the change")
    assert changes.seen[-1].version == await writer.knowledge_version()
    assert stored.revision.revision == 1


async def test_a_process_is_not_told_of_its_own_changes(
    postgresql_stores: tuple[KnowledgeStore, KnowledgeStore], follow: Callable[..., Awaitable[ChangeFeed]]
) -> None:
    mine, theirs = postgresql_stores
    changes = Changes()
    await follow(mine, changes, check_every=check_every(mine))
    await mine.add(build_entry("mine-topic"), "ana", "mine")
    await theirs.add(build_entry("their-topic"), "bo", "theirs")
    await eventually(lambda: bool(changes.seen), "the other store's change arrived")
    await asyncio.sleep(0.2)  # anything about its own change would have come first
    assert [change.version for change in changes.seen] == [await theirs.knowledge_version()]


async def test_another_process_change_just_before_its_own_is_not_lost(
    postgresql_stores: tuple[KnowledgeStore, KnowledgeStore], follow: Callable[..., Awaitable[ChangeFeed]]
) -> None:
    """Two notifications delivered together, theirs (version 1) then this process's own (version 2):
    the own one must not hide theirs."""
    mine, _ = postgresql_stores
    changes = Changes()
    feed = await follow(mine, changes, check_every=check_every(mine))
    channel = mine.notify_channel
    feed._notified(None, 0, str(channel), change_payload(1, "another-process", files=False))
    feed._notified(None, 0, str(channel), change_payload(2, mine.origin, files=False))
    await eventually(lambda: bool(changes.seen), "the other process's change was followed")
    assert changes.seen == [RemoteChange(2, files=False)]  # followed, up to the latest


async def test_an_import_elsewhere_is_a_change_of_files(
    two_stores: tuple[KnowledgeStore, KnowledgeStore],
    follow: Callable[..., Awaitable[ChangeFeed]],
    kb_folder: Path,
) -> None:
    writer, follower = two_stores
    changes = Changes()
    await follow(follower, changes, check_every=check_every(follower))
    curator = Curator(writer, kb_folder, load_policy(kb_folder))
    await curator.import_files(MODERATOR)
    await eventually(lambda: bool(changes.seen), "the import reached the other process")
    assert changes.seen[-1].files


async def test_changes_made_while_the_connection_was_lost_are_caught_up(
    postgresql_stores: tuple[KnowledgeStore, KnowledgeStore],
    admin: asyncpg.Connection,
    follow: Callable[..., Awaitable[ChangeFeed]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    writer, follower = postgresql_stores
    changes = Changes()
    feed = await follow(follower, changes, check_every=check_every(follower))
    # The server ends the listening connection (a restart, a network cut, an administrator).
    ended = await admin.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = $1",
        f'LISTEN "{follower.notify_channel}"',
    )
    assert ended == 1
    await eventually(lambda: not feed.listening.is_set(), "the feed saw its connection end")
    await writer.add(build_entry("while-away"), "ana", "made while nobody listened")
    await eventually(lambda: bool(changes.seen), "the change made while disconnected was caught up")
    await eventually(feed.listening.is_set, "the feed listens again")
    assert "LISTEN connection failed" in caplog.text


async def test_after_a_failed_check_of_its_connection_the_feed_listens_again_for_good(
    postgresql_stores: tuple[KnowledgeStore, KnowledgeStore],
    follow: Callable[..., Awaitable[ChangeFeed]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    follower = postgresql_stores[1]
    original = asyncpg.connection.Connection.fetchval
    failures = [TimeoutError("no answer from the server")]

    async def first_check_times_out(
        self: asyncpg.Connection, query: str, *args: object, **kwargs: object
    ) -> object:
        if query == "SELECT 1" and failures:
            raise failures.pop()
        return await original(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.connection.Connection, "fetchval", first_check_times_out)
    with caplog.at_level(logging.INFO, logger="connectsbot.coordination"):
        feed = await follow(follower, Changes(), check_every=0.1)
        await eventually(lambda: not failures, "the connection check failed once")
        await eventually(lambda: caplog.text.count("(LISTEN ") == 2, "the feed connected again")
        await asyncio.sleep(1.0)  # several checks more, all answered
        assert feed.listening.is_set() and caplog.text.count("(LISTEN ") == 2


async def test_a_malformed_notification_is_ignored(
    postgresql_stores: tuple[KnowledgeStore, KnowledgeStore],
    admin: asyncpg.Connection,
    follow: Callable[..., Awaitable[ChangeFeed]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    writer, follower = postgresql_stores
    changes = Changes()
    await follow(follower, changes, check_every=check_every(follower))
    await admin.execute("SELECT pg_notify($1, $2)", follower.notify_channel, '{"version": "x"')
    await writer.add(build_entry("after-garbage"), "ana", "real")
    await eventually(lambda: bool(changes.seen), "the real change still arrives")
    assert len(changes.seen) == 1
    assert "malformed knowledge notification" in caplog.text


async def test_an_entry_added_in_one_process_is_answered_by_the_other(
    two_stores: tuple[KnowledgeStore, KnowledgeStore],
    follow: Callable[..., Awaitable[ChangeFeed]],
    kb_folder: Path,
) -> None:
    """The whole path: curator (process A) → store → notification → process B's curator publishes
    ChangedElsewhere → B's answer service rebuilds from the store."""
    writer, follower = two_stores
    policy = load_policy(kb_folder)
    answers_a, _ = await AnswerService.start(writer, kb_folder, semantic=False)
    answers_b, _ = await AnswerService.start(follower, kb_folder, semantic=False)
    curator_a = Curator(writer, kb_folder, policy, followers=[answers_a.follow])
    events: list[ChangedElsewhere] = []

    async def record(event: object) -> None:
        if isinstance(event, ChangedElsewhere):
            events.append(event)

    curator_b = Curator(follower, kb_folder, policy, followers=[answers_b.follow, record])
    await follow(follower, curator_b.changed_elsewhere, check_every=check_every(follower))
    entry = build_entry("zebra-topic", question="How do zebra stripes work?")
    await curator_a.add(entry, MODERATOR, "new")
    await eventually(lambda: bool(events), "process B followed the change")
    snapshot = await answers_b.ready()
    assert snapshot.find("zebra-topic") == entry


# --- single-run jobs


@pytest.fixture
async def jobs_of() -> AsyncIterator[Callable[..., Awaitable[SingleRunJobs]]]:
    started: list[SingleRunJobs] = []

    async def start(store: KnowledgeStore, runs: list[str], retry_every: float = 0.05) -> SingleRunJobs:
        async def job() -> None:
            runs.append("ran")

        jobs = SingleRunJobs(store, retry_every=retry_every)
        jobs.add(Job("count", 0.05, job))
        await jobs.start()
        started.append(jobs)
        return jobs

    yield start
    for jobs in started:
        await jobs.close()


async def test_jobs_run_in_one_process_and_another_takes_over(
    two_stores: tuple[KnowledgeStore, KnowledgeStore],
    jobs_of: Callable[..., Awaitable[SingleRunJobs]],
) -> None:
    first_store, second_store = two_stores
    first_runs: list[str] = []
    second_runs: list[str] = []
    first = await jobs_of(first_store, first_runs)
    second = await jobs_of(second_store, second_runs)
    assert first.holding.is_set() and not second.holding.is_set()
    await eventually(lambda: len(first_runs) >= 3, "the holder runs its job")
    assert second_runs == []
    await first.close()  # the holder stops (or dies: its lock goes with its connection or file)
    await eventually(second.holding.is_set, "the other process took the jobs over")
    await eventually(lambda: bool(second_runs), "and runs them")


async def test_a_holder_whose_connection_ends_loses_the_lock_to_another(
    postgresql_stores: tuple[KnowledgeStore, KnowledgeStore],
    admin: asyncpg.Connection,
    jobs_of: Callable[..., Awaitable[SingleRunJobs]],
) -> None:
    first_store, second_store = postgresql_stores
    first = await jobs_of(first_store, [], retry_every=1.0)  # slow to try again: the other takes over
    second = await jobs_of(second_store, [])
    assert first.holding.is_set()
    schema = await admin.fetchval("SELECT current_schema()")
    key = jobs_lock_key(schema) & 0xFFFF_FFFF_FFFF_FFFF  # as two unsigned halves
    holder = await admin.fetchval(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1",
        key >> 32,
        key & 0xFFFF_FFFF,
    )
    assert holder is not None
    await admin.execute("SELECT pg_terminate_backend($1)", holder)  # the server ends its session
    await eventually(second.holding.is_set, "the other process took the jobs over")
    assert not first.holding.is_set()


async def test_without_a_lock_file_the_only_process_runs_the_jobs(
    tmp_path: Path, jobs_of: Callable[..., Awaitable[SingleRunJobs]]
) -> None:
    async with await KnowledgeStore.open(tmp_path / "store.sqlite3") as store:
        store.jobs_lock_file = tmp_path / "no such folder" / "jobs.lock"
        runs: list[str] = []
        jobs = await jobs_of(store, runs)
        assert jobs.holding.is_set()
        await eventually(lambda: bool(runs), "the jobs run")


# --- the answer model, trained once


@pytest.fixture
def trainings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a model was fitted in this process."""
    fitted: list[int] = []
    original = answers_module.train

    def counting(*args: object, **kwargs: object) -> object:
        fitted.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(answers_module, "train", counting)
    forget_trained_models()
    return fitted


async def test_a_process_not_training_takes_the_saved_model(
    two_stores: tuple[KnowledgeStore, KnowledgeStore], trainings: list[int]
) -> None:
    trainer_store, other_store = two_stores
    knowledge = shipped_knowledge_dir()  # labelled questions enough to train a model on
    trainer, _ = await AnswerService.start(trainer_store, knowledge, semantic=False)
    fitted_by_trainer = len(trainings)
    assert fitted_by_trainer >= 1 and trainer.model is not None
    forget_trained_models()  # the other process does not share this one's memory
    other, _ = await AnswerService.start(other_store, knowledge, semantic=False, trains_here=lambda: False)
    assert len(trainings) == fitted_by_trainer
    assert other.model == trainer.model


async def test_without_a_training_process_a_process_retrains_itself(
    store: KnowledgeStore,
    trainings: list[int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At a start nothing waits (no saved model: trained here at once); after a change the previous
    model answers while this process waits for the training process's, then trains it itself."""
    monkeypatch.setattr(answers_module, "SHARED_MODEL_PATIENCE_SECONDS", 0.1)
    answers, _ = await AnswerService.start(
        store, shipped_knowledge_dir(), semantic=False, trains_here=lambda: False
    )
    started = len(trainings)
    assert started >= 1 and "no answer model from the training process" not in caplog.text
    await store.add(build_entry("zebra-topic"), "ana", "new")
    await answers.trained()
    assert len(trainings) > started
    assert "no answer model from the training process in 0.1 s" in caplog.text


async def test_an_unreadable_saved_model_is_trained_again(
    store: KnowledgeStore, kb_folder: Path, trainings: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    await AnswerService.start(store, kb_folder, semantic=False)
    async with store._database.transaction() as db:
        assert await db.execute("UPDATE answer_models SET model = ?", ('{"not": "a model"}',)) >= 1
    fitted = len(trainings)
    forget_trained_models()
    await AnswerService.start(store, kb_folder, semantic=False)
    assert len(trainings) > fitted
    assert "cannot be read" in caplog.text


async def test_the_clean_ups_keep_the_newest_models_and_this_encoders_vectors(store: KnowledgeStore) -> None:
    for number in range(5):
        await store.put_answer_model(f"fingerprint-{number}", "null")
    await store.put_text_vectors("old-encoder", {"a" * 64: b"\0" * 4})
    await store.put_text_vectors("encoder", {"b" * 64: b"\0" * 4})
    assert await store.prune_answer_models(keep=2) == 3
    assert await store.prune_text_vectors(keep_model_id="encoder") == 1
    assert await store.text_vectors("encoder", ["b" * 64])
    assert not await store.text_vectors("old-encoder", ["a" * 64])
