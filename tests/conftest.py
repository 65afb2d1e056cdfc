"""Shared fixtures: small knowledge folders built in tmp, stores on both backends (a temporary SQLite
file, a schema of its own on the test PostgreSQL server), the fake Discord; and the session's checks
that the shared evaluation data and the PostgreSQL server are there (the suite fails without them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import discord
import pytest

from connectsbot.store import KnowledgeStore
from fakediscord.harness import FakeDiscord
from tests.helpers import (
    EntryFactory,
    OpenStore,
    StartFakeDiscord,
    build_entry,
    missing_shared_data,
    postgresql_schema,
    postgresql_unreachable,
    write_folder,
)

# The modules that test storage behaviour: each of their tests that opens a store through the `store`
# or `open_store` fixtures runs on SQLite and on PostgreSQL. Elsewhere stores are SQLite files.
BOTH_BACKENDS = {
    "test_store.py",
    "test_store_changes.py",
    "test_store_postgresql.py",
    "test_curation.py",
    "test_records_per_server.py",
    "test_feedback.py",
    "test_cache.py",
    "test_coordination.py",
    "test_shard_processes.py",
}


def pytest_sessionstart(session: pytest.Session) -> None:
    """The accuracy and public-case tests need ../shared: without it the run fails here, naming what is
    missing, instead of those tests skipping (CI must not pass without them)."""
    missing = missing_shared_data()
    if missing:
        raise pytest.UsageError(
            "the shared evaluation data is missing beside the repository:\n  " + "\n  ".join(missing)
        )
    unreachable = postgresql_unreachable()
    if unreachable:
        raise pytest.UsageError(unreachable)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        both = Path(str(metafunc.module.__file__)).name in BOTH_BACKENDS
        metafunc.parametrize("backend", ["sqlite", "postgresql"] if both else ["sqlite"])


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
async def store_location(backend: str, tmp_path: Path) -> AsyncIterator[Path | str]:
    """Where the test's store lives: a SQLite file, or the address of a new PostgreSQL schema (dropped
    after the test)."""
    if backend == "sqlite":
        yield tmp_path / "store.sqlite3"
        return
    async with postgresql_schema() as url:
        yield url


@pytest.fixture
def open_store(store_location: Path | str, tmp_path: Path) -> OpenStore:
    """``await open_store(**options)``: a store on the test's database (as often as the test likes);
    PostgreSQL's asker salt in a file of the test."""
    salt = None if isinstance(store_location, Path) else tmp_path / "asker.salt"

    async def opened(**options: Any) -> KnowledgeStore:
        return await KnowledgeStore.open(store_location, salt=salt, **options)

    return opened


@pytest.fixture
async def store(open_store: OpenStore) -> AsyncIterator[KnowledgeStore]:
    async with await open_store() as opened:
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
