"""Mod-log: every knowledge-base change is posted to CONNECTSBOT_MODLOG_CHANNEL with who made it, why,
and a short diff; what the knowledge-file import changed at start, once connected, and what a
moderator's /faq import changed. The cog follows the curator's change events: no command has to
remember to tell it."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import aiohttp
import discord
from discord.ext import commands

from bot.exts.modlog._render import import_embed, modlog_embed
from bot.replies import NO_MENTIONS
from connectsbot.curation import ChangedElsewhere, EntryChanged, FilesImported, KnowledgeEvent
from connectsbot.entry_diff import short_diff

if TYPE_CHECKING:
    from bot.client import ConnectsBot

log = logging.getLogger(__name__)

POST_DRAIN_SECONDS = 5.0


class ModLogCog(commands.Cog):
    def __init__(self, bot: ConnectsBot) -> None:
        self.bot = bot
        self._reported_import = False
        self._posting: set[asyncio.Task[None]] = set()  # held until done (asyncio keeps weak refs)

    async def cog_load(self) -> None:
        self._stop_following = self.bot.curator.subscribe(self.follow)

    async def cog_unload(self) -> None:
        """The bot closes (or the extension reloads): stop following, and let posts in flight go out."""
        self._stop_following()
        if self._posting:
            await asyncio.wait(self._posting, timeout=POST_DRAIN_SECONDS)

    async def follow(self, event: KnowledgeEvent) -> None:
        """A change (a curator subscriber, called right after the commit): post it in the background,
        so the moderator's reply never waits for the mod-log."""
        task = asyncio.create_task(self._post_change(event), name="connectsbot: mod-log post")
        self._posting.add(task)
        task.add_done_callback(self._posting.discard)

    def channel(self) -> discord.abc.Messageable | None:
        channel_id = self.bot.settings.channels.mod_log_channel_id
        if channel_id is None:
            return None
        channel = self.bot.get_channel(channel_id)
        if isinstance(channel, discord.TextChannel | discord.Thread | discord.VoiceChannel):
            return channel
        if channel is None and not self.bot.runs_every_shard:
            # In a server of another process's shard: not cached here, but posting needs only its id.
            return self.bot.get_partial_messageable(channel_id)
        return None

    def _channel_or_warn(self) -> discord.abc.Messageable | None:
        channel = self.channel()
        if channel is None and self.bot.settings.channels.mod_log_channel_id is not None:
            log.warning("mod-log channel %s not found", self.bot.settings.channels.mod_log_channel_id)
        return channel

    async def _post(self, channel: discord.abc.Messageable, embed: discord.Embed) -> None:
        try:
            await channel.send(embed=embed, allowed_mentions=NO_MENTIONS)
        except (discord.HTTPException, aiohttp.ClientError, OSError) as error:
            log.warning("could not post to the mod-log: %s", error)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Once per start: what the import of the knowledge files changed (or why it failed)."""
        outcome = self.bot.startup_import
        if self._reported_import or outcome is None:
            return
        self._reported_import = True
        embed = import_embed(outcome)
        channel = self._channel_or_warn() if embed is not None else None
        if channel is not None and embed is not None:
            await self._post(channel, embed)

    async def _post_change(self, event: KnowledgeEvent) -> None:
        if isinstance(event, ChangedElsewhere):  # the process that made it posts it
            return
        channel = self._channel_or_warn()
        if channel is None:
            return
        if isinstance(event, FilesImported):
            embed = import_embed(event.report)
            if embed is None:  # nothing changed
                return
            embed.title = "Knowledge files imported with /faq import"
            if event.actor.user_id is not None:
                embed.description = f"By <@{event.actor.user_id}>"
            embed.set_footer(text=f"{event.report.unchanged} unchanged")  # the revisions are the moderator's
            await self._post(channel, embed)
            return
        await self._post(channel, self._change_embed(event))

    def _change_embed(self, change: EntryChanged) -> discord.Embed:
        revision = change.revision
        diff = ["~ retired (no longer answered)"] if revision.action == "retire" else []
        diff += short_diff(change.before, change.after)
        if change.resolved_questions:
            count = change.resolved_questions
            diff.append(f"+ answers {count} unanswered question{'s' if count != 1 else ''}")
        guild = self.bot.get_guild(change.actor.guild_id) if change.actor.guild_id else None
        return modlog_embed(revision, change.actor.user_id, diff, guild.name if guild else None)
