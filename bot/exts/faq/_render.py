"""/faq's embeds and texts: the entry list, an entry's history, the unanswered questions, the statistics,
and what an import did (or why it wrote nothing)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import discord

from bot.replies import ANSWER_COLOUR, MOD_COLOUR, fit_embed, member_text, one_line, reveal_links
from connectsbot.kbfiles import Problem
from connectsbot.knowledge import Entry
from connectsbot.question_reports import QuestionGroup, StatsReport
from connectsbot.store import ImportReport, Revision

# A broken import lists at most this many problems (a few messages); the CLI's `kb validate` shows all.
IMPORT_PROBLEMS_SHOWN = 20


def list_title(category: str | None) -> str:
    return f"FAQ entries in {category}" if category else "FAQ entries"


# The footer of a /faq list page, which says the page shown (1-based).
PAGE_FOOTER = re.compile(r"Page (?P<page>[0-9]{1,4}) of [0-9]{1,4} · ")


def entry_list_embed(entries: Sequence[Entry], page: int, pages: int, category: str | None) -> discord.Embed:
    embed = discord.Embed(title=list_title(category), colour=ANSWER_COLOUR)
    lines = [f"`{entry.id}` — {one_line(reveal_links(entry.question), 150)}" for entry in entries]
    embed.description = "\n".join(lines) or "No entries."
    embed.set_footer(text=f"Page {page + 1} of {max(pages, 1)} · /faq show entry: to read one")
    return fit_embed(embed)


def history_embed(entry_id: str, revisions: Sequence[Revision], limit: int = 20) -> discord.Embed:
    embed = discord.Embed(title=f"History of {entry_id}", colour=MOD_COLOUR)
    lines = []
    for revision in list(revisions)[-limit:][::-1]:
        fields = ", ".join(revision.changed_fields) if revision.action not in ("add", "import") else "new"
        state = " · retired" if revision.retired else ""
        lines.append(
            f"**r{revision.revision}** {revision.created_at:%Y-%m-%d %H:%M} UTC · {revision.action} by "
            f"{one_line(revision.author, 60)}: {member_text(revision.reason, 200)} ({fields}){state}"
        )
    if len(revisions) > limit:
        lines.append(f"… {len(revisions) - limit} older revisions")
    embed.description = "\n".join(lines)
    return fit_embed(embed)


def unanswered_embed(groups: Sequence[QuestionGroup], total: int, shown: int = 10) -> discord.Embed:
    embed = discord.Embed(title="Unanswered questions", colour=MOD_COLOUR)
    if not groups:
        embed.description = "Nothing waiting: every recent question was answered or dealt with."
        return embed
    lines = []
    for number, group in enumerate(groups[:shown], start=1):
        picked = ", ".join(f"`{entry_id}` ×{count}" for entry_id, count in group.picked[:3])
        suggested = ", ".join(f"`{entry_id}`" for entry_id, _ in group.suggested[:3])
        extra = f"\n  picked: {picked}" if picked else (f"\n  suggested: {suggested}" if suggested else "")
        dms = f" ({group.in_direct_messages} in DMs)" if group.in_direct_messages else ""
        lines.append(f"**{number}.** ×{group.count}{dms} “{member_text(group.text, 150)}”{extra}")
    embed.description = "\n".join(lines)
    embed.set_footer(
        text=f"{len(groups)} groups from {total} questions, most frequent first. "
        "Buttons: turn a group into a new entry, or add it as an alias."
    )
    return fit_embed(embed)


def stats_embed(
    report: StatsReport, entry_titles: dict[str, str], chart_name: str | None, model: str | None = None
) -> discord.Embed:
    days = (report.until - report.since).days + 1
    embed = discord.Embed(title=f"FAQ statistics — last {days} days", colour=MOD_COLOUR)
    embed.description = (
        f"**{report.asked}** questions · answered **{report.answered}** ({report.answer_rate:.0%}) · "
        f"suggestions **{report.suggested}** (picked {report.picked}) · "
        f"helped in all **{report.helped_rate:.0%}**\n"
        f"{report.since.isoformat()} to {report.until.isoformat()} (UTC)"
    )
    top = report.top(10)
    if top:
        lines = [
            f"`{stat.entry_id}` ×{stat.used} · 👍 {stat.helpful} · 👎 {stat.not_helpful}" for stat in top
        ]
        embed.add_field(name="Top entries", value="\n".join(lines), inline=False)
    voted = [stat for stat in report.entries if stat.helpful or stat.not_helpful]
    if voted:
        voted.sort(key=lambda s: (-(s.helpful + s.not_helpful), s.entry_id))
        lines = [
            f"`{stat.entry_id}`: 👍 {stat.helpful} · 👎 {stat.not_helpful}"
            + (f" — {one_line(entry_titles[stat.entry_id], 60)}" if stat.entry_id in entry_titles else "")
            for stat in voted[:10]
        ]
        embed.add_field(name="Helpful / not helpful", value="\n".join(lines), inline=False)
    per_day = " ".join(f"{day.day:%m-%d}:{day.asked}" for day in report.days[-14:])
    embed.add_field(name="Questions per day", value=f"`{per_day}`" if per_day else "none", inline=False)
    embed.add_field(
        name="Answer model",
        value=one_line(model, 1000)
        if model
        else "not trained (too few labelled questions): lexical thresholds",
        inline=False,
    )
    if chart_name:
        embed.set_image(url=f"attachment://{chart_name}")
    return fit_embed(embed)


def chart_labels(days: Sequence[date]) -> list[str]:
    return [f"{day:%m-%d}" for day in days]


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
        lines.append(f"- {_code(str(where))}{field}: {member_text(problem.message, 300)}")
    if count > IMPORT_PROBLEMS_SHOWN:
        lines.append(f"…and {count - IMPORT_PROBLEMS_SHOWN} more: `connectsbot kb validate` lists them all.")
    return "\n".join(lines)


def _code(text: str) -> str:
    """`text` as inline code (a backtick in it would end the code early)."""
    return "`" + one_line(text, 200).replace("`", "'") + "`"


def import_report_text(report: ImportReport, policy_reloaded: bool) -> str:
    """What an import changed, for the moderator who ran it."""
    if not report.changed and not report.conflicts:
        lines = [f"The entry files have not changed since the last import ({report.unchanged} unchanged)."]
    else:
        lines = [f"Imported the knowledge files: {report.counts()}."]
    lines += [
        f"{heading}: " + ", ".join(f"`{entry_id}`" for entry_id in ids)
        for heading, ids in report.groups("`/faq import force:True` overwrites them")
    ]
    if policy_reloaded:
        lines.append("The interview-Connects policy (`policy.yaml`) changed: /diagnose uses the new one.")
    return "\n".join(lines)
