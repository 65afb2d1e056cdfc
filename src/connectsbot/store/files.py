"""The knowledge folder in and out of the store: an import in one transaction, an export of the live
entries as their canonical files."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from connectsbot.kbcheck import check_citations, check_entries
from connectsbot.kbfiles import (
    ENTRIES_DIR,
    EntryFileError,
    LoadedFolder,
    entry_path,
    read_knowledge_file,
    render_entry,
)
from connectsbot.knowledge import Entry
from connectsbot.store.connection import Connection, Database
from connectsbot.store.errors import ImportFailed
from connectsbot.store.revisions import Revisions, entry_at_head, head_of

IMPORT_AUTHOR = "knowledge-files"


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

    def counts(self) -> str:
        """How many entries each kind of change touched: "1 added, 0 updated, 0 retired, 40 unchanged"."""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.retired)} retired, "
            f"{self.unchanged} unchanged"
        )

    @staticmethod
    def kept_heading(how_to_overwrite: str = "") -> str:
        """The heading of the conflicts; `how_to_overwrite` says how, where the reader can."""
        overwrite = f"; {how_to_overwrite}" if how_to_overwrite else ""
        return f"Kept moderator edits (the file changed too{overwrite})"

    def groups(self, how_to_overwrite: str = "") -> list[tuple[str, list[str]]]:
        """The entries the import touched as (heading, entry ids), in the order every surface (CLI, /faq
        import, mod-log) shows them; kinds of change that touched nothing are left out."""
        named = [
            ("Added", self.added),
            ("Updated", self.updated),
            ("Retired", self.retired),
            (self.kept_heading(how_to_overwrite), self.conflicts),
        ]
        return [(heading, ids) for heading, ids in named if ids]

    def summary(self) -> str:
        """The counts, and the entries whose moderator edits were kept: for the CLI and the logs."""
        text = f"import: {self.counts()}"
        if self.conflicts:
            text += f"\n{self.kept_heading('--force overwrites them')}: {', '.join(self.conflicts)}"
        return text


class KnowledgeFiles:
    """Import and export of a knowledge folder; the revisions are written by `revisions`."""

    def __init__(self, database: Database, clock: Callable[[], datetime], revisions: Revisions) -> None:
        self._database = database
        self._clock = clock
        self._revisions = revisions

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
        async with self._database.transaction() as db:
            self._database.files_imported()
            for entry_id, entry in sorted(loaded.entries.items()):
                await self._import_one(
                    db, entry, loaded.digests[entry_id], files[entry_id], force, author, report
                )
            await self._retire_removed(db, set(loaded.entries), author, report)
        return report

    async def _import_one(
        self,
        db: Connection,
        entry: Entry,
        file_digest: str,
        file: str,
        force: bool,
        author: str,
        report: ImportReport,
    ) -> None:
        head = await head_of(db, entry.id)
        reason = f"imported from {Path(file).name}"
        if head is None:
            revision = await self._revisions.write_new(db, entry, "import", author, reason)
            await self._mark_imported(db, entry.id, file_digest, revision.revision)
            report.added.append(entry.id)
            return
        if head.file_digest == file_digest and not force:
            report.unchanged += 1
            return
        current = await entry_at_head(db, entry.id, include_retired=True)
        if current.entry == entry and not head.retired:
            # Already in sync (e.g. the files were exported from this store): just remember the file.
            await self._mark_imported(db, entry.id, file_digest, head.revision)
            report.unchanged += 1
            return
        if head.revision != head.imported_revision and not force:
            report.conflicts.append(entry.id)
            return
        change = await self._revisions.write_change(
            db, current, entry, "import", author, reason, retired=False
        )
        await self._mark_imported(db, entry.id, file_digest, change.revision.revision)
        report.updated.append(entry.id)

    @staticmethod
    async def _mark_imported(db: Connection, entry_id: str, file_digest: str, revision: int) -> None:
        await db.execute(
            "UPDATE entries SET file_digest = ?, imported_revision = ? WHERE id = ?",
            (file_digest, revision, entry_id),
        )

    async def _retire_removed(
        self, db: Connection, present: set[str], author: str, report: ImportReport
    ) -> None:
        """Retire entries whose file was deleted, unless a moderator has changed them since."""
        rows = await db.fetchall(
            "SELECT id, head_revision, imported_revision FROM entries "
            "WHERE retired = 0 AND file_digest IS NOT NULL"
        )
        for entry_id, head_revision, imported_revision in rows:
            if entry_id in present or head_revision != imported_revision:
                continue
            current = await entry_at_head(db, entry_id, include_retired=False)
            reason = "its knowledge file was removed"
            change = await self._revisions.write_change(
                db, current, current.entry, "retire", author, reason, retired=True
            )
            await db.execute(
                "UPDATE entries SET file_digest = NULL, imported_revision = ? WHERE id = ?",
                (change.revision.revision, entry_id),
            )
            report.retired.append(entry_id)

    async def export_folder(self, folder: Path) -> list[Path]:
        """Write every live entry as its canonical file; remove files of retired entries."""
        (folder / ENTRIES_DIR).mkdir(parents=True, exist_ok=True)
        written = []
        for live in await self._revisions.live_entries():
            path = entry_path(folder, live.entry.id)
            text = render_entry(live.entry)
            if _current_text(path, folder) != text:
                _write_replacing(path, text)
                written.append(path)
        for (entry_id,) in await self._database.reader.fetchall("SELECT id FROM entries WHERE retired = 1"):
            path = entry_path(folder, entry_id)
            if path.exists():
                path.unlink()
                written.append(path)
        return written


def _current_text(path: Path, folder: Path) -> str | None:
    """What an entry file holds now, read as an import would; None if missing or unreadable (a FIFO, a
    link out of the folder: the export replaces it)."""
    if not os.path.lexists(path):
        return None
    try:
        return read_knowledge_file(path, folder)
    except EntryFileError:
        return None


def _write_replacing(path: Path, text: str) -> None:
    """Write `path` whole through a temporary beside it, never through a link: the temporary is created
    anew (O_EXCL, O_NOFOLLOW), so one planted there (a link to another file) is removed, not written
    through; the rename then replaces `path` itself, even when `path` is a link."""
    temporary = path.with_name(path.name + ".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        descriptor = os.open(temporary, flags, 0o644)
    except FileExistsError:
        temporary.unlink()  # a leftover or a planted link: unlink removes the link, not its target
        descriptor = os.open(temporary, flags, 0o644)
    with os.fdopen(descriptor, "w", encoding="utf-8") as opened:
        opened.write(text)
    os.replace(temporary, path)
