"""Training and evaluating the hybrid matcher's model on labelled questions.

Labelled questions come from `knowledge/labelled/train.jsonl` (written for the purpose, in the
nine styles members write in, with out-of-scope near misses) and from use: a member's "did you
mean" pick, a helpful / not-helpful vote, a question a moderator turned into an alias or an
entry. `knowledge/labelled/dev.jsonl` is never trained on: it only measures.

The ranker learns, over every candidate of every in-scope question, whether it is the right
entry. The decider learns, over every question, whether the ranker's top candidate is right;
its answer threshold is the one that maximises accuracy on cross-validated predictions while
keeping wrong confident answers at or under `MAX_WRONG_CONFIDENT`, so the threshold is not
fitted to the very predictions it judges.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectsbot.matching.hybrid import AnswerModel, HybridMatcher, Vector, softmax
from connectsbot.matching.logistic import fit_logistic

MAX_WRONG_CONFIDENT = 0.01  # on training folds; the product's bar on unseen questions is 2 %
FOLDS = 5
SUGGEST_COVERAGE = 0.99  # share of in-scope questions whose top candidate is still suggested

Origin = Literal["written", "member", "moderator"]


class LabelledQuestion(BaseModel):
    """One question and the entry that answers it (None: out of scope, nothing should answer)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    q: str = Field(min_length=1)
    expect: str | None
    style: str | None = None
    origin: Origin = "written"
    helpful: bool = True  # False: a "not helpful" vote, the entry is NOT the answer
    weight: float = 1.0


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
) -> AnswerModel:
    """Fit the ranker and the decider for this matcher's entries (questions about entries it does
    not have are skipped), calibrate the thresholds, and measure on the development set."""
    known = matcher.lexical.entry_ids
    usable = [
        (q, v) for q, v in zip(questions, vectors, strict=True) if q.expect is None or q.expect in known
    ]
    # Labelled questions are also the neighbours of the semantic signal: each is assessed without
    # itself, as an unseen question would be.
    position = {id(q): i for i, q in enumerate(questions)}
    exclude = position if matcher.examples is not None else {}
    assessments = [matcher.assess(q.q, v, exclude.get(id(q))) for q, v in usable]
    labels = [q.expect for q, _ in usable]
    votes_against = [None if q.helpful else q.expect for q, _ in usable]
    expected = [None if not q.helpful else q.expect for q, _ in usable]
    weights = np.asarray([q.weight for q, _ in usable])

    # Ranker: pairwise, the right entry against each other candidate of the same question (what
    # matters is their order, not a score on an absolute scale); a "not helpful" vote puts the
    # entry voted down below every other candidate.
    width = len(matcher.ranking_features())
    differences: list[NDArray[np.float64]] = []
    pair_weights: list[float] = []
    for assessment, label, against, weight in zip(assessments, labels, votes_against, weights, strict=True):
        ids = assessment.entry_ids
        if against is not None and against in ids:
            down = ids.index(against)
            differences += [assessment.rows[n] - assessment.rows[down] for n in range(len(ids)) if n != down]
        elif against is None and label is not None and label in ids:
            up = ids.index(label)
            differences += [assessment.rows[up] - assessment.rows[n] for n in range(len(ids)) if n != up]
        else:
            continue
        pair_weights += [float(weight)] * (len(ids) - 1)
    pairs = np.asarray(differences).reshape(-1, width)
    # Both orders of every pair: the fit is symmetric, so no offset is learned.
    ranker = fit_logistic(
        matcher.ranking_features(),
        np.vstack([pairs, -pairs]),
        np.concatenate([np.ones(len(pairs)), np.zeros(len(pairs))]),
        np.asarray(pair_weights * 2),
        centre=False,
    )

    # Decider: one row per question, from the ranker's view of it.
    decision_rows, tops = [], []
    for assessment in assessments:
        if not assessment.entry_ids:
            decision_rows.append(None)
            tops.append(None)
            continue
        logits = ranker.logit(assessment.rows)
        order = np.argsort(-logits, kind="stable")
        decision_rows.append(matcher.decision_row(assessment, logits, order))
        tops.append(assessment.entry_ids[int(order[0])])
    rows_kept = [i for i, row in enumerate(decision_rows) if row is not None]
    x = np.asarray([decision_rows[i] for i in rows_kept]).reshape(-1, len(matcher.decision_features()))
    right = np.asarray(
        [1.0 if tops[i] == expected[i] and expected[i] is not None else 0.0 for i in rows_kept]
    )
    w = weights[rows_kept] if rows_kept else np.zeros(0)
    decider = fit_logistic(matcher.decision_features(), x, right, w)
    held_out = _cross_validated(matcher.decision_features(), x, right, w)
    answer_at = _answer_threshold(held_out, right, [expected[i] is None for i in rows_kept], w)
    import os
    if os.environ.get("CURVE"):
        oos = np.asarray([expected[i] is None for i in rows_kept])
        for t in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
            a = held_out >= t
            print(f"  t={t} answered={a.mean():.3f} acc={np.where(a, right, oos).mean():.3f} wrong={(a & (right==0)).mean():.3f}")
        print("  right-top share", right.mean(), "oos", oos.mean(), "chosen", answer_at)
        qs = [usable[i][0] for i in rows_kept]
        for j in np.argsort(-held_out):
            if os.environ.get("CURVE") == "2" and held_out[j] < 0.85 and right[j] == 1:
                print(f"    DECLINED p={held_out[j]:.2f} want={qs[j].expect} [{qs[j].style}] {qs[j].q[:90]!r} {np.round(x[j],2)}")
            if os.environ.get("CURVE") == "1" and held_out[j] >= 0.75 and right[j] == 0:
                print(f"    WRONG p={held_out[j]:.2f} want={qs[j].expect} got={tops[rows_kept[j]]} [{qs[j].style}] {qs[j].q[:90]!r}")

    # Suggest: the share of the candidates' weight that keeps SUGGEST_COVERAGE of right top
    # candidates suggested.
    top_probabilities = []
    for i in rows_kept:
        logits = ranker.logit(assessments[i].rows)
        three = [assessments[i].entry_ids[n] for n in np.argsort(-logits)[:3]]
        if expected[i] is not None and expected[i] in three:
            top_probabilities.append(float(softmax(logits).max()))
    suggest_at = float(np.quantile(top_probabilities, 1.0 - SUGGEST_COVERAGE)) if top_probabilities else 0.05
    model = AnswerModel(
        semantic=matcher.semantic,
        ranker=ranker,
        decider=decider,
        answer_at=answer_at,
        suggest_at=min(suggest_at, 0.5),
        trained_on=len(usable),
        member_examples=sum(q.origin == "member" for q, _ in usable),
        moderator_examples=sum(q.origin == "moderator" for q, _ in usable),
    )
    if development is not None:
        dev_questions, dev_vectors = development
        scored = evaluate(matcher.with_model(model), dev_questions, dev_vectors)
        model = model.model_copy(update={"development": scored.as_dict()})
    return model


