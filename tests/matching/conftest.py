"""Fixtures for the matcher tests: the shipped knowledge base and the answer service over it, built once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectsbot.answers import AnswerService
from connectsbot.kbfiles import load_folder
from connectsbot.knowledge import Entry, LabelledQuestion
from connectsbot.matching import Matcher
from connectsbot.matching.hybrid import HybridMatcher, Vector
from connectsbot.semantic import Encoder
from connectsbot.store import KnowledgeStore

REPO = Path(__file__).resolve().parents[2]
SHIPPED_KNOWLEDGE = REPO / "knowledge"
PUBLIC_QUESTIONS = REPO.parent / "shared" / "eval" / "questions.jsonl"


@pytest.fixture(scope="session")
def shipped_entries() -> list[Entry]:
    loaded = load_folder(SHIPPED_KNOWLEDGE)
    assert loaded.entries, f"no knowledge entries under {SHIPPED_KNOWLEDGE}"
    return list(loaded.entries.values())


@pytest.fixture(scope="session")
def shipped(shipped_entries: list[Entry]) -> Matcher:
    """The lexical matcher over the shipped knowledge base, with the shipped configuration."""
    return Matcher(shipped_entries)


@dataclass(frozen=True)
class Shipped:
    """The answer service's matcher over the shipped knowledge base, as the product starts it."""

    answers: HybridMatcher
    encoder: Encoder | None

    def vectors(self, questions: Sequence[str]) -> list[Vector | None]:
        if self.encoder is None or not self.answers.semantic:
            return [None] * len(questions)
        return list(self.encoder.encode([self.answers.text_to_encode(q) for q in questions]))


@pytest.fixture(scope="session")
def shipped_answers(tmp_path_factory: pytest.TempPathFactory) -> Shipped:
    async def start() -> Shipped:
        db = tmp_path_factory.mktemp("shipped") / "store.sqlite3"
        async with await KnowledgeStore.open(db) as store:
            answers, _ = await AnswerService.start(store, SHIPPED_KNOWLEDGE)
            return Shipped(answers.current_matcher, answers.encoder)

    return asyncio.run(start())


def public_questions() -> list[LabelledQuestion]:
    """The public evaluation set: the suite fails, not skips, when the shared folder is missing."""
    assert PUBLIC_QUESTIONS.is_file(), f"public evaluation questions not found at {PUBLIC_QUESTIONS}"
    lines = PUBLIC_QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [
        LabelledQuestion(q=case["q"], expect=case["expect"]) for case in map(json.loads, filter(None, lines))
    ]
