"""Entries and their append-only revision history: reads, and the changes moderators make.

Every change writes a new revision (who, when, why, which fields) and moves the entry's head pointer
with a compare-and-set, so a stale edit is refused instead of lost. Each change returns what it
replaced, read in the same transaction as the write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from connectsbot.kbcheck import check_entries
from connectsbot.kbfiles import Problem, validation_problems
from connectsbot.knowledge import Entry, normalise_alias
from connectsbot.store.connection import Connection, Database, DuplicateKey, Reader, Row
from connectsbot.store.errors import AlreadyExists, InvalidEntry, NotFound, StaleRevision
from connectsbot.store.question_log import mark_resolved

Action = Literal["import", "add", "edit", "retire", "revert", "alias_add", "alias_remove"]


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


@dataclass(frozen=True)
class StoredChange:
    """One committed change of one entry."""

    before: LiveEntry | None  # the entry's head as read INSIDE the write transaction (None: new entry)
    revision: Revision  # the revision written
    resolved_questions: int = 0  # open questions marked as dealt with in the same transaction


@dataclass(frozen=True)
class Head:
    """An entry's row: where its head is, and what the last import of its file left."""

    revision: int
    retired: bool
    file_digest: str | None
    imported_revision: int | None


def changed_fields(before: Entry | None, after: Entry) -> list[str]:
    if before is None:
        return sorted(Entry.model_fields)
    return [name for name in Entry.model_fields if getattr(before, name) != getattr(after, name)]


# Reads, given the connection: the reader for committed data, or a transaction's own `db`.


async def head_of(db: Reader, entry_id: str) -> Head | None:
    row = await db.fetchone(
        "SELECT head_revision, retired, file_digest, imported_revision FROM entries WHERE id = ?",
        (entry_id,),
    )
    if row is None:
        return None
    return Head(int(row[0]), bool(row[1]), row[2], row[3])


async def entry_at_head(db: Reader, entry_id: str, include_retired: bool) -> LiveEntry:
    row = await db.fetchone(
        "SELECT r.data, r.revision, e.retired FROM entries e "
        "JOIN revisions r ON r.entry_id = e.id AND r.revision = e.head_revision WHERE e.id = ?",
        (entry_id,),
    )
    if row is None or (row[2] and not include_retired):
        raise NotFound(entry_id, " (it was retired)" if row is not None else "")
    return LiveEntry(entry=Entry.model_validate_json(row[0]), revision=row[1], retired=bool(row[2]))


async def heads_in(db: Reader, include_retired: bool = False) -> list[LiveEntry]:
    """Every entry's head revision by id, the retired ones only if asked for."""
    rows = await db.fetchall(
        "SELECT r.data, r.revision, e.retired FROM entries e "
        "JOIN revisions r ON r.entry_id = e.id AND r.revision = e.head_revision "
        + ("" if include_retired else "WHERE e.retired = 0 ")
        + "ORDER BY e.id"
    )
    return [
        LiveEntry(entry=Entry.model_validate_json(row[0]), revision=row[1], retired=bool(row[2]))
        for row in rows
    ]


def _revision(row: Row) -> Revision:
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


async def _revision_at(db: Reader, entry_id: str, revision: int) -> Revision:
    row = await db.fetchone(
        "SELECT * FROM revisions WHERE entry_id = ? AND revision = ?", (entry_id, revision)
    )
    if row is None:
        raise NotFound(entry_id, f" at revision {revision}")
    return _revision(row)


async def _author_of(db: Reader, entry_id: str, revision: int) -> str:
    try:
        return (await _revision_at(db, entry_id, revision)).author
    except NotFound:
        return "someone"


def _need_reason(author: str, reason: str) -> None:
    if not author.strip() or not reason.strip():
        raise InvalidEntry([Problem("", "reason", "every change needs an author and a reason")])


def _with_fields(entry: Entry, **changes: object) -> Entry:
    try:
        return Entry.model_validate({**entry.model_dump(), **changes})
    except ValidationError as exc:
        raise InvalidEntry(validation_problems(entry.id, exc)) from None


