"""The answer service keeps answering while a change is being indexed."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from connectsbot.answers import AnswerService, TrainingData
from connectsbot.curation import sync_files
from connectsbot.knowledge import Entry
from connectsbot.matching import Matcher, MatcherConfig
from connectsbot.semantic import AsyncEncoder
from connectsbot.store import KnowledgeStore
from tests.helpers import SHIPPED_KNOWLEDGE, build_entry
from tests.semantic.support import FakeEncoder


async def test_questions_during_a_rebuild_get_the_previous_matcher(
    kb_folder: Path, store: KnowledgeStore
) -> None:
    hold, release = threading.Event(), threading.Event()

    def slow_matcher(entries: list[Entry], config: MatcherConfig | None = None) -> Matcher:
        if hold.is_set():
            release.wait(timeout=10)  # the build holds until the test has asked its question
        return Matcher(entries, config)

    answers, _ = await AnswerService.start(store, kb_folder, matcher_factory=slow_matcher)
    hold.set()
    await store.add(build_entry("delta-topic"), "moderator", "new")
    moderator_waits = asyncio.create_task(answers.refresh())
    await asyncio.sleep(0.05)

    # The event loop is free and a member is answered from the entries before the change.
    answer = await asyncio.wait_for(answers.ask("what about delta topic?", "member", None, "c"), 5)
    assert answer.result.entry_id != "delta-topic" and not moderator_waits.done()

    release.set()
    await moderator_waits
    answer = await answers.ask("what about delta topic?", "member", None, "c")
    assert answer.result.entry_id == "delta-topic"


async def test_closing_stops_the_rebuild_in_progress_before_the_store_closes(
    kb_folder: Path, store: KnowledgeStore
) -> None:
    entered, release = threading.Event(), threading.Event()

    def held_matcher(entries: list[Entry], config: MatcherConfig | None = None) -> Matcher:
        if len(entries) == 4:  # the rebuild after the change
            entered.set()
            release.wait(timeout=10)
        return Matcher(entries, config)

    answers, _ = await AnswerService.start(store, kb_folder, matcher_factory=held_matcher)
    await store.add(build_entry("delta-topic"), "moderator", "new")
    rebuild = asyncio.create_task(answers.refresh())
    await asyncio.to_thread(entered.wait, 10)
    closing = asyncio.create_task(answers.close())
    await asyncio.sleep(0)
    release.set()
    await closing
    with pytest.raises(asyncio.CancelledError):
        await rebuild  # the rebuild never went on to read the store after the matcher
    live = {indexed.entry.id for indexed in answers.current_matcher.lexical.index.entries}
    assert "delta-topic" not in live


async def test_one_rebuild_for_many_waiters(kb_folder: Path, store: KnowledgeStore) -> None:
    builds = []

    def counting_matcher(entries: list[Entry], config: MatcherConfig | None = None) -> Matcher:
        builds.append(len(entries))
        return Matcher(entries, config)

    answers, _ = await AnswerService.start(store, kb_folder, matcher_factory=counting_matcher)
    await store.add(build_entry("delta-topic"), "moderator", "new")
    await asyncio.gather(*(answers.refresh() for _ in range(5)))
    assert builds == [3, 4] and "delta-topic" in (await answers.snapshot()).entries


async def test_small_talk_is_answered_but_never_recorded(store: KnowledgeStore) -> None:
    answers, _ = await AnswerService.start(store, SHIPPED_KNOWLEDGE)
    answer = await answers.ask("hi there!", "member", None, "c")
    assert answer.is_smalltalk and answer.question_id is None and not answer.suggestions
    assert await store.unanswered() == []


async def test_picks_and_moderator_choices_teach_the_model(store: KnowledgeStore) -> None:
    """A member's "did you mean" pick and a question a moderator resolved become labelled
    questions; the model is retrained with them at the next knowledge-base change."""
    answers, _ = await AnswerService.start(store, SHIPPED_KNOWLEDGE)
    assert answers.model is not None and answers.model.member_examples == 0
    picked = await answers.ask("connects", "member", None, "c")
    assert picked.result.decision == "suggest" and picked.question_id is not None
    await answers.pick_suggestion(picked.question_id, picked.suggestions[0].id)
    resolved = await answers.ask("what about the weather in paris", "member", None, "c")
    assert resolved.question_id is not None
    await store.resolve_questions([resolved.question_id], "upwork-what")

    learned = await store.learned_questions()
    assert [(q.origin, q.expect) for q in learned] == [
        ("moderator", "upwork-what"),
        ("member", picked.suggestions[0].id),
    ]
    await store.add_alias("upwork-what", "tell me about this upwork site", "moderator", "new alias")
    await answers.refresh()  # the new alias answers at once, with the previous model
    assert answers.model is not None and answers.model.member_examples == 0
    await answers.trained()
    assert answers.model is not None
    assert (answers.model.member_examples, answers.model.moderator_examples) == (1, 1)
    assert "1 from members' picks and 1 from moderators" in answers.model.summary()


async def test_semantic_signal_can_be_turned_off(
    store: KnowledgeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECTSBOT_SEMANTIC", "off")
    answers, _ = await AnswerService.start(store, SHIPPED_KNOWLEDGE)
    assert answers.encoder is None and not answers.current_matcher.semantic
    assert answers.model is not None and not answers.model.semantic
    answer = await answers.ask("do unused connects roll over to next month", "member", None, "c")
    assert answer.result.entry_id == "connects-rollover" and answer.result.candidates[0].semantic is None


async def test_a_failing_encoder_costs_the_semantic_signal_not_the_answers(
    store: KnowledgeStore, caplog: pytest.LogCaptureFixture
) -> None:
    await sync_files(store, SHIPPED_KNOWLEDGE)
    encoder = FakeEncoder()
    encoder.fail = RuntimeError("weights unreadable")
    answers = AnswerService(store, encoder=encoder, training=TrainingData.load(SHIPPED_KNOWLEDGE))
    await answers.refresh()
    assert not answers.current_matcher.semantic and answers.model is not None and not answers.model.semantic
    assert "the semantic signal failed while building" in caplog.text
    caplog.clear()
    answer = await answers.ask("do unused connects roll over to next month", "member", None, "c")
    assert answer.result.entry_id == "connects-rollover"


async def test_a_members_pick_trains_the_models_but_is_no_neighbour(store: KnowledgeStore) -> None:
    """One member picking the wrong entry again and again must not pull answers their way."""
    answers, _ = await AnswerService.start(store, SHIPPED_KNOWLEDGE)
    asked = await answers.ask("connects", "member", None, "c")
    assert asked.question_id is not None
    await answers.pick_suggestion(asked.question_id, asked.suggestions[-1].id)
    await store.add_alias("upwork-what", "tell me about this upwork site", "moderator", "new alias")
    await answers.trained()
    examples = answers.current_matcher.examples
    assert examples is not None and answers.model is not None and answers.model.member_examples == 1
    learned_row = len(answers.training.train)  # the pick comes right after the shipped questions
    assert examples.owner[learned_row] == -2  # ignored as a neighbour


async def test_a_question_the_encoder_cannot_take_in_time_is_answered_lexically(
    store: KnowledgeStore,
) -> None:
    """Under load the encoder falls behind: the bot answers with the model trained on the lexical
    signals instead of keeping the member waiting."""
    await sync_files(store, SHIPPED_KNOWLEDGE)
    encoder = FakeEncoder(dim=16)
    answers = AnswerService(
        store, encoder=encoder, training=TrainingData.load(SHIPPED_KNOWLEDGE), encode_wait=0.05
    )
    await answers.refresh()
    assert answers.current_matcher.semantic and answers.current_matcher.fallback is not None
    assert (
        answers.current_matcher.fallback.model is not None
        and not answers.current_matcher.fallback.model.semantic
    )
    encoder.release.clear()  # the encoder is stuck behind other members' questions
    try:
        answer = await answers.ask("do unused connects roll over to next month", "member", None, "c")
    finally:
        encoder.release.set()
    assert answer.result.entry_id == "connects-rollover" and answers.shed == 1
    assert answer.result.candidates[0].semantic is None  # the lexical model decided


def test_the_encoder_says_when_it_is_behind() -> None:
    encoder = AsyncEncoder(FakeEncoder(), max_pending=2)
    assert encoder.has_room(2) and not encoder.has_room(3)
