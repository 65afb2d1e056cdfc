"""Sentence vectors of texts, cached by encoder model and text digest (migration V4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connectsbot.store.connection import Database

# Digests per SELECT of stored vectors: well under SQLite's limit on bound parameters.
VECTOR_READ_CHUNK = 500


class TextVectors:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def text_vectors(self, model_id: str, digests: Sequence[str]) -> dict[str, bytes]:
        """The stored vectors of `model_id` among `digests` (sha256 hex of each text), by digest."""
        found: dict[str, bytes] = {}
        unique = list(dict.fromkeys(digests))
        for start in range(0, len(unique), VECTOR_READ_CHUNK):
            chunk = unique[start : start + VECTOR_READ_CHUNK]
            marks = ", ".join("?" for _ in chunk)  # placeholders only: the digests are bound, never formatted
            rows = await self._database.reader.fetchall(
                "SELECT text_sha256, vector FROM text_vectors "
                f"WHERE model_id = ? AND text_sha256 IN ({marks})",
                (model_id, *chunk),
            )
            found.update((row[0], bytes(row[1])) for row in rows)
        return found

    async def put_text_vectors(self, model_id: str, vectors: Mapping[str, bytes]) -> None:
        """Store vectors of `model_id` by text digest, all in one transaction (a digest already there is
        replaced: same model, same text, same vector)."""
        if not vectors:
            return
        async with self._database.transaction() as db:
            await db.executemany(
                "INSERT INTO text_vectors (model_id, text_sha256, vector) VALUES (?, ?, ?) "
                "ON CONFLICT (model_id, text_sha256) DO UPDATE SET vector = excluded.vector",
                [(model_id, digest, vector) for digest, vector in vectors.items()],
            )

    async def prune_text_vectors(self, keep_model_id: str) -> int:
        """Forget the vectors of every encoder but `keep_model_id`; how many were forgotten."""
        async with self._database.transaction() as db:
            return await db.execute("DELETE FROM text_vectors WHERE model_id <> ?", (keep_model_id,))
