"""What the question log adds up to: how often each entry is used, its votes, questions per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from connectsbot.store.connection import Database
from connectsbot.store.question_log import ServerScope, scope_condition


@dataclass(frozen=True)
class FeedbackCount:
    entry_id: str
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class DayCount:
    """One UTC day's questions: how many were asked and what the bot made of them."""

    day: date
    asked: int
    answered: int
    suggested: int
    picked: int  # of the suggested or unanswered ones, how many members then picked a suggestion


class Stats:
    """Counts over committed data, read on the reader."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def usage(self, since: date | None = None, scope: ServerScope | None = None) -> dict[str, int]:
        """How often each entry was given as an answer or picked from suggestions (in `scope`)."""
        where, parameters = scope_condition(scope)
        rows = await self._database.reader.fetchall(
            "SELECT COALESCE(entry_id, picked_entry_id) AS used, COUNT(*) FROM questions "
            f"WHERE COALESCE(entry_id, picked_entry_id) IS NOT NULL AND asked_at >= ? AND {where} "
            "GROUP BY used",
            ((since or date.min).isoformat(), *parameters),
        )
        return {row[0]: int(row[1]) for row in rows}

    async def feedback(
        self, since: date | None = None, scope: ServerScope | None = None
    ) -> dict[str, FeedbackCount]:
        """Helpful / not helpful votes per entry (votes cast on or after `since`, in `scope`)."""
        where, parameters = scope_condition(scope)
        rows = await self._database.reader.fetchall(
            "SELECT entry_id, SUM(helpful), SUM(1 - helpful) FROM feedback "
            f"WHERE voted_at >= ? AND {where} GROUP BY entry_id",
            ((since or date.min).isoformat(), *parameters),
        )
        return {
            row[0]: FeedbackCount(entry_id=row[0], helpful=int(row[1]), not_helpful=int(row[2]))
            for row in rows
        }

    async def daily_questions(
        self, since: date | None = None, scope: ServerScope | None = None
    ) -> list[DayCount]:
        """Questions asked per UTC day in `scope`: how many, answered, suggested, picked (days without
        any omitted)."""
        where, parameters = scope_condition(scope)
        rows = await self._database.reader.fetchall(
            "SELECT substr(asked_at, 1, 10) AS day, COUNT(*), "
            "SUM(CASE WHEN decision = 'answer' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN decision = 'suggest' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN picked_entry_id IS NOT NULL THEN 1 ELSE 0 END) "
            f"FROM questions WHERE asked_at >= ? AND {where} GROUP BY day ORDER BY day",
            ((since or date.min).isoformat(), *parameters),
        )
        return [
            DayCount(
                day=date.fromisoformat(row[0]),
                asked=int(row[1]),
                answered=int(row[2]),
                suggested=int(row[3]),
                picked=int(row[4]),
            )
            for row in rows
        ]
