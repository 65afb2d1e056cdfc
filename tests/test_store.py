"""The store: import/export, revisions, conflicts, typed errors, recorded questions."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from connectsbot.kbfiles import load_folder, render_entry
from connectsbot.store import (
    IMPORT_AUTHOR,
    AlreadyExists,
    ImportFailed,
    InvalidEntry,
    KnowledgeStore,
    NotFound,
    QuestionRecord,
    StaleRevision,
)
from tests.helpers import SHIPPED_KNOWLEDGE, EntryFactory, OpenStore, build_entry


async def test_import_adds_every_entry_with_a_first_revision(store: KnowledgeStore, kb_folder: Path) -> None:
    report = await store.import_folder(load_folder(kb_folder))
    assert sorted(report.added) == ["alpha-topic", "beta-topic", "gamma-topic"]
    live = await store.live_entries()
    assert [item.entry.id for item in live] == ["alpha-topic", "beta-topic", "gamma-topic"]
    (first,) = await store.history("alpha-topic")
    assert (first.revision, first.action, first.author) == (1, "import", IMPORT_AUTHOR)
    assert "alpha-topic.md" in first.reason


async def test_reimport_of_unchanged_files_writes_nothing(store: KnowledgeStore, kb_folder: Path) -> None:
    await store.import_folder(load_folder(kb_folder))
    generation = store.generation
    report = await store.import_folder(load_folder(kb_folder))
    assert (report.added, report.updated, report.unchanged) == ([], [], 3)
    assert store.generation == generation


async def test_changed_file_becomes_a_new_revision(store: KnowledgeStore, kb_folder: Path) -> None:
    await store.import_folder(load_folder(kb_folder))
    path = kb_folder / "entries" / "beta-topic.md"
    path.write_text(render_entry(build_entry("beta-topic", answer="A better answer.")), encoding="utf-8")
    report = await store.import_folder(load_folder(kb_folder))
    assert report.updated == ["beta-topic"]
    history = await store.history("beta-topic")
    assert [r.revision for r in history] == [1, 2]
    assert history[1].changed_fields == ["answer"]
    assert (await store.get("beta-topic")).entry.answer == "A better answer."


@pytest.mark.parametrize("first_import", [True, False])
async def test_a_broken_file_in_the_middle_changes_nothing(
    store: KnowledgeStore, kb_folder: Path, first_import: bool
) -> None:
    if first_import is False:
        await store.import_folder(load_folder(kb_folder))
    before = await store.live_entries()
    # A good change before and after the broken file in file order: neither may land.
    (kb_folder / "entries" / "alpha-topic.md").write_text(
        render_entry(build_entry("alpha-topic", answer="changed", related=["beta-topic"])), encoding="utf-8"
    )
    (kb_folder / "entries" / "beta-topic.md").write_text("---\nid: beta-topic\nquestion: [unclosed\n---\nx\n")
    (kb_folder / "entries" / "gamma-topic.md").write_text(
        render_entry(build_entry("gamma-topic", answer="changed too")), encoding="utf-8"
    )
    with pytest.raises(ImportFailed) as failure:
        await store.import_folder(load_folder(kb_folder))
    assert any("beta-topic.md" in p.file and "invalid YAML" in p.message for p in failure.value.problems)
    assert await store.live_entries() == before


async def test_moderator_edit_is_not_overwritten_by_import_unless_forced(
    store: KnowledgeStore, kb_folder: Path
) -> None:
    await store.import_folder(load_folder(kb_folder))
    live = await store.get("gamma-topic")
    moderated = live.entry.model_copy(update={"answer": "Moderator's wording."})
    await store.edit(moderated, live.revision, "mod:42", "clearer")
    (kb_folder / "entries" / "gamma-topic.md").write_text(
        render_entry(build_entry("gamma-topic", answer="File wording.")), encoding="utf-8"
    )
    report = await store.import_folder(load_folder(kb_folder))
    assert report.conflicts == ["gamma-topic"]
    assert "--force" in report.summary()
    assert (await store.get("gamma-topic")).entry.answer == "Moderator's wording."

    forced = await store.import_folder(load_folder(kb_folder), force=True)
    assert forced.updated == ["gamma-topic"]
    assert (await store.get("gamma-topic")).entry.answer == "File wording."


async def test_removed_file_retires_its_entry(store: KnowledgeStore, kb_folder: Path) -> None:
    await store.import_folder(load_folder(kb_folder))
    (kb_folder / "entries" / "gamma-topic.md").unlink()
    report = await store.import_folder(load_folder(kb_folder))
    assert report.retired == ["gamma-topic"]
    with pytest.raises(NotFound, match="retired"):
        await store.get("gamma-topic")


async def test_stale_edit_is_refused_with_who_saved_first(store: KnowledgeStore, kb_folder: Path) -> None:
    await store.import_folder(load_folder(kb_folder))
    live = await store.get("beta-topic")
    await store.edit(live.entry.model_copy(update={"answer": "first"}), live.revision, "mod:1", "fix")
    with pytest.raises(StaleRevision) as refused:
        await store.edit(live.entry.model_copy(update={"answer": "second"}), live.revision, "mod:2", "fix")
    assert (refused.value.expected, refused.value.current, refused.value.current_author) == (1, 2, "mod:1")
    assert "mod:1" in str(refused.value)
    assert (await store.get("beta-topic")).entry.answer == "first"


async def test_concurrent_edits_in_one_process_exactly_one_wins(
    store: KnowledgeStore, kb_folder: Path
) -> None:
    await store.import_folder(load_folder(kb_folder))
    live = await store.get("beta-topic")
    edits = [
        store.edit(
            live.entry.model_copy(update={"answer": f"version {n}"}), live.revision, f"mod:{n}", "race"
        )
        for n in range(5)
    ]
    outcomes = await asyncio.gather(*edits, return_exceptions=True)
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    losers = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(o, StaleRevision) for o in losers)
    assert len(await store.history("beta-topic")) == 2


async def test_concurrent_edits_from_two_connections_exactly_one_wins(
    open_store: OpenStore, kb_folder: Path
) -> None:
    async with await open_store() as one, await open_store() as two:
        await one.import_folder(load_folder(kb_folder))
        live = await one.get("alpha-topic")
        outcomes = await asyncio.gather(
            one.edit(live.entry.model_copy(update={"answer": "from one"}), live.revision, "mod:a", "race"),
            two.edit(live.entry.model_copy(update={"answer": "from two"}), live.revision, "mod:b", "race"),
            return_exceptions=True,
        )
        assert sum(isinstance(o, StaleRevision) for o in outcomes) == 1
        assert [r.revision for r in await two.history("alpha-topic")] == [1, 2]


async def test_history_is_complete_and_revert_adds_a_revision(store: KnowledgeStore, kb_folder: Path) -> None:
    await store.import_folder(load_folder(kb_folder))
    live = await store.get("alpha-topic")
    await store.edit(live.entry.model_copy(update={"question": "Alpha?"}), 1, "mod:1", "shorter title")
    await store.add_alias("alpha-topic", "alpha pls", "mod:2", "members ask this way")
    await store.retire("alpha-topic", "mod:3", "duplicate")
    await store.revert("alpha-topic", 3, "mod:4", "retired by mistake")
    history = await store.history("alpha-topic")
    assert [(r.revision, r.action, r.author) for r in history] == [
        (1, "import", IMPORT_AUTHOR),
        (2, "edit", "mod:1"),
        (3, "alias_add", "mod:2"),
        (4, "retire", "mod:3"),
        (5, "revert", "mod:4"),
    ]
    assert history[1].changed_fields == ["question"]
    assert history[2].changed_fields == ["aliases"]
    assert history[3].retired and not history[4].retired
    assert "back to revision 3" in history[4].reason
    restored = await store.get("alpha-topic")
    assert restored.revision == 5
    assert restored.entry == history[2].entry
    # Old revisions keep their own snapshot: nothing was overwritten in place.
    assert history[0].entry.question != restored.entry.question


async def test_add_refuses_existing_ids_and_clashing_aliases(
    store: KnowledgeStore, kb_folder: Path, make_entry: EntryFactory
) -> None:
    await store.import_folder(load_folder(kb_folder))
    with pytest.raises(AlreadyExists):
        await store.add(make_entry("beta-topic"), "mod:1", "new")
    with pytest.raises(InvalidEntry, match="gamma-topic"):
        await store.add(make_entry("delta-topic", aliases=["Gamma  PLEASE"]), "mod:1", "new")
    with pytest.raises(InvalidEntry, match="unknown entry id"):
        await store.add(make_entry("delta-topic", related=["nope"]), "mod:1", "new")
    change = await store.add(make_entry("delta-topic"), "mod:1", "members keep asking")
    assert change.before is None and change.resolved_questions == 0
    assert change.revision.revision == 1 and change.revision.action == "add"


async def test_alias_add_and_remove(store: KnowledgeStore, kb_folder: Path) -> None:
    await store.import_folder(load_folder(kb_folder))
    await store.add_alias("beta-topic", "beta?", "mod:1", "short form")
    with pytest.raises(AlreadyExists):
        await store.add_alias("beta-topic", "BETA?", "mod:1", "again")
    with pytest.raises(InvalidEntry):
        await store.add_alias("beta-topic", "what is gamma", "mod:1", "belongs to gamma")
    await store.remove_alias("beta-topic", "beta?", "mod:1", "too vague")
    with pytest.raises(NotFound):
        await store.remove_alias("beta-topic", "beta?", "mod:1", "gone already")
    with pytest.raises(NotFound):
        await store.add_alias("no-such-entry", "x", "mod:1", "y")


async def test_every_change_needs_a_reason(store: KnowledgeStore, kb_folder: Path) -> None:
    await store.import_folder(load_folder(kb_folder))
    with pytest.raises(InvalidEntry, match="reason"):
        await store.retire("beta-topic", "mod:1", "  ")


async def test_export_round_trips_the_shipped_knowledge_exactly(
    store: KnowledgeStore, tmp_path: Path
) -> None:
    await store.import_folder(load_folder(SHIPPED_KNOWLEDGE))
    out = tmp_path / "exported"
    await store.export_folder(out)
    shipped = sorted(p.name for p in (SHIPPED_KNOWLEDGE / "entries").glob("*.md"))
    assert sorted(p.name for p in (out / "entries").glob("*.md")) == shipped
    for name in shipped:
        assert (out / "entries" / name).read_bytes() == (SHIPPED_KNOWLEDGE / "entries" / name).read_bytes()


async def test_export_then_import_is_in_sync(store: KnowledgeStore, kb_folder: Path) -> None:
    await store.import_folder(load_folder(kb_folder))
    live = await store.get("beta-topic")
    await store.edit(live.entry.model_copy(update={"answer": "edited in Discord"}), 1, "mod:1", "fix")
    await store.retire("gamma-topic", "mod:1", "obsolete")
    await store.export_folder(kb_folder)
    assert not (kb_folder / "entries" / "gamma-topic.md").exists()
    assert "edited in Discord" in (kb_folder / "entries" / "beta-topic.md").read_text()
    report = await store.import_folder(load_folder(kb_folder))
    assert (report.updated, report.conflicts, report.retired) == ([], [], [])


async def test_migrations_run_once(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    async with await KnowledgeStore.open(path):
        pass
    async with await KnowledgeStore.open(path):
        pass
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA user_version").fetchone()[0] >= 1
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_questions_are_recorded_anonymously(
    store: KnowledgeStore, kb_folder: Path, tmp_path: Path
) -> None:
    await store.import_folder(load_folder(kb_folder))
    asker = await store.asker_hash("123456789", "guild-1")
    assert asker != "123456789" and asker == await store.asker_hash("123456789", "guild-1")
    answered, unsure = await store.record_questions(
        [
            QuestionRecord(asker, "guild-1", "discord", "what about beta", "answer", "beta-topic", 91.0, []),
            QuestionRecord(asker, "guild-1", "discord", "gama?", "suggest", None, 60.0, ["gamma-topic"]),
        ]
    )
    await store.record_pick(unsure, "gamma-topic")
    with pytest.raises(NotFound):
        await store.record_pick(answered, "beta-topic")  # answered questions have no suggestions to pick
    (recorded,) = await store.unanswered()
    assert (recorded.question, recorded.picked_entry_id, recorded.guild_id) == (
        "gama?",
        "gamma-topic",
        "guild-1",
    )
    assert await store.usage() == {"beta-topic": 1, "gamma-topic": 1}
    texts = [
        row[0] for row in await store._database.reader.fetchall("SELECT question FROM questions ORDER BY id")
    ]
    assert texts == [None, "gama?"]  # answered questions keep no text
