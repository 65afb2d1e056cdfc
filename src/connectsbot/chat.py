"""The local terminal chat: the same answer service and diagnosis as on Discord, in a terminal."""

from __future__ import annotations

import asyncio
import re
import select
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from connectsbot.answers import Answer, AnswerService
from connectsbot.diagnosis import advise, diagnose, parse_timeline, render_text
from connectsbot.diagnosis.timeline import looks_like_timeline_text
from connectsbot.knowledge import Policy, SourceRecord
from connectsbot.terminal_text import answer_text, entry_text

WELCOME = """connectsbot — ask about Upwork Connects, interview Connects and communication rules.
  /diagnose   check a missing interview-Connects bonus from your timeline (or just paste the timeline)
  /help       this help
Ctrl-D (or /quit) leaves."""

DIAGNOSE_PROMPT = """Paste your timeline, one event per line, in your own words; blank lines are fine.
When it is all there, press Enter on an empty line twice, or type done. For example:
  Nov 3 applied to the logo job
  client messaged me Nov 4 at 9:10am
  replied same day
  hired Nov 10"""
TIMELINE_NOTICE = (
    "That looks like a timeline: I'll read it as one. Paste the rest, then an empty line twice or done."
)
# A word alone on a line that ends the timeline, besides two empty lines in a row.
END_WORDS = frozenset({"done", "/done", "end", "/end", "that's all", "thats all", "check it", "go"})
# Bracketed paste markers some terminals wrap a paste in when the program did not turn the mode off.
_PASTE_MARKS = re.compile(r"\x1b\[20[01]~")

Reader = Callable[[str], str]
Pending = Callable[[], bool]
# The rest of a paste is on the terminal within this long after its first line has been read.
PASTE_GAP_SECONDS = 0.05


async def _read(reader: Reader, prompt: str) -> str | None:
    try:
        return await asyncio.to_thread(reader, prompt)
    except EOFError:
        return None


def _stdin_has_more() -> bool:
    """Whether more of a paste is already waiting on a terminal (the rest of a paste arrives at once;
    a member typing does not): two empty lines inside a pasted timeline then do not end it."""
    try:
        if not sys.stdin.isatty():
            return False
        ready, _, _ = select.select([sys.stdin], [], [], PASTE_GAP_SECONDS)
    except (OSError, ValueError):  # no real terminal (closed, replaced): nothing is waiting
        return False
    return bool(ready)


def _lines(chunk: str) -> list[str]:
    return _PASTE_MARKS.sub("", chunk).replace("\r\n", "\n").replace("\r", "\n").split("\n")


async def read_timeline(reader: Reader, first: str = "", pending: Pending = _stdin_has_more) -> str:
    """Lines until an empty line entered twice, an end word, or the end of input: one timeline.

    A terminal delivers a paste line by line, or as one string with CR or LF inside (bracketed paste);
    blank lines inside a paste are kept (the parser ignores them) and never end it.
    """
    lines: list[str] = []
    empty_entered = 0
    chunk: str | None = first
    while chunk is not None:
        if chunk.strip():
            empty_entered = 0
            for line in _lines(chunk):
                if line.strip().lower() in END_WORDS:
                    return "\n".join(lines)
                lines.append(line)
        elif lines or empty_entered:  # an empty line entered (before anything, it is only a stray Enter)
            empty_entered += 1
            if empty_entered >= 2 and not await asyncio.to_thread(pending):
                return "\n".join(lines)
            lines.append("")
        chunk = await _read(reader, "... ")
    return "\n".join(lines)


async def _diagnose(
    policy: Policy, sources: Mapping[str, SourceRecord], timeline_text: str, write: Callable[[str], None]
) -> None:
    timeline = parse_timeline(timeline_text)
    result = diagnose(timeline, policy, datetime.now(UTC))
    write(render_text(result, advise(result), sources))


async def run_chat(
    answers: AnswerService,
    policy: Policy,
    user: str,
    reader: Reader = input,
    write: Callable[[str], None] = print,
    pending: Pending = _stdin_has_more,
) -> int:
    """Talk until end of input. Numbers pick from the last suggestions."""
    write(WELCOME)
    last: Answer | None = None
    while (line := await _read(reader, "you> ")) is not None:
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit"):
            break
        if text == "/help":
            write(WELCOME)
            continue
        if text == "/diagnose":
            write(DIAGNOSE_PROMPT)
            await _diagnose(policy, answers.sources, await read_timeline(reader, pending=pending), write)
            continue
        if looks_like_timeline_text(text):
            # Never matched as a question: a member's timeline must not land in the moderators' queue.
            write(TIMELINE_NOTICE)
            await _diagnose(policy, answers.sources, await read_timeline(reader, line, pending), write)
            continue
        if last is not None and last.suggestions and last.question_id is not None and text.isdigit():
            number = int(text)
            if 1 <= number <= len(last.suggestions):
                picked = await answers.pick_suggestion(last.question_id, last.suggestions[number - 1].id)
                write(entry_text(picked, answers.sources))
                last = None
                continue
        last = await answers.ask(text, user, None, "chat")
        write(answer_text(last, answers.sources))
    write("bye")
    return 0
