"""How an answer is presented (the answer embed, "Did you mean…"), its persistent controls, and what
reads interactions and messages addressed to the bot. /ask, @mentions, /faq show, the auto-answer and
"Answer with FAQ" all present answers through here.

Persistent controls are `DynamicItem`s: their state lives in the custom_id, so they keep working after a
restart. Their custom_ids all start with `cb:`; each item's template accepts anything after its prefix
(line breaks included) and the callback parses and validates it, so a forged or stale custom_id gets a
polite refusal instead of an exception or no answer at all (and nothing happens). A control counts only
on a message this bot sent that carries it (`PersistentControl.interaction_check`), and only for what
that message shows: the entry of the answer, the suggestions of the "Did you mean…", the member the
message was for (`addressed_to`) where Discord says so.

- `cb:fb:{entry_id}:{1|0}`  Helpful / Not helpful under an answer: only the member it answered, on a live
  entry; one vote per member per entry per day, a second click (on any answer showing it) changes it.
- `cb:pick:{question_id}`    the "Did you mean…" select; values are entry ids.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Protocol, Self, TypeVar, cast

import discord

from bot.checks import server_of
from bot.failures import reports_failures
from bot.replies import (
    ANSWER_COLOUR,
    EMBED_TITLE,
    NO_MENTIONS,
    SELECT_DESCRIPTION,
    SELECT_LABEL,
    SELECT_OPTIONS,
    SELECT_VALUE,
    fit_embed,
    one_line,
    respond,
    reveal_links,
    tell_privately,
    truncate,
)
from connectsbot.answers import Answer, AnswerService
from connectsbot.dating import dating_lines
from connectsbot.knowledge import ENTRY_ID_PATTERN, Entry, SourceRecord
from connectsbot.matching.smalltalk import SMALLTALK_REPLY
from connectsbot.store import KnowledgeStore, NotFound, StoreError
from connectsbot.terminal_text import today_utc

log = logging.getLogger(__name__)

INVALID_CONTROL = "That button or menu is not valid (anymore). Ask again with /ask."
NOT_YOUR_ANSWER = "This answer was for someone else: ask your own question with /ask to rate the answer."
SUGGEST_TEXT = "I'm not sure I understood. Did you mean…"
DIAGNOSE_HINT = (
    "Run **/diagnose** and paste your timeline: I'll check each interview and tell you what to do next "
    "(how to write it: **/diagnose-help**)."
)
_ENTRY_ID = re.compile(ENTRY_ID_PATTERN)


class _AnsweringBot(Protocol):
    """What the answer controls use of the bot (a bot.client.ConnectsBot, which registers them at start,
    so this module cannot import it)."""

    store: KnowledgeStore
    answers: AnswerService


def _bot_of(interaction: discord.Interaction[Any]) -> _AnsweringBot:
    return cast(_AnsweringBot, interaction.client)


_NUMBER = re.compile(r"[0-9]{1,18}")


def parse_number(text: str) -> int | None:
    """A question id or page number from a custom_id, or None. ASCII digits only: str.isdigit() also
    accepts "²", which int() then rejects with an exception."""
    return int(text) if _NUMBER.fullmatch(text) else None


def on_own_message(interaction: discord.Interaction[Any]) -> bool:
    """Whether the control was used on a message this bot sent."""
    bot_user = interaction.client.user
    message = interaction.message
    return message is not None and bot_user is not None and message.author.id == bot_user.id


def carries(interaction: discord.Interaction[Any], custom_id: str) -> bool:
    """Whether the interaction's message has a component with this custom_id. Discord sends the message
    as the bot sent it, so a control it does not carry was never offered there."""
    message = interaction.message
    rows = message.components if message is not None else []
    children = [child for row in rows for child in getattr(row, "children", [])]
    return any(getattr(child, "custom_id", None) == custom_id for child in children)


def addressed_to(message: discord.Message) -> int | None:
    """The member a message of the bot was for: who used the command it answers, or who wrote the
    message it replies to; None when Discord does not say."""
    if message.interaction_metadata is not None:
        return message.interaction_metadata.user.id
    reference = message.reference
    if reference is not None and isinstance(reference.resolved, discord.Message):
        return reference.resolved.author.id
    return None


def offered_values(interaction: discord.Interaction[Any], custom_id: str) -> set[str]:
    """The values the select `custom_id` offers on the interaction's message. Discord sends the
    message as the bot sent it, so a value outside these was never offered."""
    message = interaction.message
    rows = message.components if message is not None else []
    return {
        option.value
        for row in rows
        for child in getattr(row, "children", [])
        if isinstance(child, discord.SelectMenu) and child.custom_id == custom_id
        for option in child.options
    }


ControlT = TypeVar("ControlT", bound=discord.ui.Item[Any])


# discord.py wants a template on every subclass of DynamicItem; this one's is never registered (each
# subclass gets its own from its prefix).
class PersistentControl(discord.ui.DynamicItem[ControlT], template=r"(?s)cb:(?P<rest>.*)"):
    """A persistent control whose state is the rest of its custom_id, after `cb:{prefix}:`.

    A subclass names its prefix (`class PageButton(PersistentControl[Button[Any]], prefix="page")`) and
    builds its item with `custom_id=self.custom_id_for(rest)`; discord.py rebuilds it from a click with the
    state alone, so every other argument of the subclass's constructor has a default.
    """

    prefix: ClassVar[str]

    def __init_subclass__(cls, *, prefix: str) -> None:
        super().__init_subclass__(template=rf"(?s)cb:{re.escape(prefix)}:(?P<rest>.*)")
        cls.prefix = prefix

    def __init__(self, rest: str, item: ControlT, *, row: int | None = None) -> None:
        super().__init__(item, row=row)
        self.rest = rest

    @classmethod
    def custom_id_for(cls, rest: str) -> str:
        return f"cb:{cls.prefix}:{rest}"

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Only on a message of this bot that carries this very control (a forged custom_id could name
        anything, and a member's message must never be edited "in place")."""
        if on_own_message(interaction) and carries(interaction, self.custom_id_for(self.rest)):
            return True
        # discord.py answers nothing when this returns False, and ignores what this raises.
        await tell_privately(interaction, INVALID_CONTROL)
        return False

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        # The subclass's constructor, which takes the state alone (see the class's docstring).
        rebuild = cast(Callable[[str], Self], cls)
        return rebuild(match["rest"])


