"""The questions members asked: recording them (a group commit), their picks and votes, and the
unanswered ones moderators follow up.

Questions are written by one writer task that commits every question queued meanwhile in one
transaction: a burst of questions costs a few commits, not one each.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from connectsbot.kbfiles import Problem
from connectsbot.knowledge import LabelledQuestion
from connectsbot.store.asker_salt import load_salt, member_hash
from connectsbot.store.connection import Connection, Database, Row
from connectsbot.store.errors import InvalidEntry, NotFound, StoreUnavailable

log = logging.getLogger(__name__)

Decision = Literal["answer", "suggest", "none"]
VoteOutcome = Literal["recorded", "changed", "unchanged"]


@dataclass(frozen=True)
class ServerScope:
    """Whose records a moderator reads: one server's, and the questions members asked the bot in direct
    messages when that server is a home server (its community curates the knowledge base)."""

    guild_id: str
    direct_messages: bool = False

    def condition(self) -> tuple[str, tuple[str, ...]]:
        """A WHERE condition on `guild_id` and its parameters (bound, never formatted)."""
        if self.direct_messages:
            return "(guild_id = ? OR guild_id IS NULL)", (self.guild_id,)
        return "guild_id = ?", (self.guild_id,)


def scope_condition(scope: ServerScope | None) -> tuple[str, tuple[str, ...]]:
    """`scope`'s condition; None reads every server's (the operator's view, from the command line)."""
    return scope.condition() if scope is not None else ("1 = 1", ())


@dataclass(frozen=True)
class QuestionRecord:
    """What to remember about one question: who asked (hashed), where, and the outcome."""

    asker: str
    guild_id: str | None
    channel: str
    question: str
    decision: Decision
    entry_id: str | None
    score: float
    suggestions: list[str]


class RecordedQuestion(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    asked_at: datetime
    guild_id: str | None
    channel: str
    decision: Decision
    question: str
    suggestions: list[str]
    picked_entry_id: str | None


_RECORDED_COLUMNS = "id, asked_at, guild_id, channel, decision, question, suggestions, picked_entry_id"


def _recorded(row: Row) -> RecordedQuestion:
    return RecordedQuestion(
        id=row["id"],
        asked_at=datetime.fromisoformat(row["asked_at"]),
        guild_id=row["guild_id"],
        channel=row["channel"],
        decision=row["decision"],
        question=row["question"] or "",
        suggestions=json.loads(row["suggestions"]),
        picked_entry_id=row["picked_entry_id"],
    )


async def mark_resolved(
    db: Connection, question_ids: Sequence[int], entry_id: str, resolved_at: datetime
) -> int:
    """Inside a transaction: mark unanswered questions as dealt with (now answered by `entry_id`);
    how many were still open (answered, resolved and unknown ids are left alone)."""
    if not question_ids:
        return 0
    marks = ", ".join("?" for _ in question_ids)  # placeholders only: the ids are bound, never formatted
    return await db.execute(
        f"UPDATE questions SET resolved_entry_id = ?, resolved_at = ? "
        f"WHERE decision != 'answer' AND resolved_at IS NULL AND id IN ({marks})",
        (entry_id, resolved_at.isoformat(), *question_ids),
    )


def _report_unawaited_questions(ids: asyncio.Future[list[int]]) -> None:
    """How the write of questions whose caller stopped waiting (the answer service's `record_wait`) ended."""
    error = None if ids.cancelled() else ids.exception()
    if isinstance(error, StoreUnavailable):
        log.warning("questions not recorded after all (%s): %s", error.problem, error.cause)
    elif error is not None:
        log.error("questions not recorded after all", exc_info=error)


@dataclass
class _QueuedQuestions:
    """One caller's questions waiting for the question writer, and where their ids go."""

    records: list[QuestionRecord]
    asked_at: datetime
    ids: asyncio.Future[list[int]]


class QuestionLog:
    """Questions asked, the suggestions members picked, their votes, and moderators' follow-up."""

    def __init__(self, database: Database, clock: Callable[[], datetime], salt_file: Path) -> None:
        self._database = database
        self._clock = clock
        self._salt_file = salt_file
        self._salt: bytes | None = None
        self._queued_questions: list[_QueuedQuestions] = []
        self._question_writer: asyncio.Task[None] | None = None

    async def written(self) -> None:
        """Wait until the questions queued so far are written (or have failed)."""
        if self._question_writer is not None and not self._question_writer.done():
            await asyncio.wait({self._question_writer})

    async def asker_hash(self, user_id: str, guild_id: str | None) -> str:
        """An anonymous, stable id for a member in one server (None: direct messages): a hash keyed by
        a salt kept outside the database, never the user id itself (see connectsbot.store.asker_salt)."""
        if self._salt is None:
            self._salt = await asyncio.to_thread(load_salt, self._salt_file)
        return member_hash(self._salt, guild_id, user_id)

    async def first_direct_message(self, member: str) -> bool:
        """Whether this is the first question `member` (an unhashed id) put to the bot in direct messages
        since they were told that moderators read unanswered questions: True once per member."""
        hashed = await self.asker_hash(member, None)
        async with self._database.transaction() as db:
            told = await db.execute(
                "INSERT INTO direct_message_notices (member, told_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (hashed, self._clock().isoformat()),
            )
            return told == 1

    async def record_questions(self, records: Sequence[QuestionRecord]) -> list[int]:
        """Store asked questions; their ids once committed. Text is kept only for unanswered ones.

        Calls made while a commit is under way are queued and all written by the next transaction
        (group commit).
        """
        if not records:
            return []
        queued = _QueuedQuestions(list(records), self._clock(), asyncio.get_running_loop().create_future())
        self._queued_questions.append(queued)
        if self._question_writer is None or self._question_writer.done():
            self._question_writer = asyncio.create_task(
                self._write_questions(), name="connectsbot: question writer"
            )
        # Shielded: a caller that stops waiting does not take the others' questions down with it.
        try:
            return await asyncio.shield(queued.ids)
        except asyncio.CancelledError:
            # Nobody reads the outcome now: report a failure here, or asyncio logs it as an unexplained
            # ERROR ("Future exception was never retrieved") whenever the future is collected.
            queued.ids.add_done_callback(_report_unawaited_questions)
            raise

    async def _write_questions(self) -> None:
        """The question writer: commit everything queued, in one transaction, until the queue is empty."""
        while self._queued_questions:
            async with self._database.write_lock:
                # Taken once the lock is ours: what arrived while another transaction ran joins this one.
                batch, self._queued_questions = self._queued_questions, []
                try:
                    async with self._database.locked_transaction() as db:
                        ids = await self._insert_questions(db, batch)
                except Exception as error:  # StoreUnavailable, or a bug: every caller of the batch gets it
                    for queued in batch:
                        queued.ids.set_exception(error)
                    continue
                except BaseException:  # cancelled: the loop is shutting down
                    for queued in batch:
                        queued.ids.cancel()
                    raise
            for queued, committed in zip(batch, ids, strict=True):
                queued.ids.set_result(committed)

    @staticmethod
    async def _insert_questions(db: Connection, batch: Sequence[_QueuedQuestions]) -> list[list[int]]:
        """Insert a batch with one statement (one await per row would queue each behind the event loop's
        backlog under load); the ids of each caller's records, in order."""
        rows = [
            (
                queued.asked_at.isoformat(),
                record.asker,
                record.guild_id,
                record.channel,
                record.decision,
                record.entry_id,
                record.score,
                None if record.decision == "answer" else record.question,
                json.dumps(record.suggestions),
            )
            for queued in batch
            for record in queued.records
        ]
        await db.executemany(
            "INSERT INTO questions (asked_at, asker, guild_id, channel, decision, entry_id, score, "
            "question, suggestions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        # `id` is an INTEGER PRIMARY KEY (SQLite) or an identity with no cache (PostgreSQL), and write
        # transactions run one at a time: the rows got consecutive ids ending at the largest.
        row = await db.fetchone("SELECT max(id) FROM questions")
        last_id = int(row[0]) if row is not None and row[0] is not None else 0
        next_id = last_id - len(rows) + 1
        ids = []
        for queued in batch:
            ids.append(list(range(next_id, next_id + len(queued.records))))
            next_id += len(queued.records)
        return ids

    async def record_pick(self, question_id: int, entry_id: str) -> None:
        """Remember which suggestion the member chose: a candidate alias for that entry."""
        async with self._database.transaction() as db:
            picked = await db.execute(
                "UPDATE questions SET picked_entry_id = ?, picked_at = ? "
                "WHERE id = ? AND decision != 'answer'",
                (entry_id, self._clock().isoformat(), question_id),
            )
            if picked != 1:
                raise NotFound(f"question {question_id}")

    async def record_vote(
        self, answer_key: str, member: str, entry_id: str, helpful: bool, guild_id: str | None
    ) -> VoteOutcome:
        """One member's Helpful / Not helpful on an entry: one vote per member per entry per UTC day,
        whichever answers show it, and one per answer; a second click changes the vote, never adds one.

        `answer_key` names the answer (e.g. the Discord message id); `member` is hashed like askers are.
        """
        voter = await self.asker_hash(member, guild_id)
        now = self._clock()
        day = now.date().isoformat()
        async with self._database.transaction() as db:
            # Today's vote on this entry (from any answer) first, else this answer's vote of another day.
            row = await db.fetchone(
                "SELECT answer_key, helpful, entry_id FROM feedback WHERE voter = ? "
                "AND ((entry_id = ? AND voted_on = ?) OR answer_key = ?) "
                "ORDER BY entry_id = ? AND voted_on = ? DESC LIMIT 1",
                (voter, entry_id, day, answer_key, entry_id, day),
            )
            if row is not None and str(row[2]) != entry_id:
                raise InvalidEntry(
                    [Problem("", "entry_id", f"answer {answer_key} is not an answer of {entry_id!r}")]
                )
            if row is not None and bool(row[1]) == helpful:
                return "unchanged"
            if row is None:
                await db.execute(
                    "INSERT INTO feedback "
                    "(answer_key, voter, entry_id, helpful, guild_id, voted_at, voted_on) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (answer_key, voter, entry_id, int(helpful), guild_id, now.isoformat(), day),
                )
                return "recorded"
            await db.execute(
                "UPDATE feedback SET helpful = ?, voted_at = ?, voted_on = ? "
                "WHERE answer_key = ? AND voter = ?",
                (int(helpful), now.isoformat(), day, str(row[0]), voter),
            )
        return "changed"

    async def unanswered(
        self, scope: ServerScope | None = None, limit: int = 500, *, open_only: bool = False
    ) -> list[RecordedQuestion]:
        """Questions the bot did not answer, newest first (in `scope`; None: every server);
        `open_only`: those no moderator has dealt with yet."""
        where, parameters = scope_condition(scope)
        rows = await self._database.reader.fetchall(
            f"SELECT {_RECORDED_COLUMNS} FROM questions WHERE decision != 'answer' AND {where} "
            + ("AND resolved_at IS NULL " if open_only else "")
            + "ORDER BY asked_at DESC, id DESC LIMIT ?",
            (*parameters, limit),
        )
        return [_recorded(row) for row in rows]

    async def question(self, question_id: int) -> RecordedQuestion:
        row = await self._database.reader.fetchone(
            f"SELECT {_RECORDED_COLUMNS} FROM questions WHERE id = ?", (question_id,)
        )
        if row is None:
            raise NotFound(f"question {question_id}")
        return _recorded(row)

    async def asked_by(self, question_id: int, member: str) -> bool:
        """Whether `member` (an unhashed id, as given to the answer service) asked this question."""
        row = await self._database.reader.fetchone(
            "SELECT asker, guild_id FROM questions WHERE id = ?", (question_id,)
        )
        if row is None:
            raise NotFound(f"question {question_id}")
        return str(row[0]) == await self.asker_hash(member, row[1])

    async def open_questions(
        self, scope: ServerScope | None = None, limit: int = 500
    ) -> list[RecordedQuestion]:
        """Unanswered questions no moderator has dealt with yet, newest first (in `scope`)."""
        return await self.unanswered(scope, limit, open_only=True)

    async def resolve_questions(self, question_ids: Sequence[int], entry_id: str) -> int:
        """Mark unanswered questions as dealt with (now answered by `entry_id`); returns how many."""
        if not question_ids:
            return 0
        async with self._database.transaction() as db:
            return await mark_resolved(db, question_ids, entry_id, self._clock())

    async def learned_questions(self, limit: int = 5000) -> list[LabelledQuestion]:
        """Questions members and moderators labelled through use, newest first: a "did you mean"
        pick (the member's own question and the entry they chose) and an unanswered question a
        moderator turned into an alias or an entry (the moderator's choice wins over a pick)."""
        rows = await self._database.reader.fetchall(
            "SELECT question, picked_entry_id, resolved_entry_id FROM questions "
            "WHERE question IS NOT NULL AND (picked_entry_id IS NOT NULL OR resolved_entry_id IS NOT NULL) "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            LabelledQuestion(q=row[0], expect=row[2], origin="moderator")
            if row[2] is not None
            else LabelledQuestion(q=row[0], expect=row[1], origin="member")
            for row in rows
            if str(row[0]).strip()
        ]
