"""THE public-set test: the shipped knowledge base against the public evaluation questions.

Accuracy counts the right entry for an in-scope question and no entry for an out-of-scope one
(`decision` other than "answer"). A wrong confident answer (a wrong entry, or any entry for an
out-of-scope question) is worse than none, so it has its own, tighter bar.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectsbot.matching import Matcher
from tests.matching.conftest import PUBLIC_QUESTIONS

MIN_ACCURACY = 0.90
MAX_WRONG_CONFIDENT = 0.03


def _cases(path: Path) -> list[tuple[str, str | None]]:
    if not path.is_file():
        pytest.skip(f"public evaluation questions not found at {path} (the shared folder beside the repo)")
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            case = json.loads(line)
            cases.append((case["q"], case["expect"]))
    return cases


def test_public_set_accuracy(shipped: Matcher) -> None:
    cases = _cases(PUBLIC_QUESTIONS)
    right = wrong_confident = 0
    misses: list[str] = []
    for question, expected in cases:
        got = shipped.match(question).entry_id
        if got == expected:
            right += 1
            continue
        if got is not None:
            wrong_confident += 1
        misses.append(f"want {expected} got {got}: {question[:90]}")
    accuracy = right / len(cases)
    wrong_rate = wrong_confident / len(cases)
    report = f"accuracy {accuracy:.3f}, wrong confident {wrong_rate:.3f}\n" + "\n".join(misses)
    assert accuracy >= MIN_ACCURACY, report
    assert wrong_rate <= MAX_WRONG_CONFIDENT, report


def test_public_set_ids_exist(shipped: Matcher) -> None:
    """Every entry id the evaluation expects is in the shipped knowledge base."""
    expected = {want for _, want in _cases(PUBLIC_QUESTIONS) if want is not None}
    assert expected <= shipped.entry_ids, sorted(expected - shipped.entry_ids)