def options_or_placeholder(options: Sequence[discord.SelectOption]) -> list[discord.SelectOption]:
    """A select's options; a select rebuilt from a click has none (Discord sends only the values
    chosen), and discord.py wants at least one."""
    return list(options) or [discord.SelectOption(label="-", value="-")]


# Helpful / Not helpful


class FeedbackButton(PersistentControl[discord.ui.Button[Any]], prefix="fb"):
    def __init__(self, rest: str, *, label: str = "Helpful", emoji: str | None = None) -> None:
        helpful = rest.endswith(":1")
        style = discord.ButtonStyle.success if helpful else discord.ButtonStyle.secondary
        super().__init__(
            rest, discord.ui.Button(label=label, emoji=emoji, style=style, custom_id=self.custom_id_for(rest))
        )

    @classmethod
    def for_entry(cls, entry_id: str, helpful: bool) -> FeedbackButton:
        if helpful:
            return cls(f"{entry_id}:1", label="Helpful", emoji="👍")
        return cls(f"{entry_id}:0", label="Not helpful", emoji="👎")

    def parsed(self) -> tuple[str, bool] | None:
        entry_id, sep, vote = self.rest.rpartition(":")
        if not sep or vote not in ("0", "1") or not _ENTRY_ID.fullmatch(entry_id) or len(entry_id) > 64:
            return None
        return entry_id, vote == "1"

    @reports_failures("the Helpful / Not helpful button")
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot_of(interaction)
        parsed = self.parsed()
        message = interaction.message
        if parsed is None or message is None:
            await respond(interaction, INVALID_CONTROL, ephemeral=True)
            return
        if addressed_to(message) not in (None, interaction.user.id):
            await respond(interaction, NOT_YOUR_ANSWER, ephemeral=True)
            return
        entry_id, helpful = parsed
        try:
            # A live entry (retired ones take no votes) that the message shows.
            await bot.store.get(entry_id)
            if not await shows_entry(bot.store, message, entry_id):
                await respond(interaction, INVALID_CONTROL, ephemeral=True)
                return
            outcome = await bot.store.record_vote(
                str(message.id), str(interaction.user.id), entry_id, helpful, _guild(interaction)
            )
        except NotFound:
            await respond(interaction, INVALID_CONTROL, ephemeral=True)
            return
        except StoreError as error:
            await respond(interaction, f"Your vote could not be saved: {error}", ephemeral=True)
            return
        word = "helpful" if helpful else "not helpful"
        text = {
            "recorded": f"Thanks! Noted as {word}.",
            "changed": f"Changed your vote to {word}.",
            "unchanged": f"You already said this was {word}.",
        }[outcome]
        if not helpful and outcome != "unchanged":
            text += " If the answer missed your question, ask it in other words or ping a moderator."
        log.info("feedback on %s: %s (%s)", entry_id, word, outcome)
        await respond(interaction, text, ephemeral=True)


