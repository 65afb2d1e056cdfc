"""Property-based fuzzing of everything in the core that takes member text: the matcher (questions and
autocomplete prefixes), the timeline diagnosis, and the answer service that answers and records questions.

Member text is anything Discord can deliver: all of Unicode but lone surrogates, from nothing to
10,000 characters, NUL and other controls, RTL marks and overrides, zalgo, code fences, markdown,
masked links and mentions. The strategies are shared with the Discord-side tests (tests/bot).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectsbot.answers import AnswerService
from connectsbot.diagnosis import advise, diagnose, parse_timeline, render_text
from connectsbot.kbfiles import load_folder, load_policy, load_sources
from connectsbot.matching import Matcher
from connectsbot.safe_text import safe_text
from connectsbot.store import KnowledgeStore
from connectsbot.terminal_text import answer_text
from tests.helpers import SHIPPED_KNOWLEDGE

SOURCES = load_sources(SHIPPED_KNOWLEDGE)
NASTY_PIECES = (
    "\x00",
    "\x1b[31m",
    "\u200b",
    "\u200e",
    "\u200f",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\u2028",
    "\r\n",
    "\r",
    "\n",
    "\t",
    "```",
    "```py\n",
    "`",
    "**",
    "__",
    "~~",
    "||",
    "> ",
    "# ",
    "-# ",
    "\\",
    "@everyone",
    "@here",
    "<@123456789012345678>",
    "<@!123456789012345678>",
    "<@&123456789012345678>",
    "<#123456789012345678>",
    "[free Connects](https://evil.example)",
    "[https://upwork.com](<https://evil.example>)",
    "||https://evil.example||",
    "https://upwork.com",
    "Z\u0351\u0300\u0336\u0489\u035b",
    "connects",
    "interview",
    "roll over",
    "bonus",
    "2026-11-03",
    "09:40",
    "👍🏽",
    "\U0001f1fa\U0001f1f8",
    "ﷺ",
    "İ",
    "ß",
    "ǅ",
    "٣",
)
# A letter buried under combining marks.
ZALGO = st.tuples(
    st.characters(categories=["L"]), st.text(st.characters(categories=["Mn", "Me"]), min_size=5, max_size=40)
).map("".join)
PIECES = st.one_of(st.sampled_from(NASTY_PIECES), st.text(max_size=12), ZALGO)
MIXED = st.lists(PIECES, max_size=80).map("".join)
# One piece repeated up to exactly `length` characters: long texts without generating 10,000 draws.
LONG = st.tuples(PIECES.filter(bool), st.one_of(st.integers(1, 10_000), st.just(10_000))).map(
    lambda repeated: (repeated[0] * (repeated[1] // len(repeated[0]) + 1))[: repeated[1]]
)
MEMBER_TEXT = st.one_of(st.just(""), st.text(max_size=200), MIXED, LONG)
# Text a member types on one line (a job name, an alias).
MEMBER_LINE = st.one_of(st.text(max_size=60), st.lists(PIECES, max_size=8).map("".join)).map(
    lambda text: " ".join(text.splitlines())
)

ENTRIES = list(load_folder(SHIPPED_KNOWLEDGE).entries.values())
ENTRY_IDS = {entry.id for entry in ENTRIES}
TITLES = {entry.id: entry.question for entry in ENTRIES}
MATCHER = Matcher(ENTRIES)  # built once: the properties below only read it
POLICY = load_policy(SHIPPED_KNOWLEDGE)
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


# The matcher


@settings(max_examples=150, deadline=None)
@given(MEMBER_TEXT)
def test_any_question_gets_a_well_formed_result(text: str) -> None:
    result = MATCHER.match(text)
    # match() turns any exception into a "none" result: that must never be what happened.
    assert not result.why.startswith("internal error"), result.why
    assert result.question == text
    assert result.decision in ("answer", "suggest", "none")
    assert 0 <= result.score <= 100
    assert (result.entry_id is not None) == (result.decision == "answer")
    assert result.entry_id is None or result.entry_id in ENTRY_IDS
    if result.decision == "suggest":
        assert 1 <= len(result.suggestions) <= MATCHER.config.max_suggestions
    else:
        assert result.suggestions == []
    suggested = [candidate.entry_id for candidate in result.suggestions]
    assert set(suggested) <= ENTRY_IDS and len(set(suggested)) == len(suggested)


@settings(max_examples=150, deadline=None)
@given(MEMBER_TEXT, st.integers(min_value=0, max_value=30))
def test_any_prefix_gets_well_formed_completions(prefix: str, limit: int) -> None:
    completions = MATCHER.complete(prefix, limit)
    assert len(completions) <= limit
    ids = [candidate.entry_id for candidate in completions]
    assert len(set(ids)) == len(ids) and set(ids) <= ENTRY_IDS
    assert all(candidate.matched_text == TITLES[candidate.entry_id] for candidate in completions)
    assert all(0 <= candidate.score <= 100 for candidate in completions)


def test_an_unclosed_code_fence_does_not_hide_the_question() -> None:
    """Discord shows a lone ``` as it is, so the words after it are part of the question (a forum
    post titled "@everyone ```" once made its whole question unreadable)."""
    answered = [entry for entry in ENTRIES if MATCHER.match(entry.question).decision == "answer"]
    assert len(answered) > len(ENTRIES) // 2
    for entry in answered:
        for fenced in (f"``` {entry.question}", f"@everyone ```\n{entry.question}"):
            assert MATCHER.match(fenced).entry_id == MATCHER.match(entry.question).entry_id, fenced
    assert MATCHER.match("```py\nprint(1)\n``` do unused connects roll over?").decision == "answer"


