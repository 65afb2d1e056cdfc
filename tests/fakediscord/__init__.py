"""A fake Discord on 127.0.0.1 for testing the real discord.py client end to end.

- ``payloads``: builders for Discord's JSON (users, guilds, channels, messages, interactions).
- ``server``: the aiohttp fake (REST under /api/v10, gateway websocket), recording every call.
- ``harness``: ``FakeDiscord``, the API tests use (slash, click, message, reconnect, fail_next, ...).
- ``fixtures``: pytest fixtures to import into a conftest (``fake_discord``, ``start_fake_discord``).

Nothing here talks to discord.com: the bot's HTTP session only resolves ``localhost``.
"""

from tests.fakediscord.harness import (
    BotFailure,
    CommandNotVisible,
    FakeDiscord,
    ForumPost,
    PendingInteraction,
    Reply,
    WaitTimeout,
)
from tests.fakediscord.server import FakeDiscordServer, RecordedRequest

__all__ = [
    "BotFailure",
    "CommandNotVisible",
    "FakeDiscord",
    "FakeDiscordServer",
    "ForumPost",
    "PendingInteraction",
    "RecordedRequest",
    "Reply",
    "WaitTimeout",
]
