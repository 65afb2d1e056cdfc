"""Shared fixtures: small knowledge folders built in tmp, stores on temporary files, the fake Discord;
and the session's check that the shared evaluation data is there (the suite fails without it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import discord
import pytest

from connectsbot.store import KnowledgeStore
from fakediscord.harness import FakeDiscord
from tests.helpers import EntryFactory, StartFakeDiscord, build_entry, missing_shared_data, write_folder


def pytest_sessionstart(session: pytest.Session) -> None:
    """The accuracy and public-case tests need ../shared: without it the run fails here, naming what is
    missing, instead of those tests skipping (CI must not pass without them)."""
    missing = missing_shared_data()
    if missing:
        raise pytest.UsageError(
            "the shared evaluation data is missing beside the repository:\n  " + "\n  ".join(missing)
        )


@pytest.fixture(autouse=True)
def _isolated_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test touches the user's real database."""
    monkeypatch.setenv("CONNECTSBOT_DB", str(tmp_path / "default.sqlite3"))
    monkeypatch.delenv("CONNECTSBOT_KNOWLEDGE", raising=False)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)


@pytest.fixture
def make_entry() -> EntryFactory:
    return build_entry


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


# The fake Discord (package fakediscord). `fake_discord` starts the bot built by the
# `discord_bot_factory` fixture, which the using tests define; tests/bot/conftest.py replaces
# `start_fake_discord` with one that also checks every message's allowed mentions.


@pytest.fixture
async def start_fake_discord() -> AsyncIterator[StartFakeDiscord]:
    """``await start_fake_discord(bot, **options)`` -> a started ``FakeDiscord``; stopped at teardown,
    which then fails the test on any problem the harness saw (an ERROR log record, an unknown REST
    route, a dead connect task; see ``FakeDiscord``)."""
    async with AsyncExitStack() as stack:

        async def start(bot: discord.Client, **options: Any) -> FakeDiscord:
            return await stack.enter_async_context(FakeDiscord.start(bot, **options))

        yield start


@pytest.fixture
def fake_discord_options() -> dict[str, Any]:
    """Options for ``fake_discord`` (see ``FakeDiscord.start``); override to customise."""
    return {}


@pytest.fixture
async def fake_discord(
    discord_bot_factory: Callable[[], discord.Client],
    fake_discord_options: dict[str, Any],
    start_fake_discord: StartFakeDiscord,
) -> FakeDiscord:
    """The bot from the ``discord_bot_factory`` fixture, connected to a fresh fake Discord."""
    return await start_fake_discord(discord_bot_factory(), **fake_discord_options)
