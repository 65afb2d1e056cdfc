"""Pasting a timeline in the terminal chat: one timeline whatever its blank lines, ended by two empty lines
or `done`, whichever way the terminal delivers it, and never recorded as an unanswered question."""

from __future__ import annotations

from pathlib import Path

from connectsbot import chat
from connectsbot.answers import AnswerService
from connectsbot.kbfiles import load_policy
from connectsbot.store import KnowledgeStore
from tests.helpers import SHIPPED_KNOWLEDGE, scripted_reader

MEMBER_TIMELINE = [
    "Nov 3 applied to logo job",
    "",
    "client messaged me nov 4",
    "replied same day",
    "",
    "hired nov 10",
]


async def _chat(
    tmp_path: Path, script: list[str], pending: chat.Pending = lambda: False
) -> tuple[list[str], list[str]]:
    """What the chat said, and the questions recorded for the moderators."""
    said: list[str] = []
    async with await KnowledgeStore.open(tmp_path / "chat.sqlite3") as store:
        answers, _ = await AnswerService.start(store, SHIPPED_KNOWLEDGE)
        await chat.run_chat(
            answers, load_policy(SHIPPED_KNOWLEDGE), "tester", scripted_reader(script), said.append, pending
        )
        unanswered = [question.question for question in await store.unanswered()]
    return said, unanswered


def _reading(said: list[str]) -> str:
    (result,) = [text for text in said if text.startswith("**Interview Connects check**")]
    return result


async def test_a_pasted_timeline_with_blank_lines_is_one_timeline_ended_by_two_empty_lines(
    tmp_path: Path,
) -> None:
    said, unanswered = await _chat(tmp_path, ["/diagnose", *MEMBER_TIMELINE, "", "", "zebra husbandry"])
    assert "empty line twice" in said[1] and "done" in said[1]
    result = _reading(said)
    for line in range(1, 7):
        assert (f"line {line}:" in result) == (line not in (2, 5))
    assert "not understood" not in result
    assert "✅ logo: due, 10 Connects" in result
    assert unanswered == ["zebra husbandry"]  # asked after the timeline ended: a question again


async def test_done_ends_the_timeline(tmp_path: Path) -> None:
    said, unanswered = await _chat(tmp_path, ["/diagnose", *MEMBER_TIMELINE, "Done"])
    assert "✅ logo: due, 10 Connects" in _reading(said)
    assert unanswered == []


async def test_a_paste_delivered_as_one_string_with_returns_inside(tmp_path: Path) -> None:
    pasted = "\x1b[200~" + "\r".join(MEMBER_TIMELINE) + "\x1b[201~"
    said, _ = await _chat(tmp_path, ["/diagnose", pasted, "", ""])
    result = _reading(said)
    assert "line 6: 10 Nov" in result and "✅ logo: due, 10 Connects" in result


async def test_a_bracketed_paste_arrives_as_one_string_with_blank_lines_inside(tmp_path: Path) -> None:
    pasted = "\n".join([*MEMBER_TIMELINE[:3], "", "", *MEMBER_TIMELINE[3:]])  # two blank lines inside
    said, unanswered = await _chat(tmp_path, [pasted, "", ""])  # pasted at the question prompt
    assert chat.TIMELINE_NOTICE in said
    result = _reading(said)
    assert "line 8: 10 Nov 2026 · offer · logo" in result and "✅ logo: due, 10 Connects" in result
    assert unanswered == []


async def test_two_empty_lines_inside_a_paste_line_by_line_do_not_end_it(tmp_path: Path) -> None:
    # While the rest of the paste is waiting on the terminal, empty lines are part of it.
    script = ["/diagnose", *MEMBER_TIMELINE[:3], "", "", *MEMBER_TIMELINE[3:], "", ""]
    waiting = iter([True, False])
    said, _ = await _chat(tmp_path, script, pending=lambda: next(waiting))
    assert "✅ logo: due, 10 Connects" in _reading(said)
    assert "line 8: 10 Nov 2026 · offer · logo" in _reading(said)


def test_nothing_is_pending_without_a_terminal() -> None:
    assert chat._stdin_has_more() is False  # pytest's stdin is no terminal


async def test_a_timeline_pasted_without_the_command_is_read_and_never_recorded(tmp_path: Path) -> None:
    said, unanswered = await _chat(tmp_path, [*MEMBER_TIMELINE, "", "", "2026-11-02 proposal Data entry"])
    assert said.count(chat.TIMELINE_NOTICE) == 2
    first, second = [text for text in said if text.startswith("**Interview Connects check**")]
    assert "✅ logo: due, 10 Connects" in first
    assert "line 1: 2 Nov 2026 · proposal · Data entry" in second
    assert unanswered == []  # neither timeline reached the moderators' queue


async def test_end_of_input_ends_the_timeline(tmp_path: Path) -> None:
    said, unanswered = await _chat(tmp_path, ["/diagnose", *MEMBER_TIMELINE])
    assert "✅ logo: due, 10 Connects" in _reading(said)
    assert said[-1] == "bye" and unanswered == []


async def test_a_question_mentioning_a_date_is_still_a_question(tmp_path: Path) -> None:
    _, unanswered = await _chat(tmp_path, ["why did my connects not arrive on Nov 3"])
    assert unanswered == ["why did my connects not arrive on Nov 3"]


async def test_the_engine_never_records_a_timeline_however_it_arrives(tmp_path: Path) -> None:
    async with await KnowledgeStore.open(tmp_path / "engine.sqlite3") as store:
        answers, _ = await AnswerService.start(store, SHIPPED_KNOWLEDGE)
        replies = await answers.ask_many(
            [
                "zebra husbandry",
                "why no connects?\nNov 3 applied to logo job\nclient messaged me nov 4",
                "- 2026-11-02 proposal Secret client project",
                "giraffe grooming",
            ],
            "member",
            "1",
            "help",
        )
        unanswered = [question.question for question in await store.unanswered()]
    assert sorted(unanswered) == ["giraffe grooming", "zebra husbandry"]
    assert [answer.question_id is None for answer in replies] == [False, True, True, False]
