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
    """The database file cannot be written (disk full, read-only, locked too long)."""
