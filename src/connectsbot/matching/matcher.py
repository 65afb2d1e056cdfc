"""The matcher: a member's question -> answer / suggest / none, with the reason why.

Pipeline for one question:

1. normalise (normalize.py: Discord noise, slang, phrases, stems, synonyms) into index terms,
   plus cue pseudo-terms (cues.py: who asks, whom they reach, before/after the contract, "what
   is X", not-received). A word the knowledge base does not know is mapped onto the closest
   known term within 1-2 edits ("rolover" -> "rollover"); the rest stay unknown and count
   against every entry (they are what the KB does not explain): an everyday word a little
   (generic.py), a topical word ("payoneer", "milestone") a lot.
2. weigh each term by its IDF over the entries (question words, single digits and speaker
   roles at 0.35x, everyday words capped).
3. candidates from the inverted index (index.py), at most `candidate_limit`; no question is
   scored against every entry.
4. score each candidate, 0..100, as the weighted mean of four signals:
   - text: the best F-score between the question and one of the entry's texts (question or
     alias): recall = share of the text's weight found in the question (against at least
     `min_text_weight`), precision = share of the question's weight found in the text; recall
     counts `recall_beta` times more, so a rant that contains an alias still scores. A text and a
     question that disagree on negation match `polarity_factor` less.
   - bag: share of the question's weight found anywhere in the entry (answer-only terms 0.35x).
   - keyword: a keyword whose terms all occur in the question, by its weight.
   - fuzzy: rapidfuzz token_set_ratio between the question's terms and the entry's best two
     texts (on the `fuzzy_limit` best candidates).
5. decide: `answer` when the best score reaches the answer threshold (`answer_threshold` for a
   short question, up to `long_question_relief` less for a long one), leads the runner-up by
   `min_margin`, and shares more than everyday words with the question; `suggest` (the close
   candidates) when it reaches `suggest_threshold`; else `none`.
   An intent rule (intents.py) answers missing-interview-Connects complaints directly.

Calibration (defaults): on the public questions split in halves (designed on one, checked on the
other) plus four sets of questions written for the purpose in other styles, choosing the
operating point that maximises accuracy minus three times the wrong-confident rate; see
tests/matching/test_public_set.py for the bar the shipped knowledge base must clear.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz, process

from connectsbot.knowledge import Entry
from connectsbot.matching.everyday_words import GENERIC
from connectsbot.matching.index import ANSWER_FACTOR, NEGATION, WEAK_FACTOR, Index, analyse
from connectsbot.matching.intents import INTERVIEW_MISSING, interview_connects_missing
from connectsbot.matching.normalize import tokenize
from connectsbot.matching.pseudo_terms import CUES

INTERVIEW_MISSING_ENTRY = "interview-connects-missing"
SHARED_BY_TERMS = 4  # up to this many known terms, count the entries holding them all
FUZZY_TITLES = 2000  # autocomplete falls back to typo-tolerant title matching up to this many entries

Decision = Literal["answer", "suggest", "none"]
Field_ = Literal["question", "alias", "keyword", "answer"]


class MatcherConfig(BaseModel):
    """Decision thresholds (scores are 0..100) and scoring knobs. Defaults are calibrated on the
    shipped knowledge base; see tests/matching/test_public_set.py."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Score needed to answer a short question; long messages need up to `long_question_relief`
    # points less (their scores run lower: a rant holds many words no entry explains, while a
    # two-word question that half-matches is thin evidence).
    answer_threshold: float = Field(default=62.0, ge=0, le=100)
    long_question_relief: float = Field(default=16.0, ge=0, le=100)
    short_question_terms: int = Field(default=4, ge=1)  # up to this many distinct terms: full threshold
    long_question_terms: int = Field(default=12, ge=1)  # from this many: full relief (linear between)
    suggest_threshold: float = Field(default=40.0, ge=0, le=100)
    min_margin: float = Field(default=4.0, ge=0, le=100)
    max_suggestions: int = Field(default=3, ge=0, le=25)
    # How far below the best a candidate may be and still be suggested.
    suggest_window: float = Field(default=20.0, ge=0, le=100)
    # Scoring knobs.
    # Scores are the weighted mean of four signals (each 0..1), times 100.
    weight_text: float = Field(default=0.5, ge=0)
    weight_bag: float = Field(default=0.3, ge=0)
    weight_keyword: float = Field(default=0.1, ge=0)
    weight_fuzzy: float = Field(default=0.3, ge=0)
    recall_beta: float = Field(default=1.5, gt=0)
    # A word no entry knows, as a fraction of the top IDF: topical words weigh a lot (they are
    # what the KB does not cover), everyday words (generic.py) little.
    unknown_weight: float = Field(default=1.0, ge=0)
    generic_weight: float = Field(default=0.15, ge=0)
    # A keyword counts fully when its terms weigh this many times the top IDF (one rare word: less).
    keyword_saturation: float = Field(default=1.5, gt=0)
    # Recall of a text is computed against at least this much weight (fraction of the top IDF).
    min_text_weight: float = Field(default=0.5, ge=0)
    # A text and a question that disagree on negation ("not received" vs "do I get") match less.
    polarity_factor: float = Field(default=0.85, ge=0, le=1)
    candidate_limit: int = Field(default=8, ge=1)
    fuzzy_limit: int = Field(default=4, ge=0)  # rapidfuzz runs on this many best candidates only
    route_intents: bool = True


