"""Mod-log: every knowledge-base change made through the bot is posted to CONNECTSBOT_MODLOG_CHANNEL
with who made it, why, and a short diff; what the knowledge-file import changed at start, once connected,
and what a moderator's /faq import changed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
import discord
from discord.ext import commands

from bot.render import NO_MENTIONS, import_embed, modlog_embed
from connectsbot.entry_diff import short_diff
from connectsbot.store import ImportReport

if TYPE_CHECKING:
    from bot.client import ConnectsBot, KnowledgeChange

log = logging.getLogger(__name__)


class ModLogCog(commands.Cog):
    def __init__(self, bot: ConnectsBot) -> None:
        self.bot = bot
        self._reported_import = False

    def channel(self) -> discord.abc.Messageable | None:
        channel_id = self.bot.settings.channels.mod_log_channel_id
        if channel_id is None:
            return None
        channel = self.bot.get_channel(channel_id)
        if isinstance(channel, discord.TextChannel | discord.Thread | discord.VoiceChannel):
            return channel
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

    @commands.Cog.listener()
    async def on_kb_import(self, report: ImportReport, actor_id: int) -> None:
        """A moderator's /faq import, shown like the import at start (nothing when nothing changed)."""
        embed = import_embed(report)
        channel = self._channel_or_warn() if embed is not None else None
        if channel is None or embed is None:
            return
        embed.title = "Knowledge files imported with /faq import"
        embed.description = f"By <@{actor_id}>"
        embed.set_footer(text=f"{report.unchanged} unchanged")  # the revisions are by the moderator
        await self._post(channel, embed)

    @commands.Cog.listener()
    async def on_kb_change(self, change: KnowledgeChange) -> None:
        channel = self._channel_or_warn()
        if channel is None:
            return
        revision = change.revision
        diff = ["~ retired (no longer answered)"] if revision.action == "retire" else []
        diff += short_diff(change.before, revision.entry)
        guild = self.bot.get_guild(change.guild_id) if change.guild_id else None
        await self._post(
            channel, modlog_embed(revision, change.actor_id, diff, guild.name if guild else None)
        )


async def setup(bot: ConnectsBot) -> None:
    await bot.add_cog(ModLogCog(bot))
