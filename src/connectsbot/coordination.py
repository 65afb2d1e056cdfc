"""Processes sharing one store keep in step: each follows the knowledge changes the others make, and
the background jobs that must run once run in one process only.

- `ChangeFeed`: on PostgreSQL, a connection of its own LISTENs to the store's channel (every write
  transaction that changes the knowledge base NOTIFYs it on commit); the store's `knowledge_version` is
  also checked on every (re)connect and every `check_every` seconds, which catches what a lost connection
  missed, and is the only way on SQLite (several processes on one database file).
- `SingleRunJobs`: jobs run only in the process that holds the jobs lock: a PostgreSQL session advisory
  lock on a connection of its own, or an exclusive `flock` of a file beside a SQLite database. Both are
  released by the operating system or the server when the holder dies, and another process, trying
  every `retry_every` seconds, takes over.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from connectsbot.curation import RemoteChange
from connectsbot.semantic import Encoder
from connectsbot.store import KnowledgeStore, StoreUnavailable

log = logging.getLogger(__name__)

FIRST_RECONNECT_SECONDS = 0.5
LONGEST_RECONNECT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10.0
# A connection lost to the server raises these (asyncpg's own, or the socket's).
CONNECTION_LOST = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


OnChange = Callable[[RemoteChange], Awaitable[object]]


@dataclass(frozen=True)
class _Notice:
    """One notification: a committed change, by this process (`own`) or another."""

    version: int
    files: bool
    own: bool


class ChangeFeed:
    """Calls `on_change` for every change another process commits to the store (coalesced: several
    changes that arrive together are one call). `check_every`: seconds between version checks
    (CONNECTSBOT_CHANGE_CHECK_SECONDS), which also check the LISTEN connection."""

    def __init__(self, store: KnowledgeStore, on_change: OnChange, check_every: float) -> None:
        self._store = store
        self._on_change = on_change
        self._check_every = check_every
        self._seen = 0
        self._task: asyncio.Task[None] | None = None
        # Notifications from the current LISTEN connection's callback; None: it ended. A new queue for
        # each connection: an old one's end must not end the next.
        self._notices: asyncio.Queue[_Notice | None] = asyncio.Queue()
        self.listening = asyncio.Event()  # set while a LISTEN connection is up (PostgreSQL)
        self._was_listening = False  # the last connection got as far as listening

    async def start(self, seen: int) -> None:
        """Follow the changes after version `seen` (read before this process built its answers, so
        that a change committed while it built is followed too)."""
        self._seen = seen
        self._task = asyncio.create_task(self._run(), name="connectsbot: knowledge change feed")

    async def close(self) -> None:
        await _cancelled(self._task)
        self._task = None

    async def _run(self) -> None:
        if self._store.database_url is None:
            while True:
                await asyncio.sleep(self._check_every)
                await self._check_version()
        pause = FIRST_RECONNECT_SECONDS
        while True:
            try:
                await self._listen()
            except CONNECTION_LOST as error:
                if self._was_listening:  # it was up: start again from the shortest pause
                    pause = FIRST_RECONNECT_SECONDS
                log.warning(
                    "knowledge changes of other processes: the LISTEN connection failed (%s: %s); "
                    "checking the version instead, reconnecting in %g s",
                    type(error).__name__,
                    error,
                    pause,
                )
            await self._check_version()
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_RECONNECT_SECONDS)

    async def _listen(self) -> None:
        url, channel = self._store.database_url, self._store.notify_channel
        assert url is not None and channel is not None
        self._was_listening = False
        notices: asyncio.Queue[_Notice | None] = asyncio.Queue()
        self._notices = notices
        connection = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_SECONDS)
        try:
            connection.add_termination_listener(lambda _: notices.put_nowait(None))
            await asyncio.wait_for(connection.add_listener(channel, self._notified), CONNECT_TIMEOUT_SECONDS)
            self.listening.set()
            self._was_listening = True
            log.info("following knowledge changes of other processes (LISTEN %s)", channel)
            await self._check_version()  # what was committed while not listening
            while True:
                try:
                    notice = await asyncio.wait_for(notices.get(), self._check_every)
                except TimeoutError:
                    await connection.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT_SECONDS)
                    await self._check_version()
                    continue
                if notice is None:
                    raise ConnectionResetError("the server closed the connection")
                await self._follow_notices(self._coalesced(notice, notices))
        finally:
            self.listening.clear()
            connection.terminate()

    def _notified(self, connection: object, pid: int, channel: str, payload: object) -> None:
        try:
            data = json.loads(str(payload))
            version, origin, files = int(data["version"]), str(data["origin"]), bool(data["files"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed knowledge notification: %.200r", payload)
            return
        # This process's own changes are queued too: notices are handled in commit order, so a
        # version seen through its own change never hides another process's earlier one.
        self._notices.put_nowait(_Notice(version, files, own=origin == self._store.origin))

    @staticmethod
    def _coalesced(first: _Notice, notices: asyncio.Queue[_Notice | None]) -> list[_Notice]:
        """`first` and the notices queued behind it, in commit order (stopping at the end of the
        connection, which the loop then sees)."""
        batch = [first]
        while not notices.empty():
            notice = notices.get_nowait()
            if notice is None:
                notices.put_nowait(None)
                break
            batch.append(notice)
        return batch

    async def _follow_notices(self, notices: list[_Notice]) -> None:
        """Other processes' changes among `notices` as one change; this process's own ones only move
        the version seen (its followers have them already), after theirs are followed."""
        theirs = [notice for notice in notices if not notice.own]
        latest = max(notice.version for notice in notices)
        if theirs and latest > self._seen:
            await self._follow(RemoteChange(latest, any(notice.files for notice in theirs)))
        self._seen = max(self._seen, latest)

    async def _check_version(self) -> None:
        try:
            version = await self._store.knowledge_version()
        except StoreUnavailable as error:
            log.warning("the knowledge version could not be read: %s", error.problem)
            return
        if version != self._seen:
            # Unknown what changed: the folder may have been imported too.
            await self._follow(RemoteChange(version, files=True))

    async def _follow(self, change: RemoteChange) -> None:
        if change.version == self._seen:
            return  # followed already (the version check saw it before its notification came)
        # A lower version too: the database was restored from a backup.
        self._seen = change.version
        log.info("following the knowledge base changed by another process (version %d)", change.version)
        try:
            await self._on_change(change)
        except Exception:  # a follower's bug must not stop the feed: the next change tries again
            log.exception("following a change made by another process failed")


async def _cancelled(task: asyncio.Task[None] | None) -> None:
    """Cancel `task` and wait for it; a failure it had already ended with is logged, not raised (the
    caller is shutting down and has more to close)."""
    if task is not None:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("%s had failed", task.get_name())


@dataclass(frozen=True)
class Job:
    """A background job that must run in one process at a time: `run` every `every` seconds."""

    name: str
    every: float
    run: Callable[[], Awaitable[None]]


def jobs_lock_key(schema: str) -> int:
    """The advisory-lock key (signed 64-bit, PostgreSQL's bigint form) of the jobs of `schema`."""
    return int.from_bytes(
        hashlib.sha256(f"connectsbot.jobs.{schema}".encode()).digest()[:8], "big", signed=True
    )


class SingleRunJobs:
    """Runs its jobs in whichever process sharing the store holds the jobs lock; the others wait to
    take over. `holding` tells whether this process holds it (the answer service trains the shared
    answer model only then)."""

    def __init__(self, store: KnowledgeStore, retry_every: float = 5.0) -> None:
        self._store = store
        self._jobs: list[Job] = []
        self._retry_every = retry_every
        self._task: asyncio.Task[None] | None = None
        self._first_try = asyncio.Event()
        self.holding = asyncio.Event()

    def add(self, *jobs: Job) -> None:
        self._jobs.extend(jobs)

    async def start(self) -> None:
        """Start, and wait for the first try to take the lock: `holding` is then true or false."""
        self._task = asyncio.create_task(self._run(), name="connectsbot: single-run jobs")
        first_try = asyncio.create_task(self._first_try.wait())
        await asyncio.wait({self._task, first_try}, return_when=asyncio.FIRST_COMPLETED)
        first_try.cancel()
        if self._task.done():
            self._task.result()  # a bug: raise it here

    async def close(self) -> None:
        await _cancelled(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                if self._store.database_url is not None:
                    await self._hold_advisory_lock(self._store.database_url)
                elif self._store.jobs_lock_file is not None:
                    await self._hold_file_lock(self._store.jobs_lock_file)
            except CONNECTION_LOST as error:
                level = logging.WARNING if self.holding.is_set() else logging.INFO
                log.log(level, "the jobs lock is not held (%s: %s)", type(error).__name__, error)
            finally:
                self.holding.clear()
                self._first_try.set()
            await asyncio.sleep(self._retry_every)

    async def _hold_advisory_lock(self, url: str) -> None:
        connection = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_SECONDS)
        # The server frees the lock the moment the session ends: stop counting on it at once too.
        connection.add_termination_listener(lambda _: self.holding.clear())
        try:
            schema = await connection.fetchval("SELECT current_schema()", timeout=CONNECT_TIMEOUT_SECONDS)
            key = jobs_lock_key(schema)
            lock = "SELECT pg_try_advisory_lock($1)"
            while not await connection.fetchval(lock, key, timeout=CONNECT_TIMEOUT_SECONDS):
                self._first_try.set()
                await asyncio.sleep(self._retry_every)
            # The server holds the lock until this connection ends: checking it every round notices a
            # lost server, and then another process may take over.
            await self._run_jobs(lambda: connection.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT_SECONDS))
        finally:
            connection.terminate()

    async def _hold_file_lock(self, path: Path) -> None:
        try:
            descriptor = await asyncio.to_thread(os.open, path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            # A read-only folder, say: no other process can write this database either.
            log.warning("jobs lock file %s cannot be opened (%s): running the jobs without it", path, error)
            await self._run_jobs(_held)
            return
        try:
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    self._first_try.set()
                    await asyncio.sleep(self._retry_every)
            await self._run_jobs(_held)
        finally:
            os.close(descriptor)  # releases the lock

    async def _run_jobs(self, check_lock: Callable[[], Awaitable[object]]) -> None:
        log.info("this process holds the jobs lock: it trains the answer model and runs the clean-ups")
        self.holding.set()
        self._first_try.set()
        due: dict[str, float] = {}
        while True:
            await check_lock()
            for job in list(self._jobs):
                if not self.holding.is_set():
                    raise ConnectionResetError("the connection holding the jobs lock ended")
                if time.monotonic() >= due.get(job.name, 0.0):
                    try:
                        await job.run()
                    except Exception:  # logged; it runs again at its next turn
                        log.exception("the single-run job %r failed", job.name)
                    due[job.name] = time.monotonic() + job.every
            await asyncio.sleep(self._retry_every)


async def _held() -> None:
    """A file lock stays held while the descriptor is open: nothing to check."""


# The clean-ups, run by the process holding the jobs lock.
CLEAN_UP_EVERY_SECONDS = 6 * 3600.0
ANSWER_MODELS_KEPT = 20


def clean_up_jobs(store: KnowledgeStore, encoder: Encoder | None) -> list[Job]:
    """Forget answer models no process trains on any more (all but the newest few) and the cached
    vectors of encoders other than this process's `encoder`."""

    async def forget_old_models() -> None:
        forgotten = await store.prune_answer_models(keep=ANSWER_MODELS_KEPT)
        if forgotten:
            log.info("forgot %d old answer models", forgotten)

    async def forget_other_encoders_vectors() -> None:
        if encoder is None:  # lexical only here: another process's encoder may still use them
            return
        forgotten = await store.prune_text_vectors(keep_model_id=encoder.model_id)
        if forgotten:
            log.info("forgot %d cached vectors of other encoders", forgotten)

    return [
        Job("forget old answer models", CLEAN_UP_EVERY_SECONDS, forget_old_models),
        Job("forget other encoders' vectors", CLEAN_UP_EVERY_SECONDS, forget_other_encoders_vectors),
    ]
