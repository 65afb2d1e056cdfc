"""What the bot tests import: the fixed time and clocks, the default world of the fake Discord, the bot's
settings for it, and the types of the fixtures that make and launch a bot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.client import ConnectsBot
from bot.settings import (
    AnswerSettings,
    BotSettings,
    ChannelSettings,
    DiscordSettings,
    ModerationSettings,
    ShardSettings,
    StoreSettings,
)
from connectsbot.store import Revision
from fakediscord.harness import FakeDiscord
from fakediscord.payloads import JSON
from tests.helpers import SHIPPED_KNOWLEDGE, build_entry

TOKEN = "fake-bot-token.for-tests.only"
START = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

# `await make_bot(channels={...}, ...)` and `await launch(**settings_changes)` (the fixtures).
BotMaker = Callable[..., Awaitable[ConnectsBot]]
Launcher = Callable[..., Awaitable[FakeDiscord]]


# Time


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Ticks:
    """The bot's monotonic clock (cooldowns)."""

    value: float = 1000.0

    def __call__(self) -> float:
        return self.value


# The world: users, guilds, channels


@dataclass
class World:
    bot_user: JSON
    guild: JSON
    other: JSON  # a second server the bot is in but does not serve moderators in
    extra_guilds: list[JSON] = field(default_factory=list)

    def channel(self, name: str, guild: JSON | None = None) -> JSON:
        return next(c for c in (guild or self.guild)["channels"] if c["name"] == name)

    def role(self, name: str, guild: JSON | None = None) -> JSON:
        return next(r for r in (guild or self.guild)["roles"] if r["name"] == name)

    @property
    def guild_id(self) -> int:
        return int(self.guild["id"])

    @property
    def guilds(self) -> list[JSON]:
        return [self.guild, self.other, *self.extra_guilds]


def make_settings(world: World, db: Path, **changes: dict[str, Any]) -> BotSettings:
    """The bot's settings for the default world; `changes` per section override fields."""
    sections: dict[str, dict[str, Any]] = {
        "discord": {"token": SecretStr(TOKEN), "dev_guild_id": None, "sync_commands": True},
        "store": {"db": db, "knowledge": SHIPPED_KNOWLEDGE},
        "channels": {
            "help_channel_ids": [int(world.channel("faq")["id"])],
            "forum_channel_ids": [int(world.channel("help")["id"])],
            "mod_log_channel_id": int(world.channel("mod-log")["id"]),
        },
        "moderation": {
            "moderator_roles": {world.guild_id: [int(world.role("Moderator")["id"])]},
            "guild_ids": [world.guild_id],
            "context_menu_moderators_only": False,
        },
        "answers": {"cooldown_seconds": 60.0},
        "shards": {"count": None, "ids": None},
    }
    for name, values in changes.items():
        sections[name].update(values)
    return BotSettings(
        discord=DiscordSettings(_env_file=None, **sections["discord"]),
        store=StoreSettings(_env_file=None, **sections["store"]),
        channels=ChannelSettings(_env_file=None, **sections["channels"]),
        moderation=ModerationSettings(_env_file=None, **sections["moderation"]),
        answers=AnswerSettings(_env_file=None, **sections["answers"]),
        shards=ShardSettings(_env_file=None, **sections["shards"]),
    )


def bot_of(fake: FakeDiscord) -> ConnectsBot:
    assert isinstance(fake.bot, ConnectsBot)
    return fake.bot


# Texts


def edit_revision(number: int, reason: str) -> Revision:
    """A moderator's edit of connects-rollover, as the history and the mod-log show it."""
    return Revision(
        entry_id="connects-rollover",
        revision=number,
        action="edit",
        author="moderator (1)",
        reason=reason,
        created_at=datetime(2026, 11, 21, tzinfo=UTC),
        retired=False,
        changed_fields=["answer"],
        entry=build_entry("connects-rollover"),
    )
