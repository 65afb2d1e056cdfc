"""Messages and embeds within Discord's limits: every text the bot sends is split or cut here.

Discord refuses (HTTP 400) a message over 2,000 characters, an embed title over 256, a description over
4,096, more than 25 fields, an embed over 6,000 characters in all, select labels and values over 100,
more than 25 options or autocomplete choices. Nothing here talks to Discord: these are pure functions
over discord.py's data classes, unit-tested on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import discord
from discord import app_commands

from connectsbot.dating import dating_lines
from connectsbot.knowledge import Entry, SourceRecord
from connectsbot.question_reports import QuestionGroup, StatsReport
from connectsbot.store import IMPORT_AUTHOR, ImportFailed, ImportReport, Revision
from connectsbot.terminal_text import today_utc

MESSAGE_LIMIT = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR_NAME = 256
EMBED_TOTAL = 6000
SELECT_OPTIONS = 25
SELECT_LABEL = 100
SELECT_VALUE = 100
SELECT_DESCRIPTION = 100
BUTTON_LABEL = 80
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100
MODAL_TITLE = 45
INPUT_LABEL = 45
INPUT_PLACEHOLDER = 100
INPUT_VALUE = 4000
CUSTOM_ID = 100

ELLIPSIS = "…"
CLOSE_FENCE = "\n```"
BLANK = "\u200b"  # a zero-width space: what Discord accepts where text is required but there is none
# Room kept in every chunk for closing and reopening a code fence split across messages.
FENCE_ROOM = 24

ANSWER_COLOUR = discord.Colour(0x14A800)  # Upwork green
SUGGEST_COLOUR = discord.Colour(0xF0B232)
MOD_COLOUR = discord.Colour(0x5865F2)

NO_MENTIONS = discord.AllowedMentions.none()

NOT_FOUND_TEXT = (
    "Sorry, I don't know that one yet. I can answer questions about Upwork Connects, interview Connects "
    "and Upwork's communication rules. I've noted your question for the moderators."
)
SUGGEST_TEXT = "I'm not sure I understood. Did you mean…"
DIAGNOSE_HINT = (
    "Run **/diagnose** and paste your timeline: I'll check each interview and tell you what to do next "
    "(how to write it: **/diagnose-help**)."
)


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with "…" when cut."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def truncate_markdown(text: str, limit: int) -> str:
    """`truncate`, closing a code block the cut leaves open: the rest of an embed keeps its formatting."""
    cut = truncate(text, limit)
    if cut == text or cut.count("```") % 2 == 0:
        return cut
    shorter = truncate(text, limit - len(CLOSE_FENCE))
    if shorter.count("```") % 2 == 0:  # now cut before the block opens
        return shorter
    return shorter + CLOSE_FENCE


# Control characters, and the bidi embeddings, overrides and isolates that make text display in another
# order than it is written (a URL shown backwards, two words swapped).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BIDI_OVERRIDE = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def _flat(text: str) -> str:
    """`text` on one line: whitespace collapsed, control characters and bidi overrides dropped."""
    return " ".join(_BIDI_OVERRIDE.sub("", _CONTROL.sub(" ", text)).split())


def one_line(text: str, limit: int) -> str:
    """`text` on one line (see `_flat`), cut: for labels, titles and list items."""
    return truncate(_flat(text), limit)


def quiet_mentions(text: str) -> str:
    """@everyone, @here, <@user> and <@&role> broken by a zero-width space: shown, never a ping, even
    if a message were ever sent without `allowed_mentions`."""
    return discord.utils.escape_mentions(text)


def member_text(text: str, limit: int) -> str:
    """Text a member wrote, shown to others: on one line, markdown escaped, mentions broken, cut."""
    return truncate(quiet_mentions(discord.utils.escape_markdown(_flat(text))), limit)


# [label](url), [label](<url>) and [label](url "title") as Discord reads them: the label may hold one
# level of brackets, the URL one level of parentheses.
_MASKED_LINK = re.compile(
    r"\[(?P<label>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
    r"\(\s*<?(?P<url>(?:\([^()\s]*\)|[^()\s<>])*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
_SPOILER = re.compile(r"\|\|(?P<inside>.+?)\|\|", re.DOTALL)


def _shown_link(link: re.Match[str]) -> str:
    label, url = link["label"].strip(), link["url"]
    if not url:
        return link[0]  # "[x]()" is no link; the escape in reveal_links keeps it that way
    return url if label in ("", url) else f"{label} ({url})"


def _unwrapped_spoiler(spoiler: re.Match[str]) -> str:
    inside = spoiler["inside"]
    return inside if "://" in inside or "](" in inside else spoiler[0]


def reveal_links(text: str) -> str:
    """Markdown in which no link can hide where it goes.

    A masked link shows only its label, so "[https://upwork.com](https://evil.example)" would pass for
    an Upwork link: it becomes "label (url)", and Discord links the label and the URL each to what
    they say. A spoiler holding a link is unwrapped, bidi overrides (a URL shown backwards) are
    dropped, and whatever still reads as a masked link ("](") is escaped so that it shows as text.
    """
    text = _SPOILER.sub(_unwrapped_spoiler, _BIDI_OVERRIDE.sub("", text))
    return _MASKED_LINK.sub(_shown_link, text).replace("](", "]\\(")


def safe_echo(text: str) -> str:
    """Bot text that quotes members (a diagnosis names their jobs): links revealed, mentions broken."""
    return quiet_mentions(reveal_links(text))


def _wrap(line: str, width: int) -> list[str]:
    """A line cut into pieces of at most `width`, at spaces where possible."""
    pieces = []
    while len(line) > width:
        cut = line.rfind(" ", width // 2, width + 1)
        if cut <= 0:
            cut = width
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    pieces.append(line)
    return pieces


_FENCE = re.compile(r"^\s*```")


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """`text` as messages of at most `limit` characters each, cut between lines where possible.

    A code block cut in two is closed at the end of one message and reopened (same language) at the
    start of the next, so every message renders on its own. Empty text gives no message.
    """
    if limit <= FENCE_ROOM * 2:
        raise ValueError("limit too small")
    text = text.strip("\n")
    if not text.strip():
        return []
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    fence: str | None = None  # the opening line of the code block we are in

    def flush() -> None:
        nonlocal current, size
        body = "\n".join(current)
        if fence is not None:
            body += "\n```"
        if body.strip() and body.strip() not in ("```", fence):
            chunks.append(body)
        current = [fence] if fence is not None else []
        size = len(fence) if fence is not None else 0

    for line in text.split("\n"):
        for piece in _wrap(line, limit - FENCE_ROOM):
            extra = len(piece) + (1 if current else 0)
            if size + extra + 4 > limit:  # always room to close a code block this line may open
                flush()
                extra = len(piece) + (1 if current else 0)
            current.append(piece)
            size += extra
            if _FENCE.match(piece):
                fence = None if fence is not None else piece.strip()[: FENCE_ROOM - 8]
    if current:
        body = "\n".join(current)
        if body.strip() and body.strip() != fence:
            chunks.append(body)
    return chunks


def embed_size(embed: discord.Embed) -> int:
    """What Discord counts towards the 6,000 characters of an embed."""
    total = len(embed.title or "") + len(embed.description or "")
    total += len(embed.footer.text or "") + len(embed.author.name or "")
    total += sum(len(field.name or "") + len(field.value or "") for field in embed.fields)
    return total


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Cut every part of `embed` to Discord's limits (in place) and return it."""
    if embed.title:
        embed.title = one_line(embed.title, EMBED_TITLE)
    if embed.description:
        embed.description = truncate_markdown(embed.description, EMBED_DESCRIPTION)
    if embed.footer.text:
        embed.set_footer(text=truncate(embed.footer.text, FOOTER), icon_url=embed.footer.icon_url)
    if embed.author.name:
        embed.set_author(name=truncate(embed.author.name, AUTHOR_NAME))
    fields = [(f.name or "", f.value or "", bool(f.inline)) for f in embed.fields][:EMBED_FIELDS]
    embed.clear_fields()
    for name, value, inline in fields:
        # Discord refuses a field whose name or value is empty or blank.
        embed.add_field(
            name=one_line(name, FIELD_NAME) or BLANK,
            value=truncate_markdown(value, FIELD_VALUE) if value.strip() else BLANK,
            inline=inline,
        )
    excess = embed_size(embed) - EMBED_TOTAL
    if excess > 0 and embed.description:
        embed.description = truncate_markdown(embed.description, max(len(embed.description) - excess, 1))
        excess = embed_size(embed) - EMBED_TOTAL
    while excess > 0 and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
        excess = embed_size(embed) - EMBED_TOTAL
    return embed