def answer_title(entry: Entry) -> str:
    """The title of an entry's answer embed, as Discord stores it."""
    return one_line(reveal_links(entry.question), EMBED_TITLE)


async def shows_entry(store: KnowledgeStore, message: discord.Message, entry_id: str) -> bool:
    """Whether `message` is an answer showing the entry: its embed has the entry's title (the current
    one or an earlier one: the message may predate an edit)."""
    shown = {embed.title for embed in message.embeds}
    return any(answer_title(revision.entry) in shown for revision in await store.history(entry_id))


def _guild(interaction: discord.Interaction[Any]) -> str | None:
    server = server_of(interaction)
    return str(server) if server is not None else None


def answer_view(entry_id: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(FeedbackButton.for_entry(entry_id, True))
    view.add_item(FeedbackButton.for_entry(entry_id, False))
    return view


def answer_embed(
    entry: Entry, sources: Mapping[str, SourceRecord], *, diagnose_hint: bool = False
) -> discord.Embed:
    """An entry as members see it: the question as title, the answer, then its sources by title with
    the dates their facts were stated (and the warning when those are old) in the footer.

    Moderators write the text; links in it show where they go (see `reveal_links`)."""
    embed = discord.Embed(
        title=answer_title(entry), description=reveal_links(entry.answer), colour=ANSWER_COLOUR
    )
    if diagnose_hint:
        embed.add_field(name="Check your own case", value=DIAGNOSE_HINT, inline=False)
    embed.set_footer(text=dating_lines(entry, sources, today_utc()))
    return fit_embed(embed)


def suggestions_text(entries: Sequence[Entry]) -> str:
    """ "Did you mean…" as plain text, for when the select cannot be offered."""
    titles = "\n".join(f"• {one_line(entry.question, SELECT_LABEL) or entry.id}" for entry in entries[:5])
    return f"{SUGGEST_TEXT}\n{titles}\n(**/faq show** opens any of them.)"


def suggestion_option(entry: Entry) -> discord.SelectOption:
    return discord.SelectOption(
        # Discord refuses an empty label: a title of control characters alone has none left.
        label=one_line(entry.question, SELECT_LABEL) or entry.id,
        value=truncate(entry.id, SELECT_VALUE),
        description=one_line(entry.answer.replace("*", ""), SELECT_DESCRIPTION),
    )


def answer_parts(
    entry: Entry, sources: Mapping[str, SourceRecord], *, diagnose_hint: bool = False
) -> tuple[discord.Embed, discord.ui.View]:
    return answer_embed(entry, sources, diagnose_hint=diagnose_hint), answer_view(entry.id)


# Did you mean…


class PickSelect(PersistentControl[discord.ui.Select[Any]], prefix="pick"):
    def __init__(self, rest: str, options: Sequence[discord.SelectOption] = ()) -> None:
        super().__init__(
            rest,
            discord.ui.Select(
                placeholder="Did you mean…",
                custom_id=self.custom_id_for(rest),
                options=options_or_placeholder(options),
                min_values=1,
                max_values=1,
            ),
        )

    @reports_failures("the “Did you mean…” menu")
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot_of(interaction)
        values = self.item.values
        chosen = str(values[0]) if len(values) == 1 else ""
        question_id = parse_number(self.rest)
        message = interaction.message
        # Only on a "Did you mean…" message, and only a value it offers.
        if (
            question_id is None
            or message is None
            or message.content != SUGGEST_TEXT
            or chosen not in offered_values(interaction, self.item.custom_id)
        ):
            await respond(interaction, INVALID_CONTROL, ephemeral=True)
            return
        try:
            question = await bot.store.question(question_id)
        except NotFound:
            await respond(interaction, INVALID_CONTROL, ephemeral=True)
            return
        snapshot = await bot.answers.snapshot()
        entry = snapshot.entries.get(chosen)
        if chosen not in question.suggestions or entry is None:
            await respond(interaction, INVALID_CONTROL, ephemeral=True)
            return
        embed, view = answer_parts(entry, snapshot.sources)
        member = interaction.user.id
        if addressed_to(message) in (None, member) and await bot.store.asked_by(question_id, str(member)):
            # The asker chose, on the message that asked them: remember it (a candidate alias) and show
            # the answer in place.
            await bot.answers.pick_suggestion(question_id, entry.id)
            log.info("question %d: suggestion %s picked", question_id, entry.id)
            await interaction.response.edit_message(
                content=None, embeds=[embed], view=view, allowed_mentions=NO_MENTIONS
            )
        else:
            # Someone else is curious: show them the answer, leave the asker's message alone.
            await respond(interaction, embed=embed, view=view, ephemeral=True)


def suggest_view(question_id: int, entries: Sequence[Entry]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    options = [suggestion_option(entry) for entry in entries[:SELECT_OPTIONS]]
    view.add_item(PickSelect(str(question_id), options))
    return view


def answer_message(
    answer: Answer, sources: Mapping[str, SourceRecord]
) -> tuple[str | None, discord.Embed | None, discord.ui.View | None]:
    """What to post for an answer: (content, embed, view). All None for "no answer"."""
    if answer.is_smalltalk:
        return SMALLTALK_REPLY, None, None
    if answer.entry is not None:
        embed, view = answer_parts(answer.entry, sources, diagnose_hint=answer.points_to_diagnosis)
        return None, embed, view
    if answer.suggestions and answer.question_id is not None:
        return SUGGEST_TEXT, None, suggest_view(answer.question_id, answer.suggestions)
    if answer.suggestions:
        # The question could not be recorded (database busy or full): the select needs its id, so
        # list the titles instead; /faq show opens any of them.
        return suggestions_text(answer.suggestions), None, None
    return None, None, None


# What the bot registers at start, so that they work on messages sent before it.
PERSISTENT_CONTROLS = (FeedbackButton, PickSelect)


# Messages addressed to the bot


def mention_pattern(user_id: int) -> re.Pattern[str]:
    return re.compile(rf"<@!?{user_id}>")


def question_for_bot(message: discord.Message, bot_user: discord.abc.User | None) -> str | None:
    """The question in a message that @mentions the bot (mention removed; "" if nothing else), or
    None when the message does not mention it. Replies that merely ping the bot do not count."""
    if bot_user is None or not message.content:
        return None
    pattern = mention_pattern(bot_user.id)
    if not pattern.search(message.content):
        return None
    return " ".join(pattern.sub(" ", message.content).split())


def from_a_person(message: discord.Message, bot_user: discord.abc.User | None) -> bool:
    """Not a bot (this one included), not a webhook, not a system message."""
    if message.author.bot or message.webhook_id is not None:
        return False
    if bot_user is not None and message.author.id == bot_user.id:
        return False
    return message.type in (discord.MessageType.default, discord.MessageType.reply)
