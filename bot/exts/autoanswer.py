"""Auto-answer in the configured help channels and forum channels.

- A message in a help channel, or a new post in a forum channel (its title and first message), is a
  question: answered when the matcher is confident, "Did you mean…" when it is close, silence otherwise
  (the question is still recorded for the moderators).
- At most one reply per question (per message; per post in forums); never to bots, webhooks or itself;
  messages that @mention the bot are left to the ask extension (which answers them like /ask).
- Per-member cooldown: after a reply, that member's next questions are left alone for
  CONNECTSBOT_COOLDOWN_SECONDS (the core's question limit, counting replies: one per cooldown).
"""

from __future__ import annotations

import logging
from typing import Literal

import discord
from discord.ext import commands

from bot.client import ConnectsBot
from bot.components import answer_message, from_a_person, question_for_bot
from bot.replies import reply_to
from connectsbot.question_limit import QuestionLimit
from connectsbot.recent import Recent

log = logging.getLogger(__name__)

REMEMBERED = 10_000  # question keys and new threads kept to refuse a second reply


class AutoAnswerCog(commands.Cog):
    def __init__(self, bot: ConnectsBot) -> None:
        self.bot = bot
        self._handled: Recent[int, None] = Recent(REMEMBERED)
        self._new_threads: Recent[int, None] = Recent(REMEMBERED)
        self._replies = QuestionLimit(1, bot.settings.answers.cooldown_seconds, remembered=REMEMBERED)

    def _kind(self, channel: discord.abc.MessageableChannel) -> Literal["help", "forum"] | None:
        channels = self.bot.settings.channels
        if channel.id in channels.help_channel_ids:
            return "help"
        if isinstance(channel, discord.Thread) and channel.parent_id in channels.forum_channel_ids:
            return "forum"
        return None

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        if thread.parent_id in self.bot.settings.channels.forum_channel_ids:
            self._new_threads.put(thread.id, None)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if message.guild is None or not from_a_person(message, me):
            return
        kind = self._kind(message.channel)
        if kind is None:
            return
        if kind == "forum":
            thread = message.channel
            assert isinstance(thread, discord.Thread)
            starter = message.id == thread.id or (
                thread.id in self._new_threads and message.author.id == thread.owner_id
            )
            if not starter:
                return
            self._new_threads.discard(thread.id)
            key, text = thread.id, f"{thread.name}\n{message.content}"
        else:
            key, text = message.id, message.content
        if question_for_bot(message, me) is not None:
            self._handled.put(key, None)  # the ask extension answers it, like /ask
            return
        if key in self._handled or not text.strip():
            return
        self._handled.put(key, None)
        author = str(message.author.id)
        if not self._replies.allows(author, self.bot.monotonic()):
            log.info("auto-answer: member on cooldown, question left alone")
            return
        answer = await self.bot.answers.ask(text, author, str(message.guild.id), str(message.channel.id))
        if answer.is_smalltalk:  # "thanks!" in a help channel is not addressed to the bot
            log.info("auto-answer (%s): small talk, staying silent", kind)
            return
        content, embed, view = answer_message(answer, self.bot.answers.sources)
        if content is None and embed is None:
            log.info("auto-answer (%s): no answer, staying silent", kind)
            return
        now = self.bot.monotonic()
        if not self._replies.allows(author, now):  # another question of theirs was answered meanwhile
            return
        self._replies.count(author, now)
        log.info("auto-answer (%s): %s %s", kind, answer.result.decision, answer.result.entry_id or "")
        await reply_to(message, content, embed=embed, view=view)


async def setup(bot: ConnectsBot) -> None:
    await bot.add_cog(AutoAnswerCog(bot))
