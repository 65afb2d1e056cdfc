"""/diagnose: a modal for the member's timeline, then the verdict per interview (ephemeral by default);
/diagnose-help: how to write the timeline."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import report_failure
from bot.components import client_of, respond_text
from connectsbot.diagnosis import advise, diagnose, parse_timeline, render_text

if TYPE_CHECKING:
    from bot.client import ConnectsBot

log = logging.getLogger(__name__)

TIMELINE_MAX = 4000
PLACEHOLDER = "2026-11-03 09:10 interview Logo design\n2026-11-03 09:40 respond Logo design\n2026-11-06 check"
HELP_TEXT = """**/diagnose — why didn't my interview Connects arrive?**
Paste your timeline, one event per line: a date, an optional time, what happened, and the job.

```text
2026-11-02 proposal Logo design
2026-11-03 09:10 interview Logo design
2026-11-03 09:40 respond Logo design
2026-11-04 bonus 10 Logo design
2026-11-06 check
```
**What happened**, one of:
- `proposal` — you sent a proposal (“applied to”, “sent a proposal for” work too)
- `invite` — the client invited you to interview
- `interview` — the client sent an interview request / messaged you about your proposal
- `respond` — you answered it
- `offer` — you got an offer (“hired”)
- `bonus [N]` — Connects you received (10 if no number)
- `check` — when you looked at your balance (default: now)

**Dates** as `2026-11-03`, `3 Nov 2026` or `Nov 3` (a date without a year gets the latest such date \
before the check, and I tell you which). **Times** as `09:40`, `9:40pm` or `09:40+05:30` (UTC if no \
zone). Lines I can't read are listed with what I expected; `#` starts a comment.

You get a line per interview (✅ due, ⏳ pending, ❌ not due, with the rule in plain words), the totals, \
what to do next, and when Connects are missing a support-ticket text to paste. The reply is visible to \
you only unless you choose `public: True`."""


class TimelineModal(discord.ui.Modal):
    timeline: discord.ui.TextInput[Any] = discord.ui.TextInput(
        custom_id="timeline",
        label="Your timeline, one event per line",
        style=discord.TextStyle.paragraph,
        placeholder=PLACEHOLDER[: render.INPUT_PLACEHOLDER],
        max_length=TIMELINE_MAX,
        required=True,
    )

    def __init__(self, public: bool) -> None:
        super().__init__(title="Check missing interview Connects", timeout=30 * 60)
        self.public = public

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        bot = client_of(interaction)
        now = bot.clock()
        text = self.timeline.value
        result = diagnose(parse_timeline(text, now), bot.policy, now)
        log.info(
            "/diagnose: %d items, %d missing, %d unreadable lines",
            len(result.items),
            result.missing,
            len(result.errors),
        )
        # The reply names the member's jobs as written: a job "[free Connects](https://evil.example)"
        # must not become a masked link posted by the bot, nor "@everyone" a ping-looking mention.
        reply = render.safe_echo(render_text(result, advise(result), bot.engine.sources))
        await respond_text(interaction, reply, ephemeral=not self.public)

    async def on_error(  # type: ignore[override]  # Modal.on_error takes no item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_failure(
            interaction, error, "/diagnose", "Something went wrong while checking your timeline."
        )


class DiagnoseCog(commands.Cog):
    def __init__(self, bot: ConnectsBot) -> None:
        self.bot = bot

    @app_commands.command(name="diagnose", description="Check why interview Connects did not arrive")
    @app_commands.describe(public="Show the result to the channel (default: only you see it)")
    async def diagnose_command(
        self, interaction: discord.Interaction[ConnectsBot], public: bool = False
    ) -> None:
        await interaction.response.send_modal(TimelineModal(public))

    @app_commands.command(name="diagnose-help", description="How to write the timeline for /diagnose")
    async def diagnose_help(self, interaction: discord.Interaction[ConnectsBot]) -> None:
        await respond_text(interaction, HELP_TEXT, ephemeral=True)


async def setup(bot: ConnectsBot) -> None:
    await bot.add_cog(DiagnoseCog(bot))
