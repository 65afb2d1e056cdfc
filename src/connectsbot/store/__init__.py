"""The live knowledge base: an aiosqlite database with append-only revision history."""

from connectsbot.store.errors import (
    AlreadyExists,
    ImportFailed,
    InvalidEntry,
    NotFound,
    StaleRevision,
    StoreError,
    StoreUnavailable,
)
from connectsbot.store.store import (
    IMPORT_AUTHOR,
    DayCount,
    FeedbackCount,
    ImportReport,
    KnowledgeStore,
    LiveEntry,
    QuestionRecord,
    RecordedQuestion,
    Revision,
    VoteOutcome,
)

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
    "StaleRevision",
    "StoreError",
    "StoreUnavailable",
    "VoteOutcome",
]