# Answers


def answer_embed(
    entry: Entry, sources: Mapping[str, SourceRecord], *, diagnose_hint: bool = False
) -> discord.Embed:
    """An entry as members see it: the question as title, the answer, then its sources by title with
    the dates their facts were stated (and the warning when those are old) in the footer.

    Moderators write the text; links in it show where they go (see `reveal_links`)."""
    embed = discord.Embed(
        title=reveal_links(entry.question), description=reveal_links(entry.answer), colour=ANSWER_COLOUR
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


def entry_choices(pairs: Iterable[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices from (name, value) pairs: at most 25, each within 100 characters.

    A value longer than 100 characters cannot be cut without changing its meaning: it is skipped.
    """
    out: list[app_commands.Choice[str]] = []
    seen: set[str] = set()
    for name, value in pairs:
        if len(value) > CHOICE_VALUE or not value or value in seen:
            continue
        seen.add(value)
        out.append(app_commands.Choice(name=one_line(name, CHOICE_NAME) or value, value=value))
        if len(out) == CHOICES:
            break
    return out


# Lists and moderator views


def entry_list_embed(entries: Sequence[Entry], page: int, pages: int, category: str | None) -> discord.Embed:
    where = f" in {category}" if category else ""
    embed = discord.Embed(title=f"FAQ entries{where}", colour=ANSWER_COLOUR)
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
        body = "\n".join(line.replace("```", "'''") for line in diff)
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
    for name, ids in (
        ("Added", outcome.added),
        ("Updated", outcome.updated),
        ("Retired", outcome.retired),
        ("Kept moderator edits (the file changed too)", outcome.conflicts),
    ):
        if ids:
            embed.add_field(name=f"{name} ({len(ids)})", value=", ".join(f"`{i}`" for i in ids), inline=False)
    embed.set_footer(text=f"by {IMPORT_AUTHOR} · {outcome.unchanged} unchanged")
    return fit_embed(embed)
