"""Every live entry ranked by how well it fits a text: the list a member or moderator picks from
("Pick another" on the "Answer with FAQ" preview), where the answer service would only say yes or no."""

from __future__ import annotations

import copy

from connectsbot.answers import AnswerService
from connectsbot.knowledge import Entry
from connectsbot.matching import Matcher, MatcherConfig

# Never decide, always list: every scored candidate, best first (the scoring knobs stay the answer service's).
RANKING_DECISIONS: dict[str, object] = {
    "answer_threshold": 100.0,
    "min_margin": 100.0,
    "suggest_threshold": 0.0,
    "suggest_window": 100.0,
    "max_suggestions": 25,
    "candidate_limit": 25,
    "route_intents": False,
}


def ranking_config(base: MatcherConfig) -> MatcherConfig:
    """`base` with decision thresholds that always list (fields this matcher version lacks are skipped)."""
    changes = {name: value for name, value in RANKING_DECISIONS.items() if name in MatcherConfig.model_fields}
    if "candidate_limit" in changes:
        changes["candidate_limit"] = max(int(getattr(base, "candidate_limit", 25)), 25)
    return MatcherConfig.model_validate({**base.model_dump(), **changes})


class EntryRanker:
    """Ranks with the answer service's own index (a shallow copy of its lexical matcher with the
    ranking thresholds), so it costs no second index build."""

    def __init__(self, answers: AnswerService) -> None:
        self.answers = answers
        self._base: Matcher | None = None
        self._matcher: Matcher | None = None

    def _ranking_matcher(self, base: Matcher) -> Matcher:
        if self._matcher is None or self._base is not base:
            ranking = copy.copy(base)
            ranking.config = ranking_config(base.config)
            self._base, self._matcher = base, ranking
        return self._matcher

    async def rank(self, text: str, limit: int = 25) -> list[Entry]:
        """Up to `limit` live entries: those that match the text best first, then the rest by title."""
        snapshot = await self.answers.snapshot()
        entries = snapshot.entries
        result = self._ranking_matcher(snapshot.lexical).match(text)
        ranked: dict[str, Entry] = {}
        candidates = ([result.best] if result.best else []) + list(result.suggestions)
        for candidate in candidates:
            if candidate.entry_id in entries:
                ranked.setdefault(candidate.entry_id, entries[candidate.entry_id])
        for entry in sorted(entries.values(), key=lambda e: e.question.casefold()):
            if len(ranked) >= limit:
                break
            ranked.setdefault(entry.id, entry)
        return list(ranked.values())[:limit]
