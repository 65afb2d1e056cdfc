"""Discord's limits and safe text: whatever members and moderators write, what the bot cuts, splits and
flattens stays within the limits, pings nobody and hides no link."""

from __future__ import annotations

import re
from typing import SupportsIndex

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import replies
from connectsbot.diagnosis import advise, diagnose, parse_timeline, render_text
from connectsbot.kbfiles import load_sources
from tests.helpers import SHIPPED_KNOWLEDGE
from tests.test_fuzz_member_text import (
    LONG,
    MEMBER_LINE,
    MEMBER_TEXT,
    NASTY_PIECES,
    NOW,
    PIECES,
    POLICY,
    TIMELINES,
)


def _fence_balanced(chunk: str) -> bool:
    return sum(1 for line in chunk.splitlines() if line.lstrip().startswith("```")) % 2 == 0


def _content(text: str) -> str:
    """The non-blank characters outside code-fence lines, in order."""
    kept = [line for line in text.split("\n") if not line.lstrip().startswith("```")]
    return "".join("".join(kept).split())


SOURCES = load_sources(SHIPPED_KNOWLEDGE)
PRINTABLE = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=PRINTABLE, max_size=300),
            st.just("```text"),
            st.just("```"),
            st.text(alphabet="ab ", min_size=2100, max_size=4500),
        ),
        max_size=40,
    ),
    st.integers(min_value=100, max_value=2000),
)
def test_split_message_never_exceeds_the_limit(lines: list[str], limit: int) -> None:
    text = "\n".join(lines)
    chunks = replies.split_message(text, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    assert all(chunk.strip() for chunk in chunks)
    assert _content("\n".join(chunks)) == _content(text.strip("\n"))


def test_split_message_keeps_short_text_whole_and_closes_code_blocks() -> None:
    assert replies.split_message("hello") == ["hello"]
    assert replies.split_message("\n\n") == []
    text = "intro\n```text\n" + "\n".join(f"line {i} " + "x" * 60 for i in range(80)) + "\n```\nafter"
    chunks = replies.split_message(text)
    assert len(chunks) >= 3
    assert all(len(chunk) <= 2000 and _fence_balanced(chunk) for chunk in chunks)
    assert chunks[1].startswith("```text")
    assert chunks[-1].endswith("after")


def test_truncate() -> None:
    assert replies.truncate("abc", 5) == "abc"
    assert replies.truncate("abcdef", 4) == "abc…" and len(replies.truncate("x" * 9000, 4096)) == 4096
    assert replies.truncate("abc", 0) == ""
    assert replies.one_line("a \n b", 10) == "a b"


def test_fit_embed_enforces_every_limit() -> None:
    embed = discord.Embed(title="T" * 400, description="D" * 5000)
    for i in range(30):
        embed.add_field(name="N" * 300, value="V" * 2000 + str(i))
    embed.set_footer(text="F" * 3000)
    replies.fit_embed(embed)
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in embed.fields)
    assert len(embed.footer.text or "") <= 2048
    assert replies.embed_size(embed) <= 6000


def test_autocomplete_choices_are_capped() -> None:
    pairs = [(f"Title {i} " + "x" * 150, f"value-{i}") for i in range(60)]
    pairs.append(("too long a value", "v" * 101))
    choices = replies.entry_choices(pairs)
    assert len(choices) == 25
    assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in choices)
    assert replies.entry_choices([("a", "x"), ("b", "x")]) == [
        discord.app_commands.Choice(name="a", value="x")
    ]


MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


def check_embed(embed: discord.Embed) -> None:
    """Every part of `embed` within Discord's limits, no field blank."""
    assert len(embed.title or "") <= replies.EMBED_TITLE
    assert len(embed.description or "") <= replies.EMBED_DESCRIPTION
    assert (
        len(embed.footer.text or "") <= replies.FOOTER and len(embed.author.name or "") <= replies.AUTHOR_NAME
    )
    assert len(embed.fields) <= replies.EMBED_FIELDS
    for field in embed.fields:
        assert 0 < len(field.name or "") <= replies.FIELD_NAME and (field.name or "").strip()
        assert 0 < len(field.value or "") <= replies.FIELD_VALUE and (field.value or "").strip()
    assert replies.embed_size(embed) <= replies.EMBED_TOTAL


