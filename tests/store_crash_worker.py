"""Run by tests/test_store_crash.py as `python -m tests.store_crash_worker DB`: moderator edits, alias
changes, votes and question records on an imported store, concurrently and as fast as it takes them,
printing one line per acknowledged (committed) write until the process is killed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from connectsbot.store import KnowledgeStore, QuestionRecord

AUTHOR = "crash-test"


def ack(*fields: object) -> None:
    # Flushed at once: a line the test reads is a write the store has confirmed.
    print(*fields, flush=True)


async def edit(store: KnowledgeStore) -> None:
    for n in range(1_000_000):
        live = await store.get("beta-topic")
        answer = f"crash edit {n}"
        saved = await store.edit(
            live.entry.model_copy(update={"answer": answer}), live.revision, AUTHOR, "edit"
        )
        ack("edit", "beta-topic", saved.revision.revision, answer)


async def change_aliases(store: KnowledgeStore) -> None:
    for n in range(1_000_000):
        if n % 2 == 0:
            saved = await store.add_alias("gamma-topic", "gamma crash", AUTHOR, "add")
        else:
            saved = await store.remove_alias("gamma-topic", "gamma crash", AUTHOR, "remove")
        ack("alias", "gamma-topic", saved.revision.revision, saved.revision.action)


async def vote(store: KnowledgeStore) -> None:
    for n in range(1_000_000):
        # A burst: several members vote on one answer at once (members new to the entry: a member's
        # second vote on it the same day would change the first, see record_vote).
        members = [f"member-{n}-{m}" for m in range(n % 4 + 1)]
        helpful = n % 3 != 0
        await asyncio.gather(
            *(store.record_vote(f"answer-{n}", m, "alpha-topic", helpful, "g") for m in members)
        )
        for member in members:
            ack("vote", f"answer-{n}", member, int(helpful))


async def ask(store: KnowledgeStore) -> None:
    record = QuestionRecord("asker", "g", "c", "what about crashes", "none", None, 10.0, [])
    while True:
        batches = await asyncio.gather(*(store.record_questions([record]) for _ in range(4)))
        for (question_id,) in batches:
            ack("question", question_id)


async def main(path: Path) -> None:
    store = await KnowledgeStore.open(path)
    ack("ready")
    await asyncio.gather(edit(store), change_aliases(store), vote(store), ask(store))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
