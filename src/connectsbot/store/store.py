"""The live knowledge base in SQLite: entries with full, append-only revision history.

Every change writes a new revision (who, when, why, which fields) and moves the entry's
head pointer with a compare-and-set, so a stale edit is refused instead of lost.

Two connections to one WAL database: the writer, where transactions run one at a time, and the
reader, which sees only committed data and never queues behind a commit, a busy wait or another
coroutine's half-done transaction. Questions members ask are written by one writer task that
commits every question queued meanwhile in one transaction (group commit).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Literal

import aiosqlite
from pydantic import BaseModel, ConfigDict, ValidationError

from connectsbot.kbcheck import check_citations, check_entries
from connectsbot.kbfiles import ENTRIES_DIR, LoadedFolder, Problem, entry_path, render_entry
from connectsbot.knowledge import Entry, LabelledQuestion, normalise_alias
from connectsbot.store.errors import (
    AlreadyExists,
    ImportFailed,
    InvalidEntry,
    NotFound,
    StaleRevision,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

Action = Literal["import", "add", "edit", "retire", "revert", "alias_add", "alias_remove"]
Decision = Literal["answer", "suggest", "none"]
IMPORT_AUTHOR = "knowledge-files"

# While another connection (the CLI, a second bot) holds the write lock, the writer retries here with
# backoff instead of waiting in SQLite's busy handler, which would block its thread the whole time:
# each attempt waits at most LOCK_ATTEMPT_MS inside SQLite, then the coroutine sleeps. After
# WRITE_PATIENCE_SECONDS the change is refused with StoreUnavailable, early enough for the bot to
# still tell the member within Discord's 3-second reply deadline.
LOCK_ATTEMPT_MS = 50
WRITE_PATIENCE_SECONDS = 2.0
FIRST_RETRY_SECONDS = 0.01
LONGEST_RETRY_SECONDS = 0.25
# Readers never wait for writers under WAL; this covers rare moments such as another process's recovery.
READ_BUSY_TIMEOUT_MS = 2_000
# Digests per SELECT of stored vectors: well under SQLite's limit on bound parameters.
VECTOR_READ_CHUNK = 500

# SQLite's primary result codes that mean "the database cannot be used just now", in plain words.
_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY: "the database is busy: another program has been writing to it for too long",
    sqlite3.SQLITE_LOCKED: "the database is busy: another program has been writing to it for too long",
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the database is read-only",
    sqlite3.SQLITE_PERM: "the database may not be written to",
    sqlite3.SQLITE_IOERR: "the disk could not be read or written",
    sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened",
    sqlite3.SQLITE_CORRUPT: "the database file is damaged",
    sqlite3.SQLITE_NOTADB: "the file is not a database, or it is damaged",
}
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _result_code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF  # extended codes carry the primary one in the low byte


def _unavailable(error: sqlite3.Error) -> StoreUnavailable | None:
    """The typed error for an environmental SQLite failure; None for anything else (a bug)."""
    problem = _UNAVAILABLE.get(_result_code(error) or 0)
    return StoreUnavailable(problem, f"{type(error).__name__}: {error}") if problem else None


def _cannot_open(path: Path, error: StoreUnavailable) -> StoreUnavailable:
    """The failure worded for the operator starting the bot: which file, what is wrong, SQLite's words
    (the launcher and the CLI put it after "cannot open the database: " and "connectsbot: ")."""
    return StoreUnavailable(error.problem, error.cause, f"{path}: {error.problem} ({error.cause})")


async def _patiently(db: aiosqlite.Connection, statement: str, patience: float) -> None:
    """Run BEGIN IMMEDIATE or COMMIT, retrying with backoff while another connection holds the write lock
    (a COMMIT refused as busy leaves the transaction open, so it may be retried too)."""
    deadline = time.monotonic() + patience
    pause = FIRST_RETRY_SECONDS
    while True:
        try:
            await db.execute(statement)
            return
        except sqlite3.Error as error:
            if _result_code(error) not in _BUSY or time.monotonic() + pause > deadline:
                unavailable = _unavailable(error)
                if unavailable is None:
                    raise
                raise unavailable from error
        # Jittered, so that two processes waiting for each other do not retry in step.
        await asyncio.sleep(random.uniform(pause / 2, pause))
        pause = min(pause * 2, LONGEST_RETRY_SECONDS)


def _log_refused(error: StoreUnavailable) -> None:
    # A warning, not an error: the environment is at fault and the caller tells the member.
    log.warning("the database refused a write: %s (%s)", error.problem, error.cause)


async def _roll_back(db: aiosqlite.Connection) -> None:
    """Undo the open transaction, unless SQLite already has (it does after a full disk, for one)."""
    if not db.in_transaction:
        return
    try:
        await db.execute("ROLLBACK")
    except sqlite3.Error as error:
        log.warning("the database could not roll back a failed transaction: %s", error)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Revision(BaseModel):
    """One saved state of an entry and the change that produced it."""

    model_config = ConfigDict(frozen=True)

    entry_id: str
    revision: int
    action: Action
    author: str
    reason: str
    created_at: datetime
    retired: bool
    changed_fields: list[str]
    entry: Entry


class LiveEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    entry: Entry
    revision: int
    retired: bool


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


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0
    # Entries a moderator changed in the store since their file was last imported: kept as they are.
    conflicts: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired)

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.retired)} retired",
            f"{self.unchanged} unchanged",
        ]
        text = "import: " + ", ".join(parts)
        if self.conflicts:
            text += (
                f"\nkept moderator edits (file changed too; use --force to overwrite): "
                f"{', '.join(self.conflicts)}"
            )
        return text


def changed_fields(before: Entry | None, after: Entry) -> list[str]:
    if before is None:
        return sorted(Entry.model_fields)
    return [name for name in Entry.model_fields if getattr(before, name) != getattr(after, name)]


def _migrations() -> list[tuple[int, str, str]]:
    """Numbered SQL migrations shipped in the package: (version, name, sql)."""
    found = []
    for item in resources.files("connectsbot.store").joinpath("migrations").iterdir():
        name = item.name
        if name.startswith("V") and name.endswith(".sql") and "__" in name:
            version = int(name[1:].split("__", 1)[0])
            found.append((version, name, item.read_text(encoding="utf-8")))
    return sorted(found)


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit mid-transaction)."""
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [statement for statement in code.split(";") if statement.strip()]


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


