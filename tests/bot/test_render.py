"""Discord's limits: every message, embed, select and autocomplete list the bot builds stays within them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render
from bot.components import answer_message, suggest_view
from connectsbot.answers import Answer
from connectsbot.diagnosis import advise, diagnose, parse_timeline, render_text
from connectsbot.kbfiles import load_sources
from connectsbot.knowledge import Entry, normalise_alias
from connectsbot.matching import Matcher
from connectsbot.question_reports import QuestionGroup, StatsReport
from connectsbot.safe_text import safe_text
from connectsbot.store import DayCount, RecordedQuestion, Revision
from tests.helpers import SHIPPED_KNOWLEDGE, build_entry
from tests.test_fuzz_member_text import (
    ENTRIES,
    LONG,
    MATCHER,
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
    chunks = render.split_message(text, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    assert all(chunk.strip() for chunk in chunks)
    assert _content("\n".join(chunks)) == _content(text.strip("\n"))


def test_split_message_keeps_short_text_whole_and_closes_code_blocks() -> None:
    assert render.split_message("hello") == ["hello"]
    assert render.split_message("\n\n") == []
    text = "intro\n```text\n" + "\n".join(f"line {i} " + "x" * 60 for i in range(80)) + "\n```\nafter"
    chunks = render.split_message(text)
    assert len(chunks) >= 3
    assert all(len(chunk) <= 2000 and _fence_balanced(chunk) for chunk in chunks)
    assert chunks[1].startswith("```text")
    assert chunks[-1].endswith("after")


def test_truncate() -> None:
    assert render.truncate("abc", 5) == "abc"
    assert render.truncate("abcdef", 4) == "abc…" and len(render.truncate("x" * 9000, 4096)) == 4096
    assert render.truncate("abc", 0) == ""
    assert render.one_line("a \n b", 10) == "a b"


def test_a_huge_entry_fits_an_embed() -> None:
    entry = build_entry("huge-entry", question="Q" * 300, answer="A" * 4000)
    embed = render.answer_embed(entry, SOURCES, diagnose_hint=True)
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert render.embed_size(embed) <= 6000
    assert embed.footer.text and embed.footer.text.startswith("Sources:")


def test_fit_embed_enforces_every_limit() -> None:
    embed = discord.Embed(title="T" * 400, description="D" * 5000)
    for i in range(30):
        embed.add_field(name="N" * 300, value="V" * 2000 + str(i))
    embed.set_footer(text="F" * 3000)
    render.fit_embed(embed)
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in embed.fields)
    assert len(embed.footer.text or "") <= 2048
    assert render.embed_size(embed) <= 6000


def test_autocomplete_choices_are_capped() -> None:
    pairs = [(f"Title {i} " + "x" * 150, f"value-{i}") for i in range(60)]
    pairs.append(("too long a value", "v" * 101))
    choices = render.entry_choices(pairs)
    assert len(choices) == 25
    assert all(len(c.name) <= 100 and len(c.value) <= 100 for c in choices)
    assert render.entry_choices([("a", "x"), ("b", "x")]) == [
        discord.app_commands.Choice(name="a", value="x")
    ]


def test_select_options_are_capped() -> None:
    entries = [build_entry(f"entry-{i}", question="Why " + "q" * 290 + "?") for i in range(30)]
    view = suggest_view(123, entries)
    (select,) = view.children
    assert isinstance(select, discord.ui.DynamicItem)
    component = select.to_component_dict()
    assert len(component["options"]) == 25 and len(component["custom_id"]) <= 100
    assert all(len(o["label"]) <= 100 and len(o["value"]) <= 100 for o in component["options"])
    assert all(len(o.get("description", "")) <= 100 for o in component["options"])


def _revision(number: int, reason: str) -> Revision:
    return Revision(
        entry_id="connects-rollover",
        revision=number,
        action="edit",
        author="moderator (1)",
        reason=reason,
        created_at=datetime(2026, 11, 21, tzinfo=UTC),
        retired=False,
        changed_fields=["answer"],
        entry=build_entry("connects-rollover"),
    )


def test_moderator_embeds_fit() -> None:
    history = render.history_embed("x", [_revision(n, "why " * 80) for n in range(1, 60)])
    assert render.embed_size(history) <= 6000 and len(history.description or "") <= 4096
    question = RecordedQuestion(
        id=1,
        asked_at=datetime(2026, 11, 21, tzinfo=UTC),
        guild_id=None,
        channel="c",
        decision="none",
        question="**bold** @everyone " + "long " * 400,
        suggestions=[],
        picked_entry_id=None,
    )
    groups = [QuestionGroup(text=question.question, key="k", questions=[question]) for _ in range(40)]
    unanswered = render.unanswered_embed(groups, 40)
    assert render.embed_size(unanswered) <= 6000 and "\\*\\*bold\\*\\*" in (unanswered.description or "")
    days = [
        DayCount(day=date(2026, 11, d), asked=d, answered=d // 2, suggested=0, picked=0) for d in range(1, 22)
    ]
    report = StatsReport(
        since=date(2026, 11, 1),
        until=date(2026, 11, 21),
        days=days,
        asked=10,
        answered=5,
        suggested=3,
        picked=1,
        entries=[],
    )
    stats = render.stats_embed(report, {}, "stats.png")
    assert render.embed_size(stats) <= 6000 and stats.image.url == "attachment://stats.png"
    log = render.modlog_embed(_revision(2, "```" + "r" * 2000), 1, ["+ answer: " + "x" * 3000] * 20)
    assert render.embed_size(log) <= 6000 and all(len(f.value or "") <= 1024 for f in log.fields)


# Member text and moderator text under hypothesis: whatever they write, what the bot builds from it
# stays within Discord's limits, pings nobody and hides no link.

MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


def _check_embed(embed: discord.Embed) -> None:
    assert len(embed.title or "") <= render.EMBED_TITLE
    assert len(embed.description or "") <= render.EMBED_DESCRIPTION
    assert (
        len(embed.footer.text or "") <= render.FOOTER and len(embed.author.name or "") <= render.AUTHOR_NAME
    )
    assert len(embed.fields) <= render.EMBED_FIELDS
    for field in embed.fields:
        assert 0 < len(field.name or "") <= render.FIELD_NAME and (field.name or "").strip()
        assert 0 < len(field.value or "") <= render.FIELD_VALUE and (field.value or "").strip()
    assert render.embed_size(embed) <= render.EMBED_TOTAL


@settings(max_examples=150, deadline=None)
@given(MEMBER_TEXT, st.integers(min_value=1, max_value=5000))
def test_truncate_and_one_line_respect_any_limit(text: str, limit: int) -> None:
    cut = render.truncate(text, limit)
    assert len(cut) <= limit
    assert cut == text if len(text) <= limit else cut.endswith(render.ELLIPSIS)
    assert text.startswith(cut.removesuffix(render.ELLIPSIS))
    line = render.one_line(text, limit)
    assert len(line) <= limit and "\n" not in line and line == line.strip()
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", line)


@settings(max_examples=150, deadline=None)
@given(MEMBER_TEXT, st.integers(min_value=5, max_value=5000))
def test_a_cut_never_leaves_a_code_block_open(text: str, limit: int) -> None:
    cut = render.truncate_markdown(text, limit)
    assert len(cut) <= limit
    assert cut == text or cut.count("```") % 2 == 0


def test_a_cut_code_block_is_closed() -> None:
    text = "Paste this:\n```text\n" + "Hello support, " * 300 + "\n```\nThanks."
    cut = render.truncate_markdown(text, 1000)
    assert len(cut) <= 1000 and cut.endswith("…\n```") and cut.count("```") == 2


@settings(max_examples=150, deadline=None)
@given(MEMBER_TEXT, st.integers(min_value=1, max_value=2000))
def test_member_text_is_one_line_that_pings_nobody(text: str, limit: int) -> None:
    shown = render.member_text(text, limit)
    assert len(shown) <= limit and "\n" not in shown
    assert not MENTION.search(shown)


def test_mentions_in_member_text_are_shown_but_broken() -> None:
    text = "@everyone @here <@123456789012345678> <@!123456789012345678> <@&123456789012345678>"
    shown = render.member_text(text, 200)
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
    shown = render.reveal_links(text)
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
    assert render.reveal_links(written) == shown


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
    _check_embed(render.fit_embed(embed))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(PART, st.one_of(PART, st.sampled_from(["x", "y"]))), max_size=40))
def test_entry_choices_are_valid_for_any_names_and_values(pairs: list[tuple[str, str]]) -> None:
    choices = render.entry_choices(pairs)
    assert len(choices) <= render.CHOICES
    assert all(
        1 <= len(c.name) <= render.CHOICE_NAME and 1 <= len(c.value) <= render.CHOICE_VALUE for c in choices
    )
    assert len({c.value for c in choices}) == len(choices)


ENTRY_TEXT = st.one_of(
    MEMBER_TEXT,
    st.lists(st.one_of(MASKED_LINKS, PIECES, st.just("\n# Heading\n"), st.just("```py\n")), max_size=30).map(
        "".join
    ),
)


def _cut(strategy: st.SearchStrategy[str], limit: int) -> st.SearchStrategy[str]:
    """Texts from `strategy` cut to `limit`, not blank once made safe: what the entry model accepts."""
    return strategy.map(lambda text: text[:limit]).filter(lambda text: safe_text(text).strip())


@st.composite
def moderator_entries(draw: st.DrawFn) -> Entry:
    """Any entry a moderator could save: the model's limits, everything else nasty."""
    aliases = draw(st.lists(_cut(MEMBER_LINE, 300), max_size=5))
    return build_entry(
        "nasty-entry",
        question=draw(_cut(MEMBER_LINE, 300)),
        answer=draw(_cut(ENTRY_TEXT, 4000)),
        aliases=list({normalise_alias(alias): alias for alias in aliases}.values()),
        sources=[
            {"source": seed, "supports": "x"}
            for seed in draw(st.lists(_cut(PART, 200), min_size=1, max_size=15))
        ],
    )


