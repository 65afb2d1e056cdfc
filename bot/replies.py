"""Every reply the bot sends: within Discord's limits, mentioning nobody.

`respond` answers an interaction (or follows up when it was answered already); `tell_privately` is the
ephemeral reply of error paths, which never raises; `reply_to` answers a member's message.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import discord

from bot import discord_text
from bot.discord_text import NO_MENTIONS

log = logging.getLogger(__name__)


async def respond(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: Sequence[discord.Embed] = (),
    view: discord.ui.View | None = None,
    files: Sequence[discord.File] = (),
    ephemeral: bool = False,
) -> None:
    """Answer the interaction (or follow up if it was answered), mentioning nobody."""
    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS, "ephemeral": ephemeral}
    if content is not None:
        kwargs["content"] = discord_text.truncate(content, discord_text.MESSAGE_LIMIT)
    all_embeds = [embed] if embed is not None else list(embeds)
    if all_embeds:
        kwargs["embeds"] = [discord_text.fit_embed(e) for e in all_embeds[:10]]
    if view is not None:
        kwargs["view"] = view
    if files:
        kwargs["files"] = list(files)
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


async def tell_privately(interaction: discord.Interaction[Any], message: str) -> None:
    """An ephemeral reply whether or not the interaction was answered already; never raises, so that
    telling the member about a first failure cannot become a second one."""
    try:
        await respond(interaction, message, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning("could not tell the member about an error: %s", exc)


async def respond_text(
    interaction: discord.Interaction[Any],
    text: str,
    *,
    ephemeral: bool,
    view: discord.ui.View | None = None,
) -> None:
    """Long text as several messages (code blocks closed and reopened), each within 2,000 characters;
    `view` goes under the last one."""
    chunks = discord_text.split_message(text) or ["(nothing to show)"]
    for number, chunk in enumerate(chunks, start=1):
        await respond(interaction, chunk, ephemeral=ephemeral, view=view if number == len(chunks) else None)


async def update(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> None:
    """Replace the message the component is on (callback type 7)."""
    await interaction.response.edit_message(
        content=discord_text.truncate(content, discord_text.MESSAGE_LIMIT) if content is not None else None,
        embeds=[discord_text.fit_embed(embed)] if embed is not None else [],
        view=view,
        allowed_mentions=NO_MENTIONS,
    )


async def reply_to(
    message: discord.Message,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> discord.Message | None:
    """Reply to a member's message without pinging them or anyone named in the text.

    None when Discord refused (no permission in that channel, message deleted meanwhile): logged as
    a warning, since that is the server's set-up, not a bug.
    """
    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS, "mention_author": False}
    if content is not None:
        kwargs["content"] = discord_text.truncate(content, discord_text.MESSAGE_LIMIT)
    if embed is not None:
        kwargs["embed"] = discord_text.fit_embed(embed)
    if view is not None:
        kwargs["view"] = view
    try:
        return await message.reply(**kwargs)
    except discord.HTTPException as error:
        log.warning("could not reply in channel %s: %s %s", message.channel.id, error.status, error.code)
        return None
