"""/faq: show and list for everyone; add, edit, retire, alias, history, revert, unanswered, stats and
import for moderators (checked on the bot's side before each one runs)."""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks
from bot.client import actor_of
from bot.components import answer_parts
from bot.exts.faq._autocomplete import (
    alias_autocomplete,
    any_entry_autocomplete,
    category_autocomplete,
    entry_autocomplete,
    revision_autocomplete,
    source_autocomplete,
)
from bot.exts.faq._modals import AddModal, EditModal
from bot.exts.faq._render import (
    chart_labels,
    history_embed,
    import_problems_text,
    import_report_text,
    stats_embed,
    unanswered_embed,
)
from bot.exts.faq._views import list_page, open_groups, unanswered_view
from bot.replies import member_text, respond, respond_text
from connectsbot.chart import bar_chart_png
from connectsbot.knowledge import ENTRY_ID_PATTERN
from connectsbot.question_reports import build_stats
from connectsbot.store import ImportFailed, LiveEntry, NotFound

if TYPE_CHECKING:
    from bot.client import ConnectsBot

log = logging.getLogger(__name__)

_ENTRY_ID = re.compile(ENTRY_ID_PATTERN)
Reason = app_commands.Range[str, 3, 300]


class FaqCog(
    commands.GroupCog, group_name="faq", group_description="The FAQ: read entries; moderators edit them"
):
    alias = app_commands.Group(name="alias", description="Moderators: the other ways members ask an entry")

    def __init__(self, bot: ConnectsBot) -> None:
        self.bot = bot
        super().__init__()

    # Helpers

    async def _live(self, interaction: discord.Interaction[ConnectsBot], entry_id: str) -> LiveEntry | None:
        """The entry a moderator named (by id), or None after telling them it does not exist."""
        try:
            if not _ENTRY_ID.fullmatch(entry_id):
                raise NotFound(entry_id)
            return await self.bot.store.get(entry_id)
        except NotFound as error:
            await respond(interaction, f"{error}. Pick an entry from the list as you type.", ephemeral=True)
            return None

    # Everyone

    @app_commands.command(name="show", description="Show one FAQ entry")
    @app_commands.describe(entry="Start typing the question", private="Show it to you only")
    @app_commands.autocomplete(entry=entry_autocomplete)
    async def show(
        self,
        interaction: discord.Interaction[ConnectsBot],
        entry: app_commands.Range[str, 1, 300],
        private: bool = False,
    ) -> None:
        snapshot = await self.bot.answers.snapshot()
        found = snapshot.find(entry)
        if found is None:
            await respond(
                interaction, "No such entry. Pick one from the list as you type, or use /ask.", ephemeral=True
            )
            return
        embed, view = answer_parts(found, snapshot.sources)
        await respond(interaction, embed=embed, view=view, ephemeral=private)

    @app_commands.command(name="list", description="List the FAQ entries, by category")
    @app_commands.describe(category="Only this category")
    @app_commands.autocomplete(category=category_autocomplete)
    async def list_entries(
        self,
        interaction: discord.Interaction[ConnectsBot],
        category: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        entries = list((await self.bot.answers.snapshot()).entries.values())
        if category is not None and all(e.category != category for e in entries):
            known = ", ".join(sorted({e.category for e in entries}))
            await respond(
                interaction,
                f"No category “{member_text(category, 40)}”. Categories: {known}.",
                ephemeral=True,
            )
            return
        embed, view = list_page(entries, category, 0)
        await respond(interaction, embed=embed, view=view, ephemeral=True)

    # Moderators

    @app_commands.command(name="add", description="Moderators: add a new entry (opens a form)")
    @app_commands.describe(
        entry_id="New id: lower-case words with dashes, e.g. connects-expiry",
        category="Category, e.g. connects",
        source="The source the answer rests on (an id of the sources registry)",
    )
    @app_commands.autocomplete(category=category_autocomplete, source=source_autocomplete)
    @checks.moderator_only
    async def add(
        self,
        interaction: discord.Interaction[ConnectsBot],
        entry_id: app_commands.Range[str, 2, 64],
        category: app_commands.Range[str, 1, 40],
        source: app_commands.Range[str, 1, 200],
    ) -> None:
        problems = []
        if not _ENTRY_ID.fullmatch(entry_id):
            problems.append(f"the id “{member_text(entry_id, 64)}” must be lower-case words with dashes")
        if not _ENTRY_ID.fullmatch(category):
            problems.append(
                f"the category “{member_text(category, 40)}” must be lower-case words with dashes"
            )
        if source.strip() not in self.bot.answers.sources:
            problems.append(f"the source “{member_text(source, 64)}” is not in the sources registry")
        if not problems:
            try:
                await self.bot.store.get(entry_id, include_retired=True)
                problems.append(f"an entry `{entry_id}` already exists (retired entries keep their id)")
            except NotFound:
                pass
        if problems:
            await respond(interaction, "Cannot add it: " + "; ".join(problems) + ".", ephemeral=True)
            return
        await interaction.response.send_modal(
            AddModal(entry_id, category, source.strip(), self.bot.clock().date())
        )

    @app_commands.command(name="edit", description="Moderators: edit an entry (opens a prefilled form)")
    @app_commands.autocomplete(entry=entry_autocomplete)
    @checks.moderator_only
    async def edit(self, interaction: discord.Interaction[ConnectsBot], entry: str) -> None:
        live = await self._live(interaction, entry)
        if live is not None:
            await interaction.response.send_modal(EditModal(live))

    @app_commands.command(
        name="retire", description="Moderators: stop answering with an entry (kept in history)"
    )
    @app_commands.autocomplete(entry=entry_autocomplete)
    @checks.moderator_only
    async def retire(self, interaction: discord.Interaction[ConnectsBot], entry: str, reason: Reason) -> None:
        live = await self._live(interaction, entry)
        if live is None:
            return
        change = await self.bot.curator.retire(live.entry.id, actor_of(interaction), reason, live.revision)
        await respond(
            interaction, f"Retired `{live.entry.id}` (revision {change.revision.revision}).", ephemeral=True
        )

    @alias.command(name="add", description="Moderators: add another way members ask an entry")
    @app_commands.autocomplete(entry=entry_autocomplete)
    @checks.moderator_only
    async def alias_add(
        self,
        interaction: discord.Interaction[ConnectsBot],
        entry: str,
        alias: app_commands.Range[str, 1, 300],
        reason: Reason,
    ) -> None:
        live = await self._live(interaction, entry)
        if live is None:
            return
        change = await self.bot.curator.add_alias(live.entry.id, alias, actor_of(interaction), reason)
        await respond(
            interaction,
            f"Added the alias “{member_text(alias, 300)}” to `{live.entry.id}` "
            f"(revision {change.revision.revision}).",
            ephemeral=True,
        )

    @alias.command(name="remove", description="Moderators: remove an alias from an entry")
    @app_commands.autocomplete(entry=entry_autocomplete, alias=alias_autocomplete)
    @checks.moderator_only
    async def alias_remove(
        self,
        interaction: discord.Interaction[ConnectsBot],
        entry: str,
        alias: app_commands.Range[str, 1, 300],
        reason: Reason,
    ) -> None:
        live = await self._live(interaction, entry)
        if live is None:
            return
        change = await self.bot.curator.remove_alias(live.entry.id, alias, actor_of(interaction), reason)
        await respond(
            interaction,
            f"Removed the alias “{member_text(alias, 300)}” from `{live.entry.id}` "
            f"(revision {change.revision.revision}).",
            ephemeral=True,
        )

    @app_commands.command(name="history", description="Moderators: an entry's revisions (who, when, why)")
    @app_commands.autocomplete(entry=any_entry_autocomplete)
    @checks.moderator_only
    async def history(self, interaction: discord.Interaction[ConnectsBot], entry: str) -> None:
        revisions = await self.bot.store.history(entry)
        await respond(interaction, embed=history_embed(entry, revisions), ephemeral=True)

    @app_commands.command(name="revert", description="Moderators: make an old revision live again")
    @app_commands.describe(revision="The revision to go back to (see /faq history)")
    @app_commands.autocomplete(entry=any_entry_autocomplete, revision=revision_autocomplete)  # type: ignore[misc]
    @checks.moderator_only
    async def revert(
        self,
        interaction: discord.Interaction[ConnectsBot],
        entry: str,
        revision: app_commands.Range[int, 1, 1_000_000],
        reason: Reason,
    ) -> None:
        current = await self.bot.store.get(entry, include_retired=True)
        change = await self.bot.curator.revert(
            entry, revision, actor_of(interaction), reason, expected_revision=current.revision
        )
        saved = change.revision
        state = " (retired at that revision)" if saved.retired else ""
        await respond(
            interaction,
            f"`{entry}` is back to revision {revision}{state}, saved as revision {saved.revision}.",
            ephemeral=True,
        )

    @app_commands.command(name="unanswered", description="Moderators: questions the FAQ could not answer")
    @checks.moderator_only
    async def unanswered(self, interaction: discord.Interaction[ConnectsBot]) -> None:
        groups = await open_groups(self.bot, checks.moderator_scope(interaction))
        total = sum(group.count for group in groups)
        await respond(
            interaction,
            embed=unanswered_embed(groups, total),
            view=unanswered_view(groups),
            ephemeral=True,
        )

    @app_commands.command(name="stats", description="Moderators: questions per day, answer rate, votes")
    @app_commands.describe(days="How many days back (default 14)")
    @checks.moderator_only
    async def stats(
        self, interaction: discord.Interaction[ConnectsBot], days: app_commands.Range[int, 1, 90] = 14
    ) -> None:
        until = self.bot.clock().date()
        since = until - timedelta(days=days - 1)
        scope = checks.moderator_scope(interaction)
        report = build_stats(
            await self.bot.store.daily_questions(since, scope),
            await self.bot.store.usage(since, scope),
            await self.bot.store.feedback(since, scope),
            since,
            until,
        )
        png = bar_chart_png(
            chart_labels([day.day for day in report.days]),
            [day.asked for day in report.days],
            highlight=[day.answered for day in report.days],
            title=f"Questions per day, last {days} days",
            legend=("asked", "answered"),
        )
        snapshot = await self.bot.answers.snapshot()
        titles = {entry_id: entry.question for entry_id, entry in snapshot.entries.items()}
        model = snapshot.matcher.model
        chart = discord.File(io.BytesIO(png), filename="stats.png")
        await respond(
            interaction,
            embed=stats_embed(report, titles, "stats.png", model.summary() if model else None),
            files=[chart],
            ephemeral=True,
        )

    @app_commands.command(
        name="import", description="Moderators: load the changed knowledge files again (all or nothing)"
    )
    @app_commands.describe(force="Also overwrite entries moderators changed since their file was imported")
    @checks.moderator_only
    async def import_files(self, interaction: discord.Interaction[ConnectsBot], force: bool = False) -> None:
        # Reading the files, importing and rebuilding the matcher can take longer than Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        curator = self.bot.curator
        try:
            imported = await curator.import_files(actor_of(interaction), force=force)
        except ImportFailed as failure:
            log.info("/faq import by %s refused: %d problems", interaction.user.id, len(failure.problems))
            await respond_text(
                interaction, import_problems_text(failure.problems, curator.folder), ephemeral=True
            )
            return
        await respond_text(
            interaction, import_report_text(imported.report, imported.policy_changed), ephemeral=True
        )
