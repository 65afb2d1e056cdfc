"""/faq: show and list for everyone; add, edit, retire, alias, history, revert, unanswered, stats and
import for moderators (checked on the bot's side before each one runs)."""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks, render
from bot.client import actor_of
from bot.components import answer_parts
from bot.exts.faq._modals import AddModal, EditModal
from bot.exts.faq._views import list_page, open_groups, unanswered_view
from bot.replies import respond, respond_text
from connectsbot.answers import complete_any
from connectsbot.chart import bar_chart_png
from connectsbot.kbfiles import Problem
from connectsbot.knowledge import ENTRY_ID_PATTERN
from connectsbot.question_reports import build_stats
from connectsbot.store import ImportFailed, ImportReport, LiveEntry, NotFound

if TYPE_CHECKING:
    from bot.client import ConnectsBot

log = logging.getLogger(__name__)

_ENTRY_ID = re.compile(ENTRY_ID_PATTERN)
Reason = app_commands.Range[str, 3, 300]
# A broken import lists at most this many problems (a few messages); the CLI's `kb validate` shows all.
IMPORT_PROBLEMS_SHOWN = 20


class FaqCog(
    commands.GroupCog, group_name="faq", group_description="The FAQ: read entries; moderators edit them"
):
    alias = app_commands.Group(name="alias", description="Moderators: the other ways members ask an entry")

    def __init__(self, bot: ConnectsBot) -> None:
        self.bot = bot
        super().__init__()

    # Autocomplete

    async def entry_autocomplete(
        self, interaction: discord.Interaction[ConnectsBot], current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.strip().casefold()
        snapshot = await self.bot.answers.snapshot()
        return render.entry_choices(
            (f"{entry.id} — {entry.question}" if entry.id.startswith(typed) else entry.question, entry.id)
            for entry in snapshot.complete(current, render.CHOICES)
        )

    async def any_entry_autocomplete(
        self, interaction: discord.Interaction[ConnectsBot], current: str
    ) -> list[app_commands.Choice[str]]:
        if not checks.is_moderator(interaction):
            return []
        return render.entry_choices(
            (f"{live.entry.id}{' (retired)' if live.retired else ''} — {live.entry.question}", live.entry.id)
            for live in complete_any(await self.bot.store.all_entries(), current)
        )

    async def category_autocomplete(
        self, interaction: discord.Interaction[ConnectsBot], current: str
    ) -> list[app_commands.Choice[str]]:
        categories = (await self.bot.answers.snapshot()).categories()
        return render.entry_choices((c, c) for c in categories if current.casefold() in c)

    async def source_autocomplete(
        self, interaction: discord.Interaction[ConnectsBot], current: str
    ) -> list[app_commands.Choice[str]]:
        wanted = current.casefold()
        return render.entry_choices(
            (f"{record.label}: {record.id}", record.id)
            for record in sorted(self.bot.answers.sources.values(), key=lambda r: r.id)
            if wanted in record.id.casefold() or wanted in record.label.casefold()
        )

    async def alias_autocomplete(
        self, interaction: discord.Interaction[ConnectsBot], current: str
    ) -> list[app_commands.Choice[str]]:
        if not checks.is_moderator(interaction):
            return []
        entry = (await self.bot.answers.snapshot()).entries.get(str(interaction.namespace.entry or ""))
        if entry is None:
            return []
        return render.entry_choices((a, a) for a in entry.aliases if current.casefold() in a.casefold())

    async def revision_autocomplete(
        self, interaction: discord.Interaction[ConnectsBot], current: int | str
    ) -> list[app_commands.Choice[int]]:
        if not checks.is_moderator(interaction):
            return []
        try:
            revisions = await self.bot.store.history(str(interaction.namespace.entry or ""))
        except NotFound:
            return []
        choices = []
        for revision in reversed(revisions[-render.CHOICES :]):
            when = f"{revision.created_at:%Y-%m-%d}"
            name = f"r{revision.revision} {when} {revision.action} by {revision.author}: "
            choices.append(
                app_commands.Choice(
                    name=render.one_line(name + revision.reason, 100), value=revision.revision
                )
            )
        return choices

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
                f"No category “{render.member_text(category, 40)}”. Categories: {known}.",
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
            problems.append(
                f"the id “{render.member_text(entry_id, 64)}” must be lower-case words with dashes"
            )
        if not _ENTRY_ID.fullmatch(category):
            problems.append(
                f"the category “{render.member_text(category, 40)}” must be lower-case words with dashes"
            )
        if source.strip() not in self.bot.answers.sources:
            problems.append(f"the source “{render.member_text(source, 64)}” is not in the sources registry")
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
            f"Added the alias “{render.member_text(alias, 300)}” to `{live.entry.id}` "
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
            f"Removed the alias “{render.member_text(alias, 300)}” from `{live.entry.id}` "
            f"(revision {change.revision.revision}).",
            ephemeral=True,
        )

    @app_commands.command(name="history", description="Moderators: an entry's revisions (who, when, why)")
    @app_commands.autocomplete(entry=any_entry_autocomplete)
    @checks.moderator_only
    async def history(self, interaction: discord.Interaction[ConnectsBot], entry: str) -> None:
        revisions = await self.bot.store.history(entry)
        await respond(interaction, embed=render.history_embed(entry, revisions), ephemeral=True)

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
            embed=render.unanswered_embed(groups, total),
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
            render.chart_labels([day.day for day in report.days]),
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
            embed=render.stats_embed(report, titles, "stats.png", model.summary() if model else None),
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


def import_problems_text(problems: list[Problem], folder: Path) -> str:
    """Why an import wrote nothing: each problem with its file (relative to the folder) and field."""
    count = len(problems)
    lines = [
        f"Nothing was imported: the knowledge files have {count} problem{'s' if count != 1 else ''}. "
        "Members still get the answers from before. Fix these, then run /faq import again:"
    ]
    for problem in problems[:IMPORT_PROBLEMS_SHOWN]:
        path = Path(problem.file)
        where = path.relative_to(folder) if path.is_relative_to(folder) else path
        field = f" · field {_code(problem.field)}" if problem.field else ""
        lines.append(f"- {_code(str(where))}{field}: {render.member_text(problem.message, 300)}")
    if count > IMPORT_PROBLEMS_SHOWN:
        lines.append(f"…and {count - IMPORT_PROBLEMS_SHOWN} more: `connectsbot kb validate` lists them all.")
    return "\n".join(lines)


def _code(text: str) -> str:
    """`text` as inline code (a backtick in it would end the code early)."""
    return "`" + render.one_line(text, 200).replace("`", "'") + "`"


def import_report_text(report: ImportReport, policy_reloaded: bool) -> str:
    """What an import changed, for the moderator who ran it."""
    if not report.changed and not report.conflicts:
        lines = [f"The entry files have not changed since the last import ({report.unchanged} unchanged)."]
    else:
        lines = [
            f"Imported the knowledge files: {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.retired)} retired, {report.unchanged} unchanged."
        ]
    for name, ids in (("Added", report.added), ("Updated", report.updated), ("Retired", report.retired)):
        if ids:
            lines.append(f"{name}: " + ", ".join(f"`{entry_id}`" for entry_id in ids))
    if report.conflicts:
        lines.append(
            "Kept as moderators edited them (their file changed too; `/faq import force:True` overwrites "
            "them): " + ", ".join(f"`{entry_id}`" for entry_id in report.conflicts)
        )
    if policy_reloaded:
        lines.append("The interview-Connects policy (`policy.yaml`) changed: /diagnose uses the new one.")
    return "\n".join(lines)