@settings(max_examples=150, deadline=None)
@given(MEMBER_TEXT, st.integers(min_value=1, max_value=5000))
def test_truncate_and_one_line_respect_any_limit(text: str, limit: int) -> None:
    cut = replies.truncate(text, limit)
    assert len(cut) <= limit
    assert cut == text if len(text) <= limit else cut.endswith(replies.ELLIPSIS)
    assert text.startswith(cut.removesuffix(replies.ELLIPSIS))
    line = replies.one_line(text, limit)
    assert len(line) <= limit and "\n" not in line and line == line.strip()
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", line)


@settings(max_examples=150, deadline=None)
@given(MEMBER_TEXT, st.integers(min_value=5, max_value=5000))
def test_a_cut_never_leaves_a_code_block_open(text: str, limit: int) -> None:
    cut = replies.truncate_markdown(text, limit)
    assert len(cut) <= limit
    assert cut == text or cut.count("```") % 2 == 0


def test_a_cut_code_block_is_closed() -> None:
    text = "Paste this:\n```text\n" + "Hello support, " * 300 + "\n```\nThanks."
    cut = replies.truncate_markdown(text, 1000)
    assert len(cut) <= 1000 and cut.endswith("…\n```") and cut.count("```") == 2


@settings(max_examples=150, deadline=None)
@given(MEMBER_TEXT, st.integers(min_value=1, max_value=2000))
def test_member_text_is_one_line_that_pings_nobody(text: str, limit: int) -> None:
    shown = replies.member_text(text, limit)
    assert len(shown) <= limit and "\n" not in shown
    assert not MENTION.search(shown)


def test_mentions_in_member_text_are_shown_but_broken() -> None:
    text = "@everyone @here <@123456789012345678> <@!123456789012345678> <@&123456789012345678>"
    shown = replies.member_text(text, 200)
    assert shown.replace("\u200b", "") == text
    assert not MENTION.search(shown)


URLS = st.builds(
    "https://{}.example/{}".format,
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/?=&%._~-", max_size=20),
)
MASKED_LINKS = st.builds(
    lambda label, url, form: form.format(label=label, url=url),
    st.one_of(MEMBER_LINE, URLS, st.just("https://upwork.com")),
    URLS,
    st.sampled_from(
        ["[{label}]({url})", "[{label}](<{url}>)", '[{label}]({url} "t")', "||[{label}]({url})||"]
    ),
)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.one_of(MASKED_LINKS, PIECES, st.sampled_from(["[", "]", "(", ")", "](", "<", ">"])), max_size=30
    )
)
def test_no_link_in_moderator_text_can_hide_where_it_goes(parts: list[str]) -> None:
    text = "".join(parts)
    shown = replies.reveal_links(text)
    # Discord reads a masked link only where "](" stands: none is left unescaped.
    assert "](" not in shown
    assert not re.search(r"[\u202a-\u202e\u2066-\u2069]", shown)
    for url in re.findall(r"https://[a-z-]+\.example/[a-z0-9/?=&%._~-]*", text):
        assert url in shown


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("[innocent text](https://evil.example)", "innocent text (https://evil.example)"),
        ("[https://upwork.com](https://evil.example)", "https://upwork.com (https://evil.example)"),
        ("[click](<https://evil.example/a(b)>)", "click (https://evil.example/a(b))"),
        ('[click](https://evil.example "Upwork")', "click (https://evil.example)"),
        ("||[free Connects](https://evil.example)||", "free Connects (https://evil.example)"),
        ("||https://evil.example||", "https://evil.example"),
        ("[https://upwork.com](https://upwork.com)", "https://upwork.com"),
        ("https://\u202eelpmaxe.live", "https://elpmaxe.live"),
        ("[a]b](https://evil.example)", "[a]b]\\(https://evil.example)"),
        ("||a spoiler|| and **bold** and `code`", "||a spoiler|| and **bold** and `code`"),
    ],
)
def test_masked_links_show_their_destination(written: str, shown: str) -> None:
    assert replies.reveal_links(written) == shown


