"""The one way the knowledge base changes.

Every change a moderator makes (add, edit, retire, revert, alias add or remove, questions resolved by
a new entry or alias, the import of the knowledge files) is one call here: one store transaction,
which returns the entry as it was before (read in that transaction) and the revision written, and one
published event. The answer service, the mod-log and anything else that must follow a change
subscribe to those events; callers (the Discord cogs, the command line) parse input, call the
curator, and render the event it returns or the typed store error it raises.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from connectsbot.kbfiles import EntryFileError, LoadedFolder, load_folder, load_policy, load_sources
from connectsbot.knowledge import Entry, Policy, SourceRecord
from connectsbot.question_reports import question_key
from connectsbot.store import (
    IMPORT_AUTHOR,
    ImportReport,
    KnowledgeStore,
    Revision,
    StoredChange,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who made a change: `name` as the revision history shows it; the ids, when the change came
    through Discord, for the mod-log."""

    name: str
    user_id: int | None = None
    guild_id: int | None = None


FILES = Actor(IMPORT_AUTHOR)  # the import of the knowledge files at start


@dataclass(frozen=True)
class EntryChanged:
    """One entry changed: its revision, the entry before it (None for a new one) and who did it."""

    revision: Revision
    before: Entry | None
    actor: Actor
    resolved_questions: int = 0  # unanswered questions this change answered (marked as dealt with)

    @property
    def after(self) -> Entry:
        return self.revision.entry

    @property
    def entry_id(self) -> str:
        return self.revision.entry_id


@dataclass(frozen=True)
class FilesImported:
    """The knowledge files were imported: what changed in the store, and the policy and sources
    registry read from the same folder (None: not in the folder, or unreadable)."""

    report: ImportReport
    actor: Actor
    policy: Policy | None
    sources: Mapping[str, SourceRecord] | None
    policy_changed: bool


@dataclass(frozen=True)
class RemoteChange:
    """The knowledge base was changed by another process sharing the store (connectsbot.coordination
    notices it): up to `version`; `files` when that may include an import of the knowledge folder."""

    version: int
    files: bool


@dataclass(frozen=True)
class ChangedElsewhere:
    """Another process sharing the store changed the knowledge base (its own curator published the
    change and posted it to the mod-log): follow it. With `files`, the folder may have been imported
    there: the policy and sources registry as read again from this process's folder (None: unreadable)."""

    change: RemoteChange
    policy: Policy | None
    sources: Mapping[str, SourceRecord] | None


KnowledgeEvent = EntryChanged | FilesImported | ChangedElsewhere
# Subscribers run in the change's call, after the commit, one after the other: when the call returns
# the answer service answers from the changed entries. Slow work (posting to the mod-log) belongs in
# a background task. A subscriber's failure is logged, never raised: the change is saved whatever a
# subscriber does, and the moderator is told so.
Subscriber = Callable[[KnowledgeEvent], Awaitable[None]]


