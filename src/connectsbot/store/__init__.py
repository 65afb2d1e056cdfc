"""The live knowledge base: a SQLite or PostgreSQL database with append-only revision history."""

from connectsbot.store.errors import (
    AlreadyExists,
    ImportFailed,
    InvalidEntry,
    NotFound,
    StaleRevision,
    StoreError,
    StoreUnavailable,
)
from connectsbot.store.files import IMPORT_AUTHOR, ImportReport
from connectsbot.store.question_log import QuestionRecord, RecordedQuestion, ServerScope, VoteOutcome
from connectsbot.store.revisions import LiveEntry, Revision, StoredChange
from connectsbot.store.stats import DayCount, FeedbackCount
from connectsbot.store.store import KnowledgeStore

__all__ = [
    "IMPORT_AUTHOR",
    "AlreadyExists",
    "DayCount",
    "FeedbackCount",
    "ImportFailed",
    "ImportReport",
    "InvalidEntry",
    "KnowledgeStore",
    "LiveEntry",
    "NotFound",
    "QuestionRecord",
    "RecordedQuestion",
    "Revision",
    "ServerScope",
    "StaleRevision",
    "StoreError",
    "StoreUnavailable",
    "StoredChange",
    "VoteOutcome",
]
