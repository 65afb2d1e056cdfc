"""The store under write load: concurrent votes, question records and moderator edits (compare-and-set)
from one store, a second store and a plain connection on the same file holding the write lock meanwhile.
No acknowledged write may be lost, and the only errors are the typed ones."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from connectsbot.kbfiles import load_folder
from connectsbot.store import KnowledgeStore, QuestionRecord, StaleRevision
from tests.store_faults import write_lock_held

EDITED = ("beta-topic", "gamma-topic")


def question(n: int) -> QuestionRecord:
    return QuestionRecord(f"asker-{n % 7}", "guild", "channel", f"question {n}", "none", None, 10.0, [])


@dataclass
class Acknowledged:
    """Every write a caller was told succeeded."""

    question_ids: list[int] = field(default_factory=list)
    votes: dict[tuple[str, str], bool] = field(default_factory=dict)  # (answer, member) -> last vote
    edits: dict[tuple[str, int], str] = field(default_factory=dict)  # (entry, revision) -> answer
    stale: int = 0  # edits refused by the compare-and-set, then retried from the new head


async def ask(store: KnowledgeStore, done: Acknowledged, n: int) -> None:
    await asyncio.sleep(random.uniform(0, 0.3))
    done.question_ids += await store.record_questions([question(n), question(n + 1000)][: 1 + n % 2])


async def vote(store: KnowledgeStore, done: Acknowledged, member: str) -> None:
    answer = f"answer-{int(member[1:]) % 5}"
    for helpful in (True, False):  # a second click changes the vote
        await asyncio.sleep(random.uniform(0, 0.2))
        await store.record_vote(answer, member, "alpha-topic", helpful, "guild")
        done.votes[(answer, member)] = helpful


async def moderate(store: KnowledgeStore, done: Acknowledged, name: str, edits: int) -> None:
    for n in range(edits):
        entry_id = EDITED[n % 2]
        while True:
            live = await store.get(entry_id)
            answer = f"{name} edit {n}"
            try:
                saved = await store.edit(
                    live.entry.model_copy(update={"answer": answer}), live.revision, name, "load test"
                )
            except StaleRevision:
                done.stale += 1
                continue
            done.edits[(entry_id, saved.revision.revision)] = answer
            break


async def test_no_acknowledged_write_is_lost_under_concurrent_load(tmp_path: Path, kb_folder: Path) -> None:
    path = tmp_path / "load.sqlite3"
    done = Acknowledged()
    async with await KnowledgeStore.open(path) as store, await KnowledgeStore.open(path) as second:
        await store.import_folder(load_folder(kb_folder))
        work = [
            *(ask(store, done, n) for n in range(120)),
            *(vote(store, done, f"m{n}") for n in range(40)),
            *(moderate(store, done, f"mod{n}", 8) for n in range(3)),
            moderate(second, done, "other-process", 8),
        ]

        async def lock_holder() -> None:
            for _ in range(3):  # three times 0.2 s, well within the writers' patience
                await asyncio.sleep(0.1)
                async with write_lock_held(path, 0.2):
                    pass

        outcomes = await asyncio.gather(*work, lock_holder(), return_exceptions=True)
        # Only the compare-and-set refusals happened, and each was retried: nothing else failed.
        assert [o for o in outcomes if isinstance(o, BaseException)] == []
        voters = {member: await store.asker_hash(member, "guild") for _, member in done.votes}

    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [row[0] for row in db.execute("SELECT id FROM questions ORDER BY id")]
        assert sorted(done.question_ids) == ids and len(ids) == 180
        votes = {(a, v): bool(h) for a, v, h in db.execute("SELECT answer_key, voter, helpful FROM feedback")}
        assert votes == {
            (answer, voters[member]): helpful for (answer, member), helpful in done.votes.items()
        }
        assert len(votes) == 40
        for entry_id in EDITED:
            rows = db.execute(
                "SELECT revision, action, json_extract(data, '$.answer') FROM revisions "
                "WHERE entry_id = ? ORDER BY revision",
                (entry_id,),
            ).fetchall()
            head = db.execute("SELECT head_revision FROM entries WHERE id = ?", (entry_id,)).fetchone()[0]
            assert [r[0] for r in rows] == list(range(1, head + 1))  # contiguous, head is the last
            edits = {(entry_id, r[0]): r[2] for r in rows if r[1] == "edit"}
            assert edits == {key: answer for key, answer in done.edits.items() if key[0] == entry_id}
        assert len(done.edits) == 32 and done.stale > 0  # the compare-and-set was put to work
        assert db.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'held-%'").fetchone()[0] == 3


async def test_concurrent_question_records_share_one_commit(store: KnowledgeStore) -> None:
    statements: list[str] = []
    await store._database.writer.raw.set_trace_callback(statements.append)
    batches = await asyncio.gather(*(store.record_questions([question(n)]) for n in range(50)))
    assert statements.count("COMMIT") == 1
    assert len({qid for batch in batches for qid in batch}) == 50
    assert [len(batch) for batch in batches] == [1] * 50


async def test_questions_asked_while_the_database_is_busy_wait_together(
    store: KnowledgeStore, tmp_path: Path
) -> None:
    statements: list[str] = []
    await store._database.writer.raw.set_trace_callback(statements.append)
    async with write_lock_held(tmp_path / "store.sqlite3", 1.0):
        first = asyncio.ensure_future(store.record_questions([question(0)]))
        later = []
        for n in range(1, 21):
            await asyncio.sleep(0.01)
            later.append(asyncio.ensure_future(store.record_questions([question(n)])))
        # The first waits for the lock with its own transaction; the 20 behind it share the next one.
        ids = [await first, *await asyncio.gather(*later)]
    assert statements.count("COMMIT") == 2
    assert sorted(qid for batch in ids for qid in batch) == list(range(1, 22))


async def test_each_caller_gets_the_ids_of_its_own_records(store: KnowledgeStore) -> None:
    await store.record_questions([question(0)])  # ids do not start at 1 in the batch below
    batches = [[question(10 * caller + n) for n in range(caller % 3 + 1)] for caller in range(12)]
    ids = await asyncio.gather(*(store.record_questions(batch) for batch in batches))
    for batch, batch_ids in zip(batches, ids, strict=True):
        stored = [(await store.question(qid)).question for qid in batch_ids]
        assert stored == [record.question for record in batch]
