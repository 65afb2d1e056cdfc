"""Training and evaluating the hybrid matcher's model on labelled questions.

Labelled questions come from `knowledge/labelled/train.jsonl` (written for the purpose, in the
nine styles members write in, with out-of-scope near misses) and from use: a member's "did you
mean" pick and a question a moderator turned into an alias or an entry. (Helpful / not-helpful
votes are not: an answered question keeps no text, so a vote has no question to label.)
`knowledge/labelled/dev.jsonl` is never trained on: it only measures.

The ranker learns, from every pair of the right entry and another candidate of an in-scope
question, which of the two comes first. The decider learns, over every question, whether the
ranker's top candidate is right; its answer threshold is the one that maximises accuracy on its
cross-validated predictions while keeping wrong confident answers at or under
`MAX_WRONG_CONFIDENT` (the ranker itself is fitted on all the questions, so those predictions are
slightly optimistic: the development set is the honest figure).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError

from connectsbot.knowledge import LabelledQuestion
from connectsbot.matching.hybrid import AnswerModel, HybridMatcher, Vector, softmax
from connectsbot.matching.logistic import fit_logistic

MAX_WRONG_CONFIDENT = 0.015  # on held-out training folds: the product's bar on unseen questions is 2 %
FOLDS = 5
SUGGEST_COVERAGE = 0.99  # share of in-scope questions whose top candidate is still suggested
MIN_IN_SCOPE = 30  # fewer labelled questions about the knowledge base's entries: nothing to learn from


class LabelledFileError(ValueError):
    """A labelled-questions file that cannot be read, with the line at fault."""


def load_labelled(path: Path) -> list[LabelledQuestion]:
    """Read a JSON Lines file of labelled questions; every bad line is named."""
    questions: list[LabelledQuestion] = []
    problems: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            questions.append(LabelledQuestion.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as error:
            problems.append(f"{path.name}:{number}: {str(error).splitlines()[0]}")
    if problems:
        raise LabelledFileError("; ".join(problems[:5]))
    return questions


@dataclass(frozen=True)
class Evaluation:
    """How the matcher does on labelled questions (shares of all questions unless said)."""

    questions: int
    accuracy: float  # right entry answered, or an out-of-scope question not answered
    wrong_confident: float  # answered with a wrong entry, or answered out of scope
    top1: float  # in-scope: the right entry ranked first, whatever the decision
    covered: float  # in-scope: the right entry answered or among the suggestions

    def as_dict(self) -> dict[str, float]:
        return {
            "questions": float(self.questions),
            "accuracy": round(self.accuracy, 4),
            "wrong_confident": round(self.wrong_confident, 4),
            "top1": round(self.top1, 4),
            "covered": round(self.covered, 4),
        }

    def line(self) -> str:
        return (
            f"accuracy {self.accuracy:.3f}, wrong confident {self.wrong_confident:.3f}, "
            f"top-1 {self.top1:.3f}, answered or suggested {self.covered:.3f} ({self.questions} questions)"
        )


def evaluate(
    matcher: HybridMatcher, questions: Sequence[LabelledQuestion], vectors: Sequence[Vector | None]
) -> Evaluation:
    right = wrong = top1 = covered = in_scope = 0
    for question, vector in zip(questions, vectors, strict=True):
        result = matcher.match(question.q, vector)
        got = result.entry_id
        if question.expect is None:
            right += got is None
            wrong += got is not None
            continue
        in_scope += 1
        right += got == question.expect
        wrong += got is not None and got != question.expect
        top1 += result.top_id == question.expect
        covered += got == question.expect or any(c.entry_id == question.expect for c in result.suggestions)
    n = max(len(questions), 1)
    return Evaluation(
        len(questions), right / n, wrong / n, top1 / max(in_scope, 1), covered / max(in_scope, 1)
    )


def train(
    matcher: HybridMatcher,
    questions: Sequence[LabelledQuestion],
    vectors: Sequence[Vector | None],
    development: tuple[Sequence[LabelledQuestion], Sequence[Vector | None]] | None = None,
) -> AnswerModel | None:
    """Fit the ranker and the decider for this matcher's entries, calibrate the thresholds, and
    measure on the development set. None when too few questions are about these entries (a
    knowledge base the labelled questions do not cover: the lexical thresholds decide).

    When the matcher has example vectors, they must be these questions in this order: each
    question is assessed without itself as a neighbour, as an unseen question would be.
    """
    known = matcher.lexical.entry_ids
    kept = [i for i, q in enumerate(questions) if q.expect is None or q.expect in known]
    if sum(questions[i].expect is not None for i in kept) < MIN_IN_SCOPE:
        return None
    own = matcher.examples is not None
    assessments = [matcher.assess(questions[i].q, vectors[i], i if own else None) for i in kept]
    expected = [questions[i].expect for i in kept]

    # Ranker: pairwise, the right entry against each other candidate of the same question (what
    # matters is their order, not a score on an absolute scale).
    differences: list[NDArray[np.float64]] = []
    for assessment, label in zip(assessments, expected, strict=True):
        if label is not None and label in assessment.entry_ids:
            up = assessment.entry_ids.index(label)
            rows = assessment.rows
            differences += [rows[up] - rows[n] for n in range(len(rows)) if n != up]
    pairs = np.asarray(differences).reshape(-1, len(matcher.ranking_features()))
    # Both orders of every pair: the fit is symmetric, so no offset is learned.
    ranker = fit_logistic(
        matcher.ranking_features(),
        np.vstack([pairs, -pairs]),
        np.concatenate([np.ones(len(pairs)), np.zeros(len(pairs))]),
        centre=False,
    )

    # Decider: one row per question with candidates, from the ranker's view of it.
    rows_kept: list[list[float]] = []
    right: list[float] = []
    out_of_scope: list[bool] = []
    suggestible: list[float] = []  # the top share, where the right entry is among the top three
    for assessment, label in zip(assessments, expected, strict=True):
        if not assessment.entry_ids:
            continue
        logits = ranker.logit(assessment.rows)
        order = np.argsort(-logits, kind="stable")
        rows_kept.append(matcher.decision_row(assessment, logits, order))
        right.append(1.0 if label is not None and assessment.entry_ids[int(order[0])] == label else 0.0)
        out_of_scope.append(label is None)
        if label is not None and label in [assessment.entry_ids[int(n)] for n in order[:3]]:
            suggestible.append(float(softmax(logits).max()))
    x = np.asarray(rows_kept).reshape(-1, len(matcher.decision_features()))
    y = np.asarray(right)
    decider = fit_logistic(matcher.decision_features(), x, y)
    answer_at = _answer_threshold(_cross_validated(matcher.decision_features(), x, y), y, out_of_scope)
    # Suggest when the top candidate's share of the ranker's weight is at least what keeps
    # SUGGEST_COVERAGE of the questions whose right entry is in the top three.
    suggest_at = float(np.quantile(suggestible, 1.0 - SUGGEST_COVERAGE)) if suggestible else 0.0
    model = AnswerModel(
        semantic=matcher.semantic,
        ranker=ranker,
        decider=decider,
        answer_at=answer_at,
        suggest_at=suggest_at,
        trained_on=len(kept),
        member_examples=sum(questions[i].origin == "member" for i in kept),
        moderator_examples=sum(questions[i].origin == "moderator" for i in kept),
    )
    if development is not None:
        dev_questions, dev_vectors = development
        scored = evaluate(matcher.with_model(model), dev_questions, dev_vectors)
        model = model.model_copy(update={"development": scored.as_dict()})
    return model


def _cross_validated(
    features: tuple[str, ...], x: NDArray[np.float64], y: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Each row's probability from a decider fitted without its fold."""
    held_out = np.zeros(len(y))
    fold = np.arange(len(y)) % FOLDS
    for k in range(FOLDS):
        fitted = fold != k
        if fitted.any() and not fitted.all():
            held_out[~fitted] = fit_logistic(features, x[fitted], y[fitted]).probability(x[~fitted])
    return held_out


def _answer_threshold(
    probability: NDArray[np.float64], right: NDArray[np.float64], out_of_scope: list[bool]
) -> float:
    """The threshold with the best accuracy whose wrong confident share stays in bounds."""
    declined_right = np.asarray(out_of_scope, dtype=float)
    best_threshold, best_accuracy = 1.0, float(declined_right.mean()) if len(right) else 0.0
    for threshold in np.unique(probability):
        answered = probability >= threshold
        if float((answered & (right == 0)).mean()) > MAX_WRONG_CONFIDENT:
            continue
        accuracy = float(np.where(answered, right, declined_right).mean())
        if accuracy > best_accuracy:
            best_threshold, best_accuracy = float(threshold), accuracy
    return best_threshold
