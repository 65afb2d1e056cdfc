"""The development set (knowledge/labelled/dev.jsonl): the project's own estimate of how the
engine does on questions it was never trained on, in the nine styles members write in."""

from __future__ import annotations

from connectsbot.answers import TrainingData
from connectsbot.matching.training import evaluate
from tests.helpers import SHIPPED_KNOWLEDGE
from tests.matching.helpers import Shipped

MIN_ACCURACY = 0.90
MAX_WRONG_CONFIDENT = 0.02
MIN_COVERED = 0.97  # in scope: the right entry is the answer or among the suggestions


def test_development_set(shipped_answers: Shipped) -> None:
    questions = TrainingData.load(SHIPPED_KNOWLEDGE).development
    assert len(questions) >= 300
    scored = evaluate(shipped_answers.answers, questions, shipped_answers.vectors([q.q for q in questions]))
    assert scored.accuracy >= MIN_ACCURACY, scored.line()
    assert scored.wrong_confident <= MAX_WRONG_CONFIDENT, scored.line()
    assert scored.covered >= MIN_COVERED, scored.line()


def test_the_model_reports_its_development_figures(shipped_answers: Shipped) -> None:
    """What /faq stats shows comes from the training, not from a separate run."""
    model = shipped_answers.answers.model
    assert model is not None and model.semantic
    assert model.development is not None and model.development["questions"] >= 300