@settings(max_examples=80, deadline=None)
@given(moderator_entries(), st.booleans())
def test_any_entry_renders_to_a_valid_embed_that_hides_no_link(entry: Entry, diagnose_hint: bool) -> None:
    embed = render.answer_embed(entry, SOURCES, diagnose_hint=diagnose_hint)
    _check_embed(embed)
    assert "](" not in (embed.description or "") and "](" not in (embed.title or "")
    assert (embed.footer.text or "").startswith("Sources:")
    assert [f.name for f in embed.fields] == (["Check your own case"] if diagnose_hint else [])
    option = render.suggestion_option(entry)
    assert 1 <= len(option.label) <= render.SELECT_LABEL and 1 <= len(option.value) <= render.SELECT_VALUE
    assert len(option.description or "") <= render.SELECT_DESCRIPTION
    listing = render.entry_list_embed([entry] * 20, 0, 1, None)
    _check_embed(listing)
    assert "](" not in (listing.description or "")


def test_an_entry_cannot_break_the_embed() -> None:
    """An unclosed fence, a 4,000-character line, headings, 30 links and a long sources line: all within
    the limits, the footer and the fields kept, every link shown, the cut code block closed."""
    links = " ".join(f"[upwork.com/{i}](https://evil{i}.example)" for i in range(30))
    answer = f"# Heading\n## Sub\n```py\nprint('never closed')\n{links}\n" + "x" * 4000
    entry = build_entry(
        "nasty-entry",
        question="[Connects](https://evil.example) @everyone",
        answer=answer[:4000],
        sources=[{"source": f"{i:03d}_" + "s" * 180, "supports": "x"} for i in range(12)],
    )
    embed = render.answer_embed(entry, SOURCES, diagnose_hint=True)
    _check_embed(embed)
    assert embed.title == "Connects (https://evil.example) @everyone"
    assert all(f"https://evil{i}.example" in (embed.description or "") for i in range(30))
    assert (embed.description or "").endswith("…\n```"), "cut inside the code block, which is closed"
    assert [f.name for f in embed.fields] == ["Check your own case"]
    assert (embed.footer.text or "").startswith("Sources: 000_")


