"""The Discord client: holds the store, the answer service and the curator; one extension per feature."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot import components
from bot.discord_internals import handler_tasks
from bot.expired_controls import ExpiredControls
from bot.failures import ConnectsTree
from bot.permissions import warn_about_missing_permissions
from bot.replays import drop_replayed_events
from bot.replies import NO_MENTIONS
from connectsbot.answers import AnswerService
from connectsbot.curation import Actor, Curator
from connectsbot.entry_ranking import EntryRanker
from connectsbot.question_limit import QuestionLimit
from connectsbot.store import ImportFailed, ImportReport, KnowledgeStore

from .settings import BotSettings

log = logging.getLogger(__name__)

DRAIN_SECONDS = 5.0

EXTENSIONS: tuple[str, ...] = (
    "bot.exts.ask",
    "bot.exts.faq",
    "bot.exts.diagnose",
    "bot.exts.autoanswer",
    "bot.exts.answer_with_faq",
    "bot.exts.modlog",
    "bot.exts.help",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def actor_of(interaction: discord.Interaction[Any]) -> Actor:
    """Who makes a change through Discord: named in the revision history by name and id; the ids
    let the mod-log mention them and name the server."""
    user = interaction.user
    return Actor(f"{user.name} ({user.id})", user.id, interaction.guild_id)


def client_of(interaction: discord.Interaction[Any]) -> ConnectsBot:
    """The bot an interaction came to, typed (discord.py types it by the interaction's parameter)."""
    return cast("ConnectsBot", interaction.client)


class ConnectsBot(commands.AutoShardedBot):
    """The bot. Every message it sends mentions nobody (`allowed_mentions` default and explicit);
    every message and interaction is handled once even if Discord delivers it twice.

    It runs the shards CONNECTSBOT_SHARD_COUNT / CONNECTSBOT_SHARD_IDS name (unset: as many as Discord
    recommends, all of them), one gateway connection each. Discord sends each server's events to the
    shard that owns it, and direct messages to shard 0: what the bot keeps in memory per server or
    member (question limits, cooldowns, open forms) lives in the process that runs the server's shard.
    """

    def __init__(
        self,
        settings: BotSettings,
        store: KnowledgeStore,
        answers: AnswerService,
        curator: Curator,
        startup_import: ImportReport | ImportFailed | None = None,
        *,
        extensions: Sequence[str] = EXTENSIONS,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        # Only auto-answer reads messages that do not mention the bot: ask for message content
        # (a privileged intent) only when it is on.
        intents.message_content = settings.channels.auto_answer
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            tree_cls=ConnectsTree,
            max_messages=200,
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            shard_count=settings.shards.count,
            # None (every shard) is discord.py's own default, though its type hint says list only.
            shard_ids=settings.shards.ids,  # type: ignore[arg-type]
        )
        self.settings = settings
        self.store = store
        self.answers = answers
        self.curator = curator
        self.ranker = EntryRanker(answers)
        self.question_throttle = QuestionLimit(
            settings.answers.question_limit, settings.answers.question_window_seconds
        )
        # What the import of the knowledge files did at start; the mod-log reports it once connected.
        self.startup_import = startup_import
        self.extension_names = tuple(extensions)
        self.clock = clock
        self.monotonic = monotonic
        # Both see gateway events before discord.py handles them; the last installed sees them first, so
        # a replayed interaction is dropped before it could be noted as expired.
        self._expired_controls = ExpiredControls(self)
        drop_replayed_events(self)

    async def on_interaction(self, interaction: discord.Interaction[ConnectsBot], /) -> None:
        """Answer a form or control nothing handles (see bot.expired_controls)."""
        await self._expired_controls.answer_if_expired(interaction)

    @property
    def runs_every_shard(self) -> bool:
        """Whether this process runs all the bot's shards, hence sees every server it is in."""
        return self.shard_ids is None or self.shard_count is None or len(self.shard_ids) >= self.shard_count

    async def setup_hook(self) -> None:
        log.info("running %s", self.settings.shards.describe())
        self.add_dynamic_items(*components.PERSISTENT_CONTROLS)
        for name in self.extension_names:
            await self.load_extension(name)
        if self.settings.discord.sync_commands:
            await self.sync_commands()

    async def sync_commands(self) -> list[app_commands.AppCommand]:
        """To DEV_GUILD_ID when set (instant), else globally (Discord may take a while to show them)."""
        guild_id = self.settings.discord.dev_guild_id
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to the development server %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d commands globally", len(synced))
        return synced

    async def close(self) -> None:
        """Let the replies in flight go out (up to DRAIN_SECONDS) before the connection closes: a
        SIGTERM under load should not drop answers or log errors from handlers cut off mid-reply."""
        in_flight = handler_tasks()
        if in_flight:
            log.info("closing: waiting for %d handler(s) in flight", len(in_flight))
            await asyncio.wait(in_flight, timeout=DRAIN_SECONDS)
        await super().close()

    async def on_ready(self) -> None:
        user = self.user
        log.info(
            "connected as %s (%s) to %d servers on shards %s of %s",
            user,
            user.id if user else "?",
            len(self.guilds),
            sorted(self.shards),
            self.shard_count,
        )
        if not self.settings.moderation.guild_ids:
            log.warning(
                "CONNECTSBOT_GUILDS is empty: no home server, so nobody can change the knowledge base and "
                "questions asked in direct messages are not kept. List the servers that curate it."
            )
        for guild in self.guilds:
            self._warn_if_home_server_without_moderator_role(guild)
        warn_about_missing_permissions(
            self, self.settings.channels.configured_channel_ids, every_server=self.runs_every_shard
        )

    async def on_shard_ready(self, shard_id: int, /) -> None:
        servers = sum(1 for guild in self.guilds if guild.shard_id == shard_id)
        log.info("shard %d of %s ready: %d servers", shard_id, self.shard_count, servers)

    async def on_guild_join(self, guild: discord.Guild, /) -> None:
        home = self.settings.moderation.is_home_server(guild.id)
        log.info(
            "joined the server %s (%s): %s",
            guild.name,
            guild.id,
            "a home server (its moderators curate the knowledge base)" if home else "answers only",
        )
        self._warn_if_home_server_without_moderator_role(guild)

    def _warn_if_home_server_without_moderator_role(self, guild: discord.Guild) -> None:
        """In a home server without a moderator role, only members with Manage Server can curate: often
        meant, but worth saying, since a forgotten CONNECTSBOT_MODERATOR_ROLES leaves moderators out."""
        moderation = self.settings.moderation
        if moderation.is_home_server(guild.id) and not moderation.roles_for(guild.id):
            log.warning(
                "the home server %s (%s) has no moderator role in CONNECTSBOT_MODERATOR_ROLES: only members "
                "with Manage Server can change the knowledge base there",
                guild.name,
                guild.id,
            )

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: the ask and autoanswer extensions listen to messages themselves."""
        return None
