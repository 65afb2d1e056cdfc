"""The knowledge-change service: each change is one call, one transaction and one published event;
what follows a change (the answer service here) subscribes to the events."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from connectsbot.answers import AnswerService
from connectsbot.curation import Actor, Curator, EntryChanged, FilesImported, KnowledgeEvent, propose_entry_id
from connectsbot.kbfiles import load_policy, render_entry
from connectsbot.store import KnowledgeStore, NotFound, QuestionRecord, StaleRevision, StoreError
from tests.helpers import build_entry, refuse_updates

MODERATOR = Actor("ana (42)", user_id=42, guild_id=7)


class Recorder:
    def __init__(self) -> None:
        self.events: list[KnowledgeEvent] = []

    async def __call__(self, event: KnowledgeEvent) -> None:
        self.events.append(event)


@pytest.fixture
async def curated(kb_folder: Path, store: KnowledgeStore) -> tuple[Curator, AnswerService, Recorder]:
    answers, _ = await AnswerService.start(store, kb_folder)
    recorder = Recorder()
    curator = Curator(store, kb_folder, load_policy(kb_folder), followers=[answers.follow, recorder])
    return curator, answers, recorder


async def _unanswered(store: KnowledgeStore, *questions: str) -> list[int]:
    records = [
        QuestionRecord(
            asker="someone",
            guild_id="7",
            channel="help",
            question=question,
            decision="none",
            entry_id=None,
            score=0.0,
            suggestions=[],
        )
        for question in questions
    ]
    return await store.record_questions(records)


async def test_every_entry_change_is_one_event_with_before_and_after(
    curated: tuple[Curator, AnswerService, Recorder],
) -> None:
    curator, _, recorder = curated
    added = await curator.add(build_entry("delta-topic"), MODERATOR, "asked often")
    assert added.before is None and added.after.id == "delta-topic" and added.actor == MODERATOR
    edited = await curator.edit(
        added.after.model_copy(update={"answer": "New answer."}), added.revision.revision, MODERATOR, "fix"
    )
    assert edited.before == added.after and edited.after.answer == "New answer."
    aliased = await curator.add_alias("delta-topic", "delta please", MODERATOR, "members ask so")
    assert "delta please" in aliased.after.aliases and aliased.before == edited.after
    unaliased = await curator.remove_alias("delta-topic", "delta please", MODERATOR, "too vague")
    assert "delta please" not in unaliased.after.aliases
    retired = await curator.retire("delta-topic", MODERATOR, "wrong", unaliased.revision.revision)
    assert retired.revision.retired and retired.before == unaliased.after
    reverted = await curator.revert("delta-topic", 1, MODERATOR, "back", retired.revision.revision)
    assert not reverted.revision.retired and reverted.after == added.after
    assert recorder.events == [added, edited, aliased, unaliased, retired, reverted]
    assert [e.revision.action for e in recorder.events if isinstance(e, EntryChanged)] == [
        "add",
        "edit",
        "alias_add",
        "alias_remove",
        "retire",
        "revert",
    ]
    assert all(e.revision.author == MODERATOR.name for e in recorder.events if isinstance(e, EntryChanged))


async def test_when_the_call_returns_members_are_answered_from_the_change(
    curated: tuple[Curator, AnswerService, Recorder],
) -> None:
    curator, answers, _ = curated
    await curator.add(build_entry("delta-topic", aliases=["how does delta work"]), MODERATOR, "new")
    assert "delta-topic" in (await answers.ready()).entries
    answer = await answers.ask("how does delta work", "member", None, "help")
    assert answer.entry is not None and answer.entry.id == "delta-topic"
    live = await curator.store.get("delta-topic")
    await curator.retire("delta-topic", MODERATOR, "gone", live.revision)
    assert "delta-topic" not in (await answers.ready()).entries


async def test_a_refused_change_publishes_nothing(curated: tuple[Curator, AnswerService, Recorder]) -> None:
    curator, _, recorder = curated
    live = await curator.store.get("beta-topic")
    await curator.add_alias("beta-topic", "beta please", MODERATOR, "first")
    with pytest.raises(StaleRevision):
        await curator.edit(live.entry, live.revision, MODERATOR, "stale")
    with pytest.raises(NotFound):
        await curator.add_alias("no-such-entry", "anything", MODERATOR, "typo")
    assert len(recorder.events) == 1


async def test_questions_are_resolved_in_the_same_transaction(
    curated: tuple[Curator, AnswerService, Recorder],
) -> None:
    curator, _, _ = curated
    store = curator.store
    photo = await _unanswered(store, "how do i change my photo", "change profile photo?")
    change = await curator.add(build_entry("profile-photo"), MODERATOR, "asked twice", resolves=photo)
    assert change.resolved_questions == 2 and await store.open_questions() == []
    (other,) = await _unanswered(store, "delta please")
    aliased = await curator.add_alias("beta-topic", "delta please", MODERATOR, "asked", resolves=[other])
    assert aliased.resolved_questions == 1 and await store.open_questions() == []


async def test_nothing_is_saved_when_the_questions_cannot_be_resolved(
    curated: tuple[Curator, AnswerService, Recorder],
) -> None:
    curator, _, recorder = curated
    store = curator.store
    asked = await _unanswered(store, "how do i change my photo")
    refused = await refuse_updates(store, "questions", "no")
    with pytest.raises((StoreError, refused)):
        await curator.add(build_entry("profile-photo"), MODERATOR, "asked", resolves=asked)
    with pytest.raises(NotFound):
        await store.get("profile-photo", include_retired=True)
    with pytest.raises((StoreError, refused)):
        await curator.add_alias("beta-topic", "my photo", MODERATOR, "asked", resolves=asked)
    assert "my photo" not in (await store.get("beta-topic")).entry.aliases
    assert [q.id for q in await store.open_questions()] == asked
    assert recorder.events == []


async def test_a_failing_follower_does_not_undo_or_hide_the_change(
    curated: tuple[Curator, AnswerService, Recorder], caplog: pytest.LogCaptureFixture
) -> None:
    curator, _, recorder = curated

    async def broken(event: KnowledgeEvent) -> None:
        raise RuntimeError("bug in a follower")

    curator.subscribe(broken)
    after = Recorder()
    stop = curator.subscribe(after)
    with caplog.at_level(logging.ERROR, logger="connectsbot.curation"):
        change = await curator.add(build_entry("delta-topic"), MODERATOR, "new")
    assert (await curator.store.get("delta-topic")).revision == change.revision.revision
    assert recorder.events == [change] and after.events == [change]
    assert "a follower of knowledge changes failed" in caplog.text
    stop()
    await curator.add_alias("delta-topic", "delta please", MODERATOR, "asked")
    assert after.events == [change]


async def test_an_import_is_one_event_with_the_folder_policy_and_sources(
    curated: tuple[Curator, AnswerService, Recorder],
) -> None:
    curator, answers, recorder = curated
    folder = curator.folder
    (folder / "entries" / "delta-topic.md").write_text(render_entry(build_entry("delta-topic")), "utf-8")
    (folder / "entries" / "gamma-topic.md").unlink()
    sources = (folder / "sources.yaml").read_text("utf-8")
    (folder / "sources.yaml").write_text(sources.replace("label:", "label: Renamed", 1), "utf-8")
    imported = await curator.import_files(MODERATOR)
    assert isinstance(imported, FilesImported) and recorder.events == [imported]
    assert imported.report.added == ["delta-topic"] and imported.report.retired == ["gamma-topic"]
    assert not imported.policy_changed and imported.policy == curator.policy
    snapshot = await answers.snapshot()
    assert "delta-topic" in snapshot.entries and "gamma-topic" not in snapshot.entries
    assert any(record.label.startswith("Renamed") for record in snapshot.sources.values())
    history = await curator.store.history("delta-topic")
    assert history[-1].author == MODERATOR.name


async def test_an_import_takes_a_changed_policy(curated: tuple[Curator, AnswerService, Recorder]) -> None:
    curator, _, _ = curated
    policy = (curator.folder / "policy.yaml").read_text("utf-8")
    changed = policy.replace("value: 50", "value: 60", 1)
    assert changed != policy, "the shipped policy states the weekly cap of 50"
    (curator.folder / "policy.yaml").write_text(changed, "utf-8")
    imported = await curator.import_files(MODERATOR)
    assert imported.policy_changed and curator.policy == imported.policy


async def test_the_snapshot_finds_and_completes_entries(
    curated: tuple[Curator, AnswerService, Recorder],
) -> None:
    _, answers, _ = curated
    snapshot = await answers.snapshot()
    assert snapshot.find("gamma-topic") is snapshot.entries["gamma-topic"]
    found = snapshot.find("What about gamma")
    assert found is not None and found.id == "gamma-topic"
    assert snapshot.complete("be", 5)[0].id == "beta-topic"
    assert snapshot.categories() == ["connects"]


@pytest.mark.parametrize(
    ("question", "proposed"),
    [
        ("How do I change my profile photo?", "change-profile-photo"),
        ("why??", "new-entry"),
        (
            "Can I pay with bitcoin or paypal or a cheque or cash please, thanks",
            "pay-bitcoin-paypal-cheque-cash",
        ),
    ],
)
def test_proposed_entry_ids(question: str, proposed: str) -> None:
    assert propose_entry_id(question) == proposed
