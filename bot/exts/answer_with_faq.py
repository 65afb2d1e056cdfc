"""Message context menu "Answer with FAQ": an ephemeral preview of the best entry for someone's message,
with "Post as reply" and "Pick another". Any member may use it, or moderators only when
CONTEXT_MENU_MODERATORS_ONLY is set (checked again on every button).

The preview's controls are not persistent (random custom_ids, routed to the opener's preview until it
times out); they refuse anyone but the opener and entries the select did not offer."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks
from bot.client import ConnectsBot, client_of
from bot.components import answer_embed, answer_view, suggestion_option
from bot.failures import report_failure
from bot.replies import SELECT_OPTIONS, reply_to, respond, update
from connectsbot.knowledge import Entry

log = logging.getLogger(__name__)

MENU_NAME = "Answer with FAQ"
PREVIEW_TIMEOUT = 15 * 60
PREVIEW_NOTE = "Preview (only you see this). Post it as a reply to the message, or pick another entry."
NOT_OFFERED = "That entry was not offered here."


def _allowed(interaction: discord.Interaction[Any]) -> str | None:
    """Why this member may not use the menu here, or None."""
    bot = client_of(interaction)
    if checks.server_of(interaction) is None:
        return "“Answer with FAQ” works in the server only."
    if bot.settings.moderation.context_menu_moderators_only:
        return checks.moderator_problem(interaction)
    return None


class PreviewView(discord.ui.View):
    """The preview's controls; only the member who opened it can use them."""

    def __init__(
        self, owner_id: int, target: discord.Message, entry: Entry | None, choices: list[Entry]
    ) -> None:
        super().__init__(timeout=PREVIEW_TIMEOUT)
        self.owner_id = owner_id
        self.target = target
        self.entry = entry
        self.choices = choices
        self.posted = False
        self._select: discord.ui.Select[PreviewView] | None = None
        if entry is not None:
            self._show_buttons()
        else:
            self._show_select()

    def _show_buttons(self) -> None:
        self.clear_items()
        post: discord.ui.Button[PreviewView] = discord.ui.Button(
            label="Post as reply", style=discord.ButtonStyle.success
        )
        other: discord.ui.Button[PreviewView] = discord.ui.Button(
            label="Pick another", style=discord.ButtonStyle.secondary
        )
        post.callback = self.post  # type: ignore[method-assign]
        other.callback = self.pick_another  # type: ignore[method-assign]
        self.add_item(post)
        self.add_item(other)

    def _show_select(self) -> None:
        self.clear_items()
        options = [suggestion_option(e) for e in self.choices if self.entry is None or e.id != self.entry.id]
        select: discord.ui.Select[PreviewView] = discord.ui.Select(
            placeholder="Choose the entry to post", options=options[:SELECT_OPTIONS]
        )
        select.callback = self.chosen  # type: ignore[method-assign]
        self._select = select
        self.add_item(select)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id != self.owner_id:
            await respond(interaction, "This preview belongs to someone else.", ephemeral=True)
            return False
        problem = _allowed(interaction)
        if problem is not None:
            await respond(interaction, problem, ephemeral=True)
            return False
        return True

    async def post(self, interaction: discord.Interaction[Any]) -> None:
        entry = self.entry
        if entry is None or self.posted:
            await respond(interaction, "Already posted.", ephemeral=True)
            return
        sources = client_of(interaction).answers.sources
        posted = await reply_to(self.target, embed=answer_embed(entry, sources), view=answer_view(entry.id))
        if posted is None:
            await respond(
                interaction,
                "I could not post there (missing permission, or the message is gone).",
                ephemeral=True,
            )
            return
        self.posted = True
        log.info("answer with FAQ: posted %s", entry.id)
        self.stop()
        await update(interaction, f"Posted `{entry.id}` as a reply.", embed=None, view=None)

    async def pick_another(self, interaction: discord.Interaction[Any]) -> None:
        self._show_select()
        await update(interaction, "Pick the entry to post:", view=self)

    async def chosen(self, interaction: discord.Interaction[Any]) -> None:
        select = self._select
        values = select.values if select is not None else []
        offered = {option.value for option in select.options} if select is not None else set()
        # Only what the select offered (a forged value could name any entry, retired ones aside).
        if len(values) != 1 or values[0] not in offered:
            await respond(interaction, NOT_OFFERED, ephemeral=True)
            return
        bot = client_of(interaction)
        snapshot = await bot.answers.snapshot()
        entry = snapshot.entries.get(values[0])
        if entry is None:
            await respond(interaction, "That entry is not available anymore.", ephemeral=True)
            return
        self.entry = entry
        self._show_buttons()
        await update(interaction, PREVIEW_NOTE, embed=answer_embed(entry, snapshot.sources), view=self)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, item: Any, /) -> None:
        await report_failure(
            interaction, error, "answer with FAQ", "Something went wrong; nothing was posted."
        )


class AnswerWithFaqCog(commands.Cog):
    def __init__(self, bot: ConnectsBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name=MENU_NAME, callback=self.answer_with_faq)
        bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def answer_with_faq(
        self, interaction: discord.Interaction[ConnectsBot], message: discord.Message
    ) -> None:
        problem = _allowed(interaction)
        if problem is not None:
            await respond(interaction, problem, ephemeral=True)
            return
        text = message.content.strip()
        if not text:
            await respond(interaction, "That message has no text I can match.", ephemeral=True)
            return
        guild = str(interaction.guild_id) if interaction.guild_id else None
        (answer,) = await self.bot.answers.ask_many(
            [text], str(message.author.id), guild, str(message.channel.id), record=False
        )
        entry = answer.entry or (answer.suggestions[0] if answer.suggestions else None)
        choices = [*answer.suggestions]
        for ranked in await self.bot.ranker.rank(text, SELECT_OPTIONS):
            if all(ranked.id != c.id for c in choices):
                choices.append(ranked)
        view = PreviewView(interaction.user.id, message, entry, choices[: SELECT_OPTIONS + 1])
        if entry is None:
            await respond(interaction, "No entry fits well. Pick one to post:", view=view, ephemeral=True)
        else:
            await respond(
                interaction,
                PREVIEW_NOTE,
                embed=answer_embed(entry, self.bot.answers.sources),
                view=view,
                ephemeral=True,
            )


async def setup(bot: ConnectsBot) -> None:
    await bot.add_cog(AnswerWithFaqCog(bot))
