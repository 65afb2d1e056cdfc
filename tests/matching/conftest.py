"""Fixtures for the matcher tests: the shipped knowledge base and the answer service over it, built once."""

from __future__ import annotations

import asyncio

import pytest

from connectsbot.answers import AnswerService
from connectsbot.kbfiles import load_folder
from connectsbot.knowledge import Entry
from connectsbot.matching import Matcher
from connectsbot.store import KnowledgeStore
from tests.helpers import SHIPPED_KNOWLEDGE
from tests.matching.helpers import Shipped


@pytest.fixture(scope="session")
def shipped_entries() -> list[Entry]:
    loaded = load_folder(SHIPPED_KNOWLEDGE)
    assert loaded.entries, f"no knowledge entries under {SHIPPED_KNOWLEDGE}"
    return list(loaded.entries.values())


@pytest.fixture(scope="session")
def shipped(shipped_entries: list[Entry]) -> Matcher:
    """The lexical matcher over the shipped knowledge base, with the shipped configuration."""
    return Matcher(shipped_entries)


@pytest.fixture(scope="session")
def shipped_answers(tmp_path_factory: pytest.TempPathFactory) -> Shipped:
    async def start() -> Shipped:
        db = tmp_path_factory.mktemp("shipped") / "store.sqlite3"
        async with await KnowledgeStore.open(db) as store:
            answers, _ = await AnswerService.start(store, SHIPPED_KNOWLEDGE)
            return Shipped(answers.current_matcher, answers.encoder)

    return asyncio.run(start())
