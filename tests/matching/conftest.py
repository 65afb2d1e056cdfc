"""Fixtures for the matcher tests: the shipped knowledge base, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectsbot.kbfiles import load_folder
from connectsbot.matching import Matcher
from connectsbot.models import Entry

REPO = Path(__file__).resolve().parents[2]
SHIPPED_KNOWLEDGE = REPO / "knowledge"
PUBLIC_QUESTIONS = REPO.parent / "shared" / "eval" / "questions.jsonl"


@pytest.fixture(scope="session")
def shipped_entries() -> list[Entry]:
    loaded = load_folder(SHIPPED_KNOWLEDGE)
    if not loaded.entries:
        pytest.skip(f"no knowledge entries under {SHIPPED_KNOWLEDGE}")
    return list(loaded.entries.values())


@pytest.fixture(scope="session")
def shipped(shipped_entries: list[Entry]) -> Matcher:
    """The matcher over the shipped knowledge base, with the shipped configuration."""
    return Matcher(shipped_entries)
