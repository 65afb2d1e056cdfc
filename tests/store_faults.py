"""Faults for the store's tests: another connection holding the write lock, a full disk, a read-only
database. The last two act on the store's own writer connection (SQLite's limits are per connection),
so they reach into it here and nowhere else."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path

from connectsbot.store import KnowledgeStore

# Long enough to need an overflow page in the revisions table: a new page on a "full disk".
BIG_ANSWER = "**Longer answer.** " + "Connects are credits for proposals. " * 100


@asynccontextmanager
async def write_lock_held(path: Path, seconds: float) -> AsyncIterator[None]:
    """Another connection (for SQLite, as good as another process) takes the write lock and holds it for
    `seconds`, then commits; the body runs while it is held, and the exit waits for that commit."""
    held = threading.Event()

    def hold() -> None:
        with closing(sqlite3.connect(path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            held.set()
            time.sleep(seconds)
            other.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"held-{time.monotonic_ns()}", "x"))
            other.execute("COMMIT")

    holder = asyncio.ensure_future(asyncio.to_thread(hold))
    assert await asyncio.to_thread(held.wait, 5), "the other connection could not take the write lock"
    try:
        yield
    finally:
        await holder


async def _pragma(store: KnowledgeStore, pragma: str) -> int:
    row = await store._database.writer.fetchone(f"PRAGMA {pragma}")
    return int(row[0]) if row else 0


async def fill_disk(store: KnowledgeStore) -> None:
    """From now on the database cannot grow by one page (SQLite's max_page_count): a full disk."""
    assert await _pragma(store, "freelist_count") == 0, "a free page would let the next write through"
    await _pragma(store, f"max_page_count = {await _pragma(store, 'page_count')}")


async def free_disk(store: KnowledgeStore) -> None:
    await _pragma(store, "max_page_count = 1073741823")


async def make_read_only(store: KnowledgeStore) -> None:
    """From now on every write is refused as on a read-only file (SQLITE_READONLY)."""
    await _pragma(store, "query_only = ON")
