"""The process killed (SIGKILL) in the middle of moderator edits and vote bursts, then restarted: the
database opens intact, every acknowledged change is there, revision history contiguous, and the store
starts again (its migrations run once) and takes new changes."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from connectsbot.kbfiles import load_folder
from connectsbot.store import KnowledgeStore
from tests.helpers import REPO

RUN_SECONDS = 1.0


async def run_and_kill(path: Path) -> list[list[str]]:
    """Start the worker, let it write for RUN_SECONDS, SIGKILL it: every acknowledgement it printed."""
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.store_crash_worker", str(path), cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    assert worker.stdout is not None
    lines: list[bytes] = []

    async def read_acks(stdout: asyncio.StreamReader) -> None:
        # Read as it writes, so that it never waits for a full pipe; EOF comes with its death.
        while line := await stdout.readline():
            lines.append(line)

    try:
        assert await asyncio.wait_for(worker.stdout.readline(), 20) == b"ready\n"
        reader = asyncio.ensure_future(read_acks(worker.stdout))
        await asyncio.sleep(RUN_SECONDS)
    finally:
        worker.send_signal(signal.SIGKILL)
    await reader
    assert await worker.wait() == -signal.SIGKILL
    # A line cut short by the kill was never acknowledged.
    return [line.decode().removesuffix("\n").split(" ", 3) for line in lines if line.endswith(b"\n")]


async def test_acknowledged_changes_survive_a_sigkill(tmp_path: Path, kb_folder: Path) -> None:
    path = tmp_path / "crash.sqlite3"
    async with await KnowledgeStore.open(path) as store:
        await store.import_folder(load_folder(kb_folder))
    acks = await run_and_kill(path)
    kinds = {kind for kind, *_ in acks}
    assert kinds == {"edit", "alias", "vote", "question"} and len(acks) > 50

    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        version = db.execute("PRAGMA user_version").fetchone()[0]
        revisions = {
            (entry_id, revision): (action, answer, aliases)
            for entry_id, revision, action, answer, aliases in db.execute(
                "SELECT entry_id, revision, action, json_extract(data, '$.answer'), "
                "json_extract(data, '$.aliases') FROM revisions"
            )
        }
        for entry_id, head in db.execute("SELECT id, head_revision FROM entries"):
            assert sorted(r for e, r in revisions if e == entry_id) == list(range(1, head + 1)), entry_id
        votes = {(a, v): h for a, v, h in db.execute("SELECT answer_key, voter, helpful FROM feedback")}
        question_ids = {row[0] for row in db.execute("SELECT id FROM questions")}

    async with await KnowledgeStore.open(path) as restarted:  # recovery, migrations, salt: all again
        for kind, *fields in acks:
            if kind == "edit":
                entry_id, revision, answer = fields
                assert revisions[(entry_id, int(revision))][:2] == ("edit", answer)
            elif kind == "alias":
                entry_id, revision, action = fields
                assert revisions[(entry_id, int(revision))][0] == action
            elif kind == "vote":
                answer_key, member, helpful = fields
                assert votes[(answer_key, await restarted.asker_hash(member, "g"))] == int(helpful)
            else:
                assert int(fields[0]) in question_ids
        live = await restarted.get("beta-topic")
        saved = await restarted.edit(
            live.entry.model_copy(update={"answer": "after the crash"}), live.revision, "mod:1", "restart"
        )
        assert saved.revision.revision == live.revision + 1
    async with await KnowledgeStore.open(path):
        pass
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == version
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
