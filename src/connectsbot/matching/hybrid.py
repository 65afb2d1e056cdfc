"""The hybrid matcher: lexical and semantic signals, one learned ranking, one calibrated decision.

For one question (and its sentence vector, when the semantic signal is on):

1. candidates: the lexical index's best entries plus the entries closest in meaning (cosine of
   sentence vectors), so a paraphrase with none of an entry's words is still considered;
2. each candidate gets the lexical signals of matcher.py (combined score, best question/alias F,
   bag of words, keywords, rapidfuzz) and four semantic ones: the best cosine against the entry's
   question and aliases, against its answer, against the labelled questions about it (and its own
   texts), and its share of the nearest labelled questions' vote;
3. **ranking**: a pairwise logistic regression over those signals orders the candidates;
4. **decision**: a second logistic regression estimates how likely the top candidate is right,
   from how strong and how far ahead it is on each signal, how long the question is, how many
   entries share its words, how much of it no entry knows and how close it is to an out-of-scope
   labelled question. `answer` above a threshold calibrated (on cross-validated predictions) to
   keep wrong confident answers rare, `suggest` the close candidates below it, `none` when
   nothing is close. A question without its vector is decided by the fallback model, trained on
   the lexical signals alone. Greetings, thanks and "help" are small talk (smalltalk.py); the
   missing-interview-Connects intent rule still routes its complaints.

Both models are tiny and readable (`AnswerModel.describe()`, printed by `ask --explain`);
training.py fits them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from connectsbot.knowledge import Entry
from connectsbot.matching.intents import INTERVIEW_MISSING
from connectsbot.matching.logistic import LogisticModel
from connectsbot.matching.matcher import (
    INTERVIEW_MISSING_ENTRY,
    Candidate,
    Decision,
    Lexical,
    LexicalCandidate,
    Matcher,
    MatchResult,
)
from connectsbot.matching.smalltalk import SMALLTALK, is_smalltalk
from connectsbot.matching.spelling import Speller

Vector = NDArray[np.float32]

LEXICAL_FEATURES = ("lexical", "text", "bag", "keyword", "fuzzy")
SEMANTIC_FEATURES = ("cosine", "cosine_answer", "example", "votes")
DECISION_LEXICAL = (
    "top",
    "gap",
    "lexical_top",
    "lexical_gap",
    "terms",
    "unknown",
    "short",
    "evidence",
    "shared_by",
)
DECISION_SEMANTIC = ("cosine_top", "cosine_gap", "example_top", "votes_top", "out_of_scope")
SEMANTIC_CANDIDATES = 8  # entries added to the lexical candidates by closeness in meaning
SHOWN_CANDIDATES = 5  # candidates kept on a result, for `ask --explain` and `--json`
SHORT_TERMS = 2  # a question of at most this many terms is "short": it must name one entry clearly
NEIGHBOURS = 20  # labelled questions that vote for their entries
NEIGHBOUR_TEMPERATURE = 0.05  # cosine scale of the neighbours' votes

_MARKUP = re.compile(r"[*_`>#|~]+|\[([^\]]*)\]\([^)]*\)")


def softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    """The candidates' shares of the ranker's weight (they sum to 1)."""
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()  # type: ignore[no-any-return]


def entry_texts(entry: Entry) -> list[str]:
    """The texts that ask for an entry: its question and aliases."""
    return [entry.question, *entry.aliases]


def answer_text(entry: Entry) -> str:
    """The answer as plain words, for its sentence vector (the model reads 256 word pieces)."""
    return " ".join(_MARKUP.sub(lambda m: m.group(1) or " ", entry.answer).split())[:1200]


class EntryVectors:
    """Unit sentence vectors of every entry's texts: questions and aliases (grouped by entry), and
    answers (one per entry). Cosines are dot products."""

    def __init__(self, entry_ids: Sequence[str], texts: Sequence[Vector], answers: Vector) -> None:
        self.entry_ids = list(entry_ids)
        counts = [len(rows) for rows in texts]
        if any(count == 0 for count in counts) or len(counts) != len(self.entry_ids):
            raise ValueError("every entry needs at least one text vector")
        self.text_rows = np.vstack(texts).astype(np.float32)
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
        self.answer_rows = answers.astype(np.float32)

    def cosines(self, vector: Vector) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Per entry: the best cosine against its question/aliases, and the cosine to its answer."""
        best = np.maximum.reduceat(self.text_rows @ vector, self.starts)
        return best, self.answer_rows @ vector