def test_a_suggestion_of_an_entry_titled_only_with_control_characters_still_has_a_label() -> None:
    entry = build_entry("control-title", question="\x80\x9f")  # C1 controls: the model keeps them
    assert render.suggestion_option(entry).label == "control-title"


@settings(max_examples=100, deadline=None)
@given(TIMELINES)
def test_a_diagnosis_of_any_timeline_fits_messages_that_ping_and_link_nothing(text: str) -> None:
    diagnosis = diagnose(parse_timeline(text, NOW), POLICY, NOW)
    chunks = render.split_message(render.safe_echo(render_text(diagnosis, advise(diagnosis), SOURCES)))
    assert chunks
    for chunk in chunks:
        assert 0 < len(chunk) <= render.MESSAGE_LIMIT and chunk.strip()
        assert _fence_balanced(chunk), "a code block cut across messages is closed and reopened"
        assert not MENTION.search(chunk) and "](" not in chunk


@settings(max_examples=100, deadline=None)
@given(MEMBER_TEXT)
def test_the_answer_to_any_question_is_a_valid_message(question: str) -> None:
    result = MATCHER.match(question)
    entries = {entry.id: entry for entry in ENTRIES}
    answer = Answer(
        result=result,
        entry=entries.get(result.entry_id or ""),
        suggestions=[entries[c.entry_id] for c in result.suggestions],
        question_id=1,
    )
    content, embed, view = answer_message(answer, SOURCES)
    assert content is None or len(content) <= render.MESSAGE_LIMIT
    if embed is not None:
        _check_embed(embed)
    for item in view.children if view is not None else []:
        component = item.to_component_dict()
        assert len(component.get("custom_id", "")) <= render.CUSTOM_ID
        assert len(component.get("options", [])) <= render.SELECT_OPTIONS
        for option in component.get("options", []):
            assert 1 <= len(option["label"]) <= 100 and 1 <= len(option["value"]) <= 100
            assert len(option.get("description", "")) <= 100


def test_suggestions_without_a_recorded_question_are_listed_as_text() -> None:
    """The select needs the question's id; when the database could not record it, list the titles."""
    entries = [build_entry("connects-rollover", question="Do Connects roll over?"), build_entry("buy")]
    result = Matcher(entries).match("connects")
    answer = Answer(result=result, entry=None, suggestions=entries, question_id=None)
    content, embed, view = answer_message(answer, SOURCES)
    assert embed is None and view is None
    assert content is not None and "• Do Connects roll over?" in content and "/faq show" in content
