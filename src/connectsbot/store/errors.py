"""Typed store errors: the storage layer raises them, the CLI and the bot turn them into messages."""

from __future__ import annotations

from connectsbot.kbfiles import Problem


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class NotFound(StoreError):
    def __init__(self, entry_id: str, detail: str = "") -> None:
        super().__init__(f"no entry {entry_id!r}{detail}")
        self.entry_id = entry_id


class AlreadyExists(StoreError):
    def __init__(self, what: str) -> None:
        super().__init__(what)


class StaleRevision(StoreError):
    """Someone saved the entry after the revision the editor started from."""

    def __init__(self, entry_id: str, expected: int, current: int, current_author: str) -> None:
        super().__init__(
            f"{entry_id!r} changed while you were editing: you started from revision {expected}, "
            f"but revision {current} by {current_author} is now live. Reload it and apply your change again."
        )
        self.entry_id = entry_id
        self.expected = expected
        self.current = current
        self.current_author = current_author


class InvalidEntry(StoreError):
    """The change would leave the knowledge base invalid; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems))
        self.problems = problems


class ImportFailed(StoreError):
    """The knowledge folder has problems; the import wrote nothing."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class StoreUnavailable(StoreError):
    """The database cannot be used just now (busy too long, disk full, read-only, damaged); nothing changed.

    The message is for people (members and moderators see it as it is); `cause` keeps SQLite's own
    words for the logs, and `problem` says what is wrong in a few plain words.
    """

    def __init__(self, problem: str, cause: str, message: str | None = None) -> None:
        super().__init__(
            message
            or f"The bot's database could not save this just now ({problem}); nothing was changed. "
            "Try again in a minute; if it keeps happening, tell the bot's operator."
        )
        self.problem = problem
        self.cause = cause
