"""The terminal chat as a member uses it: Ctrl-C clears the line (twice leaves), numbers pick only from the
suggestions shown, /help and plain `help`, quit words, and only questions in words are recorded; the
terminal is read in the main thread, where Ctrl-C arrives; Markdown is rendered for the terminal."""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pytest
from rich.console import Console

from connectsbot import chat
from connectsbot.answers import AnswerService
from connectsbot.kbfiles import load_policy
from connectsbot.store import KnowledgeStore
from connectsbot.terminal_text import markdown_writer
from tests.helpers import SHIPPED_KNOWLEDGE

CTRL_C = "\x03"  # in a script: the member presses Ctrl-C at this prompt


def typed(lines: Iterable[str]) -> chat.Reader:
    """A terminal that types `lines` one by one (CTRL_C raises KeyboardInterrupt, as `input` does),
    then ends the input (Ctrl-D)."""
    remaining = iter(lines)

    def reader(prompt: str) -> str:
        line = next(remaining, None)
        if line is None:
            raise EOFError
        if line == CTRL_C:
            raise KeyboardInterrupt
        return line

    return reader


Recorded = list[tuple[str, str]]


async def talk(tmp_path: Path, script: list[str], record: bool = True) -> tuple[list[str], Recorded]:
    """What the chat said, and every question recorded: its text (empty for one answered, whose text is
    not kept) and the entry picked for it (empty when none)."""
    said: list[str] = []
    db = tmp_path / "chat.sqlite3"
    async with await KnowledgeStore.open(db) as store:
        # The lexical signal only: what is tested here is the chat, not the matching.
        answers, _ = await AnswerService.start(store, SHIPPED_KNOWLEDGE, semantic=False)
        code = await chat.run_chat(
            answers,
            load_policy(SHIPPED_KNOWLEDGE),
            "tester",
            typed(script),
            said.append,
            lambda: False,
            record=record,
        )
    assert code == 0
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT question, picked_entry_id FROM questions ORDER BY id").fetchall()
    return said, [(question or "", picked or "") for question, picked in rows]


async def test_ctrl_c_clears_the_line_and_twice_in_a_row_leaves(tmp_path: Path) -> None:
    said, recorded = await talk(
        tmp_path,
        [
            "zebra husbandry",
            CTRL_C,
            "Do unused Connects roll over to the next month?",
            CTRL_C,
            CTRL_C,
            "never read",
        ],
    )
    assert said[2] == said[4] == chat.INTERRUPTED_NOTICE
    assert "200" in said[3] and said[5:] == ["bye"]
    assert [question for question, _ in recorded] == ["zebra husbandry", ""]


async def test_ctrl_c_drops_a_timeline_being_pasted(tmp_path: Path) -> None:
    said, recorded = await talk(tmp_path, ["/diagnose", "Nov 3 applied to logo job", CTRL_C, CTRL_C])
    assert said[2:] == [chat.TIMELINE_DROPPED, "bye"]
    assert recorded == []


async def test_numbers_pick_only_from_the_suggestions_shown(tmp_path: Path) -> None:
    said, recorded = await talk(tmp_path, ["how many connects", "4", "0", "2", "5", "7"])
    assert "Did you mean" in said[1]
    second = re.search(r"^  2\. (.+)$", said[1], re.MULTILINE)
    assert second is not None
    assert said[2] == said[3] == "Pick 1–3 to open one of the suggestions above, or ask a question."
    assert said[4].startswith(second.group(1))
    # After the pick a number is not a question (nor an alias candidate for the entry picked).
    assert said[5] == said[6] == chat.NOTHING_TO_PICK
    ((question, picked),) = recorded
    assert question == "how many connects" and picked


async def test_a_pick_works_when_questions_are_not_recorded(tmp_path: Path) -> None:
    said, recorded = await talk(tmp_path, ["how many connects", "1"], record=False)
    first = re.search(r"^  1\. (.+)$", said[1], re.MULTILINE)
    assert first is not None and said[2].startswith(first.group(1))
    assert recorded == []


async def test_help_commands_and_words_are_never_questions(tmp_path: Path) -> None:
    said, recorded = await talk(tmp_path, ["help", "/HELP", "/foo bar", "???", "42", "exit", "never read"])
    assert said[1] == said[2] == chat.HELP
    for what in ("/diagnose", "timeline", "/quit", "number", "Ctrl-C"):
        assert what in chat.HELP
    assert said[3] == "I don't know the command /foo. Type /help to see what I can do."
    assert said[4:] == [chat.NOT_A_QUESTION, chat.NOTHING_TO_PICK, "bye"]
    assert recorded == []


@pytest.mark.parametrize("word", ["quit", "exit", "/quit", "/exit", "Quit"])
async def test_quit_words_leave(tmp_path: Path, word: str) -> None:
    said, recorded = await talk(tmp_path, [word, "zebra husbandry"])
    assert said[1:] == ["bye"] and recorded == []


def test_the_terminal_is_read_in_the_main_thread_and_ctrl_c_reaches_the_chat() -> None:
    async def collect(reader: chat.Reader) -> int:
        lines: list[str | chat.Interrupted] = []
        while (line := await chat._read(reader, "> ")) is not None:
            lines.append(line)
        assert lines == ["a", chat.INTERRUPTED, "b"]
        return 7

    assert chat.run_in_terminal(collect, typed(["a", CTRL_C, "b"])) == 7


def test_markdown_is_rendered_for_the_terminal() -> None:
    console = Console(file=io.StringIO(), width=100, force_terminal=False)
    markdown_writer(console)("**Bold** and `code`\nnext line\n- a [link](https://example.org)")
    lines = [line.rstrip() for line in console.file.getvalue().splitlines()]  # type: ignore[attr-defined]
    assert lines == ["Bold and code", "next line", "", " • a link (https://example.org)"]