# The masked-link expression the scanner replaced: the reference for what a masked link is. It backtracks
# over the spaces of "[a](" followed by spaces (quadratic), so it is run on short texts only.
OLD_MASKED_LINK = re.compile(
    r"\[(?P<label>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
    r"\(\s*<?(?P<url>(?:\([^()\s]*\)|[^()\s<>])*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)


def _old_shown_link(link: re.Match[str]) -> str:
    label, url = link["label"].strip(), link["url"]
    if not url:
        return link[0]
    return url if label in ("", url) else f"{label} ({url})"


# Every character the expression treats apart, whitespace of several kinds (\x1c and \x85 are whitespace
# to Python, \u200b is not), and a few ordinary ones.
LINK_PIECES = st.lists(
    st.one_of(
        st.sampled_from(list("[]()<>\"' \t\n\x1c\x85\xa0\u2028\u200bax:/.")),
        st.sampled_from(["](", "[a](", "https://a.example", '"t"', "'t'", "(b)", "<u>"]),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=2000, deadline=None)
@given(LINK_PIECES)
def test_the_masked_link_scanner_reads_links_as_the_old_expression_did(text: str) -> None:
    assert replies.reveal_masked_links(text) == OLD_MASKED_LINK.sub(_old_shown_link, text)


class CountingText(str):
    """A text that counts how often its characters (or slices) are read."""

    reads = 0

    def __getitem__(self, key: SupportsIndex | slice) -> str:
        self.reads += 1
        return super().__getitem__(key)


@pytest.mark.parametrize(
    "unit",
    [
        pytest.param(" ", id="spaces-after-an-opening"),  # the case: 32 s at 70,000 characters
        pytest.param("[a](", id="openings"),
        pytest.param("[a]( '", id="unclosed-titles"),
        pytest.param("[a[", id="unclosed-nested-labels"),
        pytest.param("(b", id="unclosed-url-groups"),
        pytest.param('[x](a "t" ', id="titles-without-closing"),
    ],
)
def test_the_masked_link_scanner_reads_each_character_a_bounded_number_of_times(unit: str) -> None:
    # Counted reads, not time: linear means a constant number of reads per character whatever the
    # length (the expression it replaced did about length² / 2 steps on the first pattern).
    for length in (7_000, 70_000):
        text = CountingText("[a](" + unit * (length // len(unit)))
        replies.reveal_masked_links(text)
        assert text.reads <= 8 * len(text), f"{text.reads} reads for {len(text)} characters"


# Cheap to draw, and long enough to reach every limit.
PART = st.one_of(st.text(max_size=20), st.sampled_from(NASTY_PIECES), LONG)


@st.composite
def embeds(draw: st.DrawFn) -> discord.Embed:
    embed = discord.Embed(title=draw(PART), description=draw(PART))
    for _ in range(draw(st.integers(0, 30))):
        embed.add_field(name=draw(PART), value=draw(PART), inline=draw(st.booleans()))
    embed.set_footer(text=draw(PART))
    embed.set_author(name=draw(PART))
    return embed


@settings(max_examples=80, deadline=None)
@given(embeds())
def test_fit_embed_makes_any_embed_valid(embed: discord.Embed) -> None:
    check_embed(replies.fit_embed(embed))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(PART, st.one_of(PART, st.sampled_from(["x", "y"]))), max_size=40))
def test_entry_choices_are_valid_for_any_names_and_values(pairs: list[tuple[str, str]]) -> None:
    choices = replies.entry_choices(pairs)
    assert len(choices) <= replies.CHOICES
    assert all(
        1 <= len(c.name) <= replies.CHOICE_NAME and 1 <= len(c.value) <= replies.CHOICE_VALUE for c in choices
    )
    assert len({c.value for c in choices}) == len(choices)


@settings(max_examples=100, deadline=None)
@given(TIMELINES)
def test_a_diagnosis_of_any_timeline_fits_messages_that_ping_and_link_nothing(text: str) -> None:
    diagnosis = diagnose(parse_timeline(text, NOW), POLICY, NOW)
    chunks = replies.split_message(replies.safe_echo(render_text(diagnosis, advise(diagnosis), SOURCES)))
    assert chunks
    for chunk in chunks:
        assert 0 < len(chunk) <= replies.MESSAGE_LIMIT and chunk.strip()
        assert _fence_balanced(chunk), "a code block cut across messages is closed and reopened"
        assert not MENTION.search(chunk) and "](" not in chunk
