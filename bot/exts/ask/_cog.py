"""/ask and @mention: match the question, answer with an embed and feedback buttons, or suggest.

Both are under the per-member question limit (see connectsbot.question_limit). Over the limit, a mention
gets the "slow down" notice once and later ones are ignored, so a flood never makes the bot flood the
channel. A slash command must be answered (Discord shows "the application did not respond" otherwise), so
each refused /ask gets the notice privately: only the member sees it, and it costs neither a match nor a
database write.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import server_of
from bot.client import ConnectsBot
from bot.components import answer_message, from_a_person, question_for_bot
from bot.replies import CHOICE_VALUE, CHOICES, entry_choices, one_line, reply_to, respond
from connectsbot.question_limit import LimitDecision
from connectsbot.store import StoreUnavailable

log = logging.getLogger(__name__)

NOT_FOUND_TEXT = (
    "Sorry, I don't know that one yet. I can answer questions about Upwork Connects, interview Connects "
    "and Upwork's communication rules. I've noted your question for the moderators."
)
SLOW_DOWN = (
    "You're asking faster than I can answer: please wait {seconds} s before your next question. "
    "Questions sent meanwhile are not answered."
)

QUESTION_MAX = 1000
MENTION_HELP = (
    "Ask me a question after the mention, for example: “@{name} do unused Connects roll over?” "
    "You can also use /ask, and /diagnose to check missing interview Connects."
)
DIRECT_MESSAGE_NOTICE = (
    "Good to know: questions I cannot answer are kept, and the moderators of the community that curates "
    "this FAQ read them to improve it (without your name). You are told this once."
)


def _where(guild_id: int | None, channel_id: int | None) -> tuple[str | None, str]:
    return (str(guild_id) if guild_id is not None else None), str(channel_id or "dm")


def _slow_down(decision: LimitDecision) -> str:
    return SLOW_DOWN.format(seconds=decision.wait_seconds)


class AskCog(commands.Cog):
    def __init__(self, bot: ConnectsBot) -> None:
        self.bot = bot

    def _check_question(self, member_id: int) -> LimitDecision:
        return self.bot.question_throttle.check(str(member_id), self.bot.monotonic())

    @app_commands.command(name="ask", description="Ask a question about Upwork Connects and interviews")
    @app_commands.describe(
        question="Your question, in your own words",
        private="Show the answer to you only (default: everyone in the channel sees it)",
    )
    async def ask(
        self,
        interaction: discord.Interaction[ConnectsBot],
        question: app_commands.Range[str, 1, QUESTION_MAX],
        private: bool = False,
    ) -> None:
        decision = self._check_question(interaction.user.id)
        if not decision.allowed:
            await respond(interaction, _slow_down(decision), ephemeral=True)
            return
        server = server_of(interaction)
        guild, channel = _where(server, interaction.channel_id)
        # Outside the bot's servers (direct messages, a user-installed command) a question is kept only
        # for a home server's moderators; with none configured nobody would read it.
        record = server is not None or bool(self.bot.settings.moderation.guild_ids)
        (answer,) = await self.bot.answers.ask_many(
            [question], str(interaction.user.id), guild, channel, record=record
        )
        log.info("/ask: %s %s", answer.result.decision, answer.result.entry_id or "")
        content, embed, view = answer_message(answer, self.bot.answers.sources)
        if content is None and embed is None:
            await respond(interaction, NOT_FOUND_TEXT, ephemeral=True)
        else:
            await respond(interaction, content, embed=embed, view=view, ephemeral=private)
        if server is None and answer.question_id is not None:
            await self._tell_once_that_moderators_read(interaction)

    async def _tell_once_that_moderators_read(self, interaction: discord.Interaction[ConnectsBot]) -> None:
        """A member's first question kept from direct messages: say who reads such questions."""
        try:
            first = await self.bot.store.first_direct_message(str(interaction.user.id))
        except StoreUnavailable as error:  # told with a later question instead
            log.warning("the direct-message notice not noted (%s)", error.problem)
            return
        if first:
            await respond(interaction, DIRECT_MESSAGE_NOTICE, ephemeral=True)

    @ask.autocomplete("question")
    async def ask_autocomplete(
        self, interaction: discord.Interaction[ConnectsBot], current: str
    ) -> list[app_commands.Choice[str]]:
        matcher = (await self.bot.answers.ready()).lexical
        candidates = matcher.complete(current[:200], CHOICES)
        titles = [one_line(c.matched_text, CHOICE_VALUE) for c in candidates]
        return entry_choices((title, title) for title in titles)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if message.guild is None or not from_a_person(message, me):
            return
        question = question_for_bot(message, me)
        if question is None:
            return
        decision = self._check_question(message.author.id)
        if decision.verdict == "warn":
            await reply_to(message, _slow_down(decision))
        if not decision.allowed:
            return
        if not question:
            name = me.display_name if me else "bot"
            await reply_to(message, MENTION_HELP.format(name=name))
            return
        guild, channel = _where(message.guild.id, message.channel.id)
        answer = await self.bot.answers.ask(question, str(message.author.id), guild, channel)
        log.info("mention: %s %s", answer.result.decision, answer.result.entry_id or "")
        content, embed, view = answer_message(answer, self.bot.answers.sources)
        if content is None and embed is None:
            content = NOT_FOUND_TEXT
        await reply_to(message, content, embed=embed, view=view)
