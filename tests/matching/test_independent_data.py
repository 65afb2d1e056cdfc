"""The public evaluation questions are a test set: no alias and no labelled question may copy one.

A text is a near copy when rapidfuzz's token_set_ratio with a public question is 90 or more after
normalisation (case, accents, punctuation). token_set_ratio scores any text whose words all occur in
the other at 100, so for a text of one or two words that says nothing about copying ("connects" is in
half the public questions): those are near copies only when nearly identical (ratio >= 90).
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from rapidfuzz import fuzz

from connectsbot.answers import TrainingData
from connectsbot.knowledge import Entry
from tests.helpers import SHIPPED_KNOWLEDGE
from tests.matching.helpers import public_questions

NEAR_COPY = 90.0
MIN_WORDS_FOR_SET_RATIO = 3


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]|_", " ", text).split())


def near_copies(texts: list[str]) -> list[str]:
    public = [normalise(q.q) for q in public_questions()]
    found = []
    for text in texts:
        mine = normalise(text)
        for other in public:
            short = min(len(mine.split()), len(other.split())) < MIN_WORDS_FOR_SET_RATIO
            score = fuzz.ratio(mine, other) if short else fuzz.token_set_ratio(mine, other)
            if score >= NEAR_COPY:
                found.append(f"{text!r} ~ {other!r} ({score:.0f})")
                break
    return found


def test_no_alias_copies_a_public_question(shipped_entries: list[Entry]) -> None:
    aliases = [alias for entry in shipped_entries for alias in entry.aliases]
    assert not near_copies(aliases)


def test_no_labelled_question_copies_a_public_question() -> None:
    data = TrainingData.load(SHIPPED_KNOWLEDGE)
    assert len(data.train) >= 600 and len(data.development) >= 300
    assert not near_copies([q.q for q in [*data.train, *data.development]])


@pytest.mark.parametrize(
    ("text", "copied"),
    [
        ("Readiness test connects???", True),  # a public question with other punctuation
        ("connects", False),  # one word is in many questions; that is not copying
        ("is the readiness exam worth my time", False),
    ],
)
def test_the_near_copy_rule(text: str, copied: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "tests.matching.test_independent_data.public_questions",
        lambda: [type("Q", (), {"q": "readiness test connects??"})()],
    )
    assert bool(near_copies([text])) is copied
