"""The store's V2 additions: Helpful / Not helpful votes, daily question counts, question look-ups,
unanswered questions marked as dealt with, every entry including retired ones, and the migration."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from connectsbot.store import InvalidEntry, KnowledgeStore, NotFound, QuestionRecord
from tests.helpers import EntryFactory, OpenStore


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def timed_store(open_store: OpenStore, clock: Clock) -> AsyncIterator[KnowledgeStore]:
    async with await open_store(clock=clock) as opened:
        yield opened


def _record(
    decision: str, question: str = "q", entry_id: str | None = None, **extra: object
) -> QuestionRecord:
    return QuestionRecord(
        asker=str(extra.get("asker", "hash")),
        guild_id="1",
        channel="2",
        question=question,
        decision=decision,  # type: ignore[arg-type]
        entry_id=entry_id,
        score=50.0,
        suggestions=list(extra.get("suggestions", [])),  # type: ignore[call-overload]
    )


async def test_one_vote_per_member_per_answer(store: KnowledgeStore) -> None:
    assert await store.record_vote("m1", "alice", "connects-rollover", True, "g") == "recorded"
    assert await store.record_vote("m1", "alice", "connects-rollover", True, "g") == "unchanged"
    assert await store.record_vote("m1", "bob", "connects-rollover", False, "g") == "recorded"
    assert await store.record_vote("m1", "alice", "connects-rollover", False, "g") == "changed"
    counts = (await store.feedback())["connects-rollover"]
    assert (counts.helpful, counts.not_helpful) == (0, 2)


async def test_one_vote_per_member_per_entry_per_day(timed_store: KnowledgeStore, clock: Clock) -> None:
    # Another answer showing the same entry the same day (25 private /faq show, Helpful under each)
    # changes the member's vote of the day, never adds one.
    for answer in range(25):
        await timed_store.record_vote(f"m{answer}", "alice", "connects-rollover", True, "g")
    assert await timed_store.record_vote("m25", "alice", "connects-rollover", False, "g") == "changed"
    assert await timed_store.record_vote("m0", "alice", "connects-rollover", False, "g") == "unchanged"
    counts = (await timed_store.feedback())["connects-rollover"]
    assert (counts.helpful, counts.not_helpful) == (0, 1)
    # Another entry is another vote; so is the next UTC day, on a new answer.
    assert await timed_store.record_vote("m26", "alice", "connects-buy", True, "g") == "recorded"
    clock.now += timedelta(days=1)
    assert await timed_store.record_vote("m27", "alice", "connects-rollover", True, "g") == "recorded"
    # An answer voted on before stays one vote: a click there another day changes that vote.
    assert await timed_store.record_vote("m0", "bob", "connects-rollover", True, "g") == "recorded"
    clock.now += timedelta(days=1)
    assert await timed_store.record_vote("m0", "bob", "connects-rollover", False, "g") == "changed"
    counts = (await timed_store.feedback())["connects-rollover"]
    assert (counts.helpful, counts.not_helpful) == (1, 2)


async def test_votes_are_kept_under_the_salted_hash(store: KnowledgeStore, tmp_path: Path) -> None:
    await store.record_vote("m1", "123456789", "connects-rollover", True, None)
    ((voter,),) = await store._database.reader.fetchall("SELECT voter FROM feedback")
    assert voter != "123456789" and voter == await store.asker_hash("123456789", None)


async def test_an_answer_belongs_to_one_entry(store: KnowledgeStore) -> None:
    await store.record_vote("m1", "alice", "connects-rollover", True, None)
    with pytest.raises(InvalidEntry):
        await store.record_vote("m1", "alice", "connects-buy", True, None)


async def test_feedback_since(timed_store: KnowledgeStore, clock: Clock) -> None:
    await timed_store.record_vote("m1", "a", "x-entry", True, None)
    clock.now += timedelta(days=3)
    await timed_store.record_vote("m2", "a", "x-entry", False, None)
    recent = (await timed_store.feedback(since=date(2026, 11, 22)))["x-entry"]
    assert (recent.helpful, recent.not_helpful) == (0, 1)


async def test_daily_questions(timed_store: KnowledgeStore, clock: Clock) -> None:
    await timed_store.record_questions([_record("answer", entry_id="a-entry"), _record("none")])
    clock.now += timedelta(days=2)
    ids = await timed_store.record_questions(
        [_record("suggest", suggestions=["a-entry"]), _record("answer", entry_id="a-entry"), _record("none")]
    )
    await timed_store.record_pick(ids[0], "a-entry")
    days = await timed_store.daily_questions()
    assert [(d.day, d.asked, d.answered, d.suggested, d.picked) for d in days] == [
        (date(2026, 11, 20), 2, 1, 0, 0),
        (date(2026, 11, 22), 3, 1, 1, 1),
    ]
    assert [d.day for d in await timed_store.daily_questions(since=date(2026, 11, 21))] == [
        date(2026, 11, 22)
    ]
    assert await timed_store.usage() == {"a-entry": 3}


async def test_question_and_asker(store: KnowledgeStore) -> None:
    asker = await store.asker_hash("42", "1")
    (qid,) = await store.record_questions(
        [_record("suggest", "connects plan", asker=asker, suggestions=["a-b"])]
    )
    question = await store.question(qid)
    assert question.question == "connects plan" and question.suggestions == ["a-b"]
    assert await store.asked_by(qid, "42") and not await store.asked_by(qid, "43")
    with pytest.raises(NotFound):
        await store.question(qid + 100)
    with pytest.raises(NotFound):
        await store.asked_by(qid + 100, "42")


async def test_open_questions_and_resolving_them(store: KnowledgeStore) -> None:
    ids = await store.record_questions(
        [_record("none", "a"), _record("suggest", "b"), _record("answer", "c", "x-y")]
    )
    assert {q.id for q in await store.open_questions()} == set(ids[:2])
    assert await store.resolve_questions([ids[0], ids[2]], "new-entry") == 1  # answered ones are not "open"
    assert [q.id for q in await store.open_questions()] == [ids[1]]
    assert await store.resolve_questions([ids[0]], "new-entry") == 0
    assert await store.resolve_questions([], "new-entry") == 0
    assert len(await store.unanswered()) == 2, "the moderators' full record keeps dealt-with questions"


async def test_all_entries_include_retired_ones(store: KnowledgeStore, make_entry: EntryFactory) -> None:
    await store.add(make_entry("alpha-topic"), "mod", "new")
    await store.add(make_entry("beta-topic"), "mod", "new")
    await store.retire("beta-topic", "mod", "gone")
    everything = {live.entry.id: live.retired for live in await store.all_entries()}
    assert everything == {"alpha-topic": False, "beta-topic": True}
    assert [live.entry.id for live in await store.live_entries()] == ["alpha-topic"]


async def test_a_v1_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    v1 = (Path(__file__).parents[1] / "src/connectsbot/store/migrations/sqlite/V1__initial.sql").read_text()
    with sqlite3.connect(path) as db:
        db.executescript(v1)
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO questions (asked_at, asker, guild_id, channel, decision, score, question, "
            "suggestions) VALUES ('2026-11-01T00:00:00+00:00',"
            " 'h', 'g', 'c', 'none', 0, 'old question', '[]')"
        )
    async with await KnowledgeStore.open(path) as store:
        (old,) = await store.open_questions()
        assert old.question == "old question"
        await store.record_vote("m", "u", "x-y", True, None)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 2


async def test_votes_stuffed_before_the_daily_rule_count_once_per_day(tmp_path: Path) -> None:
    """A database of the version before V6 (one vote per answer message only): of one member's votes
    on one entry on one day, the last one is kept."""
    path = tmp_path / "v4.sqlite3"
    migrations = Path(__file__).parents[1] / "src/connectsbot/store/migrations/sqlite"
    with sqlite3.connect(path) as db:
        for script in sorted(migrations.glob("V[1-4]__*.sql")):
            db.executescript(script.read_text())
        db.execute("PRAGMA user_version = 4")
        votes = [
            (f"m{n}", "alice", "connects-rollover", n % 2, f"2026-11-20T09:0{n}:00+00:00") for n in range(5)
        ]
        votes += [
            ("m9", "alice", "connects-buy", 1, "2026-11-20T09:00:00+00:00"),
            ("m8", "alice", "connects-rollover", 0, "2026-11-21T09:00:00+00:00"),
            ("m0", "bob", "connects-rollover", 1, "2026-11-20T10:00:00+00:00"),
        ]
        db.executemany(
            "INSERT INTO feedback (answer_key, voter, entry_id, helpful, guild_id, voted_at) "
            "VALUES (?, ?, ?, ?, 'g', ?)",
            votes,
        )
    async with await KnowledgeStore.open(path) as store:
        counts = await store.feedback()
        # alice's last vote of 20 Nov on rollover (not helpful, at 09:04), hers of 21 Nov, bob's (helpful).
        assert (counts["connects-rollover"].helpful, counts["connects-rollover"].not_helpful) == (1, 2)
        assert counts["connects-buy"].helpful == 1
    with sqlite3.connect(path) as db:
        kept = db.execute("SELECT answer_key FROM feedback WHERE voter = 'alice' ORDER BY answer_key")
        assert [row[0] for row in kept] == ["m4", "m8", "m9"]


def test_types_are_exported() -> None:
    from connectsbot import store

    names: list[Callable[..., object] | type] = [store.FeedbackCount, store.DayCount]
    assert all(names)
