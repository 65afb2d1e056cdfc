"""What /faq offers as a moderator or member types: entries, categories, sources, aliases, revisions.

Discord calls these with what was typed so far; each answers within Discord's limits on choices. The
moderators' lists stay empty for everyone else (the command itself refuses them anyway)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot import checks
from bot.client import client_of
from bot.replies import CHOICE_NAME, CHOICES, entry_choices, one_line
from connectsbot.answers import complete_any
from connectsbot.store import NotFound

if TYPE_CHECKING:
    from bot.client import ConnectsBot


async def entry_autocomplete(
    interaction: discord.Interaction[ConnectsBot], current: str
) -> list[app_commands.Choice[str]]:
    typed = current.strip().casefold()
    snapshot = await client_of(interaction).answers.snapshot()
    return entry_choices(
        (f"{entry.id} — {entry.question}" if entry.id.startswith(typed) else entry.question, entry.id)
        for entry in snapshot.complete(current, CHOICES)
    )


async def any_entry_autocomplete(
    interaction: discord.Interaction[ConnectsBot], current: str
) -> list[app_commands.Choice[str]]:
    """Retired entries too (for history and revert)."""
    if not checks.is_moderator(interaction):
        return []
    return entry_choices(
        (f"{live.entry.id}{' (retired)' if live.retired else ''} — {live.entry.question}", live.entry.id)
        for live in complete_any(await client_of(interaction).store.all_entries(), current)
    )


async def category_autocomplete(
    interaction: discord.Interaction[ConnectsBot], current: str
) -> list[app_commands.Choice[str]]:
    categories = (await client_of(interaction).answers.snapshot()).categories()
    return entry_choices((c, c) for c in categories if current.casefold() in c)


async def source_autocomplete(
    interaction: discord.Interaction[ConnectsBot], current: str
) -> list[app_commands.Choice[str]]:
    wanted = current.casefold()
    return entry_choices(
        (f"{record.label}: {record.id}", record.id)
        for record in sorted(client_of(interaction).answers.sources.values(), key=lambda r: r.id)
        if wanted in record.id.casefold() or wanted in record.label.casefold()
    )


async def alias_autocomplete(
    interaction: discord.Interaction[ConnectsBot], current: str
) -> list[app_commands.Choice[str]]:
    """The aliases of the entry chosen in the same command."""
    if not checks.is_moderator(interaction):
        return []
    snapshot = await client_of(interaction).answers.snapshot()
    entry = snapshot.entries.get(str(interaction.namespace.entry or ""))
    if entry is None:
        return []
    return entry_choices((a, a) for a in entry.aliases if current.casefold() in a.casefold())


async def revision_autocomplete(
    interaction: discord.Interaction[ConnectsBot], current: int | str
) -> list[app_commands.Choice[int]]:
    """The latest revisions of the entry chosen in the same command, newest first."""
    if not checks.is_moderator(interaction):
        return []
    try:
        revisions = await client_of(interaction).store.history(str(interaction.namespace.entry or ""))
    except NotFound:
        return []
    choices = []
    for revision in reversed(revisions[-CHOICES:]):
        when = f"{revision.created_at:%Y-%m-%d}"
        name = f"r{revision.revision} {when} {revision.action} by {revision.author}: "
        choices.append(
            app_commands.Choice(name=one_line(name + revision.reason, CHOICE_NAME), value=revision.revision)
        )
    return choices