class ExampleVectors:
    """Labelled questions as neighbours in meaning: for a question, per entry the closest labelled
    question about it and the share of the nearest NEIGHBOURS that are about it, and how close the
    nearest out-of-scope question is. A member's wording seen before ("the free ones", "tokens")
    finds its entry this way even when no alias says it."""

    def __init__(self, entry_ids: Sequence[str], labels: Sequence[str | None], rows: Vector) -> None:
        position = {entry_id: i for i, entry_id in enumerate(entry_ids)}
        # -1: out of scope; -2: an entry this knowledge base does not have (ignored).
        self.owner = np.asarray(
            [-1 if label is None else position.get(label, -2) for label in labels], dtype=np.intp
        )
        if len(rows) != len(labels):
            raise ValueError("one vector per labelled question")
        self.rows = rows.astype(np.float32)
        self.entries = len(entry_ids)

    def neighbours(
        self, vector: Vector, exclude: int | None = None
    ) -> tuple[NDArray[np.float32], NDArray[np.float32], float]:
        """Per entry: best cosine to its examples and its share of the neighbours' vote; the best
        cosine to an out-of-scope example."""
        best = np.zeros(self.entries, dtype=np.float32)
        votes = np.zeros(self.entries, dtype=np.float32)
        if len(self.owner) == 0:
            return best, votes, 0.0
        sims = self.rows @ vector
        if exclude is not None:
            sims[exclude] = -1.0  # a question never votes for itself (training)
        usable = self.owner >= 0
        np.maximum.at(best, self.owner[usable], sims[usable])
        outside = sims[self.owner == -1]
        k = min(NEIGHBOURS, len(sims))
        nearest = np.argpartition(-sims, k - 1)[:k]
        # The nearest count most: a softmax of the cosines, so one very close question outweighs
        # several loosely related ones.
        weights = np.exp((sims[nearest] - sims[nearest].max()) / NEIGHBOUR_TEMPERATURE)
        weights /= weights.sum()
        keep = (self.owner[nearest] >= 0) & (nearest != exclude)
        np.add.at(votes, self.owner[nearest][keep], weights[keep])
        return best, votes, float(outside.max()) if len(outside) else 0.0


class AnswerModel(BaseModel):
    """The learned ranking and decision, and the thresholds calibrated for them."""

    model_config = ConfigDict(frozen=True)

    semantic: bool  # trained with the semantic features
    ranker: LogisticModel  # P(candidate is the right entry)
    decider: LogisticModel  # P(the top candidate is right)
    answer_at: float  # decider probability needed to answer
    suggest_at: float  # ranker probability a candidate needs to be suggested
    max_suggestions: int = 3
    trained_on: int = 0  # labelled questions
    member_examples: int = 0  # of which from members' picks and votes
    moderator_examples: int = 0  # of which from moderators' aliases and new entries
    development: dict[str, float] | None = None  # accuracy etc. on the development set, at training

    def summary(self) -> str:
        """For moderators (/faq stats): what the model learned from and how it did at training."""
        signals = "lexical + semantic" if self.semantic else "lexical only"
        text = (
            f"{signals}; trained on {self.trained_on} labelled questions, of which "
            f"{self.member_examples} from members' picks and {self.moderator_examples} from moderators"
        )
        if self.development:
            dev = self.development
            text += (
                f"; development set ({dev['questions']:.0f} questions): accuracy {dev['accuracy']:.1%}, "
                f"wrong answers {dev['wrong_confident']:.1%}"
            )
        return text

    def describe(self) -> str:
        return (
            f"ranking: {self.ranker.describe()}\n"
            f"decision: {self.decider.describe()}\n"
            f"answer when P(right) >= {self.answer_at:.2f}; "
            f"suggest when the top candidate's share >= {self.suggest_at:.3f}"
        )


@dataclass(frozen=True)
class Assessment:
    """Every candidate of one question with its features, in a stable order."""

    lexical: Lexical
    entry_ids: list[str]
    rows: NDArray[np.float64]  # one row of ranking features per candidate
    cosine: NDArray[np.float64]  # per candidate (zeros without vectors)
    lexical_by_id: dict[str, LexicalCandidate]
    out_of_scope: float = 0.0  # cosine to the closest out-of-scope labelled question


