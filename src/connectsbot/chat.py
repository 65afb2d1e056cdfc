"""The local terminal chat: the same answer engine and diagnosis as on Discord, in a terminal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from connectsbot.diagnosis import advise, diagnose, parse_timeline, render_text
from connectsbot.engine import Answer, AnswerEngine
from connectsbot.models import Policy, SourceRecord
from connectsbot.present import answer_text, entry_text

WELCOME = """connectsbot — ask about Upwork Connects, interview Connects and communication rules.
  /diagnose   check a missing interview-Connects bonus from your timeline
  /help       this help
Ctrl-D (or /quit) leaves."""

DIAGNOSE_PROMPT = """Paste your timeline, one event per line, then an empty line. For example:
  2026-11-02 proposal Logo design
  2026-11-03 09:10 interview Logo design
  2026-11-03 09:40 respond Logo design
  2026-11-06 check"""

Reader = Callable[[str], str]


async def _read(reader: Reader, prompt: str) -> str | None:
    try:
        return await asyncio.to_thread(reader, prompt)
    except EOFError:
        return None


async def _diagnose(
    policy: Policy, sources: Mapping[str, SourceRecord], reader: Reader, write: Callable[[str], None]
) -> None:
    write(DIAGNOSE_PROMPT)
    lines = []
    while (line := await _read(reader, "... ")) is not None and line.strip():
        lines.append(line)
    timeline = parse_timeline("\n".join(lines))
    result = diagnose(timeline, policy, datetime.now(UTC))
    write(render_text(result, advise(result), sources))


async def run_chat(
    engine: AnswerEngine,
    policy: Policy,
    user: str,
    reader: Reader = input,
    write: Callable[[str], None] = print,
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
            await _diagnose(policy, engine.sources, reader, write)
            continue
        if last is not None and last.suggestions and last.question_id is not None and text.isdigit():
            number = int(text)
            if 1 <= number <= len(last.suggestions):
                picked = await engine.pick_suggestion(last.question_id, last.suggestions[number - 1].id)
                write(entry_text(picked, engine.sources))
                last = None
                continue
        last = await engine.ask(text, user, None, "chat")
        write(answer_text(last, engine.sources))
    write("bye")
    return 0
