"""/diagnose: a modal for the member's timeline, then the verdict per interview (ephemeral by default);
/diagnose-help: how to write the timeline.

What a member can make the bot post or keep is bounded: public diagnoses per member (a limit like the
question limit; over it the diagnosis comes privately), messages per diagnosis (a longer one is one
message with the full text attached), and the forms open and timelines kept for "Edit and check again"
(the oldest dropped past a number; its form or button then says it expired)."""

from __future__ import annotations

import io
import logging
from typing import Any, Protocol

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ConnectsBot, client_of
from bot.failures import report_failure
from bot.replies import (
    INPUT_PLACEHOLDER,
    MESSAGE_LIMIT,
    inert_markup,
    respond,
    respond_text,
    safe_echo,
    split_message,
    truncate_markdown,
)
from connectsbot.diagnosis import advise, diagnose, parse_timeline, render_text
from connectsbot.question_limit import QuestionLimit
from connectsbot.recent import Recent

log = logging.getLogger(__name__)

TIMELINE_MAX = 4000
PLACEHOLDER = "Nov 3 applied to Logo design\nNov 4 9:10am client wants to interview me\nreplied same day"
HELP_TEXT = """**/diagnose — why didn't my interview Connects arrive?**
Paste your timeline, one event per line, in your own words: when it happened and what happened.

```text
Nov 2 applied to the Logo design job
client messaged me Nov 3 at 9:10am
replied same day
got 10 connects Nov 4
```
**What happened**, in words like these (or the short forms in brackets):
- applied to / sent a proposal for X (`proposal`)
- client invited me to interview for X (`invite`)
- client messaged me about X, got an interview request (`interview`)
- replied, answered the client (`respond`)
- hired for X, got an offer (`offer`)
- got 10 connects, +10 connects (`bonus`)
- checked my balance (`check`; default: now)

**Dates** at the start or the end of a line: `2026-11-03`, `Nov 3`, `3rd of November`, `today`, \
`yesterday`, `same day`, `2 days later` (a date without a year is the latest such date before the check). \
**Times** as `09:40`, `9:40pm` or `at 9am` (UTC unless you add `+05:30`). Name the job once; later lines \
may leave it out when only one job can be meant.

I first show how I read each line, so you can spot a misreading, then a line per interview (✅ due, \
⏳ pending, ❌ not due, with the rule in plain words), the totals, what to do next, and a support-ticket \
text when Connects are missing. **Edit and check again** reopens the form with your text. The reply is \
visible to you only unless you choose `public: True`."""


EDIT_LABEL = "Edit and check again"
# The member's text stays in memory for the edit button this long; later the button says it expired.
EDIT_TIMEOUT = 30 * 60
NOT_YOURS = "This timeline belongs to someone else: use /diagnose to check your own."

# Public diagnoses per member in any window of this many seconds; past it the diagnosis comes privately.
PUBLIC_LIMIT = 3
PUBLIC_WINDOW_SECONDS = 10 * 60
PUBLIC_REFUSED = (
    "Shown to you only: you posted {limit} public diagnoses in the last {minutes} minutes "
    "(public again in {seconds} s)."
)
# A diagnosis longer than this many messages is one message with the full text attached.
MOST_MESSAGES = 3
ATTACHED_NAME = "diagnosis.txt"
ATTACHED_NOTE = (
    f"The full result (how I read each line, every interview, the support ticket) is in {ATTACHED_NAME}."
)
# The parts of a diagnosis the one message shows: the warning about unread lines, totals, next steps.
SUMMARY_SECTIONS = ("⚠️", "**Totals:**", "**What to do next:**")
# Forms open and "Edit and check again" buttons (each holding a timeline of up to 4,000 characters)
# kept at once, over all members; past it the oldest is dropped.
KEPT_FORMS = 500


class _Stoppable(Protocol):
    def stop(self) -> None: ...


class KeptForms:
    """The /diagnose forms open and the "Edit and check again" buttons, at most `size` of them: past it
    the oldest is stopped, which removes it from discord.py's view store (its form or button then gets
    "expired, run the command again", see bot.expired_controls)."""

    def __init__(self, size: int) -> None:
        self._kept: Recent[str, _Stoppable] = Recent(size)

    def keep(self, key: str, item: _Stoppable) -> None:
        for _, dropped in self._kept.put(key, item):
            dropped.stop()

    def release(self, key: str) -> None:
        self._kept.discard(key)


def summary(text: str) -> str:
    """One message for a long diagnosis: its first line, the warning about unread lines, the totals and
    the next steps, and where the rest is."""
    sections = text.split("\n\n")
    kept = "\n\n".join([sections[0], *(s for s in sections[1:] if s.startswith(SUMMARY_SECTIONS))])
    return truncate_markdown(kept, MESSAGE_LIMIT - len(ATTACHED_NOTE) - 2) + "\n\n" + ATTACHED_NOTE


