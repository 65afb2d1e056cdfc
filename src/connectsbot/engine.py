"""The answer engine: the live store, the matcher over it, and what gets recorded.

The terminal chat, the `ask` command and the Discord cogs all answer through this class,
so a member sees the same behaviour everywhere.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from connectsbot.diagnosis.timeline import looks_like_timeline_text
from connectsbot.kbfiles import Problem, load_folder
from connectsbot.matching import Matcher, MatcherConfig, MatchResult
from connectsbot.models import Entry
from connectsbot.store import (
    ImportFailed,
    ImportReport,
    KnowledgeStore,
    NotFound,
    QuestionRecord,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

INTERVIEW_MISSING_INTENT = "interview_connects_missing"
# How long an answer waits for its question to be recorded: a busy or full database must not hold up
# the member's reply (Discord wants one within 3 seconds). A record that is only late still lands.
RECORD_WAIT_SECONDS = 1.0


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
    def __init__(
        self,
        store: KnowledgeStore,
        config: MatcherConfig | None = None,
        record_wait: float = RECORD_WAIT_SECONDS,
    ) -> None:
        self.store = store
        self.config = config
        self.record_wait = record_wait
        self._matcher: Matcher | None = None
        self._entries: dict[str, Entry] = {}
        self._built_at_generation = -1
        self._rebuilding: asyncio.Task[None] | None = None

    @classmethod
    async def start(
        cls, store: KnowledgeStore, knowledge: Path, config: MatcherConfig | None = None
    ) -> tuple[AnswerEngine, ImportReport | ImportFailed]:
        """Bring the store up to date with the knowledge files, then build the matcher.

        A broken knowledge folder, or a database that cannot take the import (a full disk), does
        not stop the start: the store keeps serving what it had, and the failure is returned for
        the caller to show.
        """
        outcome: ImportReport | ImportFailed
        try:
            outcome = await sync_knowledge(store, knowledge)
        except ImportFailed as failure:
            log.warning("knowledge files not imported: %d problems", len(failure.problems))
            outcome = failure
        except StoreUnavailable as error:
            log.warning("knowledge files not imported: %s", error.problem)
            problem = f"the database could not save the import ({error.problem})"
            outcome = ImportFailed([Problem(str(knowledge), "", problem)])
        engine = cls(store, config)
        await engine.refresh()
        return engine, outcome

    async def refresh(self) -> None:
        """Bring the matcher up to date with the store, waiting for the rebuild if one is needed."""
        while self._matcher is None or self._built_at_generation != self.store.generation:
            await asyncio.shield(self._rebuild())

    async def ready(self) -> Matcher:
        """The matcher to answer with now. After a change it is the previous one until the new one
        is built (in a worker thread, about 0.6 s for the shipped entries): members are not kept
        waiting while a moderator's change is being indexed."""
        if self._matcher is None:
            await self.refresh()
        elif self._built_at_generation != self.store.generation:
            self._rebuild()
        return self.matcher

    def _rebuild(self) -> asyncio.Task[None]:
        """The running rebuild, or a new one."""
        if self._rebuilding is None:
            self._rebuilding = asyncio.create_task(self._build())
        return self._rebuilding

    async def _build(self) -> None:
        try:
            generation = self.store.generation
            entries = [live.entry for live in await self.store.live_entries()]
            # The build is pure Python: in a thread it yields the event loop every few milliseconds
            # instead of stopping the whole bot for its duration.
            matcher = await asyncio.to_thread(Matcher, entries, self.config)
            self._entries = {entry.id: entry for entry in entries}
            self._matcher = matcher
            self._built_at_generation = generation
        finally:
            self._rebuilding = None

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
        """Match many questions with one matcher and record them together.

        The answers never fail for want of a record: when the database cannot take the questions in
        time they come without question ids (so without a "did you mean" pick), and a warning is logged.
        """
        matcher = await self.ready()
        results = [matcher.match(question) for question in questions]
        question_ids: list[int | None] = [None] * len(results)
        # A member's timeline (dated events) is private: it never goes to the moderators' queue.
        private = [looks_like_timeline_text(question) for question in questions]
        shared = [result for result, hidden in zip(results, private, strict=True) if not hidden]
        if record and shared:
            recorded = iter(await self._record(shared, asker, guild_id, channel))
            question_ids = [None if hidden else next(recorded) for hidden in private]
        return [self._answer(result, qid) for result, qid in zip(results, question_ids, strict=True)]

    async def _record(
        self, results: Sequence[MatchResult], asker: str, guild_id: str | None, channel: str
    ) -> list[int | None]:
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
        try:
            return list(await asyncio.wait_for(self.store.record_questions(records), self.record_wait))
        except TimeoutError:
            # The store keeps the queued questions and commits them once it can.
            log.warning(
                "%d question(s) not recorded after %g s (database or event loop busy): answered without ids",
                len(records),
                self.record_wait,
            )
        except StoreUnavailable as error:
            log.warning("%d question(s) not recorded (%s): answered without ids", len(records), error.problem)
        return [None] * len(records)

    async def pick_suggestion(self, question_id: int, entry_id: str) -> Entry:
        """The member chose a suggestion: record it and return that entry."""
        await self.refresh()
        entry = self._entries.get(entry_id)
        if entry is None:
            raise NotFound(entry_id)
        try:
            await self.store.record_pick(question_id, entry_id)
        except StoreUnavailable as error:
            # The member still gets the entry they picked; only the statistic is lost.
            log.warning(
                "the pick of %s for question %d not recorded (%s)", entry_id, question_id, error.problem
            )
        return entry
