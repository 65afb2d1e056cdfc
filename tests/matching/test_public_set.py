"""THE public-set test: the shipped answer service against the public evaluation questions.

Accuracy counts the right entry for an in-scope question and no entry for an out-of-scope one
(`decision` other than "answer"). A wrong confident answer (a wrong entry, or any entry for an
out-of-scope question) is worse than none, so it has its own, tighter bar. The public set is a
test set: nothing is tuned on it (see test_independent_data.py).
"""

from __future__ import annotations

from connectsbot.matching import Matcher
from connectsbot.matching.training import evaluate
from tests.matching.helpers import Shipped, public_questions

MIN_ACCURACY = 0.90
MAX_WRONG_CONFIDENT = 0.03


def test_public_set_accuracy(shipped_answers: Shipped) -> None:
    questions = public_questions()
    scored = evaluate(shipped_answers.answers, questions, shipped_answers.vectors([q.q for q in questions]))
    assert scored.accuracy >= MIN_ACCURACY, scored.line()
    assert scored.wrong_confident <= MAX_WRONG_CONFIDENT, scored.line()


def test_public_set_ids_exist(shipped: Matcher) -> None:
    """Every entry id the evaluation expects is in the shipped knowledge base."""
    expected = {q.expect for q in public_questions() if q.expect is not None}
    assert expected <= shipped.entry_ids, sorted(expected - shipped.entry_ids)
