"""Who may change the knowledge base: checked on the bot's side for every moderator action.

The knowledge base is shared by every server the bot is in and curated by its home servers
(`CONNECTSBOT_GUILDS`); with none listed nobody can change it. A moderator is a member of a home server
with one of the moderator roles configured for that server, or with the Manage Server permission
(administrators have it). Refused: direct messages and servers the bot is not in (a user-installed
command), other servers, members without either. Slash commands check before running
(`moderator_only`); buttons, selects and modals call `require_moderator` in their callbacks, because
anyone can send any custom_id.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.replies import respond
from bot.settings import ModerationSettings
from connectsbot.store import ServerScope

NOT_IN_DMS = "Moderator commands work in the server only, not in direct messages."
NO_HOME_SERVER = (
    "Nobody can change the knowledge base yet: no home server is configured. The bot's operator lists the "
    "servers that curate it in CONNECTSBOT_GUILDS (see “Connecting it” in the README) and restarts the bot."
)
OTHER_SERVER = "This bot's knowledge base is not managed from this server."
NOT_A_MODERATOR = "Only moderators can do that (a moderator role or the Manage Server permission)."


class NotAllowed(app_commands.CheckFailure):
    """The member may not do this; the message says why (shown to them, ephemeral)."""


def server_of(interaction: discord.Interaction[Any]) -> int | None:
    """The server an interaction comes from as far as the bot is concerned: None in direct messages, and
    in a server the bot is not in (a user-installed command there names a server the bot knows nothing
    of), which is answered as direct messages are."""
    guild_id = interaction.guild_id
    # Not `interaction.guild`: discord.py builds a partial one from the payload for servers it is not in.
    if guild_id is None or interaction.client.get_guild(guild_id) is None:
        return None
    return guild_id


def moderator_problem(interaction: discord.Interaction[Any]) -> str | None:
    """Why this interaction's user is not a moderator here, or None when they are."""
    # The client is the ConnectsBot; bot.client depends on this module, so only its settings are named.
    moderation: ModerationSettings = interaction.client.settings.moderation
    if not moderation.guild_ids:
        return NO_HOME_SERVER
    guild_id = server_of(interaction)
    member = interaction.user
    if guild_id is None or not isinstance(member, discord.Member):
        return NOT_IN_DMS
    if not moderation.is_home_server(guild_id):
        return OTHER_SERVER
    # Discord computes these server-side and sends them with the interaction.
    if interaction.permissions.manage_guild or interaction.permissions.administrator:
        return None
    if member.guild.id != guild_id:
        return OTHER_SERVER
    roles = moderation.roles_for(guild_id)
    if roles and any(role.id in roles for role in member.roles):
        return None
    return NOT_A_MODERATOR


def moderator_scope(interaction: discord.Interaction[Any]) -> ServerScope:
    """The records a moderator here reads (questions, votes, statistics): this server's, and those of
    direct messages when it is a home server. Called once the moderator check has passed."""
    guild_id = server_of(interaction)
    if guild_id is None:
        raise NotAllowed(NOT_IN_DMS)
    moderation: ModerationSettings = interaction.client.settings.moderation
    return ServerScope(str(guild_id), direct_messages=moderation.is_home_server(guild_id))


def is_moderator(interaction: discord.Interaction[Any]) -> bool:
    return moderator_problem(interaction) is None


async def require_moderator(interaction: discord.Interaction[Any]) -> bool:
    """For component and modal callbacks: True if allowed; otherwise the member is told why."""
    problem = moderator_problem(interaction)
    if problem is None:
        return True
    await respond(interaction, problem, ephemeral=True)
    return False


def moderator_check(interaction: discord.Interaction[Any]) -> bool:
    """The check `moderator_only` adds to a command (tests find moderator commands by it)."""
    problem = moderator_problem(interaction)
    if problem is not None:
        raise NotAllowed(problem)
    return True


moderator_only = app_commands.check(moderator_check)
"""Decorator for slash commands: refuse (ephemeral, with the reason) unless a moderator here."""
