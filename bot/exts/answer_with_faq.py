"""Message context menu "Answer with FAQ": an ephemeral preview of the best entry for someone's message,
with "Post as reply" and "Pick another". Any member may use it, or moderators only when
CONTEXT_MENU_MODERATORS_ONLY is set (checked again on every button).

The preview's controls are not persistent (random custom_ids, routed to the opener's preview until it
times out); they refuse anyone but the opener and entries the select did not offer.

A member posts through the bot only where they may send messages themselves, and at most POST_LIMIT
answers per POST_WINDOW_SECONDS (connectsbot.question_limit)."""

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
from connectsbot.question_limit import QuestionLimit

log = logging.getLogger(__name__)

MENU_NAME = "Answer with FAQ"
PREVIEW_TIMEOUT = 15 * 60
PREVIEW_NOTE = "Preview (only you see this). Post it as a reply to the message, or pick another entry."
NOT_OFFERED = "That entry was not offered here."
MEMBER_MAY_NOT_SEND = "You cannot send messages in this channel, so I will not post an answer here for you."
BOT_MAY_NOT_SEND = (
    "I cannot post in this channel (I lack the permission to send messages or read its history)."
)
# Answers a member may post through the menu in any window of this many seconds.
POST_LIMIT = 5
POST_WINDOW_SECONDS = 10 * 60
TOO_MANY_POSTS = (
    f"You posted {POST_LIMIT} answers in the last {POST_WINDOW_SECONDS // 60} minutes: "
    "you can post again in {seconds} s."
)


def _allowed(interaction: discord.Interaction[Any]) -> str | None:
    """Why this member may not use the menu here, or None."""
    bot = client_of(interaction)
    if checks.server_of(interaction) is None:
        return "“Answer with FAQ” works in the server only."
    if bot.settings.moderation.context_menu_moderators_only:
        problem = checks.moderator_problem(interaction)
        if problem is not None:
            return problem
    return _may_post_here(interaction)


def _may_post_here(interaction: discord.Interaction[Any]) -> str | None:
    """Why the answer may not be posted in this channel, or None. Discord gives both permission sets
    for the channel of the interaction (overwrites applied): the member's and the bot's."""
    in_thread = isinstance(interaction.channel, discord.Thread)
    member, bot = interaction.permissions, interaction.app_permissions
    if not (member.send_messages_in_threads if in_thread else member.send_messages):
        return MEMBER_MAY_NOT_SEND
    if not (bot.send_messages_in_threads if in_thread else bot.send_messages) or not bot.read_message_history:
        return BOT_MAY_NOT_SEND
    return None


class PreviewView(discord.ui.View):
    """The preview's controls; only the member who opened it can use them."""

    def __init__(
        self,
        owner_id: int,
        target: discord.Message,
        entry: Entry | None,
        choices: list[Entry],
        posts: QuestionLimit,
    ) -> None:
        super().__init__(timeout=PREVIEW_TIMEOUT)
        self.owner_id = owner_id
        self.posts = posts
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
        bot = client_of(interaction)
        decision = self.posts.check(str(interaction.user.id), bot.monotonic())
        if not decision.allowed:
            await respond(interaction, TOO_MANY_POSTS.format(seconds=decision.wait_seconds), ephemeral=True)
            return
        sources = bot.answers.sources
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
        self.posts = QuestionLimit(POST_LIMIT, POST_WINDOW_SECONDS)
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
        view = PreviewView(interaction.user.id, message, entry, choices[: SELECT_OPTIONS + 1], self.posts)
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
