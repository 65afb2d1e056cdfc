"""A fake Discord on 127.0.0.1 for testing the real discord.py client end to end.

- ``payloads``: builders for Discord's JSON (users, guilds, channels, messages, interactions).
- ``server``: the aiohttp fake (REST under /api/v10, gateway websocket), recording every call.
- ``harness``: ``FakeDiscord``, the API tests use (slash, click, message, reconnect, fail_next, ...).
- ``bot_process`` and ``processes``: real bot processes (the production launcher) against a fake
  running in the test process, and users acting without a bot in the test process.

Used by the tests (their pytest fixtures, ``fake_discord`` and ``start_fake_discord``, are in
tests/conftest.py) and by bench/bench_load.py; imported from the repository root, not installed with
the project. Nothing here talks to discord.com: the bot's HTTP session only resolves ``localhost``.
"""

from fakediscord.harness import (
    BotFailure,
    CommandNotVisible,
    FakeDiscord,
    ForumPost,
    PendingInteraction,
    Reply,
    WaitTimeout,
)
from fakediscord.server import FakeDiscordServer, RecordedRequest

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
