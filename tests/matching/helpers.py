"""What the matcher tests import: the product's matcher over the shipped knowledge base, the public set."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from connectsbot.knowledge import LabelledQuestion
from connectsbot.matching.hybrid import HybridMatcher, Vector
from connectsbot.semantic import Encoder
from tests.helpers import PUBLIC_QUESTIONS


@dataclass(frozen=True)
class Shipped:
    """The answer service's matcher over the shipped knowledge base, as the product starts it."""

    answers: HybridMatcher
    encoder: Encoder | None

    def vectors(self, questions: Sequence[str]) -> list[Vector | None]:
        if self.encoder is None or not self.answers.semantic:
            return [None] * len(questions)
        return list(self.encoder.encode([self.answers.text_to_encode(q) for q in questions]))


def public_questions() -> list[LabelledQuestion]:
    """The public evaluation set (tests/conftest.py fails the session when it is missing)."""
    lines = PUBLIC_QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [
        LabelledQuestion(q=case["q"], expect=case["expect"]) for case in map(json.loads, filter(None, lines))
    ]