class TimelineModal(discord.ui.Modal):
    timeline: discord.ui.TextInput[Any] = discord.ui.TextInput(
        custom_id="timeline",
        label="Your timeline, one event per line",
        style=discord.TextStyle.paragraph,
        placeholder=PLACEHOLDER[:INPUT_PLACEHOLDER],
        max_length=TIMELINE_MAX,
        required=True,
    )

    def __init__(self, cog: DiagnoseCog, public: bool, text: str | None = None) -> None:
        super().__init__(title="Check missing interview Connects", timeout=30 * 60)
        self.cog = cog
        self.public = public
        if text:  # reopened to edit: the member's own text, so one line can be fixed without retyping
            self.timeline.default = text[:TIMELINE_MAX]

    async def open(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(self)
        self.cog.kept.keep(self.custom_id, self)

    async def on_timeout(self) -> None:
        self.cog.kept.release(self.custom_id)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        self.cog.kept.release(self.custom_id)
        bot = client_of(interaction)
        now = bot.clock()
        text = self.timeline.value
        result = diagnose(parse_timeline(text, now), bot.curator.policy, now)
        log.info(
            "/diagnose: %d items, %d missing, %d unreadable lines",
            len(result.items),
            result.missing,
            len(result.errors),
        )
        full = render_text(result, advise(result), bot.answers.sources)
        # The reply names the member's jobs as written: a job "[free Connects](https://evil.example)"
        # must not become a masked link posted by the bot, nor "@everyone" a ping-looking mention; in
        # public, nor a link, a channel, a command, a timestamp or subtext.
        reply = safe_echo(full)
        public = self.public
        notice = None
        if public:
            decision = self.cog.public_posts.check(str(interaction.user.id), bot.monotonic())
            public = decision.allowed
            if not public:
                notice = PUBLIC_REFUSED.format(
                    limit=PUBLIC_LIMIT, minutes=PUBLIC_WINDOW_SECONDS // 60, seconds=decision.wait_seconds
                )
        if public:
            reply = inert_markup(reply)
        view = EditView(self.cog, interaction.user.id, text, self.public)
        if len(split_message(reply)) > MOST_MESSAGES:
            # The file is plain text, which Discord never renders: the diagnosis as written.
            attached = discord.File(io.BytesIO(full.encode("utf-8")), filename=ATTACHED_NAME)
            reply = summary(reply)
            if notice:
                reply = f"{notice}\n\n{reply}"
            await respond(interaction, reply, files=[attached], ephemeral=not public, view=view)
        else:
            await respond_text(
                interaction, f"{notice}\n\n{reply}" if notice else reply, ephemeral=not public, view=view
            )
        self.cog.kept.keep(view.id, view)

    async def on_error(  # type: ignore[override]  # Modal.on_error takes no item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_failure(
            interaction, error, "/diagnose", "Something went wrong while checking your timeline."
        )


class EditView(discord.ui.View):
    """ "Edit and check again" under a diagnosis: the form reopened with the member's text."""

    def __init__(self, cog: DiagnoseCog, owner_id: int, text: str, public: bool) -> None:
        super().__init__(timeout=EDIT_TIMEOUT)
        self.cog = cog
        self.owner_id = owner_id
        self.text = text
        self.public = public
        edit: discord.ui.Button[EditView] = discord.ui.Button(
            label=EDIT_LABEL, style=discord.ButtonStyle.primary, emoji="✏️"
        )
        edit.callback = self.edit  # type: ignore[method-assign]
        self.add_item(edit)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # A public diagnosis shows the button to everyone; the timeline is only its author's to open.
        if interaction.user.id != self.owner_id:
            await respond(interaction, NOT_YOURS, ephemeral=True)
            return False
        return True

    async def on_timeout(self) -> None:
        self.cog.kept.release(self.id)

    async def edit(self, interaction: discord.Interaction[Any]) -> None:
        await TimelineModal(self.cog, self.public, self.text).open(interaction)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await report_failure(interaction, error, "/diagnose edit", "Something went wrong reopening the form.")


class DiagnoseCog(commands.Cog):
    def __init__(self, bot: ConnectsBot) -> None:
        self.bot = bot
        self.public_posts = QuestionLimit(PUBLIC_LIMIT, PUBLIC_WINDOW_SECONDS)
        self.kept = KeptForms(KEPT_FORMS)

    @app_commands.command(name="diagnose", description="Check why interview Connects did not arrive")
    @app_commands.describe(public="Show the result to the channel (default: only you see it)")
    async def diagnose_command(
        self, interaction: discord.Interaction[ConnectsBot], public: bool = False
    ) -> None:
        await TimelineModal(self, public).open(interaction)

    @app_commands.command(name="diagnose-help", description="How to write the timeline for /diagnose")
    async def diagnose_help(self, interaction: discord.Interaction[ConnectsBot]) -> None:
        await respond_text(interaction, HELP_TEXT, ephemeral=True)


async def setup(bot: ConnectsBot) -> None:
    await bot.add_cog(DiagnoseCog(bot))
