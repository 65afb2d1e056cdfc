"""Discord's limits: every message, embed, select and autocomplete list the bot builds stays within them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render
from bot.components import suggest_view
from connectsbot.insights import QuestionGroup, StatsReport
from connectsbot.store import DayCount, RecordedQuestion, Revision
from tests.conftest import build_entry


def _fence_balanced(chunk: str) -> bool:
    return sum(1 for line in chunk.splitlines() if line.lstrip().startswith("```")) % 2 == 0


def _content(text: str) -> str:
    """The non-blank characters outside code-fence lines, in order."""
    kept = [line for line in text.split("\n") if not line.lstrip().startswith("```")]
    return "".join("".join(kept).split())


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
    embed = render.answer_embed(entry, diagnose_hint=True)
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