def _cross_validated(
    features: tuple[str, ...], x: NDArray[np.float64], y: NDArray[np.float64], w: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Each row's probability from a decider fitted without its fold."""
    held_out = np.zeros(len(y))
    fold = np.arange(len(y)) % FOLDS
    for k in range(FOLDS):
        train_rows = fold != k
        if not train_rows.any() or train_rows.all():
            continue
        model = fit_logistic(features, x[train_rows], y[train_rows], w[train_rows])
        held_out[~train_rows] = model.probability(x[~train_rows])
    return held_out


def _answer_threshold(
    probability: NDArray[np.float64],
    right: NDArray[np.float64],
    out_of_scope: list[bool],
    w: NDArray[np.float64],
) -> float:
    """The lowest threshold with the best accuracy whose wrong confident share stays in bounds."""
    if len(probability) == 0:
        return 1.0
    declined_right = np.asarray(out_of_scope, dtype=float)
    total = float(w.sum()) or 1.0
    best_threshold, best_accuracy = 1.0, float((w * declined_right).sum()) / total
    for threshold in np.unique(probability):
        answered = probability >= threshold
        wrong = float((w * (answered & (right == 0))).sum()) / total
        if wrong > MAX_WRONG_CONFIDENT:
            continue
        accuracy = float((w * np.where(answered, right, declined_right)).sum()) / total
        if accuracy > best_accuracy:
            best_threshold, best_accuracy = float(threshold), accuracy
    return best_threshold
