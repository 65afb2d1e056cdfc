"""The mod-log's embeds: one knowledge-base change, and what an import of the knowledge files did."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.replies import FIELD_VALUE, MOD_COLOUR, fit_embed, member_text, one_line, truncate
from connectsbot.safe_text import safe_text
from connectsbot.store import IMPORT_AUTHOR, ImportFailed, ImportReport, Revision


def modlog_embed(
    revision: Revision, actor_id: int | None, diff: Sequence[str], guild_name: str | None = None
) -> discord.Embed:
    """One knowledge-base change for the mod-log channel: what, who, why, and a short diff."""
    titles = {
        "add": "Entry added",
        "edit": "Entry edited",
        "retire": "Entry retired",
        "revert": "Entry reverted",
        "alias_add": "Alias added",
        "alias_remove": "Alias removed",
        "import": "Entry imported",
    }
    embed = discord.Embed(
        title=f"{titles.get(revision.action, revision.action)}: {revision.entry_id} (r{revision.revision})",
        colour=MOD_COLOUR,
        timestamp=revision.created_at,
    )
    who = f"<@{actor_id}> ({one_line(revision.author, 100)})" if actor_id else one_line(revision.author, 200)
    embed.add_field(name="Who", value=who, inline=True)
    embed.add_field(name="Why", value=member_text(revision.reason, 900) or "—", inline=True)
    if diff:
        # A revision saved before the sanitiser may hold a right-to-left override: not applied here.
        body = "\n".join(safe_text(line).replace("```", "'''") for line in diff)
        embed.add_field(
            name="Change", value=f"```diff\n{truncate(body, FIELD_VALUE - 12)}\n```", inline=False
        )
    if guild_name:
        embed.set_footer(text=f"via {guild_name}")
    return fit_embed(embed)


def import_embed(outcome: ImportReport | ImportFailed) -> discord.Embed | None:
    """What the import of the knowledge files did at start, for the mod-log; None when nothing changed."""
    embed = discord.Embed(colour=MOD_COLOUR)
    if isinstance(outcome, ImportFailed):
        embed.title = "Knowledge files not imported"
        problems = "\n".join(f"- {one_line(str(p), 200)}" for p in outcome.problems[:15])
        embed.description = f"Still answering from the last good import. Problems:\n{problems}"
        return fit_embed(embed)
    if not outcome.changed and not outcome.conflicts:
        return None
    embed.title = "Knowledge files imported at start"
    for heading, ids in outcome.groups():
        embed.add_field(name=f"{heading} ({len(ids)})", value=", ".join(f"`{i}`" for i in ids), inline=False)
    embed.set_footer(text=f"by {IMPORT_AUTHOR} · {outcome.unchanged} unchanged")
    return fit_embed(embed)
