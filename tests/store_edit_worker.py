"""Run by tests/test_store_postgresql.py as `python -m tests.store_edit_worker URL SALT ENTRY REVISION
ANSWER`: one moderator edit of ENTRY from REVISION, in a process of its own; prints `saved`, or `stale`
when another writer saved first."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from connectsbot.store import KnowledgeStore, StaleRevision


async def edit(url: str, salt: Path, entry_id: str, revision: int, answer: str) -> str:
    async with await KnowledgeStore.open(url, salt=salt) as store:
        live = await store.get(entry_id)
        try:
            await store.edit(live.entry.model_copy(update={"answer": answer}), revision, "mod:worker", "race")
        except StaleRevision:
            return "stale"
    return "saved"


if __name__ == "__main__":
    url, salt, entry_id, revision, answer = sys.argv[1:]
    print(asyncio.run(edit(url, Path(salt), entry_id, int(revision), answer)))