TEN_THOUSAND = {
    "nul": "\x00" * 10_000,
    "rtl": "\u200f\u202e" * 5_000,
    "zalgo": ("c\u0351\u0300\u0336\u0489" * 2_000),
    "one word": "connects" * 1_250,
    "words": ("do unused connects roll over " * 400)[:10_000],
    "fence": "```py\n" + "x = 1\n" * 1_665 + "```",
    "astral": "".join(chr(0x1F600 + i % 80) for i in range(10_000)),
    "mentions": ("@everyone <@&123456789012345678> " * 400)[:10_000],
}


@pytest.mark.parametrize("text", TEN_THOUSAND.values(), ids=TEN_THOUSAND.keys())
def test_ten_thousand_characters_are_matched_and_completed_quickly(text: str) -> None:
    assert len(text) >= 9_990
    started = time.perf_counter()
    result = MATCHER.match(text)
    MATCHER.complete(text, 25)
    assert time.perf_counter() - started < 1.0, "a flood of text must not stall the bot"
    assert not result.why.startswith("internal error"), result.why


# The diagnosis


def _story(jobs: list[str]) -> str:
    """Each job proposed, interviewed and answered on its own day, then a check: interviews due."""
    lines = []
    for day, job in enumerate(jobs, start=1):
        lines += [
            f"2026-11-{day:02d} proposal {job}",
            f"2026-11-{day:02d} 09:10 interview {job}",
            f"2026-11-{day:02d} 09:40 respond {job}",
        ]
    return "\n".join([*lines, "2026-11-20 check"])


TIMELINE_LINE = st.one_of(
    st.builds(
        "2026-11-{:02d} {:02d}:00 {} {}".format,
        st.integers(1, 20),
        st.integers(0, 23),
        st.sampled_from(["proposal", "invite", "interview", "respond", "offer", "bonus 10", "check"]),
        MEMBER_LINE,
    ),
    MEMBER_LINE,
)
TIMELINES = st.one_of(
    MEMBER_TEXT,
    st.lists(TIMELINE_LINE, max_size=40).map("\n".join),
    st.lists(MEMBER_LINE, min_size=1, max_size=6).map(_story),
)


@settings(max_examples=120, deadline=None)
@given(TIMELINES)
def test_member_text_cannot_break_the_diagnosis_layout(text: str) -> None:
    diagnosis = diagnose(parse_timeline(text, NOW), POLICY, NOW)
    rendered = render_text(diagnosis, advise(diagnosis), SOURCES)
    lines = rendered.split("\n")
    fences = [line for line in lines if line.lstrip().startswith("```")]
    # Only the bot's own code block (the support ticket) opens and closes a fence.
    assert fences in ([], ["```text", "```"])
    assert fences == (["```text", "```"] if diagnosis.missing else [])
    # Member text brings no backtick of its own: every inline code span the bot opens, it closes.
    assert all(line.count("`") % 2 == 0 for line in lines if line not in fences)
    assert not any(0 < ord(char) < 32 and char not in "\n\t" for char in rendered), "control characters"


def test_jobs_named_with_nasty_text_are_all_listed() -> None:
    jobs = ["```py", "@everyone", "[free](https://evil.example)", "\u202eLogo", "Z\u0351\u0300\u0336"]
    diagnosis = diagnose(parse_timeline(_story(jobs), NOW), POLICY, NOW)
    assert len(diagnosis.items) == len(jobs) and diagnosis.missing > 0
    rendered = render_text(diagnosis, advise(diagnosis), SOURCES)
    assert "@everyone" in rendered and "[free](https://evil.example)" in rendered


# The answer service: what /ask, mentions and help channels run, and the terminal's rendering of it

ENGINE_QUESTIONS = {
    "empty": "",
    "blank": " \t\u200b\u200f ",
    "nul": "\x00do unused connects\x00 roll over?",
    "ten thousand": ("connects " * 1_200)[:10_000],
    "zalgo": "r\u0351\u0300\u0336oll o\u0489ver c\u035bonnects",
    "mentions": "@everyone <@&123456789012345678> do unused connects roll over?",
    "fence": "```\ndo unused connects roll over?",
    "rtl": "\u202e?revo llor stcennoc desunu od",
}


async def test_the_engine_answers_and_records_any_question(store: KnowledgeStore) -> None:
    answers, _ = await AnswerService.start(store, SHIPPED_KNOWLEDGE)
    questions = list(ENGINE_QUESTIONS.values())
    replies = await answers.ask_many(questions, "member", "guild", "channel")
    for question, answer in zip(questions, replies, strict=True):
        assert answer.question_id is not None, question
        shown = answer_text(answer, SOURCES)
        assert shown.strip(), question
        if answer.entry is not None:
            assert shown.startswith(answer.entry.question)
        else:
            # Unanswered questions are kept for the moderators as asked, made safe (no NUL, no bidi
            # controls, no zero-width spaces: connectsbot.safe_text).
            assert (await store.question(answer.question_id)).question == safe_text(question)
    assert {answer.result.decision for answer in replies} == {"answer", "none"}
