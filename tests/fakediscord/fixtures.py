"""pytest fixtures for the fake Discord.

Not a plugin: import the fixtures into the conftest.py of the tests that use them (or into the test
module itself)::

    # tests/bot/conftest.py
    from tests.fakediscord.fixtures import fake_discord, fake_discord_options, start_fake_discord  # noqa

    @pytest.fixture
    def discord_bot_factory():
        return lambda: build_bot(settings)        # a new discord.Client / commands.Bot per test

    # tests/bot/test_ask.py
    async def test_ask(fake_discord):
        reply = await fake_discord.slash("ask", question="connects refund")

``fake_discord`` starts the bot built by ``discord_bot_factory`` with ``fake_discord_options``
(override that fixture for custom guilds etc.); ``start_fake_discord`` is a factory for tests that
need their own bot or options: ``discord = await start_fake_discord(make_bot(), guilds=[...])``.
Both stop the bot at teardown and then fail the test on any problem the harness saw (an ERROR log
record, an unknown REST route, a dead connect task; see ``FakeDiscord``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import discord
import pytest

from tests.fakediscord.harness import FakeDiscord

StartFakeDiscord = Callable[..., Awaitable[FakeDiscord]]


@pytest.fixture
async def start_fake_discord() -> AsyncIterator[StartFakeDiscord]:
    """``await start_fake_discord(bot, **options)`` -> a started ``FakeDiscord``; stopped and checked
    at teardown."""
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
    """The bot from the ``discord_bot_factory`` fixture (which the using tests define), connected to
    a fresh fake Discord."""
    return await start_fake_discord(discord_bot_factory(), **fake_discord_options)
