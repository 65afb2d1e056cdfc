"""The search index over the knowledge entries.

Every entry contributes *texts* (its question, each alias; its keywords apart) made of index
terms (normalize.term, plus cue pseudo-terms), and an answer bag (the terms of its answer, a
weak signal). The index holds:

- IDF weights, ln(1 + N / df) over entries, so "connects" (in nearly every entry) weighs little
  and "rollover" or "elance" weigh a lot; everyday words (generic.py) are capped lower;
- inverted postings term -> entries, to pick a small candidate set for each question;
- the vocabulary (terms and their synonym forms), bucketed by length, to map a member's typo onto
  a known term;
- a sorted list of title/alias words for autocomplete.
"""

from __future__ import annotations

import bisect
import dataclasses
import gc
import heapq
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from connectsbot.knowledge import Entry
from connectsbot.matching.everyday_words import GENERIC
from connectsbot.matching.normalize import SYNONYMS, WEAK_WORDS, Tokens, plain_words, term, tokenize
from connectsbot.matching.pseudo_terms import cues
from connectsbot.recent import Recent

GENERIC_FACTOR = 0.75  # an everyday word known to the KB weighs at most this share of the top IDF
WEAK_FACTOR = 0.35  # question words, single digits, speaker roles: kept, but weigh little
ANSWER_FACTOR = 0.35  # a term only in the answer counts this much of one in a question/alias
SYNONYM_TYPO_LENGTH = 7  # a typo is read as a synonym the entries do not use only from this length
MIN_CORRECTABLE = 5  # shorter words are never typo-corrected ("hold" must not become "old")
EAGER_CUE_ENTRIES = 20_000  # up to this size, cue terms are indexed while building
CUE_SAMPLE = 5000  # above it, cue document frequencies are estimated on this many entries
FREEZE_ENTRIES = 5000  # from this size on, the built index is moved out of the collector's sight
NEGATION = "not"  # the term every negation maps to (normalize.SYNONYMS)
ANSWER_WORDS = 40  # the answer terms indexed (its opening: a weak signal, kept cheap)
ANSWER_CHARS = 600
REMEMBERED_CORRECTIONS = 50_000  # typos and their corrections a matcher keeps
REMEMBERED_HOLDER_SETS = 256  # the entry sets of the terms most recently counted together


# One analysed term: (term, weak, the word it came from). Weak terms (question words, single
# digits, speaker roles) are kept but weigh WEAK_FACTOR.
QueryTerm = tuple[str, bool, str]


def analyse(
    tokens: Tokens, compounds: frozenset[str] | None = None, with_cues: bool = True
) -> list[QueryTerm]:
    """The index terms of tokenized text, in order. Two adjacent words whose concatenation is one
    of `compounds` (words of the knowledge base) are read as that word ("pay out" -> "payout")."""
    out: list[QueryTerm] = []
    previous: str | None = None
    for word in tokens.words:
        if compounds is not None and previous is not None and (previous + word) in compounds:
            joined = term(previous + word)
            if joined is not None and out and out[-1][0] == term(previous):
                out[-1] = (joined, False, previous + word)
                previous = None
                continue
        previous = word
        t = term(word)
        if t is not None:
            # Single digits are mostly incidental ("3 days", "2 yrs"): kept, but weak.
            out.append((t, word in WEAK_WORDS or (len(word) == 1 and word.isdigit()), word))
    if with_cues:
        # Speaker roles only discriminate; whom one reaches and when count fully.
        out.extend((cue, cue.startswith("as_"), cue) for cue in cues(tokens))
    return out


@dataclass(slots=True)
class Text:
    """One matchable text of an entry: its question, an alias or a keyword."""

    field: str  # "question" | "alias" | "keyword"
    original: str
    terms: tuple[str, ...]
    weak: frozenset[str]
    termset: frozenset[str] = frozenset()
    weights: dict[str, float] = dataclasses.field(default_factory=dict)  # term -> its weight in this text
    joined: str = ""
    total: float = 0.0  # summed weight of its terms
    negated: bool = False  # holds a negation ("not" term)
    pending: bool = False  # cue terms not added yet (large knowledge bases: see Index.ensure)


@dataclass(slots=True)
class IndexedEntry:
    entry: Entry
    texts: list[Text]  # question and aliases
    keywords: list[Text]
    strong: frozenset[str]  # terms of question, aliases and keywords
    answer: frozenset[str]  # terms only in the answer
    # term -> (position in `texts`, the term's weight in that text): see Index.occurrences
    occurrences: dict[str, list[tuple[int, float]]] | None = None
    pending: bool = False  # some texts still lack their cue terms


