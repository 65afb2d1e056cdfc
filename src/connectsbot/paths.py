"""Where the shipped knowledge base and the database live."""

from __future__ import annotations

import os
from pathlib import Path

KNOWLEDGE_ENV = "CONNECTSBOT_KNOWLEDGE"
DATABASE_ENV = "CONNECTSBOT_DB"


def knowledge_dir() -> Path:
    """The knowledge folder: $CONNECTSBOT_KNOWLEDGE, else the repo's `knowledge/`, else the packaged copy."""
    override = os.environ.get(KNOWLEDGE_ENV)
    if override:
        return Path(override).expanduser()
    package = Path(__file__).resolve().parent
    in_repo = package.parent.parent / "knowledge"  # src/connectsbot -> repo root
    if (in_repo / "entries").is_dir():
        return in_repo
    return package / "_knowledge"  # a wheel carries it here (pyproject force-include)


def database_path() -> Path:
    """$CONNECTSBOT_DB, else connectsbot.sqlite3 under $XDG_DATA_HOME (default ~/.local/share/connectsbot)."""
    override = os.environ.get(DATABASE_ENV)
    if override:
        return Path(override).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "connectsbot" / "connectsbot.sqlite3"


SEMANTIC_ENV = "CONNECTSBOT_SEMANTIC"


def semantic_setting() -> str | None:
    """$CONNECTSBOT_SEMANTIC as set (`on`/`off`), or None when unset; `connectsbot.semantic` reads it."""
    return os.environ.get(SEMANTIC_ENV)
