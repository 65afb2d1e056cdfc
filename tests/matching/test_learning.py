"""The hybrid matcher's parts: small talk, spelling, the logistic fit, vectors, training."""

from __future__ import annotations

import numpy as np
import pytest

from connectsbot.knowledge import Entry, LabelledQuestion
from connectsbot.matching import Matcher
from connectsbot.matching.hybrid import EntryVectors, ExampleVectors, HybridMatcher
from connectsbot.matching.logistic import fit_logistic
from connectsbot.matching.smalltalk import is_smalltalk
from connectsbot.matching.spelling import Speller
from connectsbot.matching.training import LabelledFileError, evaluate, load_labelled, train
from tests.helpers import build_entry
from tests.matching.helpers import Shipped


@pytest.mark.parametrize(
    "text",
    ["hi", "Hello everyone!!", "thanks a lot :pray:", "help", "hiii bot", "<@123456789012345678> hey", "ty"],
)
def test_small_talk(text: str) -> None:
    assert is_smalltalk(text)


@pytest.mark.parametrize(
    "text", ["help with connects", "hi how many connects do i get", "thanks, but why 10?", ""]
)
def test_questions_are_not_small_talk(text: str) -> None:
    assert not is_smalltalk(text)


def test_spelling_corrects_to_knowledge_base_words_only() -> None:
    speller = Speller(["Do unused Connects roll over?", "The interview bonus"], frozenset({"zoom", "over"}))
    assert (
        speller.correct("do unsued conects roll ovr") == "do unused connects roll ovr"
    )  # "ovr": 4 letters, 1 edit
    assert speller.correct("intervew on zoom") == "interview on zoom"  # zoom is a word the model knows
    assert speller.correct("Intervew") == "interview"  # remembered: asked again, answered the same


def test_logistic_fit_separates_and_stays_finite() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] > 0).astype(float)
    model = fit_logistic(("signal", "noise"), x, y)
    assert abs(model.weights[0]) > 5 * abs(model.weights[1])
    assert ((model.probability(x) > 0.5) == (y == 1)).mean() > 0.95
    one_class = fit_logistic(("a", "b"), x, np.ones(200))  # degenerate: the penalty keeps it finite
    assert all(np.isfinite(one_class.weights)) and "bias" in one_class.describe()


def test_entry_and_example_vectors() -> None:
    eye = np.eye(4, dtype=np.float32)
    vectors = EntryVectors(["a", "b"], [eye[[0, 1]], eye[[2]]], eye[[1, 3]])
    best, answer = vectors.cosines(eye[1])
    assert best.tolist() == [1.0, 0.0] and answer.tolist() == [1.0, 0.0]
    examples = ExampleVectors(["a", "b"], ["b", None, "gone"], eye[[0, 1, 2]])
    best, votes, outside = examples.neighbours(eye[0])
    assert best.tolist() == [0.0, 1.0] and votes[1] > 0.9 and outside == 0.0
    best, votes, outside = examples.neighbours(eye[0], exclude=0)  # a question never votes for itself
    assert best.tolist() == [0.0, 0.0] and votes.sum() == 0.0
    assert examples.neighbours(eye[1])[2] == 1.0  # the out-of-scope example


def test_training_needs_questions_about_the_entries() -> None:
    entries: list[Entry] = [build_entry("alpha-topic"), build_entry("beta-topic")]
    few = [LabelledQuestion(q="alpha topic please", expect="alpha-topic")] * 5
    assert train(HybridMatcher(Matcher(entries)), few, [None] * 5) is None


def test_lexical_model_learns_from_labelled_questions() -> None:
    entries = [
        build_entry(f"topic-{name}", aliases=[f"{name} question"]) for name in ("alpha", "beta", "gamma")
    ]
    questions = [
        LabelledQuestion(q=f"tell me about the {name} thing {n}", expect=f"topic-{name}")
        for name in ("alpha", "beta", "gamma")
        for n in range(15)
    ] + [LabelledQuestion(q=f"weather in city {n}", expect=None) for n in range(10)]
    matcher = HybridMatcher(Matcher(entries))
    model = train(matcher, questions, [None] * len(questions))
    assert model is not None and not model.semantic and model.trained_on == len(questions)
    scored = evaluate(matcher.with_model(model), questions, [None] * len(questions))
    assert scored.top1 == 1.0 and scored.wrong_confident == 0.0


def test_labelled_file_errors_name_the_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.jsonl"
    path.write_text('{"q": "fine", "expect": null}\n{"q": ""}\nnot json\n', encoding="utf-8")
    with pytest.raises(LabelledFileError, match=r"bad.jsonl:2.*bad.jsonl:3"):
        load_labelled(path)


@pytest.mark.parametrize(
    ("question", "decision", "entry"),
    [
        ("do my unused connects carry over to next month", "answer", "connects-rollover"),
        ("connects", "suggest", None),  # one word that names no one entry
        ("hello", "none", None),
        ("how do i withdraw my earnings to payoneer", None, None),  # out of scope: never answered
    ],
)
def test_shipped_decisions(
    shipped_answers: Shipped, question: str, decision: str | None, entry: str | None
) -> None:
    (vector,) = shipped_answers.vectors([question])
    result = shipped_answers.answers.match(question, vector)
    assert result.entry_id == entry, result.why
    if decision is not None:
        assert result.decision == decision, result.why
    assert result.candidates or decision == "none"
