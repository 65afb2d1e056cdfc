"""Trained answer models by fingerprint, shared by the processes of one database (migration V7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from connectsbot.store.connection import Database


class AnswerModels:
    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._database = database
        self._clock = clock

    async def answer_model(self, fingerprint: str) -> str | None:
        """The saved model (JSON) trained on what `fingerprint` names; None if none is saved."""
        row = await self._database.reader.fetchone(
            "SELECT model FROM answer_models WHERE fingerprint = ?", (fingerprint,)
        )
        return None if row is None else str(row[0])

    async def put_answer_model(self, fingerprint: str, model: str) -> None:
        """Save a trained model (the same fingerprint trains the same model: a second save is kept out)."""
        async with self._database.transaction() as db:
            await db.execute(
                "INSERT INTO answer_models (fingerprint, model, trained_at) VALUES (?, ?, ?) "
                "ON CONFLICT (fingerprint) DO NOTHING",
                (fingerprint, model, self._clock().isoformat()),
            )

    async def prune_answer_models(self, keep: int) -> int:
        """Forget all but the `keep` newest models; how many were forgotten."""
        async with self._database.transaction() as db:
            return await db.execute(
                "DELETE FROM answer_models WHERE fingerprint NOT IN "
                "(SELECT fingerprint FROM answer_models ORDER BY trained_at DESC, fingerprint LIMIT ?)",
                (keep,),
            )