class HybridMatcher:
    """Answers with the lexical matcher, the entry vectors (None: lexical signals only) and the
    learned model (None: the lexical matcher's own thresholds decide, until a model is trained)."""

    def __init__(
        self,
        lexical: Matcher,
        vectors: EntryVectors | None = None,
        model: AnswerModel | None = None,
        examples: ExampleVectors | None = None,
        speller: Speller | None = None,
        fallback: AnswerModel | None = None,
    ) -> None:
        self.lexical = lexical
        self.vectors = vectors
        self.model = model
        self.examples = examples if vectors is not None else None
        self.speller = speller
        if vectors is not None and model is not None and not model.semantic:
            self.vectors = self.examples = None  # a lexical-only model ignores vectors
        # Answers a question that comes without its vector (the encoder is behind or failed): the
        # model trained on the lexical signals alone.
        self.fallback = (
            HybridMatcher(lexical, model=fallback) if fallback is not None and self.semantic else None
        )

    @property
    def semantic(self) -> bool:
        return self.vectors is not None

    def with_model(self, model: AnswerModel | None, fallback: AnswerModel | None = None) -> HybridMatcher:
        """This matcher with a trained model (and the lexical-only one for questions without vectors)."""
        return HybridMatcher(self.lexical, self.vectors, model, self.examples, self.speller, fallback)

    def without_vectors(self) -> HybridMatcher:
        """The same entries and lexical matcher, lexical signals only (to train the fallback model)."""
        return HybridMatcher(self.lexical)

    def text_to_encode(self, question: str) -> str:
        """What the sentence encoder should read for a question: spelling corrected."""
        return self.speller.correct(question) if self.speller is not None else question

    def ranking_features(self) -> tuple[str, ...]:
        return LEXICAL_FEATURES + (SEMANTIC_FEATURES if self.semantic else ())

    def decision_features(self) -> tuple[str, ...]:
        return DECISION_LEXICAL + (DECISION_SEMANTIC if self.semantic else ())

    # ---------------------------------------------------------------- features

    def assess(self, text: str, vector: Vector | None, exclude: int | None = None) -> Assessment:
        """Every candidate's features; `exclude`: the labelled question not to use as a neighbour
        (the question itself, in training)."""
        semantic_ids: list[str] = []
        best = answer = example = votes = None
        out_of_scope = 0.0
        vectors = self.vectors if vector is not None else None
        if vectors is not None and vector is not None:
            best, answer = vectors.cosines(vector)
            closeness = np.maximum(best, answer)
            if self.examples is not None:
                example, votes, out_of_scope = self.examples.neighbours(vector, exclude)
                closeness = np.maximum(closeness, example)
            k = min(SEMANTIC_CANDIDATES, len(closeness))
            top = np.argpartition(-closeness, k - 1)[:k]
            semantic_ids = [vectors.entry_ids[i] for i in top[np.argsort(-closeness[top])]]
        lexical = self.lexical.lexical(text, semantic_ids)
        by_id = {c.entry_id: c for c in lexical.candidates}
        ids = [c.entry_id for c in lexical.candidates] + [i for i in semantic_ids if i not in by_id]
        position = {entry_id: i for i, entry_id in enumerate(vectors.entry_ids)} if vectors else {}
        rows = np.zeros((len(ids), len(self.ranking_features())))
        cosine = np.zeros(len(ids))
        for n, entry_id in enumerate(ids):
            c = by_id.get(entry_id)
            if c is not None:
                rows[n, :5] = (c.score, c.text, c.bag, c.keyword, c.fuzzy)
            if best is not None and answer is not None and entry_id in position:
                p = position[entry_id]
                cosine[n] = float(best[p])
                rows[n, 5:7] = (best[p], answer[p])
                if example is not None and votes is not None:
                    rows[n, 7:9] = (example[p], votes[p])
        return Assessment(lexical, ids, rows, cosine, by_id, out_of_scope)

    def decision_row(
        self, assessment: Assessment, logits: NDArray[np.float64], order: NDArray[np.intp]
    ) -> list[float]:
        """Features of the top candidate: how strong and how far ahead it is, and the question."""
        first = int(order[0])
        others = order[1:]
        lexical = assessment.rows[:, 0]
        second_logit = float(logits[others[0]]) if len(others) else float(logits[first]) - 10.0
        other_lexical = float(lexical[others].max()) if len(others) else 0.0
        top_id = assessment.entry_ids[first]
        lexical_top = assessment.lexical_by_id.get(top_id)
        row = [
            float(softmax(logits)[first]),
            float(logits[first]) - second_logit,
            float(lexical[first]),
            float(lexical[first]) - other_lexical,
            float(np.log1p(assessment.lexical.terms)),
            assessment.lexical.unknown_share,
            1.0 if assessment.lexical.terms <= SHORT_TERMS else 0.0,
            1.0 if lexical_top is not None and lexical_top.evidence else 0.0,
            float(np.log1p(assessment.lexical.shared_by)),
        ]
        if self.semantic:
            cosine = assessment.cosine
            other_cosine = float(cosine[others].max()) if len(others) else 0.0
            row += [
                float(cosine[first]),
                float(cosine[first]) - other_cosine,
                float(assessment.rows[first, 7]),
                float(assessment.rows[first, 8]),
                assessment.out_of_scope,
            ]
        return row

    # ---------------------------------------------------------------- deciding

    def match(self, text: str, vector: Vector | None = None) -> MatchResult:
        """Decide what to do with a member's question. Never raises on a str."""
        if not isinstance(text, str):
            text = str(text)
        try:
            return self._match(text, vector)
        except Exception as exc:  # pragma: no cover - last-resort guard: a bad message must not crash the bot
            return _result(
                text, "none", None, 0.0, [], [], f"internal error while matching ({type(exc).__name__})"
            )

    def _match(self, text: str, vector: Vector | None) -> MatchResult:
        if is_smalltalk(text):
            return _result(text, "none", None, 0.0, [], [], "small talk: greeting, thanks or help", SMALLTALK)
        model = self.model
        if model is not None and model.semantic and vector is None and self.vectors is not None:
            return self.fallback._match(text, None) if self.fallback is not None else self.lexical.match(text)
        if model is None:
            return self.lexical.match(text)
        assessment = self.assess(text, vector if model.semantic else None)
        lexical = assessment.lexical
        fixes = f" (typos read as {', '.join(lexical.corrections[:3])})" if lexical.corrections else ""
        if not assessment.entry_ids:
            what = "no words the knowledge base knows" if lexical.terms else "no meaningful words"
            return _result(text, "none", None, 0.0, [], [], f"none: {what}{fixes}")
        logits = model.ranker.logit(assessment.rows)
        order = np.argsort(-logits, kind="stable")
        probabilities = softmax(logits)
        shown = [
            self._candidate(assessment, int(i), float(probabilities[i])) for i in order[:SHOWN_CANDIDATES]
        ]
        top = shown[0]
        if lexical.intent == INTERVIEW_MISSING and INTERVIEW_MISSING_ENTRY in self.lexical.entry_ids:
            routed = next((c for c in shown if c.entry_id == INTERVIEW_MISSING_ENTRY), top)
            return _result(
                text,
                "answer",
                INTERVIEW_MISSING_ENTRY,
                routed.score,
                [],
                shown,
                "answer by intent: interview Connects reported missing (interview/bonus words + "
                f"not-received wording) -> {INTERVIEW_MISSING_ENTRY}{fixes}",
                INTERVIEW_MISSING,
            )
        confidence = float(
            model.decider.probability(np.asarray([self.decision_row(assessment, logits, order)]))[0]
        )
        score = round(100.0 * confidence, 2)
        detail = (
            f"{top.entry_id} P(right) {confidence:.2f} via {top.field} {top.matched_text!r} "
            f"(lexical {top.lexical or 0:.2f}, semantic {top.semantic or 0:.2f}); "
            f"runner-up {shown[1].entry_id if len(shown) > 1 else '-'}"
        )
        if confidence >= model.answer_at:
            why = f"answer: {detail}; P(right) >= {model.answer_at:.2f}{fixes}"
            return _result(text, "answer", top.entry_id, score, [], shown, why)
        close = shown[: model.max_suggestions] if top.score >= 100.0 * model.suggest_at else []
        if close:
            why = f"suggest: {detail}; not sure (P(right) < {model.answer_at:.2f}){fixes}"
            return _result(text, "suggest", None, score, close, shown, why)
        why = f"none: {detail}; no candidate reaches P {model.suggest_at:.3f}{fixes}"
        return _result(text, "none", None, score, [], shown, why)

    def _candidate(self, assessment: Assessment, i: int, probability: float) -> Candidate:
        entry_id = assessment.entry_ids[i]
        lexical = assessment.lexical_by_id.get(entry_id)
        if lexical is not None:
            field, matched = lexical.field, lexical.matched_text
        else:
            entry = self.lexical.index.entries[self.lexical.position(entry_id)].entry
            field, matched = "question", entry.question
        return Candidate.model_construct(
            entry_id=entry_id,
            score=round(100.0 * probability, 2),
            field=field,
            matched_text=matched,
            lexical=round(float(assessment.rows[i, 0]), 4),
            semantic=round(float(assessment.cosine[i]), 4) if self.semantic else None,
        )


def _result(
    text: str,
    decision: Decision,
    entry_id: str | None,
    score: float,
    suggestions: list[Candidate],
    candidates: list[Candidate],
    why: str,
    intent: str | None = None,
) -> MatchResult:
    return MatchResult.model_construct(
        question=text,
        decision=decision,
        entry_id=entry_id,
        score=score,
        suggestions=suggestions,
        best=candidates[0] if candidates else None,
        candidates=candidates,
        intent=intent,
        why=why,
    )