class Candidate(BaseModel):
    """One scored entry and what matched it."""

    model_config = ConfigDict(frozen=True)

    entry_id: str
    score: float  # 0..100
    field: Field_  # which field matched best
    matched_text: str  # the question/alias/keyword text that matched
    lexical: float | None = None  # the hybrid matcher's lexical signal, 0..1
    semantic: float | None = None  # and its best cosine (None: semantic signal off)


class MatchResult(BaseModel):
    """What the matcher makes of one question.

    `suggestions`: for "suggest", the close candidates (best first, at most max_suggestions);
    for "answer" and "none" it is empty.
    """

    model_config = ConfigDict(frozen=True)

    question: str
    decision: Decision
    entry_id: str | None  # set only when decision == "answer"
    score: float
    suggestions: list[Candidate]
    best: Candidate | None
    # The best candidates whatever the decision (the hybrid matcher's, for --json and --explain).
    candidates: list[Candidate] = Field(default_factory=list)
    intent: str | None = None
    why: str

    @property
    def top_id(self) -> str | None:
        """The best entry, whatever the decision."""
        return self.best.entry_id if self.best else None


@dataclass(frozen=True, slots=True)
class LexicalCandidate:
    """One entry's lexical signals for a question (each 0..1)."""

    entry_id: str
    score: float  # the combined lexical score
    text: float  # best F against one question or alias
    bag: float  # share of the question found anywhere in the entry
    keyword: float
    fuzzy: float
    evidence: bool  # something beyond everyday words matched
    field: Field_
    matched_text: str


@dataclass(frozen=True, slots=True)
class Lexical:
    """What the lexical matcher sees in one question."""

    normalised: str
    terms: int  # distinct index terms
    unknown_share: float  # share of the question's weight on words no entry knows
    corrections: tuple[str, ...]
    shared_by: int  # entries holding every known term of a short question (0: not counted)
    intent: str | None  # an intent rule that fired
    candidates: list[LexicalCandidate]  # best lexical score first


