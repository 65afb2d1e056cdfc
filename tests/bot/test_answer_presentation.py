"""The answer as members see it (embed, "Did you mean…", suggestions as text) within Discord's limits,
hiding no link, whatever moderators write in an entry and whatever members ask."""

from __future__ import annotations

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import replies
from bot.components import answer_embed, answer_message, suggest_view, suggestion_option
from bot.exts.faq._render import entry_list_embed
from connectsbot.answers import Answer
from connectsbot.kbfiles import load_sources
from connectsbot.knowledge import Entry, normalise_alias
from connectsbot.matching import Matcher
from connectsbot.safe_text import safe_text
from tests.bot.test_replies import MASKED_LINKS, PART, check_embed
from tests.helpers import SHIPPED_KNOWLEDGE, build_entry
from tests.test_fuzz_member_text import ENTRIES, MATCHER, MEMBER_LINE, MEMBER_TEXT, PIECES

SOURCES = load_sources(SHIPPED_KNOWLEDGE)


def test_a_huge_entry_fits_an_embed() -> None:
    entry = build_entry("huge-entry", question="Q" * 300, answer="A" * 4000)
    embed = answer_embed(entry, SOURCES, diagnose_hint=True)
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert replies.embed_size(embed) <= 6000
    assert embed.footer.text and embed.footer.text.startswith("Sources:")


def test_select_options_are_capped() -> None:
    entries = [build_entry(f"entry-{i}", question="Why " + "q" * 290 + "?") for i in range(30)]
    view = suggest_view(123, entries)
    (select,) = view.children
    assert isinstance(select, discord.ui.DynamicItem)
    component = select.to_component_dict()
    assert len(component["options"]) == 25 and len(component["custom_id"]) <= 100
    assert all(len(o["label"]) <= 100 and len(o["value"]) <= 100 for o in component["options"])
    assert all(len(o.get("description", "")) <= 100 for o in component["options"])


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
    embed = answer_embed(entry, SOURCES, diagnose_hint=diagnose_hint)
    check_embed(embed)
    assert "](" not in (embed.description or "") and "](" not in (embed.title or "")
    assert (embed.footer.text or "").startswith("Sources:")
    assert [f.name for f in embed.fields] == (["Check your own case"] if diagnose_hint else [])
    option = suggestion_option(entry)
    assert 1 <= len(option.label) <= replies.SELECT_LABEL and 1 <= len(option.value) <= replies.SELECT_VALUE
    assert len(option.description or "") <= replies.SELECT_DESCRIPTION
    listing = entry_list_embed([entry] * 20, 0, 1, None)
    check_embed(listing)
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
    embed = answer_embed(entry, SOURCES, diagnose_hint=True)
    check_embed(embed)
    assert embed.title == "Connects (https://evil.example) @everyone"
    assert all(f"https://evil{i}.example" in (embed.description or "") for i in range(30))
    assert (embed.description or "").endswith("…\n```"), "cut inside the code block, which is closed"
    assert [f.name for f in embed.fields] == ["Check your own case"]
    assert (embed.footer.text or "").startswith("Sources: 000_")


def test_a_suggestion_of_an_entry_titled_only_with_control_characters_still_has_a_label() -> None:
    entry = build_entry("control-title", question="\x80\x9f")  # C1 controls: the model keeps them
    assert suggestion_option(entry).label == "control-title"


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
    assert content is None or len(content) <= replies.MESSAGE_LIMIT
    if embed is not None:
        check_embed(embed)
    for item in view.children if view is not None else []:
        component = item.to_component_dict()
        assert len(component.get("custom_id", "")) <= replies.CUSTOM_ID
        assert len(component.get("options", [])) <= replies.SELECT_OPTIONS
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
