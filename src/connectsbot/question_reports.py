"""What the recorded questions tell moderators: unanswered questions grouped by similarity, alias
candidates from picked suggestions, and the usage statistics behind `/faq stats`.

Pure functions over what the store returns; the Discord layer only renders their results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from rapidfuzz import fuzz

from connectsbot.matching.normalize import STOPWORDS, normalize
from connectsbot.store import DayCount, FeedbackCount, RecordedQuestion

# Two questions belong together when their content words agree this much (rapidfuzz, 0..100).
GROUP_SIMILARITY = 78.0


def question_key(text: str) -> str:
    """The content words of a question, for comparing phrasings ("How do I buy connects?": "buy connects")."""
    kept = [word for word in normalize(text).split() if word not in STOPWORDS]
    return " ".join(kept) or normalize(text)


@dataclass
class QuestionGroup:
    """Similar unanswered questions: the phrasing to show, every question, and what members picked."""

    text: str
    key: str
    questions: list[RecordedQuestion] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def ids(self) -> list[int]:
        return [question.id for question in self.questions]

    @property
    def in_direct_messages(self) -> int:
        """How many of these were asked in direct messages (shown to a home server's moderators as such)."""
        return sum(1 for question in self.questions if question.guild_id is None)

    @property
    def latest(self) -> datetime:
        return max(question.asked_at for question in self.questions)

    @property
    def picked(self) -> list[tuple[str, int]]:
        """Entries members chose from the suggestions, most often first: candidate aliases."""
        counts = Counter(q.picked_entry_id for q in self.questions if q.picked_entry_id)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    @property
    def suggested(self) -> list[tuple[str, int]]:
        """Entries the matcher offered for these questions, most often first."""
        counts = Counter(entry_id for q in self.questions for entry_id in q.suggestions)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    @property
    def best_entry(self) -> str | None:
        """The entry these questions most likely belong to: the most picked, else the most suggested."""
        ranked = self.picked or self.suggested
        return ranked[0][0] if ranked else None


def group_questions(
    questions: Iterable[RecordedQuestion], similarity: float = GROUP_SIMILARITY
) -> list[QuestionGroup]:
    """Group questions whose content words are alike; most frequent group first, then most recent.

    Greedy and order-independent enough for moderators: each question joins the first group whose
    first phrasing it resembles. Empty questions are skipped.
    """
    ordered = sorted(questions, key=lambda q: (q.asked_at, q.id), reverse=True)
    groups: list[QuestionGroup] = []
    exact: dict[str, QuestionGroup] = {}
    for question in ordered:
        if not question.question.strip():
            continue
        key = question_key(question.question)
        group = exact.get(key)
        if group is None:
            group = next(
                (g for g in groups if key and g.key and fuzz.token_set_ratio(key, g.key) >= similarity),
                None,
            )
        if group is None:
            group = QuestionGroup(text=question.question.strip(), key=key)
            groups.append(group)
        exact.setdefault(key, group)
        group.questions.append(question)
    return sorted(groups, key=lambda g: (-g.count, -g.latest.timestamp(), g.text))


@dataclass(frozen=True)
class AliasCandidate:
    """A phrasing members used before picking `entry_id` from the suggestions."""

    entry_id: str
    text: str
    count: int
    question_ids: list[int]


def alias_candidates(groups: Sequence[QuestionGroup]) -> list[AliasCandidate]:
    """For each group where members picked a suggestion: that phrasing as an alias of the picked entry."""
    out = []
    for group in groups:
        for entry_id, count in group.picked:
            ids = [q.id for q in group.questions if q.picked_entry_id == entry_id]
            out.append(AliasCandidate(entry_id=entry_id, text=group.text, count=count, question_ids=ids))
    return sorted(out, key=lambda c: (-c.count, c.entry_id, c.text))


@dataclass(frozen=True)
class EntryStats:
    entry_id: str
    used: int
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class StatsReport:
    """Usage over a period: questions per day (every day, zeros included), answer rate, votes, top entries."""

    since: date
    until: date
    days: list[DayCount]
    asked: int
    answered: int
    suggested: int
    picked: int
    entries: list[EntryStats]  # most used first

    @property
    def answer_rate(self) -> float:
        """Share of questions answered outright, 0..1 (0 when nothing was asked)."""
        return self.answered / self.asked if self.asked else 0.0

    @property
    def helped_rate(self) -> float:
        """Share of questions that ended with an entry: answered, or a suggestion picked."""
        return (self.answered + self.picked) / self.asked if self.asked else 0.0

    def top(self, limit: int = 5) -> list[EntryStats]:
        return [entry for entry in self.entries if entry.used][:limit]


def build_stats(
    days: Sequence[DayCount],
    usage: Mapping[str, int],
    feedback: Mapping[str, FeedbackCount],
    since: date,
    until: date,
) -> StatsReport:
    """Put the store's counts together; days without questions appear with zeros."""
    by_day = {day.day: day for day in days}
    filled = []
    current = since
    while current <= until:
        filled.append(by_day.get(current, DayCount(day=current, asked=0, answered=0, suggested=0, picked=0)))
        current += timedelta(days=1)
    in_range = filled
    entry_ids = set(usage) | set(feedback)
    entries = [
        EntryStats(
            entry_id=entry_id,
            used=usage.get(entry_id, 0),
            helpful=feedback[entry_id].helpful if entry_id in feedback else 0,
            not_helpful=feedback[entry_id].not_helpful if entry_id in feedback else 0,
        )
        for entry_id in entry_ids
    ]
    entries.sort(key=lambda e: (-e.used, -(e.helpful + e.not_helpful), e.entry_id))
    return StatsReport(
        since=since,
        until=until,
        days=in_range,
        asked=sum(day.asked for day in in_range),
        answered=sum(day.answered for day in in_range),
        suggested=sum(day.suggested for day in in_range),
        picked=sum(day.picked for day in in_range),
        entries=entries,
    )
