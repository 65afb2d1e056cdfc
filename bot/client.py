"""The Discord client: holds the store, the answer engine and the policy, loads one extension per feature."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks
from bot.render import NO_MENTIONS
from connectsbot.engine import AnswerEngine
from connectsbot.models import Entry, Policy
from connectsbot.ranking import EntryRanker
from connectsbot.store import ImportFailed, ImportReport, KnowledgeStore, Revision, StoreError
from connectsbot.throttle import QuestionThrottle

from .settings import BotSettings

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "bot.exts.ask",
    "bot.exts.faq",
    "bot.exts.diagnose",
    "bot.exts.autoanswer",
    "bot.exts.answer_with_faq",
    "bot.exts.modlog",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class KnowledgeChange:
    """A change a moderator made through the bot: dispatched as the `kb_change` event (mod-log)."""

    revision: Revision
    before: Entry | None
    actor_id: int
    actor_name: str
    guild_id: int | None


def author_of(user: discord.abc.User) -> str:
    """How a Discord member is named in the revision history: name and id."""
    return f"{user.name} ({user.id})"


class ConnectsTree(app_commands.CommandTree["ConnectsBot"]):
    """The command tree: refusals and store errors become ephemeral replies; bugs are logged."""

    async def on_error(
        self, interaction: discord.Interaction[ConnectsBot], error: app_commands.AppCommandError
    ) -> None:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(original, checks.NotAllowed):
            message = str(original)
        elif isinstance(original, StoreError):
            log.info("command %s refused by the store: %s", _name(interaction), type(original).__name__)
            message = str(original)
        else:
            log.error("command %s failed", _name(interaction), exc_info=original)
            message = "Something went wrong on my side; the moderators can find it in the logs."
        await send_safely(interaction, message)


def _name(interaction: discord.Interaction[Any]) -> str:
    command = interaction.command
    return f"/{command.qualified_name}" if command is not None else f"interaction {interaction.type.name}"


async def send_safely(interaction: discord.Interaction[Any], message: str) -> None:
    """An ephemeral reply whether or not the interaction was answered already; never raises."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message[:2000], ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(
                message[:2000], ephemeral=True, allowed_mentions=NO_MENTIONS
            )
    except discord.HTTPException as exc:
        log.warning("could not tell the member about an error: %s", exc)


class ConnectsBot(commands.Bot):
    """The bot. Every message it sends mentions nobody (`allowed_mentions` default and explicit)."""

    def __init__(
        self,
        settings: BotSettings,
        store: KnowledgeStore,
        engine: AnswerEngine,
        policy: Policy,
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
        )
        self.settings = settings
        self.store = store
        self.engine = engine
        self.policy = policy
        self.ranker = EntryRanker(engine)
        self.question_throttle = QuestionThrottle(
            settings.answers.question_limit, settings.answers.question_window_seconds
        )
        # What the import of the knowledge files did at start; the mod-log reports it once connected.
        self.startup_import = startup_import
        self.extension_names = tuple(extensions)
        self.clock = clock
        self.monotonic = monotonic

    async def setup_hook(self) -> None:
        from bot import components

        components.register(self)
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

    async def on_ready(self) -> None:
        user = self.user
        log.info("connected as %s (%s) to %d servers", user, user.id if user else "?", len(self.guilds))

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: the ask and autoanswer extensions listen to messages themselves."""
        return None

    async def knowledge_changed(
        self, revision: Revision, before: Entry | None, actor: discord.abc.User, guild_id: int | None
    ) -> None:
        """After every change through the bot: rebuild the matcher, then tell the mod-log."""
        await self.engine.refresh()
        log.info(
            "knowledge base: %s %s r%d by %s", revision.action, revision.entry_id, revision.revision, actor.id
        )
        self.dispatch("kb_change", KnowledgeChange(revision, before, actor.id, author_of(actor), guild_id))
