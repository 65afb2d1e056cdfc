"""Spelling correction before the sentence encoder reads a question.

The encoder splits an unknown word into word pieces that carry little meaning ("conects",
"rolover", "intervew"), so a typo costs the semantic signal far more than the lexical one, which
corrects against its own terms. A word is corrected only when the encoder does not know it as a
whole word and the knowledge base has a word within one edit (words of up to 5 letters) or two
edits (longer words); the most frequent such word wins. Real words the knowledge base does not
use ("zoom", "fiverr") are left alone.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from connectsbot.recent import Recent

MIN_LENGTH = 4  # shorter words are too easily "corrected" into another word
_WORD = re.compile(r"[A-Za-z]+")
REMEMBERED_CORRECTIONS = 20_000


class Speller:
    def __init__(self, texts: Iterable[str], dictionary: frozenset[str]) -> None:
        counts = Counter(w for text in texts for w in _WORD.findall(text.casefold()) if len(w) >= MIN_LENGTH)
        self._frequency = dict(counts)
        self._words = sorted(counts)
        self._dictionary = dictionary
        self._fixed: Recent[str, str] = Recent(REMEMBERED_CORRECTIONS)

    def correct(self, text: str) -> str:
        """The text with each misspelled word replaced by the knowledge base's word for it."""
        return _WORD.sub(lambda match: self._word(match.group(0)), text)

    def _word(self, word: str) -> str:
        folded = word.casefold()
        if len(folded) < MIN_LENGTH or folded in self._dictionary or folded in self._frequency:
            return word
        fixed = self._fixed.get(folded)
        if fixed is None:
            limit = 1 if len(folded) <= 5 else 2
            close = process.extract(
                folded, self._words, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=5
            )
            fixed = min(close, key=lambda c: (c[1], -self._frequency[c[0]], c[0]))[0] if close else word
            self._fixed.put(folded, fixed)
        return fixed
