"""Shared fixtures: small knowledge folders built in tmp, and stores on temporary files."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connectsbot.kbfiles import render_entry
from connectsbot.knowledge import Entry
from connectsbot.store import KnowledgeStore

REPO = Path(__file__).resolve().parents[1]
SHIPPED_KNOWLEDGE = REPO / "knowledge"
SHARED = REPO.parent / "shared"

EntryFactory = Callable[..., Entry]


@pytest.fixture(autouse=True)
def _isolated_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test touches the user's real database."""
    monkeypatch.setenv("CONNECTSBOT_DB", str(tmp_path / "default.sqlite3"))
    monkeypatch.delenv("CONNECTSBOT_KNOWLEDGE", raising=False)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)


def build_entry(entry_id: str, **overrides: Any) -> Entry:
    data: dict[str, Any] = {
        "id": entry_id,
        "question": f"What about {entry_id.replace('-', ' ')}?",
        "category": "connects",
        "as_of": date(2026, 11, 1),
        "aliases": [f"tell me about {entry_id.replace('-', ' ')}"],
        "sources": [{"source": "upwork-connects-announcement", "supports": "the figures"}],
        "answer": f"**Answer** about {entry_id}.",
    }
    data.update(overrides)
    return Entry.model_validate(data)


@pytest.fixture
def make_entry() -> EntryFactory:
    return build_entry


def write_folder(folder: Path, entries: list[Entry]) -> Path:
    (folder / "entries").mkdir(parents=True, exist_ok=True)
    for entry in entries:
        (folder / "entries" / f"{entry.id}.md").write_text(render_entry(entry), encoding="utf-8")
    shutil.copy(SHIPPED_KNOWLEDGE / "policy.yaml", folder / "policy.yaml")
    shutil.copy(SHIPPED_KNOWLEDGE / "sources.yaml", folder / "sources.yaml")
    return folder


@pytest.fixture
def kb_folder(tmp_path: Path) -> Path:
    """A small valid knowledge folder: three entries and the shipped policy."""
    return write_folder(
        tmp_path / "knowledge",
        [
            build_entry("alpha-topic", related=["beta-topic"]),
            build_entry("beta-topic"),
            build_entry("gamma-topic", aliases=["gamma please", "what is gamma"]),
        ],
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[KnowledgeStore]:
    async with await KnowledgeStore.open(tmp_path / "store.sqlite3") as opened:
        yield opened
