"""The live knowledge base, behind one facade: `KnowledgeStore` opens the database (SQLite, the embedded
default, or PostgreSQL) and hands each call to the part that owns it.

- `connection`: what the parts see of either database (connections, rows, write transactions);
- `database`: SQLite's connections, write transactions with retries, migrations;
- `postgresql`: PostgreSQL's pool, write transactions under an advisory lock, migrations, NOTIFY;
- `revisions`: entries and their append-only history, and every change to them;
- `files`: the knowledge folder imported and exported;
- `question_log`: questions asked (a group commit), picks, votes, moderators' follow-up;
- `stats`: usage, feedback and daily counts;
- `vectors`: cached sentence vectors of texts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType

from connectsbot.kbfiles import LoadedFolder
from connectsbot.knowledge import Entry, LabelledQuestion
from connectsbot.store.answer_models import AnswerModels
from connectsbot.store.asker_salt import salt_file
from connectsbot.store.connection import Database, knowledge_version
from connectsbot.store.database import WRITE_PATIENCE_SECONDS, SqliteDatabase
from connectsbot.store.files import IMPORT_AUTHOR, ImportReport, KnowledgeFiles
from connectsbot.store.postgresql import PostgresDatabase, described, is_database_url
from connectsbot.store.question_log import (
    QuestionLog,
    QuestionRecord,
    RecordedQuestion,
    ServerScope,
    VoteOutcome,
)
from connectsbot.store.revisions import LiveEntry, Revision, Revisions, StoredChange
from connectsbot.store.stats import DayCount, FeedbackCount, Stats
from connectsbot.store.vectors import TextVectors


def utc_now() -> datetime:
    return datetime.now(UTC)


class KnowledgeStore:
    """Async access to the live knowledge base. Open with `await KnowledgeStore.open(path or url)`."""

    def __init__(self, database: Database, clock: Callable[[], datetime], salt: Path) -> None:
        self._database = database
        self._revisions = Revisions(database, clock)
        self._files = KnowledgeFiles(database, clock, self._revisions)
        self._questions = QuestionLog(database, clock, salt)
        self._stats = Stats(database)
        self._vectors = TextVectors(database)
        self._answer_models = AnswerModels(database, clock)
        # SQLite: the file whose lock the process running the single-run jobs holds (see coordination).
        self.jobs_lock_file: Path | None = None

    @classmethod
    async def open(
        cls,
        location: Path | str,
        clock: Callable[[], datetime] = utc_now,
        *,
        write_patience: float = WRITE_PATIENCE_SECONDS,
        salt: Path | None = None,
    ) -> KnowledgeStore:
        """Open (creating and migrating if needed) the database at `location`: a SQLite file's path, or a
        PostgreSQL address (postgresql://user@host/db; its first search_path schema holds the tables).
        Raises StoreUnavailable, worded for the operator, when it cannot be opened or written (read-only,
        a full disk, not a database, a server that cannot be reached).

        Members are hashed with the salt in the file `salt` (made on first use), by default beside the
        SQLite file (`<path>.salt`); a PostgreSQL store needs it given, since the salt never goes into
        the database."""
        database: Database
        if is_database_url(location):
            if salt is None:
                raise ValueError(f"{described(str(location))}: a PostgreSQL store needs a salt file")
            database = await PostgresDatabase.open(str(location), write_patience=write_patience)
        else:
            path = Path(location)
            database = await SqliteDatabase.open(path, write_patience=write_patience)
            salt = salt or salt_file(path)
        store = cls(database, clock, salt)
        if not is_database_url(location):
            store.jobs_lock_file = Path(location).with_name(f"{Path(location).name}.jobs.lock")
        return store

    async def close(self) -> None:
        """Write the questions still queued, then close (the last connection checkpoints the WAL)."""
        await self._questions.written()
        await self._database.close()

    async def __aenter__(self) -> KnowledgeStore:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def generation(self) -> int:
        """Bumped on every committed change to the entries, so callers know when to rebuild a matcher."""
        return self._database.generation

    @property
    def origin(self) -> str:
        """A random id of this opened store, in its change notifications (to tell its own apart)."""
        return self._database.origin

    @property
    def notify_channel(self) -> str | None:
        """PostgreSQL: the LISTEN channel where every committed change of the knowledge is announced
        ("connectsbot.knowledge.<schema>", payload {"version", "origin", "files"}); None for SQLite."""
        return self._database.notify_channel

    @property
    def database_url(self) -> str | None:
        """The PostgreSQL address the store was opened with (for a listener's own connection); None for
        SQLite."""
        return self._database.database_url

    async def knowledge_version(self) -> int:
        """The committed knowledge version: bumped by every write of entries and every import of the
        knowledge folder (0 before the first)."""
        return await knowledge_version(self._database.reader)

    def changed_elsewhere(self) -> None:
        """Another process changed the knowledge: move `generation`, so the answers are rebuilt."""
        self._database.generation += 1

    @property
    def read_only(self) -> bool:
        """The database could not be written when it was opened: it answers, and every change raises
        StoreUnavailable."""
        return self._database.read_only is not None

    @property
    def write_patience(self) -> float:
        """Seconds a write may wait for another connection's transaction before StoreUnavailable."""
        return self._database.write_patience

    @write_patience.setter
    def write_patience(self, seconds: float) -> None:
        self._database.write_patience = seconds

    # Entries and revisions

    async def get(self, entry_id: str, include_retired: bool = False) -> LiveEntry:
        return await self._revisions.get(entry_id, include_retired)

    async def live_entries(self) -> list[LiveEntry]:
        return await self._revisions.live_entries()

    async def all_entries(self) -> list[LiveEntry]:
        return await self._revisions.all_entries()

    async def history(self, entry_id: str) -> list[Revision]:
        return await self._revisions.history(entry_id)

    async def add(
        self, entry: Entry, author: str, reason: str, *, resolves: Sequence[int] = ()
    ) -> StoredChange:
        return await self._revisions.add(entry, author, reason, resolves=resolves)

    async def edit(self, entry: Entry, expected_revision: int, author: str, reason: str) -> StoredChange:
        return await self._revisions.edit(entry, expected_revision, author, reason)

    async def retire(
        self, entry_id: str, author: str, reason: str, expected_revision: int | None = None
    ) -> StoredChange:
        return await self._revisions.retire(entry_id, author, reason, expected_revision)

    async def revert(
        self, entry_id: str, to_revision: int, author: str, reason: str, expected_revision: int | None = None
    ) -> StoredChange:
        return await self._revisions.revert(entry_id, to_revision, author, reason, expected_revision)

    async def add_alias(
        self, entry_id: str, alias: str, author: str, reason: str, *, resolves: Sequence[int] = ()
    ) -> StoredChange:
        return await self._revisions.add_alias(entry_id, alias, author, reason, resolves=resolves)

    async def remove_alias(self, entry_id: str, alias: str, author: str, reason: str) -> StoredChange:
        return await self._revisions.remove_alias(entry_id, alias, author, reason)

    # Knowledge files

    async def import_folder(
        self, loaded: LoadedFolder, force: bool = False, author: str = IMPORT_AUTHOR
    ) -> ImportReport:
        return await self._files.import_folder(loaded, force, author)

    async def export_folder(self, folder: Path) -> list[Path]:
        return await self._files.export_folder(folder)

    # Questions members asked

    async def asker_hash(self, user_id: str, guild_id: str | None) -> str:
        return await self._questions.asker_hash(user_id, guild_id)

    async def first_direct_message(self, member: str) -> bool:
        return await self._questions.first_direct_message(member)

    async def record_questions(self, records: Sequence[QuestionRecord]) -> list[int]:
        return await self._questions.record_questions(records)

    async def record_pick(self, question_id: int, entry_id: str) -> None:
        await self._questions.record_pick(question_id, entry_id)

    async def record_vote(
        self, answer_key: str, member: str, entry_id: str, helpful: bool, guild_id: str | None
    ) -> VoteOutcome:
        return await self._questions.record_vote(answer_key, member, entry_id, helpful, guild_id)

    async def unanswered(self, scope: ServerScope | None = None, limit: int = 500) -> list[RecordedQuestion]:
        return await self._questions.unanswered(scope, limit)

    async def question(self, question_id: int) -> RecordedQuestion:
        return await self._questions.question(question_id)

    async def asked_by(self, question_id: int, member: str) -> bool:
        return await self._questions.asked_by(question_id, member)

    async def open_questions(
        self, scope: ServerScope | None = None, limit: int = 500
    ) -> list[RecordedQuestion]:
        return await self._questions.open_questions(scope, limit)

    async def resolve_questions(self, question_ids: Sequence[int], entry_id: str) -> int:
        return await self._questions.resolve_questions(question_ids, entry_id)

    async def learned_questions(self, limit: int = 5000) -> list[LabelledQuestion]:
        return await self._questions.learned_questions(limit)

    # Statistics

    # `scope`: one server's records (and direct messages for a home server); None: every server's.

    async def usage(self, since: date | None = None, scope: ServerScope | None = None) -> dict[str, int]:
        return await self._stats.usage(since, scope)

    async def feedback(
        self, since: date | None = None, scope: ServerScope | None = None
    ) -> dict[str, FeedbackCount]:
        return await self._stats.feedback(since, scope)

    async def daily_questions(
        self, since: date | None = None, scope: ServerScope | None = None
    ) -> list[DayCount]:
        return await self._stats.daily_questions(since, scope)

    # Sentence vectors of texts

    async def text_vectors(self, model_id: str, digests: Sequence[str]) -> dict[str, bytes]:
        return await self._vectors.text_vectors(model_id, digests)

    async def put_text_vectors(self, model_id: str, vectors: Mapping[str, bytes]) -> None:
        await self._vectors.put_text_vectors(model_id, vectors)

    async def prune_text_vectors(self, keep_model_id: str) -> int:
        return await self._vectors.prune_text_vectors(keep_model_id)

    # Trained answer models, shared by the processes of one database

    async def answer_model(self, fingerprint: str) -> str | None:
        return await self._answer_models.answer_model(fingerprint)

    async def put_answer_model(self, fingerprint: str, model: str) -> None:
        await self._answer_models.put_answer_model(fingerprint, model)

    async def prune_answer_models(self, keep: int) -> int:
        return await self._answer_models.prune_answer_models(keep)