class _Titles:
    """For autocomplete: titles, their normalised keys, alphabetical order, and word -> entries
    over titles and aliases, with the words sorted for prefix lookups."""

    def __init__(self, entries: list[IndexedEntry]) -> None:
        self.titles = [indexed.entry.question for indexed in entries]
        self.keys = [tokenize(title, chat=False).joined for title in self.titles]
        self.order = sorted(range(len(entries)), key=lambda i: self.titles[i].casefold())
        word_entries: dict[str, list[int]] = defaultdict(list)
        for position, indexed in enumerate(entries):
            seen: set[str] = set(self.keys[position].split())
            for alias in indexed.entry.aliases:
                seen.update(tokenize(alias, chat=False).words)
            for word in seen:
                word_entries[word].append(position)
        self.word_entries = dict(word_entries)
        self.sorted_words = sorted(word_entries)

    def with_word_prefix(self, prefix: str) -> set[int]:
        """Entries whose title or an alias has a word starting with `prefix`."""
        words = self.sorted_words
        start = bisect.bisect_left(words, prefix)
        end = bisect.bisect_left(words, prefix + "\uffff")
        found: set[int] = set()
        for word in words[start:end]:
            found.update(self.word_entries[word])
        return found


class Index:
    def __init__(self, entries: Iterable[Entry]) -> None:
        self._ensuring = threading.Lock()
        # Building allocates millions of small objects that all live as long as the index; the
        # cyclic garbage collector would rescan them over and over (quadratic on large KBs).
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._build(entries)
        finally:
            if enabled:
                gc.enable()
        if enabled and self.size >= FREEZE_ENTRIES:
            # And later: a full collection would walk every object of a large index on some
            # question (a pause of 100+ ms at 10k entries); frozen objects are skipped. They are
            # still freed by reference counting when the index is dropped.
            gc.freeze()

    def _build(self, entries: Iterable[Entry]) -> None:
        unique: dict[str, Entry] = {}
        for entry in entries:
            unique[entry.id] = entry  # a later duplicate id replaces the earlier one
        listed = list(unique.values())

        # Large knowledge bases repeat texts; each distinct text is analysed once.
        tokens_of: dict[str, Tokens] = {}

        def tokens(raw: str) -> Tokens:
            found = tokens_of.get(raw)
            if found is None:
                found = tokens_of[raw] = tokenize(raw, chat=False)
            return found

        # Pass 1: the long words of the matchable texts, so that pass 2 (and each question) can
        # read a split compound as the word the entries use ("roll over" -> "rollover").
        kb_words: set[str] = set()
        for entry in listed:
            for raw in (entry.question, *entry.aliases, *entry.keywords):
                kb_words.update(tokens(raw).words)
        self.compounds = frozenset(word for word in kb_words if len(word) >= 5)

        shared: dict[str, dict[str, Text | None]] = {"question": {}, "alias": {}, "keyword": {}}
        compounds = self.compounds
        # Cues (cues.py) cost as much as the rest of a text's analysis. On a large knowledge base
        # they are added to an entry's texts when it first becomes a candidate (Index.ensure), and
        # their document frequencies are estimated on a sample of entries.
        eager = len(listed) <= EAGER_CUE_ENTRIES

        def make(field_name: str, raw: str) -> Text | None:
            known = shared[field_name]
            if raw in known:
                return known[raw]
            analysed = analyse(tokens(raw), compounds, with_cues=eager)
            made = None
            if analysed:
                terms = tuple(t for t, _, _ in analysed)
                made = Text(
                    field=field_name,
                    original=raw,
                    terms=terms,
                    weak=frozenset(t for t, weak, _ in analysed if weak),
                    termset=frozenset(terms),
                    joined=" ".join(terms),
                    pending=not eager,
                )
            known[raw] = made
            return made

        answers: dict[str, frozenset[str]] = {}
        postings: dict[str, list[int]] = defaultdict(list)  # question/alias/keyword terms
        # Answer-only terms do not nominate candidates (a weak signal); they are only counted,
        # for their IDF, and looked up in a candidate's `answer` set when it is scored.
        answer_df: Counter[str] = Counter()
        self.postings = postings
        self.answer_df = answer_df
        self.entries: list[IndexedEntry] = []
        append_entry = self.entries.append
        for position, entry in enumerate(listed):
            texts = [make("question", entry.question)]
            texts += [make("alias", alias) for alias in entry.aliases]
            kept = [text for text in texts if text is not None]
            keywords = [k for k in (make("keyword", raw) for raw in entry.keywords) if k is not None]
            strong = frozenset().union(*[text.termset for text in kept], *[k.termset for k in keywords])
            answer_all = answers.get(entry.answer)
            if answer_all is None:
                answer_words = plain_words(entry.answer[:ANSWER_CHARS])[:ANSWER_WORDS]
                answer_all = answers[entry.answer] = frozenset(t for t in map(term, answer_words) if t)
            answer = answer_all - strong
            append_entry(IndexedEntry(entry, kept, keywords, strong, answer, pending=not eager))
            for t in strong:
                postings[t].append(position)
            answer_df.update(answer)

        n = max(len(self.entries), 1)
        self.size = len(self.entries)
        # IDF over a few dozen entries is noisy for everyday words: "good" in one alias is not
        # a topic. Everyday words (generic.py) are capped lower.
        self.idf: dict[str, float] = {}
        for t in self.postings.keys() | answer_df.keys():
            df = len(self.postings.get(t, ())) + answer_df[t]
            self.idf[t] = math.log(1.0 + n / df) * (GENERIC_FACTOR if t in GENERIC else 1.0)
        if not eager:
            step = max(1, len(listed) // CUE_SAMPLE)
            sample = range(0, len(listed), step)
            seen: Counter[str] = Counter()
            for position in sample:
                indexed = self.entries[position]
                found: set[str] = set()
                for sampled in indexed.texts + indexed.keywords:
                    found.update(cues(tokens(sampled.original)))
                seen.update(found - indexed.strong)
            for cue, count in seen.items():
                estimate = len(self.postings.get(cue, ())) + count * len(listed) / len(sample)
                self.idf[cue] = math.log(1.0 + n / estimate)
        self.max_idf = math.log(1.0 + n)
        for text in (text for known in shared.values() for text in known.values()):
            if text is not None:
                text.weights = {t: self.weight(t, t in text.weak) for t in text.termset}
                text.total = sum(text.weights.values())
                text.negated = NEGATION in text.termset

        # Typo targets, bucketed by length: only words within the edit budget are compared. A
        # typo may be of a synonym the entries do not use ("efficent" -> "efficient" -> "wisely"),
        # so the targets are the entries' terms and every synonym form of them.
        self._target_term: dict[str, str] = {t: t for t in self.postings}
        self._synonym_forms: set[str] = set()
        for form, head in SYNONYMS.items():
            if head in self.postings and form not in self._target_term:
                self._target_term[form] = head
                self._synonym_forms.add(form)
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for t in sorted(self._target_term):
            if t.isalpha() and len(t) >= 3:
                self._by_length[len(t)].append(t)
        # Each typo's correction ("": none), and the holders of common terms: both asked again and again.
        self._corrections: Recent[str, str] = Recent(REMEMBERED_CORRECTIONS)
        self._holder_sets: Recent[str, frozenset[int]] = Recent(REMEMBERED_HOLDER_SETS)

        self._titles: _Titles | None = None  # autocomplete structures, built on first use

    def ensure(self, position: int) -> IndexedEntry:
        """An entry with every text's cue terms added (a no-op unless the index is large). Safe from
        several threads (members are answered while the model is retrained over the same index)."""
        indexed = self.entries[position]
        if not indexed.pending:
            return indexed
        with self._ensuring:
            return self._ensure(indexed)

    def _ensure(self, indexed: IndexedEntry) -> IndexedEntry:
        if not indexed.pending:  # another thread finished it while this one waited
            return indexed
        for text in indexed.texts + indexed.keywords:
            if not text.pending:
                continue
            text.pending = False
            extra = [(c, c.startswith("as_")) for c in cues(tokenize(text.original, chat=False))]
            extra = [(c, weak) for c, weak in extra if c not in text.termset and c in self.idf]
            if not extra:
                continue
            text.terms += tuple(c for c, _ in extra)
            text.termset = frozenset(text.terms)
            text.weak = text.weak | {c for c, weak in extra if weak}
            text.joined = " ".join(text.terms)
            text.weights = {t: self.weight(t, t in text.weak) for t in text.termset}
            text.total = sum(text.weights.values())
            text.negated = NEGATION in text.termset
        indexed.strong = frozenset().union(*[t.termset for t in indexed.texts + indexed.keywords])
        indexed.answer = indexed.answer - indexed.strong
        indexed.occurrences = None
        indexed.pending = False
        return indexed

    def occurrences(self, position: int) -> dict[str, list[tuple[int, float]]]:
        """For one entry: term -> (position in its texts, the term's weight there); built on demand."""
        indexed = self.ensure(position)
        if indexed.occurrences is None:
            built: dict[str, list[tuple[int, float]]] = defaultdict(list)
            for number, text in enumerate(indexed.texts):
                for t, w in text.weights.items():
                    built[t].append((number, w))
            indexed.occurrences = dict(built)
        return indexed.occurrences

    def weight(self, t: str, weak: bool = False) -> float:
        base = self.idf.get(t, 0.0)
        return base * WEAK_FACTOR if weak else base

    def correct(self, word: str) -> str | None:
        """The known term a misspelt word most likely stands for, or None."""
        cached = self._corrections.get(word)
        if cached is not None:
            return cached or None
        result: str | None = None
        if word.isalpha() and len(word) >= MIN_CORRECTABLE:
            budget = 1 if len(word) < 8 else 2
            best: tuple[int, int, float, str] | None = None
            for length in range(len(word) - budget, len(word) + budget + 1):
                choices = self._by_length.get(length)
                if not choices:
                    continue
                for choice, distance, _ in process.extract(
                    word, choices, scorer=DamerauLevenshtein.distance, score_cutoff=budget, limit=5
                ):
                    if choice in self._synonym_forms and len(word) < SYNONYM_TYPO_LENGTH:
                        continue  # "stack" is a word, not a typo of "slack"
                    # Fewest edits; then same first letter; then the commoner term.
                    head = self._target_term[choice]
                    rank = (int(distance), 0 if choice[0] == word[0] else 1, self.idf.get(head, 99.0), choice)
                    if best is None or rank < best:
                        best = rank
            # Two edits are only trusted when the first letter agrees.
            if best is not None and not (best[0] == 2 and best[1] == 1):
                result = self._target_term[best[3]]
        self._corrections.put(word, result or "")
        return result

    def candidates(self, weights: dict[str, float], limit: int, shortlist: int = 300) -> list[int]:
        """Entries sharing informative terms with the question, best first (at most `limit`).

        Never scores every entry. Rare terms (in at most `rare` entries' questions, aliases or
        keywords) nominate candidates through their postings, weighted by their IDF. When a
        question has only common terms, the entries holding all of the rarest few (a set
        intersection) are nominated instead. The best `shortlist` nominees then get the weight of
        the other terms (common ones, and answer-only ones at ANSWER_FACTOR) by looking each term
        up in their term sets, so a term found in half the knowledge base costs nothing extra.
        """
        rare = max(2000, self.size // 50)
        empty: list[int] = []
        sized = sorted((len(self.postings.get(t, empty)), t, w) for t, w in weights.items())
        scores: dict[int, float] = {}
        nominated: set[str] = set()
        for size, t, w in sized:
            if 0 < size <= rare:
                nominated.add(t)
                for position in self.postings[t]:
                    scores[position] = scores.get(position, 0.0) + w
        if not scores:
            common = [t for size, t, _ in sized if size > rare]
            if not common:
                return []
            # Only common terms: nominate the entries holding the rarest of them together.
            nominees = self._holders(common[0])
            for t in common[1:]:
                narrower = nominees & self._holders(t)
                if len(narrower) < limit:
                    break
                nominees = narrower
            if len(nominees) > shortlist * 10:
                nominees = frozenset(heapq.nsmallest(shortlist * 10, nominees))
            scores = dict.fromkeys(nominees, 0.0)
        if len(scores) > shortlist:
            top = heapq.nlargest(shortlist, zip(scores.values(), scores.keys(), strict=True))
            scores = {position: value for value, position in top}
        rest = [(t, w, t in nominated) for t, w in weights.items()]
        for position in scores:
            indexed = self.entries[position]
            added = 0.0
            for t, w, counted in rest:
                if not counted and t in indexed.strong:
                    added += w
                elif t in indexed.answer:
                    added += w * ANSWER_FACTOR
            scores[position] += added
        best = heapq.nlargest(limit, zip(scores.values(), [-p for p in scores], strict=True))
        return [-negative for _, negative in best]

    def holding_all(self, terms: Iterable[str]) -> int:
        """How many entries hold every one of these terms in their question, aliases or keywords."""
        common: frozenset[int] | None = None
        for t in sorted(terms, key=lambda t: len(self.postings.get(t, ()))):
            common = self._holders(t) if common is None else common & self._holders(t)
            if not common:
                return 0
        return len(common or ())

    def _holders(self, t: str) -> frozenset[int]:
        """The entries whose question, aliases or keywords hold a term (cached: asked of common terms)."""
        holders = self._holder_sets.get(t)
        if holders is None:
            holders = frozenset(self.postings.get(t, ()))
            self._holder_sets.put(t, holders)
        return holders

    @property
    def titles(self) -> _Titles:
        """Autocomplete structures over titles and aliases (built on the first autocomplete)."""
        if self._titles is None:
            self._titles = _Titles(self.entries)
        return self._titles