class _Scored:
    __slots__ = (
        "bag",
        "evidence",
        "field",
        "fuzzy",
        "index",
        "keyword",
        "matched",
        "score",
        "text_f",
        "texts",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.text_f = 0.0
        self.bag = 0.0
        self.evidence = 0.0  # weight of matched terms that are not everyday words
        self.keyword = 0.0
        self.fuzzy = 0.0
        self.score = 0.0
        self.field: Field_ = "answer"
        self.matched = ""
        self.texts: list[tuple[float, int]] = []  # (F, position in entry.texts) of texts sharing a term


_Facts = tuple[list[float], list[bool], list[tuple[frozenset[str], float, str]]]


class _Query:
    """A member's text, analysed once."""

    __slots__ = ("corrections", "normalised", "ordered", "total", "weights")

    def __init__(self, normalised: str) -> None:
        self.normalised = normalised
        self.weights: dict[str, float] = {}
        self.ordered: list[str] = []
        self.corrections: list[str] = []
        self.total = 0.0


class Matcher:
    def __init__(self, entries: Iterable[Entry], config: MatcherConfig | None = None) -> None:
        self.config = config or MatcherConfig()
        self.index = Index(entries)
        self._ids = frozenset(indexed.entry.id for indexed in self.index.entries)
        self._position = {indexed.entry.id: i for i, indexed in enumerate(self.index.entries)}
        cfg = self.config
        beta2 = cfg.recall_beta**2
        self._f_factors = (1 + beta2, beta2)
        self._floor = cfg.min_text_weight * self.index.max_idf
        self._saturation = cfg.keyword_saturation * self.index.max_idf
        self._facts: dict[int, _Facts] = {}

    @property
    def entry_ids(self) -> frozenset[str]:
        return self._ids

    def position(self, entry_id: str) -> int:
        return self._position[entry_id]

    # ---------------------------------------------------------------- query analysis

    def _query(self, text: str) -> _Query:
        index = self.index
        tokens = tokenize(text)
        query = _Query(tokens.joined)
        weights = query.weights
        unknown = self.config.unknown_weight * index.max_idf
        generic = self.config.generic_weight * index.max_idf
        for t, weak, word in analyse(tokens, index.compounds):
            if word == t and t in CUES and t not in index.idf:
                continue  # a cue no entry carries: nothing to match, and not an unknown topic
            if t in index.idf:
                w = index.weight(t, weak)
            else:
                # A typo is looked up as typed, then as stemmed ("readines" is one edit from
                # "readiness", its stem "readin" three).
                fixed = None if weak else (index.correct(word) or index.correct(t))
                if fixed is not None:
                    query.corrections.append(f"{word}->{fixed}")
                    t = fixed
                    w = index.weight(t) * 0.9
                else:
                    w = (generic if t in GENERIC else unknown) * (WEAK_FACTOR if weak else 1.0)
            if w > weights.get(t, -1.0):
                weights[t] = w
            query.ordered.append(t)
        query.total = sum(weights.values())
        return query

    # ---------------------------------------------------------------- scoring

    def _score(self, position: int, query: _Query, qset: frozenset[str], skip: int = -1) -> _Scored:
        indexed = self.index.ensure(position)
        weights = query.weights
        total = query.total
        scored = _Scored(position)
        # Sparse: only texts sharing a term are touched; per text, the query weight it explains
        # (for precision) and its own weight found in the query (for recall).
        common_terms = qset & indexed.strong
        explained: dict[int, float] = {}
        found: dict[int, float] = {}
        occurrences = self.index.occurrences(position)
        bag = evidence = 0.0
        for t in common_terms:
            w = weights[t]
            bag += w
            if t not in GENERIC:
                evidence += w
            for number, own in occurrences.get(t, ()):
                if number in explained:
                    explained[number] += w
                    found[number] += own
                else:
                    explained[number] = w
                    found[number] = own
        for t in qset & indexed.answer:
            bag += weights[t] * ANSWER_FACTOR
        scored.bag = bag / total
        scored.evidence = evidence
        # Best F over the touched texts; recall counts `recall_beta` times as much as precision.
        # A tiny alias ("who made upwork" -> {upwork}) is measured against at least `min_text_weight`.
        facts = self._facts.get(position)
        if facts is None:
            facts = self._facts[position] = self._entry_facts(position)
        denominators, negations, keyword_facts = facts
        negated = NEGATION in qset
        polarity = self.config.polarity_factor
        c1, b2 = self._f_factors
        best_f = 0.0
        best_number = -1
        fs = scored.texts
        for number, explained_weight in explained.items():
            if number == skip:
                continue  # a text left out (kb lint: would the entry still win without this alias?)
            precision = explained_weight / total
            recall = found[number] / denominators[number]
            f = c1 * precision * recall / (b2 * precision + recall)
            if negations[number] != negated:
                f *= polarity  # "connects not credited" vs "do I get connects"
            fs.append((f, number))
            if f > best_f:
                best_f = f
                best_number = number
        scored.text_f = best_f
        if best_number >= 0:
            text = indexed.texts[best_number]
            scored.field = "question" if text.field == "question" else "alias"
            scored.matched = text.original
        for keyword_terms, strength, original in keyword_facts:
            if strength > scored.keyword and keyword_terms <= qset:
                scored.keyword = strength
                if best_number < 0:
                    scored.field = "keyword"
                    scored.matched = original
        if not scored.matched:
            scored.matched = indexed.entry.question  # only the answer matched
        return scored

    def _entry_facts(self, position: int) -> _Facts:
        """Per entry, for scoring (on demand): each text's recall denominator and negation flag,
        and each keyword's terms, strength (its weight against `keyword_saturation`) and text."""
        indexed = self.index.entries[position]
        return (
            [max(text.total, self._floor) for text in indexed.texts],
            [text.negated for text in indexed.texts],
            [(k.termset, min(1.0, k.total / self._saturation), k.original) for k in indexed.keywords],
        )

    def _rank(
        self, query: _Query, also: Iterable[int] = (), skip: tuple[int, int] = (-1, -1)
    ) -> list[_Scored]:
        """The index's candidates (plus the entries at positions `also`), scored, best first."""
        if not query.weights or query.total <= 0:
            return []
        cfg = self.config
        index = self.index
        known = {t: w for t, w in query.weights.items() if t in index.idf}
        qset = frozenset(query.weights)
        pool = index.candidates(known, cfg.candidate_limit)
        pool += [p for p in also if p not in pool]
        scored = [self._score(p, query, qset, skip[1] if p == skip[0] else -1) for p in pool]
        norm = (cfg.weight_text + cfg.weight_bag + cfg.weight_keyword + cfg.weight_fuzzy) or 1.0
        for s in scored:
            s.score = cfg.weight_text * s.text_f + cfg.weight_bag * s.bag + cfg.weight_keyword * s.keyword
        if cfg.weight_fuzzy > 0 and cfg.fuzzy_limit > 0:
            scored.sort(key=lambda s: -s.score)
            query_joined = " ".join(t for t in query.ordered if t in query.weights)
            for s in scored[: cfg.fuzzy_limit]:
                # rapidfuzz on the entry's two best texts: rewards word-level near-matches the
                # term sets miss (e.g. "freelancer" / "freelancers plus") and word order.
                texts = index.entries[s.index].texts
                ratios = [
                    fuzz.token_set_ratio(query_joined, texts[n].joined) for _, n in heapq.nlargest(2, s.texts)
                ]
                s.fuzzy = max(ratios, default=0.0) / 100.0
                s.score += cfg.weight_fuzzy * s.fuzzy
        for s in scored:
            s.score = round(min(100.0, max(0.0, 100.0 * s.score / norm)), 2)
        scored.sort(key=lambda s: (-s.score, s.index))
        return scored

    def _candidate(self, s: _Scored) -> Candidate:
        entry = self.index.entries[s.index].entry
        return Candidate.model_construct(
            entry_id=entry.id, score=s.score, field=s.field, matched_text=s.matched
        )

    # ---------------------------------------------------------------- public API

    def lexical(
        self, text: str, also: Iterable[str] = (), leave_out: tuple[str, str] | None = None
    ) -> Lexical:
        """The lexical view of a question for the hybrid ranker: its candidates (the index's, plus
        the entries `also` names) with every signal, and what the question holds. `leave_out`:
        (entry id, one of its aliases) not to match against."""
        query = self._query(text)
        positions = [self._position[entry_id] for entry_id in also if entry_id in self._position]
        skip = (-1, -1)
        if leave_out is not None and leave_out[0] in self._position:
            position = self._position[leave_out[0]]
            texts = self.index.ensure(position).texts
            skip = (position, next((n for n, t in enumerate(texts) if t.original == leave_out[1]), -1))
        scored = self._rank(query, positions, skip)
        unknown = sum(w for t, w in query.weights.items() if t not in self.index.idf)
        known = [t for t in query.weights if t in self.index.idf]
        return Lexical(
            normalised=query.normalised,
            terms=len(query.weights),
            unknown_share=unknown / query.total if query.total > 0 else 0.0,
            corrections=tuple(query.corrections),
            # A few words can name one entry ("rollover limit") or many ("connects"): count them.
            shared_by=self.index.holding_all(known) if 0 < len(known) <= SHARED_BY_TERMS else 0,
            intent=INTERVIEW_MISSING
            if self.config.route_intents
            and INTERVIEW_MISSING_ENTRY in self._ids
            and interview_connects_missing(query.normalised)
            else None,
            candidates=[
                LexicalCandidate(
                    entry_id=self.index.entries[s.index].entry.id,
                    score=s.score / 100.0,
                    text=s.text_f,
                    bag=s.bag,
                    keyword=s.keyword,
                    fuzzy=s.fuzzy,
                    evidence=s.evidence > 0,
                    field=s.field,
                    matched_text=s.matched,
                )
                for s in scored
            ],
        )

    def match(self, text: str) -> MatchResult:
        """Decide what to do with a member's question. Never raises on a str."""
        if not isinstance(text, str):
            text = str(text)
        try:
            return self._match(text)
        except Exception as exc:  # pragma: no cover - last-resort guard: a bad message must not crash the bot
            return _no_answer(text, f"internal error while matching ({type(exc).__name__}); no answer given")

    def _match(self, text: str) -> MatchResult:
        cfg = self.config
        query = self._query(text)
        scored = self._rank(query)
        fixes = f" (typos read as {', '.join(query.corrections[:3])})" if query.corrections else ""

        if (
            cfg.route_intents
            and INTERVIEW_MISSING_ENTRY in self._ids
            and interview_connects_missing(query.normalised)
        ):
            chosen = next((s for s in scored if s.index == self._position[INTERVIEW_MISSING_ENTRY]), None)
            if chosen is not None:
                best = self._candidate(chosen)
            else:
                entry = self.index.entries[self._position[INTERVIEW_MISSING_ENTRY]].entry
                best = Candidate.model_construct(
                    entry_id=entry.id, score=0.0, field="question", matched_text=entry.question
                )
            return MatchResult.model_construct(
                question=text,
                decision="answer",
                entry_id=INTERVIEW_MISSING_ENTRY,
                score=best.score,
                suggestions=[],
                best=best,
                intent=INTERVIEW_MISSING,
                why="answer by intent: interview Connects reported missing (interview/bonus words + "
                f"not-received wording) -> {INTERVIEW_MISSING_ENTRY}{fixes}",
            )

        if not scored:
            what = "no words the knowledge base knows" if query.ordered else "no meaningful words"
            return _no_answer(text, f"none: {what}{fixes}")
        top = scored[0]
        best = self._candidate(top)
        runner = scored[1].score if len(scored) > 1 else 0.0
        margin = top.score - runner
        detail = (
            f"{best.entry_id} {top.score:.0f} via {best.field} {best.matched_text!r} "
            f"(text {top.text_f:.2f}, bag {top.bag:.2f}, keyword {top.keyword:.2f}, fuzzy {top.fuzzy:.2f}); "
            f"runner-up {runner:.0f}"
        )
        # To answer, something beyond everyday words must match: "have a nice day" shares only "day".
        enough = top.evidence > 0
        threshold = self.answer_threshold_for(len(query.weights))
        if top.score >= threshold and margin >= cfg.min_margin and enough:
            return MatchResult.model_construct(
                question=text,
                decision="answer",
                entry_id=best.entry_id,
                score=top.score,
                suggestions=[],
                best=best,
                why=f"answer: {detail}; score >= {threshold:.0f} and lead {margin:.0f} >= "
                f"{cfg.min_margin:g}{fixes}",
            )
        if top.score >= cfg.suggest_threshold and cfg.max_suggestions > 0:
            floor = max(cfg.suggest_threshold, top.score - cfg.suggest_window)
            suggestions = [self._candidate(s) for s in scored if s.score >= floor][: cfg.max_suggestions]
            if top.score < threshold:
                reason = f"score < {threshold:.0f}"
            elif margin < cfg.min_margin:
                reason = f"lead {margin:.0f} < {cfg.min_margin:g}"
            else:
                reason = "only everyday words in common"
            return MatchResult.model_construct(
                question=text,
                decision="suggest",
                entry_id=None,
                score=top.score,
                suggestions=suggestions,
                best=best,
                why=f"suggest: {detail}; not sure ({reason}){fixes}",
            )
        return MatchResult.model_construct(
            question=text,
            decision="none",
            entry_id=None,
            score=top.score,
            suggestions=[],
            best=best,
            why=f"none: {detail}; below {cfg.suggest_threshold:g}{fixes}",
        )

    def answer_threshold_for(self, terms: int) -> float:
        """The score a question with this many distinct terms needs for an answer."""
        cfg = self.config
        span = max(cfg.long_question_terms - cfg.short_question_terms, 1)
        longness = min(1.0, max(0.0, (terms - cfg.short_question_terms) / span))
        return cfg.answer_threshold - cfg.long_question_relief * longness

    def complete(self, prefix: str, limit: int = 25) -> list[Candidate]:
        """Entries whose title or an alias fits what a member has typed so far, best first.

        Every typed word must begin a word of the entry's title or of one of its aliases; titles
        that start with the typed text come first, then titles containing it, then the rest
        (matched through an alias or scattered words). When that finds fewer than `limit`, titles
        close to the typed text (typos) are added by rapidfuzz partial_ratio (knowledge bases up
        to FUZZY_TITLES entries). Candidate.matched_text is the title; score 0..100. The first
        call builds the autocomplete structures.
        """
        if limit <= 0:
            return []
        titles = self.index.titles
        typed = tokenize(prefix[:200]).words[:12]
        if not typed:
            return [self._title_candidate(p, 0.0) for p in titles.order[:limit]]
        key = " ".join(typed)
        common: set[int] | None = None
        for word in sorted(set(typed), key=lambda w: -len(w)):  # longest words are the most selective
            found = titles.with_word_prefix(word)
            common = found if common is None else common & found
            if not common:
                break
        hits: dict[int, float] = {}
        for position in common or ():
            title_key = titles.keys[position]
            hits[position] = 100.0 if title_key.startswith(key) else 90.0 if key in title_key else 70.0
        if len(hits) < limit and len(key) >= 3 and len(titles.keys) <= FUZZY_TITLES:
            for _, similarity, position in process.extract(
                key, titles.keys, scorer=fuzz.partial_ratio, score_cutoff=80, limit=limit
            ):
                hits.setdefault(position, round(0.6 * similarity, 2))
        names = titles.titles
        ranked = heapq.nsmallest(
            limit, hits.items(), key=lambda item: (-item[1], len(names[item[0]]), names[item[0]])
        )
        return [self._title_candidate(position, score) for position, score in ranked]

    def _title_candidate(self, position: int, score: float) -> Candidate:
        entry = self.index.entries[position].entry
        return Candidate.model_construct(
            entry_id=entry.id, score=score, field="question", matched_text=entry.question
        )


def _no_answer(text: str, why: str) -> MatchResult:
    """A `none` result: nothing to answer or suggest."""
    return MatchResult.model_construct(
        question=text, decision="none", entry_id=None, score=0.0, suggestions=[], best=None, why=why
    )