class Revisions:
    """Entries and their history, and every change to them."""

    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self._database = database
        self._clock = clock

    # Reads: committed data, on the reader.

    async def get(self, entry_id: str, include_retired: bool = False) -> LiveEntry:
        return await entry_at_head(self._database.reader, entry_id, include_retired)

    async def live_entries(self) -> list[LiveEntry]:
        return await heads_in(self._database.reader)

    async def all_entries(self) -> list[LiveEntry]:
        """Every entry's head revision, retired ones included (for history and revert pickers)."""
        return await heads_in(self._database.reader, include_retired=True)

    async def history(self, entry_id: str) -> list[Revision]:
        rows = await self._database.reader.fetchall(
            "SELECT * FROM revisions WHERE entry_id = ? ORDER BY revision", (entry_id,)
        )
        if not rows:
            raise NotFound(entry_id)
        return [_revision(row) for row in rows]

    # Changes: each one transaction, returning the head it replaced as read inside that transaction.

    async def add(
        self, entry: Entry, author: str, reason: str, *, resolves: Sequence[int] = ()
    ) -> StoredChange:
        """A new entry; the `resolves` questions are marked as answered by it in the same transaction."""
        _need_reason(author, reason)
        async with self._database.transaction() as db:
            if await head_of(db, entry.id) is not None:
                raise AlreadyExists(f"an entry {entry.id!r} already exists (retired entries keep their id)")
            await self._check_against_live(db, entry)
            revision = await self.write_new(db, entry, "add", author, reason)
            resolved = await mark_resolved(db, resolves, entry.id, self._clock())
        return StoredChange(before=None, revision=revision, resolved_questions=resolved)

    async def edit(self, entry: Entry, expected_revision: int, author: str, reason: str) -> StoredChange:
        """Save a new version of an entry; refused if it changed since `expected_revision`."""
        _need_reason(author, reason)
        async with self._database.transaction() as db:
            current = await self._require(db, entry.id, expected_revision)
            await self._check_against_live(db, entry)
            return await self.write_change(db, current, entry, "edit", author, reason)

    async def retire(
        self, entry_id: str, author: str, reason: str, expected_revision: int | None = None
    ) -> StoredChange:
        _need_reason(author, reason)
        async with self._database.transaction() as db:
            current = await self._require(db, entry_id, expected_revision)
            if current.retired:
                raise NotFound(entry_id, " (it is already retired)")
            return await self.write_change(db, current, current.entry, "retire", author, reason, retired=True)

    async def revert(
        self, entry_id: str, to_revision: int, author: str, reason: str, expected_revision: int | None = None
    ) -> StoredChange:
        """Make an old revision live again, as a new revision (history is never rewritten)."""
        _need_reason(author, reason)
        async with self._database.transaction() as db:
            current = await self._require(db, entry_id, expected_revision)
            target = await _revision_at(db, entry_id, to_revision)
            if not target.retired:
                await self._check_against_live(db, target.entry)
            reason = f"{reason} (back to revision {to_revision})"
            return await self.write_change(
                db, current, target.entry, "revert", author, reason, target.retired
            )

    async def add_alias(
        self, entry_id: str, alias: str, author: str, reason: str, *, resolves: Sequence[int] = ()
    ) -> StoredChange:
        """One more alias; the `resolves` questions are marked as answered by the entry in the same
        transaction."""
        _need_reason(author, reason)
        async with self._database.transaction() as db:
            current = await self._require(db, entry_id, None)
            if any(normalise_alias(a) == normalise_alias(alias) for a in current.entry.aliases):
                raise AlreadyExists(f"{alias!r} is already an alias of {entry_id!r}")
            updated = _with_fields(current.entry, aliases=[*current.entry.aliases, alias])
            await self._check_against_live(db, updated)
            change = await self.write_change(db, current, updated, "alias_add", author, reason)
            resolved = await mark_resolved(db, resolves, entry_id, self._clock())
        return replace(change, resolved_questions=resolved)

    async def remove_alias(self, entry_id: str, alias: str, author: str, reason: str) -> StoredChange:
        _need_reason(author, reason)
        async with self._database.transaction() as db:
            current = await self._require(db, entry_id, None)
            key = normalise_alias(alias)
            kept = [a for a in current.entry.aliases if normalise_alias(a) != key]
            if len(kept) == len(current.entry.aliases):
                raise NotFound(entry_id, f" has no alias {alias!r}")
            updated = _with_fields(current.entry, aliases=kept)
            return await self.write_change(db, current, updated, "alias_remove", author, reason)

    async def _write_revision(
        self,
        db: Connection,
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
            try:
                await db.execute(
                    "INSERT INTO entries (id, head_revision, retired) VALUES (?, ?, ?)",
                    (entry.id, revision, int(retired)),
                )
            except DuplicateKey:
                raise AlreadyExists(f"an entry {entry.id!r} already exists") from None
        else:
            updated = await db.execute(
                "UPDATE entries SET head_revision = ?, retired = ? WHERE id = ? AND head_revision = ?",
                (revision, int(retired), entry.id, expected),
            )
            if updated != 1:
                head = await head_of(db, entry.id)
                current = head.revision if head else 0
                raise StaleRevision(entry.id, expected, current, await _author_of(db, entry.id, current))
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
        self._database.entries_written()
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

    async def write_new(
        self, db: Connection, entry: Entry, action: Action, author: str, reason: str
    ) -> Revision:
        """The first revision of an entry the store does not hold yet, in the transaction `db`."""
        return await self._write_revision(
            db, entry, action=action, author=author, reason=reason, retired=False, expected=None, before=None
        )

    async def write_change(
        self,
        db: Connection,
        current: LiveEntry,
        entry: Entry,
        action: Action,
        author: str,
        reason: str,
        retired: bool | None = None,
    ) -> StoredChange:
        """The next revision of an existing entry, in the transaction `db`, from the head `current` read
        in it (retired state kept unless given)."""
        revision = await self._write_revision(
            db,
            entry,
            action=action,
            author=author,
            reason=reason,
            retired=current.retired if retired is None else retired,
            expected=current.revision,
            before=current.entry,
        )
        return StoredChange(before=current, revision=revision)

    @staticmethod
    async def _require(db: Connection, entry_id: str, expected_revision: int | None) -> LiveEntry:
        """The entry's head, checked against the revision the caller started from."""
        live = await entry_at_head(db, entry_id, include_retired=True)
        if expected_revision is not None and live.revision != expected_revision:
            raise StaleRevision(
                entry_id, expected_revision, live.revision, await _author_of(db, entry_id, live.revision)
            )
        return live

    async def _check_against_live(self, db: Connection, entry: Entry) -> None:
        """Refuse an entry whose aliases or related ids clash with the rest of the live KB."""
        others = {live.entry.id: live.entry for live in await heads_in(db) if live.entry.id != entry.id}
        problems = [
            p
            for p in check_entries({**others, entry.id: entry}, {}, self._clock().date())
            if p.file == entry.id
        ]
        if problems:
            raise InvalidEntry(problems)
