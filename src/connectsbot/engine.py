"""The answer engine: the live store, the matcher over it, and what gets recorded.

The terminal chat, the `ask` command and the Discord cogs all answer through this class,
so a member sees the same behaviour everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from connectsbot.kbfiles import load_folder
from connectsbot.matching import Matcher, MatcherConfig, MatchResult
from connectsbot.models import Entry
from connectsbot.store import ImportFailed, ImportReport, KnowledgeStore, NotFound, QuestionRecord

log = logging.getLogger(__name__)

INTERVIEW_MISSING_INTENT = "interview_connects_missing"


@dataclass(frozen=True)
class Answer:
    """A member's question and what the bot makes of it."""

    result: MatchResult
    entry: Entry | None  # the answer's entry, when the decision is "answer"
    suggestions: list[Entry]  # the "did you mean" entries, when the decision is "suggest"
    question_id: int | None  # the recorded question, for a later "picked suggestion"

    @property
    def points_to_diagnosis(self) -> bool:
        return self.result.intent == INTERVIEW_MISSING_INTENT


async def sync_knowledge(store: KnowledgeStore, folder: Path, force: bool = False) -> ImportReport:
    """Import the knowledge files changed since the last import (all or nothing)."""
    return await store.import_folder(load_folder(folder), force=force)


class AnswerEngine:
    def __init__(self, store: KnowledgeStore, config: MatcherConfig | None = None) -> None:
        self.store = store
        self.config = config
        self._matcher: Matcher | None = None
        self._entries: dict[str, Entry] = {}
        self._built_at_generation = -1

    @classmethod
    async def start(
        cls, store: KnowledgeStore, knowledge: Path, config: MatcherConfig | None = None
    ) -> tuple[AnswerEngine, ImportReport | ImportFailed]:
        """Bring the store up to date with the knowledge files, then build the matcher.

        A broken knowledge folder does not stop the start: the store keeps serving what it
        had, and the failure is returned for the caller to show.
        """
        outcome: ImportReport | ImportFailed
        try:
            outcome = await sync_knowledge(store, knowledge)
        except ImportFailed as failure:
            log.warning("knowledge files not imported: %d problems", len(failure.problems))
            outcome = failure
        engine = cls(store, config)
        await engine.refresh()
        return engine, outcome

    async def refresh(self) -> None:
        """Rebuild the matcher if the store changed since it was built."""
        if self._matcher is not None and self._built_at_generation == self.store.generation:
            return
        generation = self.store.generation
        entries = [live.entry for live in await self.store.live_entries()]
        self._entries = {entry.id: entry for entry in entries}
        self._matcher = Matcher(entries, self.config)
        self._built_at_generation = generation

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            raise RuntimeError("AnswerEngine.refresh() has not run")
        return self._matcher

    @property
    def entries(self) -> dict[str, Entry]:
        return self._entries

    def _answer(self, result: MatchResult, question_id: int | None) -> Answer:
        entry = self._entries.get(result.entry_id) if result.entry_id else None
        suggestions = []
        if result.decision == "suggest":
            suggestions = [
                self._entries[c.entry_id] for c in result.suggestions if c.entry_id in self._entries
            ]
        return Answer(result=result, entry=entry, suggestions=suggestions, question_id=question_id)

    async def ask(self, question: str, asker: str, guild_id: str | None, channel: str) -> Answer:
        """Match one question and record its outcome."""
        (answer,) = await self.ask_many([question], asker, guild_id, channel)
        return answer

    async def ask_many(
        self, questions: Sequence[str], asker: str, guild_id: str | None, channel: str, record: bool = True
    ) -> list[Answer]:
        """Match many questions with one matcher and record them in one transaction."""
        await self.refresh()
        results = [self.matcher.match(question) for question in questions]
        question_ids: list[int | None] = [None] * len(results)
        if record:
            asker_hash = await self.store.asker_hash(asker)
            records = [
                QuestionRecord(
                    asker=asker_hash,
                    guild_id=guild_id,
                    channel=channel,
                    question=result.question,
                    decision=result.decision,
                    entry_id=result.entry_id,
                    score=result.score,
                    suggestions=[c.entry_id for c in result.suggestions],
                )
                for result in results
            ]
            question_ids = list(await self.store.record_questions(records))
        return [self._answer(result, qid) for result, qid in zip(results, question_ids, strict=True)]

    async def pick_suggestion(self, question_id: int, entry_id: str) -> Entry:
        """The member chose a suggestion: record it and return that entry."""
        await self.refresh()
        entry = self._entries.get(entry_id)
        if entry is None:
            raise NotFound(entry_id)
        await self.store.record_pick(question_id, entry_id)
        return entry