class KnowledgeStore:
    """Async access to the live knowledge base. Open with `await KnowledgeStore.open(path)`."""

    def __init__(
        self,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        salt: str,
        clock: Callable[[], datetime],
        write_patience: float,
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._salt = salt
        self._clock = clock
        # Seconds a write may wait for another connection's transaction before StoreUnavailable.
        self.write_patience = write_patience
        # One writer connection is shared by every coroutine: transactions must not interleave.
        self._write_lock = asyncio.Lock()
        self._queued_questions: list[_QueuedQuestions] = []
        self._question_writer: asyncio.Task[None] | None = None
        # Set when the open transaction wrote a revision: `generation` moves once that is committed.
        self._entries_written = False
        # Bumped on every committed change to the entries, so callers know when to rebuild a matcher.
        self.generation = 0

    @classmethod
    async def open(
        cls,
        path: Path,
        clock: Callable[[], datetime] = utc_now,
        *,
        write_patience: float = WRITE_PATIENCE_SECONDS,
    ) -> KnowledgeStore:
        """Open (creating and migrating if needed) the database at `path`. Raises StoreUnavailable, worded for
        the operator, when it cannot be opened or written (read-only, a full disk, not a database)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            problem = f"its folder cannot be created ({error.strerror or error})"
            raise _cannot_open(path, StoreUnavailable(problem, repr(error))) from error
        opened: list[aiosqlite.Connection] = []
        try:
            writer = await aiosqlite.connect(path, isolation_level=None)
            opened.append(writer)
            writer.row_factory = sqlite3.Row
            for pragma in (
                f"busy_timeout = {LOCK_ATTEMPT_MS}",
                "journal_mode = WAL",
                "synchronous = FULL",
                "foreign_keys = ON",
            ):
                await writer.execute(f"PRAGMA {pragma}")
            salt = await cls._migrate(writer, write_patience)
            reader = await aiosqlite.connect(path, isolation_level=None)
            opened.append(reader)
            reader.row_factory = sqlite3.Row
            await reader.execute(f"PRAGMA busy_timeout = {READ_BUSY_TIMEOUT_MS}")
            await reader.execute("PRAGMA query_only = ON")
        except BaseException as error:
            for connection in reversed(opened):
                await connection.close()
            if isinstance(error, StoreUnavailable):
                raise _cannot_open(path, error) from error
            if isinstance(error, sqlite3.Error) and (unavailable := _unavailable(error)) is not None:
                raise _cannot_open(path, unavailable) from error
            raise
        return cls(writer, reader, salt, clock, write_patience)

    async def close(self) -> None:
        """Write the questions still queued, then close (the last connection checkpoints the WAL)."""
        if self._question_writer is not None and not self._question_writer.done():
            await asyncio.wait({self._question_writer})
        await self._reader.close()
        await self._writer.close()

    async def __aenter__(self) -> KnowledgeStore:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @staticmethod
    async def _migrate(writer: aiosqlite.Connection, write_patience: float) -> str:
        """Apply the migrations not applied yet and make sure the asker salt exists; returns the salt."""
        await _patiently(writer, "BEGIN IMMEDIATE", write_patience)
        try:
            cursor = await writer.execute("PRAGMA user_version")
            row = await cursor.fetchone()
            current = int(row[0]) if row else 0
            for version, _name, sql in _migrations():
                if version <= current:
                    continue
                for statement in _statements(sql):
                    await writer.execute(statement)
                await writer.execute(f"PRAGMA user_version = {version}")
            await writer.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('asker_salt', ?)", (secrets.token_hex(16),)
            )
            cursor = await writer.execute("SELECT value FROM meta WHERE key = 'asker_salt'")
            salt = await cursor.fetchone()
            await _patiently(writer, "COMMIT", write_patience)
        except BaseException:
            await _roll_back(writer)
            raise
        assert salt is not None
        return str(salt[0])

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction on the writer connection, taken up front (BEGIN IMMEDIATE) and committed
        or rolled back whole. SQLite failures of the environment (busy, full, read-only, I/O) come out
        as StoreUnavailable; other errors (bugs, refusals) as they are."""
        async with self._write_lock, self._locked_transaction() as db:
            yield db

    @asynccontextmanager
    async def _locked_transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """`_transaction` for a caller that already holds the write lock."""
        self._entries_written = False
        await self._patiently("BEGIN IMMEDIATE")
        try:
            yield self._writer
            await self._patiently("COMMIT")
        except sqlite3.Error as error:
            await _roll_back(self._writer)
            unavailable = _unavailable(error)
            if unavailable is None:
                raise
            _log_refused(unavailable)
            raise unavailable from error
        except BaseException:
            await _roll_back(self._writer)
            raise
        if self._entries_written:
            self.generation += 1

    async def _patiently(self, statement: str) -> None:
        try:
            await _patiently(self._writer, statement, self.write_patience)
        except StoreUnavailable as error:
            _log_refused(error)
            raise

    # Reads: public ones on the reader (committed data only), the ones inside a transaction on its `db`.

    @staticmethod
    async def _head(
        db: aiosqlite.Connection, entry_id: str
    ) -> tuple[int, bool, str | None, int | None] | None:
        cursor = await db.execute(
            "SELECT head_revision, retired, file_digest, imported_revision FROM entries WHERE id = ?",
            (entry_id,),
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        return int(row[0]), bool(row[1]), row[2], row[3]

    async def get(self, entry_id: str, include_retired: bool = False) -> LiveEntry:
        return await self._get(self._reader, entry_id, include_retired)

    @staticmethod
    async def _get(db: aiosqlite.Connection, entry_id: str, include_retired: bool) -> LiveEntry:
        cursor = await db.execute(
            "SELECT r.data, r.revision, e.retired FROM entries e "
            "JOIN revisions r ON r.entry_id = e.id AND r.revision = e.head_revision WHERE e.id = ?",
            (entry_id,),
        )
        row = await cursor.fetchone()
        if row is None or (row[2] and not include_retired):
            raise NotFound(entry_id, " (it was retired)" if row is not None else "")
        return LiveEntry(entry=Entry.model_validate_json(row[0]), revision=row[1], retired=bool(row[2]))

    async def live_entries(self) -> list[LiveEntry]:
        return await self._live_entries(self._reader)

    @staticmethod
    async def _live_entries(db: aiosqlite.Connection) -> list[LiveEntry]:
        cursor = await db.execute(
            "SELECT r.data, r.revision FROM entries e "
            "JOIN revisions r ON r.entry_id = e.id AND r.revision = e.head_revision "
            "WHERE e.retired = 0 ORDER BY e.id"
        )
        return [
            LiveEntry(entry=Entry.model_validate_json(row[0]), revision=row[1], retired=False)
            for row in await cursor.fetchall()
        ]

    async def history(self, entry_id: str) -> list[Revision]:
        cursor = await self._reader.execute(
            "SELECT * FROM revisions WHERE entry_id = ? ORDER BY revision", (entry_id,)
        )
        rows = await cursor.fetchall()
        if not rows:
            raise NotFound(entry_id)
        return [self._revision(row) for row in rows]

    async def revision(self, entry_id: str, revision: int) -> Revision:
        return await self._revision_at(self._reader, entry_id, revision)

    @classmethod
    async def _revision_at(cls, db: aiosqlite.Connection, entry_id: str, revision: int) -> Revision:
        cursor = await db.execute(
            "SELECT * FROM revisions WHERE entry_id = ? AND revision = ?", (entry_id, revision)
        )
        row = await cursor.fetchone()
        if row is None:
            raise NotFound(entry_id, f" at revision {revision}")
        return cls._revision(row)

    @staticmethod
    def _revision(row: sqlite3.Row) -> Revision:
        return Revision(
            entry_id=row["entry_id"],
            revision=row["revision"],
            action=row["action"],
            author=row["author"],
            reason=row["reason"],
            created_at=datetime.fromisoformat(row["created_at"]),
            retired=bool(row["retired"]),
            changed_fields=json.loads(row["changed_fields"]),
            entry=Entry.model_validate_json(row["data"]),
        )

    # Changes

    async def _write_revision(
        self,
        db: aiosqlite.Connection,
        entry: Entry,
        *,
        action: Action,
        author: str,
        reason: str,
        retired: bool,
        expected: int | None,
        before: Entry | None,
    ) -> Revision:
        """Append a revision and move the head from `expected` to it (None: a new entry)."""
        revision = 1 if expected is None else expected + 1
        created_at = self._clock()
        fields = changed_fields(before, entry)
        if expected is None:
            await db.execute(
                "INSERT INTO entries (id, head_revision, retired) VALUES (?, ?, ?)",
                (entry.id, revision, int(retired)),
            )
        else:
            cursor = await db.execute(
                "UPDATE entries SET head_revision = ?, retired = ? WHERE id = ? AND head_revision = ?",
                (revision, int(retired), entry.id, expected),
            )
            if cursor.rowcount != 1:
                head = await self._head(db, entry.id)
                current = head[0] if head else 0
                raise StaleRevision(entry.id, expected, current, await self._author_of(db, entry.id, current))
        await db.execute(
            "INSERT INTO revisions (entry_id, revision, action, author, reason, created_at, retired, "
            "changed_fields, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.id,
                revision,
                action,
                author,
                reason,
                created_at.isoformat(),
                int(retired),
                json.dumps(fields),
                entry.model_dump_json(),
            ),
        )
        self._entries_written = True
        return Revision(
            entry_id=entry.id,
            revision=revision,
            action=action,
            author=author,
            reason=reason,
            created_at=created_at,
            retired=retired,
            changed_fields=fields,
            entry=entry,
        )

    @staticmethod
    async def _author_of(db: aiosqlite.Connection, entry_id: str, revision: int) -> str:
        cursor = await db.execute(
            "SELECT author FROM revisions WHERE entry_id = ? AND revision = ?", (entry_id, revision)
        )
        row = await cursor.fetchone()
        return str(row[0]) if row else "someone"

    async def _check_against_live(self, db: aiosqlite.Connection, entry: Entry) -> None:
        """Refuse an entry whose aliases or related ids clash with the rest of the live KB."""
        others = {
            live.entry.id: live.entry for live in await self._live_entries(db) if live.entry.id != entry.id
        }
        problems = [
            p
            for p in check_entries({**others, entry.id: entry}, {}, self._clock().date())
            if p.file == entry.id
        ]
        if problems:
            raise InvalidEntry(problems)

    @staticmethod
    def _need_reason(author: str, reason: str) -> None:
        if not author.strip() or not reason.strip():
            raise InvalidEntry([Problem("", "reason", "every change needs an author and a reason")])

    async def add(self, entry: Entry, author: str, reason: str) -> Revision:
        self._need_reason(author, reason)
        async with self._transaction() as db:
            if await self._head(db, entry.id) is not None:
                raise AlreadyExists(f"an entry {entry.id!r} already exists (retired entries keep their id)")
            await self._check_against_live(db, entry)
            return await self._write_revision(
                db,
                entry,
                action="add",
                author=author,
                reason=reason,
                retired=False,
                expected=None,
                before=None,
            )

    async def edit(self, entry: Entry, expected_revision: int, author: str, reason: str) -> Revision:
        """Save a new version of an entry; refused if it changed since `expected_revision`."""
        self._need_reason(author, reason)
        async with self._transaction() as db:
            current = await self._require(db, entry.id, expected_revision)
            await self._check_against_live(db, entry)
            return await self._change(db, current, entry, "edit", author, reason)

    async def _change(
        self,
        db: aiosqlite.Connection,
        current: LiveEntry,
        entry: Entry,
        action: Action,
        author: str,
        reason: str,
        retired: bool | None = None,
    ) -> Revision:
        """The next revision of an existing entry (retired state kept unless given)."""
        return await self._write_revision(
            db,
            entry,
            action=action,
            author=author,
            reason=reason,
            retired=current.retired if retired is None else retired,
            expected=current.revision,
            before=current.entry,
        )

    async def _require(
        self, db: aiosqlite.Connection, entry_id: str, expected_revision: int | None
    ) -> LiveEntry:
        """The entry's head, checked against the revision the caller started from."""
        live = await self._get(db, entry_id, include_retired=True)
        if expected_revision is not None and live.revision != expected_revision:
            raise StaleRevision(
                entry_id, expected_revision, live.revision, await self._author_of(db, entry_id, live.revision)
            )
        return live

    async def retire(
        self, entry_id: str, author: str, reason: str, expected_revision: int | None = None
    ) -> Revision:
        self._need_reason(author, reason)
        async with self._transaction() as db:
            current = await self._require(db, entry_id, expected_revision)
            if current.retired:
                raise NotFound(entry_id, " (it is already retired)")
            return await self._change(db, current, current.entry, "retire", author, reason, retired=True)

    async def revert(
        self, entry_id: str, to_revision: int, author: str, reason: str, expected_revision: int | None = None
    ) -> Revision:
        """Make an old revision live again, as a new revision (history is never rewritten)."""
        self._need_reason(author, reason)
        async with self._transaction() as db:
            current = await self._require(db, entry_id, expected_revision)
            target = await self._revision_at(db, entry_id, to_revision)
            if not target.retired:
                await self._check_against_live(db, target.entry)
            reason = f"{reason} (back to revision {to_revision})"
            return await self._change(db, current, target.entry, "revert", author, reason, target.retired)

    async def add_alias(self, entry_id: str, alias: str, author: str, reason: str) -> Revision:
        self._need_reason(author, reason)
        async with self._transaction() as db:
            current = await self._require(db, entry_id, None)
            if any(normalise_alias(a) == normalise_alias(alias) for a in current.entry.aliases):
                raise AlreadyExists(f"{alias!r} is already an alias of {entry_id!r}")
            updated = self._replace(current.entry, aliases=[*current.entry.aliases, alias])
            await self._check_against_live(db, updated)
            return await self._change(db, current, updated, "alias_add", author, reason)

    async def remove_alias(self, entry_id: str, alias: str, author: str, reason: str) -> Revision:
        self._need_reason(author, reason)
        async with self._transaction() as db:
            current = await self._require(db, entry_id, None)
            key = normalise_alias(alias)
            kept = [a for a in current.entry.aliases if normalise_alias(a) != key]
            if len(kept) == len(current.entry.aliases):
                raise NotFound(entry_id, f" has no alias {alias!r}")
            updated = self._replace(current.entry, aliases=kept)
            return await self._change(db, current, updated, "alias_remove", author, reason)

    @staticmethod
    def _replace(entry: Entry, **changes: object) -> Entry:
        try:
            return Entry.model_validate({**entry.model_dump(), **changes})
        except ValidationError as exc:
            raise InvalidEntry(
                [Problem(entry.id, ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
            ) from None

    # Files

    async def import_folder(
        self, loaded: LoadedFolder, force: bool = False, author: str = IMPORT_AUTHOR
    ) -> ImportReport:
        """Load a knowledge folder in one transaction: all of it, or (on any problem) nothing.

        Files unchanged since the last import are skipped. An entry a moderator changed in the
        store since its last import is kept and reported as a conflict, unless `force`.
        """
        problems = [p for p in loaded.problems if p.severity == "error"]
        files = {entry_id: str(path) for entry_id, path in loaded.files.items()}
        problems += check_entries(loaded.entries, files, self._clock().date())
        if loaded.sources:
            problems += check_citations(loaded.entries, files, loaded.policy, loaded.sources)
        if problems:
            raise ImportFailed(problems)
        report = ImportReport()
        async with self._transaction() as db:
            for entry_id, entry in sorted(loaded.entries.items()):
                await self._import_one(
                    db, entry, loaded.digests[entry_id], files[entry_id], force, author, report
                )
            await self._retire_removed(db, set(loaded.entries), author, report)
        return report

    async def _import_one(
        self,
        db: aiosqlite.Connection,
        entry: Entry,
        file_digest: str,
        file: str,
        force: bool,
        author: str,
        report: ImportReport,
    ) -> None:
        head = await self._head(db, entry.id)
        reason = f"imported from {Path(file).name}"
        if head is None:
            revision = await self._write_revision(
                db,
                entry,
                action="import",
                author=author,
                reason=reason,
                retired=False,
                expected=None,
                before=None,
            )
            await self._mark_imported(db, entry.id, file_digest, revision.revision)
            report.added.append(entry.id)
            return
        head_revision, retired, last_digest, imported_revision = head
        if last_digest == file_digest and not force:
            report.unchanged += 1
            return
        current = await self._get(db, entry.id, include_retired=True)
        if current.entry == entry and not retired:
            # Already in sync (e.g. the files were exported from this store): just remember the file.
            await self._mark_imported(db, entry.id, file_digest, head_revision)
            report.unchanged += 1
            return
        if head_revision != imported_revision and not force:
            report.conflicts.append(entry.id)
            return
        revision = await self._write_revision(
            db,
            entry,
            action="import",
            author=author,
            reason=reason,
            retired=False,
            expected=head_revision,
            before=current.entry,
        )
        await self._mark_imported(db, entry.id, file_digest, revision.revision)
        report.updated.append(entry.id)

    @staticmethod
    async def _mark_imported(
        db: aiosqlite.Connection, entry_id: str, file_digest: str, revision: int
    ) -> None:
        await db.execute(
            "UPDATE entries SET file_digest = ?, imported_revision = ? WHERE id = ?",
            (file_digest, revision, entry_id),
        )

    async def _retire_removed(
        self, db: aiosqlite.Connection, present: set[str], author: str, report: ImportReport
    ) -> None:
        """Retire entries whose file was deleted, unless a moderator has changed them since."""
        cursor = await db.execute(
            "SELECT id, head_revision, imported_revision FROM entries "
            "WHERE retired = 0 AND file_digest IS NOT NULL"
        )
        for entry_id, head_revision, imported_revision in await cursor.fetchall():
            if entry_id in present or head_revision != imported_revision:
                continue
            current = await self._get(db, entry_id, include_retired=False)
            revision = await self._write_revision(
                db,
                current.entry,
                action="retire",
                author=author,
                reason="its knowledge file was removed",
                retired=True,
                expected=head_revision,
                before=current.entry,
            )
            await db.execute(
                "UPDATE entries SET file_digest = NULL, imported_revision = ? WHERE id = ?",
                (revision.revision, entry_id),
            )
            report.retired.append(entry_id)

    async def export_folder(self, folder: Path) -> list[Path]:
        """Write every live entry as its canonical file; remove files of retired entries."""
        (folder / ENTRIES_DIR).mkdir(parents=True, exist_ok=True)
        written = []
        for live in await self.live_entries():
            path = entry_path(folder, live.entry.id)
            text = render_entry(live.entry)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                temporary = path.with_suffix(".md.tmp")
                temporary.write_text(text, encoding="utf-8")
                temporary.replace(path)
                written.append(path)
        cursor = await self._reader.execute("SELECT id FROM entries WHERE retired = 1")
        for (entry_id,) in await cursor.fetchall():
            path = entry_path(folder, entry_id)
            if path.exists():
                path.unlink()
                written.append(path)
        return written

    # Questions members asked

    async def asker_hash(self, user_id: str) -> str:
        """An anonymous, stable id for a member: a salted hash, never the user id itself."""
        return hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()[:16]

    async def record_questions(self, records: Sequence[QuestionRecord]) -> list[int]:
        """Store asked questions; their ids once committed. Text is kept only for unanswered ones.

        Calls made while a commit is under way are queued and all written by the next transaction
        (group commit): a burst of questions costs a few commits, not one each.
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
            async with self._write_lock:
                # Taken once the lock is ours: what arrived while another transaction ran joins this one.
                batch, self._queued_questions = self._queued_questions, []
                try:
                    async with self._locked_transaction() as db:
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
    async def _insert_questions(
        db: aiosqlite.Connection, batch: Sequence[_QueuedQuestions]
    ) -> list[list[int]]:
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
        # `id` is an INTEGER PRIMARY KEY and this connection is the only writer, inside one
        # transaction: SQLite gave the rows consecutive ids ending at the largest.
        cursor = await db.execute("SELECT max(id) FROM questions")
        row = await cursor.fetchone()
        last_id = int(row[0]) if row is not None and row[0] is not None else 0
        next_id = last_id - len(rows) + 1
        ids = []
        for queued in batch:
            ids.append(list(range(next_id, next_id + len(queued.records))))
            next_id += len(queued.records)
        return ids

    async def record_pick(self, question_id: int, entry_id: str) -> None:
        """Remember which suggestion the member chose: a candidate alias for that entry."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE questions SET picked_entry_id = ?, picked_at = ? "
                "WHERE id = ? AND decision != 'answer'",
                (entry_id, self._clock().isoformat(), question_id),
            )
            if cursor.rowcount != 1:
                raise NotFound(f"question {question_id}")

    async def unanswered(self, limit: int = 500) -> list[RecordedQuestion]:
        cursor = await self._reader.execute(
            "SELECT id, asked_at, guild_id, channel, decision, question, suggestions, picked_entry_id "
            "FROM questions WHERE decision != 'answer' ORDER BY asked_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [self._recorded(row) for row in await cursor.fetchall()]

    async def usage(self, since: date | None = None) -> dict[str, int]:
        """How often each entry was given as an answer or picked from suggestions."""
        cursor = await self._reader.execute(
            "SELECT COALESCE(entry_id, picked_entry_id) AS used, COUNT(*) FROM questions "
            "WHERE used IS NOT NULL AND asked_at >= ? GROUP BY used",
            ((since or date.min).isoformat(),),
        )
        return {row[0]: int(row[1]) for row in await cursor.fetchall()}

    # Feedback, statistics and moderator follow-up (migration V2)

    async def record_vote(
        self, answer_key: str, member: str, entry_id: str, helpful: bool, guild_id: str | None
    ) -> VoteOutcome:
        """One member's Helpful / Not helpful on one answer: a second click changes the vote, never adds one.

        `answer_key` names the answer (e.g. the Discord message id); `member` is hashed like askers are.
        """
        voter = await self.asker_hash(member)
        async with self._transaction() as db:
            cursor = await db.execute(
                "SELECT helpful, entry_id FROM feedback WHERE answer_key = ? AND voter = ?",
                (answer_key, voter),
            )
            row = await cursor.fetchone()
            if row is not None and str(row[1]) != entry_id:
                raise InvalidEntry(
                    [Problem("", "entry_id", f"answer {answer_key} is not an answer of {entry_id!r}")]
                )
            if row is not None and bool(row[0]) == helpful:
                return "unchanged"
            await db.execute(
                "INSERT INTO feedback (answer_key, voter, entry_id, helpful, guild_id, voted_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (answer_key, voter) DO UPDATE SET "
                "helpful = excluded.helpful, voted_at = excluded.voted_at",
                (answer_key, voter, entry_id, int(helpful), guild_id, self._clock().isoformat()),
            )
        return "recorded" if row is None else "changed"

    async def feedback(self, since: date | None = None) -> dict[str, FeedbackCount]:
        """Helpful / not helpful votes per entry (votes cast on or after `since`)."""
        cursor = await self._reader.execute(
            "SELECT entry_id, SUM(helpful), SUM(1 - helpful) FROM feedback "
            "WHERE voted_at >= ? GROUP BY entry_id",
            ((since or date.min).isoformat(),),
        )
        return {
            row[0]: FeedbackCount(entry_id=row[0], helpful=int(row[1]), not_helpful=int(row[2]))
            for row in await cursor.fetchall()
        }

    async def daily_questions(self, since: date | None = None) -> list[DayCount]:
        """Questions asked per UTC day: how many, answered, suggested, picked (days without any omitted)."""
        cursor = await self._reader.execute(
            "SELECT substr(asked_at, 1, 10) AS day, COUNT(*), "
            "SUM(decision = 'answer'), SUM(decision = 'suggest'), SUM(picked_entry_id IS NOT NULL) "
            "FROM questions WHERE asked_at >= ? GROUP BY day ORDER BY day",
            ((since or date.min).isoformat(),),
        )
        return [
            DayCount(
                day=date.fromisoformat(row[0]),
                asked=int(row[1]),
                answered=int(row[2]),
                suggested=int(row[3]),
                picked=int(row[4]),
            )
            for row in await cursor.fetchall()
        ]

    async def question(self, question_id: int) -> RecordedQuestion:
        cursor = await self._reader.execute(
            "SELECT id, asked_at, guild_id, channel, decision, question, suggestions, picked_entry_id "
            "FROM questions WHERE id = ?",
            (question_id,),
        )
        row = await cursor.fetchone()
        if row is None:
            raise NotFound(f"question {question_id}")
        return self._recorded(row)

    async def asked_by(self, question_id: int, member: str) -> bool:
        """Whether `member` (an unhashed id, as given to the answer service) asked this question."""
        cursor = await self._reader.execute("SELECT asker FROM questions WHERE id = ?", (question_id,))
        row = await cursor.fetchone()
        if row is None:
            raise NotFound(f"question {question_id}")
        return str(row[0]) == await self.asker_hash(member)

    async def open_questions(self, limit: int = 500) -> list[RecordedQuestion]:
        """Unanswered questions no moderator has dealt with yet, newest first."""
        cursor = await self._reader.execute(
            "SELECT id, asked_at, guild_id, channel, decision, question, suggestions, picked_entry_id "
            "FROM questions WHERE decision != 'answer' AND resolved_at IS NULL "
            "ORDER BY asked_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [self._recorded(row) for row in await cursor.fetchall()]

    async def resolve_questions(self, question_ids: Sequence[int], entry_id: str) -> int:
        """Mark unanswered questions as dealt with (now answered by `entry_id`); returns how many."""
        if not question_ids:
            return 0
        marks = ", ".join("?" for _ in question_ids)  # placeholders only: the ids are bound, never formatted
        async with self._transaction() as db:
            cursor = await db.execute(
                f"UPDATE questions SET resolved_entry_id = ?, resolved_at = ? "
                f"WHERE decision != 'answer' AND resolved_at IS NULL AND id IN ({marks})",
                (entry_id, self._clock().isoformat(), *question_ids),
            )
            return int(cursor.rowcount)

    async def learned_questions(self, limit: int = 5000) -> list[LabelledQuestion]:
        """Questions members and moderators labelled through use, newest first: a "did you mean"
        pick (the member's own question and the entry they chose) and an unanswered question a
        moderator turned into an alias or an entry (the moderator's choice wins over a pick)."""
        cursor = await self._reader.execute(
            "SELECT question, picked_entry_id, resolved_entry_id FROM questions "
            "WHERE question IS NOT NULL AND (picked_entry_id IS NOT NULL OR resolved_entry_id IS NOT NULL) "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            LabelledQuestion(q=row[0], expect=row[2], origin="moderator")
            if row[2] is not None
            else LabelledQuestion(q=row[0], expect=row[1], origin="member")
            for row in await cursor.fetchall()
            if str(row[0]).strip()
        ]

    async def all_entries(self) -> list[LiveEntry]:
        """Every entry's head revision, retired ones included (for history and revert pickers)."""
        cursor = await self._reader.execute(
            "SELECT r.data, r.revision, e.retired FROM entries e "
            "JOIN revisions r ON r.entry_id = e.id AND r.revision = e.head_revision ORDER BY e.id"
        )
        return [
            LiveEntry(entry=Entry.model_validate_json(row[0]), revision=row[1], retired=bool(row[2]))
            for row in await cursor.fetchall()
        ]

    # Sentence vectors of entry texts (migration V4)

    async def text_vectors(self, model_id: str, digests: Sequence[str]) -> dict[str, bytes]:
        """The stored vectors of `model_id` among `digests` (sha256 hex of each text), by digest."""
        found: dict[str, bytes] = {}
        unique = list(dict.fromkeys(digests))
        for start in range(0, len(unique), VECTOR_READ_CHUNK):
            chunk = unique[start : start + VECTOR_READ_CHUNK]
            marks = ", ".join("?" for _ in chunk)  # placeholders only: the digests are bound, never formatted
            cursor = await self._reader.execute(
                "SELECT text_sha256, vector FROM text_vectors "
                f"WHERE model_id = ? AND text_sha256 IN ({marks})",
                (model_id, *chunk),
            )
            found.update((row[0], bytes(row[1])) for row in await cursor.fetchall())
        return found

    async def put_text_vectors(self, model_id: str, vectors: Mapping[str, bytes]) -> None:
        """Store vectors of `model_id` by text digest, all in one transaction (a digest already there is
        replaced: same model, same text, same vector)."""
        if not vectors:
            return
        async with self._transaction() as db:
            await db.executemany(
                "INSERT OR REPLACE INTO text_vectors (model_id, text_sha256, vector) VALUES (?, ?, ?)",
                [(model_id, digest, vector) for digest, vector in vectors.items()],
            )

    @staticmethod
    def _recorded(row: sqlite3.Row) -> RecordedQuestion:
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


VoteOutcome = Literal["recorded", "changed", "unchanged"]


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