class Curator:
    """The knowledge-change service over one store and one knowledge folder."""

    def __init__(
        self, store: KnowledgeStore, folder: Path, policy: Policy, followers: Sequence[Subscriber] = ()
    ) -> None:
        self.store = store
        self.folder = folder
        # The interview-Connects policy of the folder as last read: /diagnose checks timelines with it.
        self.policy = policy
        self._subscribers: list[Subscriber] = list(followers)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Follow every change from now on; returns the function that stops it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    async def _publish(self, event: KnowledgeEvent) -> None:
        for subscriber in list(self._subscribers):
            try:
                await subscriber(event)
            except Exception:  # the change is committed: a follower's bug must not undo the reply
                log.exception("a follower of knowledge changes failed on %s", type(event).__name__)

    async def _changed(self, stored: StoredChange, actor: Actor) -> EntryChanged:
        before = stored.before.entry if stored.before is not None else None
        event = EntryChanged(stored.revision, before, actor, stored.resolved_questions)
        revision = stored.revision
        log.info(
            "knowledge base: %s %s r%d by %s",
            revision.action,
            revision.entry_id,
            revision.revision,
            actor.name,
        )
        await self._publish(event)
        return event

    async def add(
        self, entry: Entry, actor: Actor, reason: str, *, resolves: Sequence[int] = ()
    ) -> EntryChanged:
        """A new entry; `resolves`: unanswered questions it answers, marked in the same transaction."""
        return await self._changed(await self.store.add(entry, actor.name, reason, resolves=resolves), actor)

    async def edit(self, entry: Entry, expected_revision: int, actor: Actor, reason: str) -> EntryChanged:
        """Save `entry` over revision `expected_revision` (refused with StaleRevision if it moved on)."""
        return await self._changed(await self.store.edit(entry, expected_revision, actor.name, reason), actor)

    async def retire(self, entry_id: str, actor: Actor, reason: str, expected_revision: int) -> EntryChanged:
        return await self._changed(
            await self.store.retire(entry_id, actor.name, reason, expected_revision), actor
        )

    async def revert(
        self, entry_id: str, revision: int, actor: Actor, reason: str, expected_revision: int
    ) -> EntryChanged:
        """Make revision `revision` live again (as a new revision)."""
        return await self._changed(
            await self.store.revert(
                entry_id, revision, actor.name, reason, expected_revision=expected_revision
            ),
            actor,
        )

    async def add_alias(
        self, entry_id: str, alias: str, actor: Actor, reason: str, *, resolves: Sequence[int] = ()
    ) -> EntryChanged:
        """Another way members ask the entry; `resolves` as for `add`."""
        return await self._changed(
            await self.store.add_alias(entry_id, alias, actor.name, reason, resolves=resolves), actor
        )

    async def remove_alias(self, entry_id: str, alias: str, actor: Actor, reason: str) -> EntryChanged:
        return await self._changed(await self.store.remove_alias(entry_id, alias, actor.name, reason), actor)

    async def changed_elsewhere(self, change: RemoteChange) -> ChangedElsewhere:
        """Another process changed the shared store (a `ChangeFeed` callback): the answer service
        rebuilds from the store; after an import there, the folder's policy and sources are read again."""
        self.store.changed_elsewhere()
        policy, sources = None, None
        if change.files:
            policy = await asyncio.to_thread(_read_policy, self.folder)
            sources = await asyncio.to_thread(read_sources, self.folder) or None
            if policy is not None:
                self.policy = policy
        event = ChangedElsewhere(change, policy, sources)
        await self._publish(event)
        return event

    async def import_files(self, actor: Actor, *, force: bool = False) -> FilesImported:
        """Import the knowledge folder (all or nothing: ImportFailed lists every problem) and take its
        policy and sources registry for what answers and diagnoses cite from now on."""
        loaded, report = await _load_and_import(self.store, self.folder, force, actor)
        policy_changed = loaded.policy is not None and loaded.policy != self.policy
        if loaded.policy is not None:
            self.policy = loaded.policy
        event = FilesImported(report, actor, loaded.policy, loaded.sources or None, policy_changed)
        log.info("knowledge files imported by %s: %s", actor.name, report.summary().replace("\n", "; "))
        await self._publish(event)
        return event


async def sync_files(
    store: KnowledgeStore, folder: Path, *, force: bool = False, actor: Actor = FILES
) -> ImportReport:
    """Import the knowledge files changed since the last import (all or nothing), with nothing
    following: at start, before the answer service is built from the result, and from the command line."""
    _, report = await _load_and_import(store, folder, force, actor)
    return report


async def _load_and_import(
    store: KnowledgeStore, folder: Path, force: bool, actor: Actor
) -> tuple[LoadedFolder, ImportReport]:
    """Read the folder (in a worker thread) and import it in one transaction, all or nothing."""
    loaded = await asyncio.to_thread(load_folder, folder)
    return loaded, await store.import_folder(loaded, force=force, author=actor.name)


def read_sources(folder: Path) -> dict[str, SourceRecord]:
    """The folder's sources registry; a broken one (already reported by the import) leaves sources
    named by their ids."""
    try:
        return load_sources(folder)
    except EntryFileError as error:
        log.warning("sources registry not read: %s", error)
        return {}


def _read_policy(folder: Path) -> Policy | None:
    try:
        return load_policy(folder)
    except EntryFileError as error:
        log.warning("the interview-Connects policy not read again: %s", error)
        return None


_NOT_ID_CHARACTERS = re.compile(r"[^a-z0-9 ]+")
QUESTION_WORDS = frozenset(
    ["how", "what", "why", "where", "when", "who", "which", "can", "could", "should", "would", "will"]
)


def propose_entry_id(question: str) -> str:
    """An entry id proposed from a question: its first content words joined by dashes."""
    words = [
        word
        for word in _NOT_ID_CHARACTERS.sub(" ", question_key(question).casefold()).split()
        if word not in QUESTION_WORDS
    ]
    candidate = "-".join(words[:6])[:64].strip("-")
    return candidate if len(candidate) >= 2 else "new-entry"
