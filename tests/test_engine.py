"""The answer engine keeps answering while a change is being indexed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

import connectsbot.engine
from connectsbot.engine import AnswerEngine
from connectsbot.matching import Matcher, MatcherConfig
from connectsbot.models import Entry
from connectsbot.store import KnowledgeStore
from tests.conftest import build_entry


async def test_questions_during_a_rebuild_get_the_previous_matcher(
    kb_folder: Path, store: KnowledgeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = await AnswerEngine.start(store, kb_folder)
    release = threading.Event()

    def slow_matcher(entries: Sequence[Entry], config: MatcherConfig | None = None) -> Matcher:
        release.wait(timeout=10)  # the build holds until the test has asked its question
        return Matcher(entries, config)

    monkeypatch.setattr(connectsbot.engine, "Matcher", slow_matcher)
    await store.add(build_entry("delta-topic"), "moderator", "new")
    moderator_waits = asyncio.create_task(engine.refresh())
    await asyncio.sleep(0.05)

    # The event loop is free and a member is answered from the entries before the change.
    answer = await asyncio.wait_for(engine.ask("what about delta topic?", "member", None, "c"), 5)
    assert answer.result.entry_id != "delta-topic" and not moderator_waits.done()

    release.set()
    await moderator_waits
    answer = await engine.ask("what about delta topic?", "member", None, "c")
    assert answer.result.entry_id == "delta-topic"


async def test_one_rebuild_for_many_waiters(
    kb_folder: Path, store: KnowledgeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = await AnswerEngine.start(store, kb_folder)
    builds = []

    def counting_matcher(entries: Sequence[Entry], config: MatcherConfig | None = None) -> Matcher:
        builds.append(len(entries))
        return Matcher(entries, config)

    monkeypatch.setattr(connectsbot.engine, "Matcher", counting_matcher)
    await store.add(build_entry("delta-topic"), "moderator", "new")
    await asyncio.gather(*(engine.refresh() for _ in range(5)))
    assert builds == [4] and "delta-topic" in engine.entries
