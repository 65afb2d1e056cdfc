"""What a change returns: the head it replaced, read in the write transaction, and the questions it
resolved in that same transaction (all or nothing with the revision)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from connectsbot.kbfiles import load_folder
from connectsbot.knowledge import Entry
from connectsbot.store import (
    AlreadyExists,
    InvalidEntry,
    KnowledgeStore,
    LiveEntry,
    NotFound,
    QuestionRecord,
)
from tests.helpers import refuse_updates
from tests.store_faults import write_lock_held

EntryFactory = Callable[..., Entry]


@pytest.fixture
async def imported(store: KnowledgeStore, kb_folder: Path) -> KnowledgeStore:
    await store.import_folder(load_folder(kb_folder))
    return store


def unanswered(text: str) -> QuestionRecord:
    return QuestionRecord("asker", "g", "c", text, "none", None, 10.0, [])


async def test_each_change_returns_the_head_it_replaced(
    imported: KnowledgeStore, make_entry: EntryFactory
) -> None:
    added = await imported.add(make_entry("delta-topic"), "mod:1", "new")
    assert added.before is None and added.revision.revision == 1

    first = await imported.get("beta-topic")
    edited = await imported.edit(first.entry.model_copy(update={"answer": "new"}), 1, "mod:1", "fix")
    assert edited.before == first and edited.revision.revision == 2
    aliased = await imported.add_alias("beta-topic", "beta?", "mod:1", "short")
    assert aliased.before == LiveEntry(entry=edited.revision.entry, revision=2, retired=False)
    unaliased = await imported.remove_alias("beta-topic", "beta?", "mod:1", "vague")
    assert unaliased.before == LiveEntry(entry=aliased.revision.entry, revision=3, retired=False)
    retired = await imported.retire("beta-topic", "mod:1", "gone")
    assert retired.before == LiveEntry(entry=unaliased.revision.entry, revision=4, retired=False)
    reverted = await imported.revert("beta-topic", 2, "mod:1", "back")
    # Reverting a retired entry: `before` is the retired head.
    assert reverted.before == LiveEntry(entry=unaliased.revision.entry, revision=5, retired=True)
    assert (reverted.revision.revision, reverted.revision.entry) == (6, edited.revision.entry)


async def test_before_is_read_inside_the_write_transaction(tmp_path: Path, kb_folder: Path) -> None:
    """Two connections change one entry while a third holds the write lock: whichever writes second
    reports the first one's revision as `before`, not the head both saw while waiting."""
    path = tmp_path / "shared.sqlite3"
    async with await KnowledgeStore.open(path) as one, await KnowledgeStore.open(path) as two:
        await one.import_folder(load_folder(kb_folder))
        async with write_lock_held(path, 0.5):
            changes = await asyncio.gather(
                one.add_alias("beta-topic", "first way to ask", "mod:a", "race"),
                two.add_alias("beta-topic", "second way to ask", "mod:b", "race"),
            )
        earlier, later = sorted(changes, key=lambda change: change.revision.revision)
        assert earlier.before is not None and earlier.before.revision == 1
        assert later.before == LiveEntry(entry=earlier.revision.entry, revision=2, retired=False)
        assert later.revision.changed_fields == ["aliases"]
        assert len((await one.get("beta-topic")).entry.aliases) == 3


async def test_resolves_marks_the_questions_in_the_same_change(
    imported: KnowledgeStore, make_entry: EntryFactory
) -> None:
    asked = await imported.record_questions([unanswered("delta?"), unanswered("delta please")])
    (answered,) = await imported.record_questions(
        [QuestionRecord("asker", "g", "c", "beta", "answer", "beta-topic", 95.0, [])]
    )
    change = await imported.add(make_entry("delta-topic"), "mod:1", "new", resolves=[*asked, answered])
    assert change.resolved_questions == 2  # an answered question is not an open one
    assert await imported.open_questions() == []
    (alias_question,) = await imported.record_questions([unanswered("beta??")])
    aliased = await imported.add_alias("beta-topic", "beta??", "mod:1", "asked", resolves=[alias_question])
    assert aliased.resolved_questions == 1
    learned = {(q.q, q.expect, q.origin) for q in await imported.learned_questions()}
    assert learned == {
        ("delta?", "delta-topic", "moderator"),
        ("delta please", "delta-topic", "moderator"),
        ("beta??", "beta-topic", "moderator"),
    }


async def test_a_resolve_that_fails_takes_the_revision_with_it(
    imported: KnowledgeStore, make_entry: EntryFactory
) -> None:
    (question_id,) = await imported.record_questions([unanswered("delta?")])
    # A fault in the database itself: from now on no question may be marked as resolved.
    refused = await refuse_updates(imported, "questions", "resolving refused", column="resolved_at")
    generation = imported.generation
    with pytest.raises(refused, match="resolving refused"):
        await imported.add(make_entry("delta-topic"), "mod:1", "new", resolves=[question_id])
    with pytest.raises(NotFound):
        await imported.history("delta-topic")
    with pytest.raises(refused, match="resolving refused"):
        await imported.add_alias("beta-topic", "delta?", "mod:1", "asked", resolves=[question_id])
    assert len(await imported.history("beta-topic")) == 1
    assert imported.generation == generation
    assert [q.id for q in await imported.open_questions()] == [question_id]
    # Without questions to resolve, the same change goes through.
    assert (await imported.add(make_entry("delta-topic"), "mod:1", "new")).revision.revision == 1


async def test_a_refused_change_resolves_nothing(imported: KnowledgeStore, make_entry: EntryFactory) -> None:
    (question_id,) = await imported.record_questions([unanswered("gamma please")])
    with pytest.raises(InvalidEntry):
        await imported.add(
            make_entry("delta-topic", aliases=["gamma please"]), "mod:1", "new", resolves=[question_id]
        )
    with pytest.raises(AlreadyExists):
        await imported.add_alias("gamma-topic", "Gamma  Please", "mod:1", "again", resolves=[question_id])
    assert [q.id for q in await imported.open_questions()] == [question_id]
