"""Auto-answer in the configured help channels and forum channels.

- A message in a help channel, or a new post in a forum channel (its title and first message), is a
  question: answered when the matcher is confident, "Did you mean…" when it is close, silence otherwise
  (the question is still recorded for the moderators).
- At most one reply per question (per message; per post in forums); never to bots, webhooks or itself;
  messages that @mention the bot are left to the ask extension (which answers them like /ask).
- Per-member cooldown: after a reply, that member's next questions are left alone for
  CONNECTSBOT_COOLDOWN_SECONDS.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Literal

import discord
from discord.ext import commands

from bot.components import answer_message, from_a_person, question_for_bot, reply_to

if TYPE_CHECKING:
    from bot.client import ConnectsBot

log = logging.getLogger(__name__)

REMEMBERED = 10_000  # question keys and new threads kept to refuse a second reply


def _remember(seen: OrderedDict[int, None], key: int) -> None:
    seen[key] = None
    seen.move_to_end(key)
    while len(seen) > REMEMBERED:
        seen.popitem(last=False)


class AutoAnswerCog(commands.Cog):
    def __init__(self, bot: ConnectsBot) -> None:
        self.bot = bot
        self._handled: OrderedDict[int, None] = OrderedDict()
        self._new_threads: OrderedDict[int, None] = OrderedDict()
        self._last_reply: dict[int, float] = {}

    def _kind(self, channel: discord.abc.MessageableChannel) -> Literal["help", "forum"] | None:
        channels = self.bot.settings.channels
        if channel.id in channels.help_channel_ids:
            return "help"
        if isinstance(channel, discord.Thread) and channel.parent_id in channels.forum_channel_ids:
            return "forum"
        return None

    def _cooling_down(self, user_id: int, now: float) -> bool:
        last = self._last_reply.get(user_id)
        return last is not None and now - last < self.bot.settings.answers.cooldown_seconds

    def _replied(self, user_id: int, now: float) -> None:
        self._last_reply[user_id] = now
        if len(self._last_reply) > REMEMBERED:
            cooldown = self.bot.settings.answers.cooldown_seconds
            self._last_reply = {u: t for u, t in self._last_reply.items() if now - t < cooldown}

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        if thread.parent_id in self.bot.settings.channels.forum_channel_ids:
            _remember(self._new_threads, thread.id)

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
            self._new_threads.pop(thread.id, None)
            key, text = thread.id, f"{thread.name}\n{message.content}"
        else:
            key, text = message.id, message.content
        if question_for_bot(message, me) is not None:
            _remember(self._handled, key)  # the ask extension answers it, like /ask
            return
        if key in self._handled or not text.strip():
            return
        _remember(self._handled, key)
        author = message.author.id
        if self._cooling_down(author, self.bot.monotonic()):
            log.info("auto-answer: member on cooldown, question left alone")
            return
        answer = await self.bot.answers.ask(text, str(author), str(message.guild.id), str(message.channel.id))
        if answer.is_smalltalk:  # "thanks!" in a help channel is not addressed to the bot
            log.info("auto-answer (%s): small talk, staying silent", kind)
            return
        content, embed, view = answer_message(answer, self.bot.answers.sources)
        if content is None and embed is None:
            log.info("auto-answer (%s): no answer, staying silent", kind)
            return
        now = self.bot.monotonic()
        if self._cooling_down(author, now):  # another question of theirs was answered meanwhile
            return
        self._replied(author, now)
        log.info("auto-answer (%s): %s %s", kind, answer.result.decision, answer.result.entry_id or "")
        await reply_to(message, content, embed=embed, view=view)


async def setup(bot: ConnectsBot) -> None:
    await bot.add_cog(AutoAnswerCog(bot))
