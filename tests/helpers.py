"""What tests import: the repository's paths, the shared evaluation data, entry and folder builders, a
scripted terminal reader. Fixtures and hooks stay in the conftest.py files."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from connectsbot.chat import Reader
from connectsbot.kbfiles import render_entry
from connectsbot.knowledge import Entry
from fakediscord.harness import FakeDiscord

REPO = Path(__file__).resolve().parents[1]
SHIPPED_KNOWLEDGE = REPO / "knowledge"
# The shared data beside the repository (a sibling checkout, as on CI): the public evaluation set.
SHARED = REPO.parent / "shared"
PUBLIC_QUESTIONS = SHARED / "eval" / "questions.jsonl"
PUBLIC_TIMELINES = SHARED / "eval" / "timelines"
REQUIRED_TOPICS = SHARED / "knowledge-topics.md"

EntryFactory = Callable[..., Entry]
# `await start_fake_discord(bot, **options)` -> a started fake Discord (the fixture of that name).
StartFakeDiscord = Callable[..., Awaitable[FakeDiscord]]


def missing_shared_data(shared: Path = SHARED) -> list[str]:
    """What the suite needs from the shared folder and does not find there (empty when all is there)."""
    missing = [
        f"{path} (a file)"
        for path in (shared / "eval" / "questions.jsonl", shared / "knowledge-topics.md")
        if not path.is_file()
    ]
    timelines = shared / "eval" / "timelines"
    if not any(timelines.glob("*.txt")):
        missing.append(f"{timelines} (a folder of *.txt timelines)")
    return missing


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


def write_folder(folder: Path, entries: list[Entry]) -> Path:
    (folder / "entries").mkdir(parents=True, exist_ok=True)
    for entry in entries:
        (folder / "entries" / f"{entry.id}.md").write_text(render_entry(entry), encoding="utf-8")
    shutil.copy(SHIPPED_KNOWLEDGE / "policy.yaml", folder / "policy.yaml")
    shutil.copy(SHIPPED_KNOWLEDGE / "sources.yaml", folder / "sources.yaml")
    return folder


def scripted_reader(lines: Iterable[str]) -> Reader:
    """A terminal for the chat that types `lines` one by one, then ends the input (Ctrl-D)."""
    remaining = iter(lines)

    def reader(prompt: str) -> str:
        try:
            return next(remaining)
        except StopIteration:
            raise EOFError from None

    return reader
