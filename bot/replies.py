"""Every reply the bot sends, and the text in it: within Discord's limits, mentioning nobody, hiding no link.

`respond` answers an interaction (or follows up when it was answered already); `tell_privately` is the
ephemeral reply of error paths, which never raises; `reply_to` answers a member's message.

Discord refuses (HTTP 400) a message over 2,000 characters, an embed title over 256, a description over
4,096, more than 25 fields, an embed over 6,000 characters in all, select labels and values over 100,
more than 25 options or autocomplete choices: every text is split or cut here (`split_message`,
`truncate`, `fit_embed`, `one_line`, `entry_choices`). Member and moderator text is flattened, its
mentions broken (`member_text`) and its masked links revealed (`reveal_links`, `safe_echo`). These text
helpers are pure functions over discord.py's data classes, unit-tested on their own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

import discord
from discord import app_commands

log = logging.getLogger(__name__)

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

# The bot's embed colours
ANSWER_COLOUR = discord.Colour(0x14A800)  # Upwork green
MOD_COLOUR = discord.Colour(0x5865F2)

NO_MENTIONS = discord.AllowedMentions.none()


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
# level of brackets, the URL one level of parentheses. A scanner, not a regular expression: the
# expression this replaces backtracked over the spaces of "[a](" followed by spaces (quadratic time, 32 s
# for 70,000 characters on the event loop); this reads each character a bounded number of times.
_QUOTES = "\"'"
_NOT_IN_URL = "()<>"


def _spaces_end(text: str, at: int) -> int:
    """Where the run of whitespace starting at `at` ends."""
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _label_end(text: str, start: int) -> int | None:
    """The index of the "]" closing the label opened by the "[" at `start`, or None."""
    at = start + 1
    while at < len(text):
        char = text[at]
        if char == "]":
            return at
        if char == "[":  # one nested level: "[", no brackets, "]"
            inner = at + 1
            while inner < len(text) and text[inner] not in "[]":
                inner += 1
            if inner == len(text) or text[inner] == "[":
                return None
            at = inner
        at += 1
    return None


def _url_end(text: str, at: int) -> int:
    """Where the URL starting at `at` ends: characters other than whitespace and ()<>, and groups "(…)"
    of such characters."""
    while at < len(text):
        char = text[at]
        if char == "(":
            inner = at + 1
            while inner < len(text) and text[inner] not in "()" and not text[inner].isspace():
                inner += 1
            if inner == len(text) or text[inner] != ")":
                return at
            at = inner + 1
        elif char in _NOT_IN_URL or char.isspace():
            return at
        else:
            at += 1
    return at


def _closing_end(text: str, at: int) -> int | None:
    """After the URL: whitespace, an optional quoted title after whitespace, whitespace and ")". The
    index after the ")", or None."""
    spaces_end = _spaces_end(text, at)
    if spaces_end == len(text):
        return None
    char = text[spaces_end]
    if char == ")":
        return spaces_end + 1
    if spaces_end == at or char not in _QUOTES:
        return None
    title_end = text.find(char, spaces_end + 1)
    if title_end < 0:
        return None
    after = _spaces_end(text, title_end + 1)
    return after + 1 if after < len(text) and text[after] == ")" else None


def _masked_link_at(text: str, start: int) -> tuple[int, str, str] | None:
    """The masked link whose "[" is at `start`: (index after it, label, URL), or None."""
    label_end = _label_end(text, start)
    if label_end is None or label_end + 1 >= len(text) or text[label_end + 1] != "(":
        return None
    label = text[start + 1 : label_end]
    opened = label_end + 2
    url_start = _spaces_end(text, opened)
    if url_start < len(text) and text[url_start] == "<":
        url_start += 1
    url_end = _url_end(text, url_start)
    closing = url_end + 1 if url_end < len(text) and text[url_end] == ">" else url_end
    end = _closing_end(text, closing)
    if end is not None:
        return end, label, text[url_start:url_end]
    # No URL, only a title: the spaces after "(" end where the title starts.
    end = _closing_end(text, opened)
    return (end, label, "") if end is not None else None


def reveal_masked_links(text: str) -> str:
    """Every masked link in `text` as "label (url)" (the URL alone when the label is empty or the URL
    itself); "[x]()" and "[x]( 'title')" are no links and stay as written."""
    out: list[str] = []
    done = 0
    start = text.find("[")
    while start >= 0:
        link = _masked_link_at(text, start)
        if link is None:
            start = text.find("[", start + 1)
            continue
        end, label, url = link
        out.append(text[done:start])
        label = label.strip()
        if not url:
            out.append(text[start:end])
        else:
            out.append(url if label in ("", url) else f"{label} ({url})")
        done = end
        start = text.find("[", end)
    out.append(text[done:])
    return "".join(out)


_SPOILER = re.compile(r"\|\|(?P<inside>.+?)\|\|", re.DOTALL)


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
    return reveal_masked_links(text).replace("](", "]\\(")


def safe_echo(text: str) -> str:
    """Bot text that quotes members (a diagnosis names their jobs): links revealed, mentions broken."""
    return quiet_mentions(reveal_links(text))


# Markup that member text must not carry into a public message, outside code (where Discord renders
# none of it): channel, role and user mentions, command mentions ("</ask:1>"), timestamps ("<t:1:R>"),
# server links ("<id:customize>"), bare URLs, and subtext or headings at the start of a line (after a
# list marker or a quote too).
_MENTION_LIKE = re.compile(r"<(?=[#@/]|t:|id:)")
# Starting only where a scheme can start, and never giving its characters back: linear in the text.
_BARE_URL = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*+://[^\s`]*[^\s`.,;:!?)'\"]")
_LINE_MARK = re.compile(r"^(\s*(?:>+\s+)?(?:(?:[-*+]|[0-9]+[.)])\s+)*)(-#|#{1,3})(?=\s)")
_CODE_SPAN = re.compile(r"(`+)(?s:.*?)(?<!`)\1(?!`)")


def _inert_prose(text: str) -> str:
    return _BARE_URL.sub(lambda url: f"`{url[0]}`", _MENTION_LIKE.sub(r"\\<", text))


def inert_markup(text: str) -> str:
    """Bot text quoting members, for a public message: what would render as a mention, a link, a
    timestamp, a command or subtext shows as the characters written instead (escaped, or a bare URL
    put in a code span); code blocks and code spans are left as they are."""
    out = []
    fenced = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        if fenced or _FENCE.match(line):
            out.append(line)
            continue
        line = _LINE_MARK.sub(r"\1\\\2", line)
        pieces, done = [], 0
        for span in _CODE_SPAN.finditer(line):
            pieces += [_inert_prose(line[done : span.start()]), span[0]]
            done = span.end()
        out.append("".join([*pieces, _inert_prose(line[done:])]))
    return "\n".join(out)


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


# Sending


async def respond(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: Sequence[discord.Embed] = (),
    view: discord.ui.View | None = None,
    files: Sequence[discord.File] = (),
    ephemeral: bool = False,
) -> None:
    """Answer the interaction (or follow up if it was answered), mentioning nobody."""
    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS, "ephemeral": ephemeral}
    if content is not None:
        kwargs["content"] = truncate(content, MESSAGE_LIMIT)
    all_embeds = [embed] if embed is not None else list(embeds)
    if all_embeds:
        kwargs["embeds"] = [fit_embed(e) for e in all_embeds[:10]]
    if view is not None:
        kwargs["view"] = view
    if files:
        kwargs["files"] = list(files)
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


async def tell_privately(interaction: discord.Interaction[Any], message: str) -> None:
    """An ephemeral reply whether or not the interaction was answered already; never raises, so that
    telling the member about a first failure cannot become a second one."""
    try:
        await respond(interaction, message, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning("could not tell the member about an error: %s", exc)


async def respond_text(
    interaction: discord.Interaction[Any],
    text: str,
    *,
    ephemeral: bool,
    view: discord.ui.View | None = None,
) -> None:
    """Long text as several messages (code blocks closed and reopened), each within 2,000 characters;
    `view` goes under the last one."""
    chunks = split_message(text) or ["(nothing to show)"]
    for number, chunk in enumerate(chunks, start=1):
        await respond(interaction, chunk, ephemeral=ephemeral, view=view if number == len(chunks) else None)


async def update(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> None:
    """Replace the message the component is on (callback type 7)."""
    await interaction.response.edit_message(
        content=truncate(content, MESSAGE_LIMIT) if content is not None else None,
        embeds=[fit_embed(embed)] if embed is not None else [],
        view=view,
        allowed_mentions=NO_MENTIONS,
    )


async def reply_to(
    message: discord.Message,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> discord.Message | None:
    """Reply to a member's message without pinging them or anyone named in the text.

    None when Discord refused (no permission in that channel, message deleted meanwhile): logged as
    a warning, since that is the server's set-up, not a bug.
    """
    kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS, "mention_author": False}
    if content is not None:
        kwargs["content"] = truncate(content, MESSAGE_LIMIT)
    if embed is not None:
        kwargs["embed"] = fit_embed(embed)
    if view is not None:
        kwargs["view"] = view
    try:
        return await message.reply(**kwargs)
    except discord.HTTPException as error:
        log.warning("could not reply in channel %s: %s %s", message.channel.id, error.status, error.code)
        return None
