"""The local terminal chat: the same answer service and diagnosis as on Discord, in a terminal."""

from __future__ import annotations

import asyncio
import queue
import re
import select
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from connectsbot.answers import Answer, AnswerService
from connectsbot.diagnosis import advise, diagnose, parse_timeline, render_text
from connectsbot.diagnosis.timeline import looks_like_timeline_text
from connectsbot.knowledge import Policy, SourceRecord
from connectsbot.terminal_text import answer_text, entry_text, readable

HELP = """What you can do here:
- **Ask a question** in your own words, for example "do unused Connects roll over?"
- **Type a number** to open one of the answers I suggest when I am not sure.
- **Paste your timeline** (or type /diagnose first) to check a missing interview-Connects bonus.
- **/help** shows this again; **/quit** (or quit, exit, Ctrl-D) leaves.
- **Ctrl-C** clears the line you are typing; twice in a row leaves."""
WELCOME = "connectsbot: ask about Upwork Connects, interview Connects and communication rules.\n\n" + HELP
INTERRUPTED_NOTICE = "(line cleared: Ctrl-C again to leave)"
TIMELINE_DROPPED = "(timeline dropped: Ctrl-C again to leave)"
NOT_A_QUESTION = "Ask me a question in words, or type /help to see what I can do."
HELP_HINT = "Type /help to see what I can do."
NOTHING_TO_PICK = (
    "There is nothing to pick just now: a number opens one of my suggestions. Ask me a question in words."
)
QUIT_WORDS = frozenset({"/quit", "/exit", "quit", "exit"})
HELP_WORDS = frozenset({"/help", "help"})
# A number alone (as typed to pick a suggestion: "2", "2.", "#2"): never a question.
_NUMBER = re.compile(r"#?(\d+)[.)]?")

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


class Interrupted:
    """Ctrl-C at the prompt: the line typed so far is dropped."""


INTERRUPTED = Interrupted()


def _read_line(reader: Reader, prompt: str) -> str | Interrupted | None:
    # In the worker thread: KeyboardInterrupt must not travel through asyncio (it would stop the loop).
    try:
        return readable(reader(prompt))
    except EOFError:
        return None
    except KeyboardInterrupt:
        return INTERRUPTED


async def _read(reader: Reader, prompt: str) -> str | Interrupted | None:
    """The next line (invalid bytes replaced), INTERRUPTED for Ctrl-C, None at the end of input."""
    return await asyncio.to_thread(_read_line, reader, prompt)


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


async def read_timeline(reader: Reader, first: str = "", pending: Pending = _stdin_has_more) -> str | None:
    """Lines until an empty line entered twice, an end word, or the end of input: one timeline; None
    when Ctrl-C drops it.

    A terminal delivers a paste line by line, or as one string with CR or LF inside (bracketed paste);
    blank lines inside a paste are kept (the parser ignores them) and never end it.
    """
    lines: list[str] = []
    empty_entered = 0
    chunk: str | Interrupted | None = first
    while chunk is not None:
        if isinstance(chunk, Interrupted):
            return None
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


def _picked_number(text: str) -> int | None:
    match = _NUMBER.fullmatch(text)
    return int(match.group(1)) if match else None


async def run_chat(
    answers: AnswerService,
    policy: Policy,
    user: str,
    reader: Reader = input,
    write: Callable[[str], None] = print,
    pending: Pending = _stdin_has_more,
    record: bool = True,
) -> int:
    """Talk until end of input, /quit or Ctrl-C twice. Numbers pick from the last suggestions.

    `write` gets Markdown (the terminal renders it). Only questions in words are asked and recorded
    (unless `record` is off): commands, numbers and timelines never reach the moderators' queue.
    """
    write(WELCOME)
    last: Answer | None = None
    interrupted = False
    while (line := await _read(reader, "you> ")) is not None:
        if isinstance(line, Interrupted):
            if interrupted:
                break
            interrupted = True
            write(INTERRUPTED_NOTICE)
            continue
        interrupted = False
        text = line.strip()
        command = text.lower()
        if not text:
            continue
        if command in QUIT_WORDS:
            break
        if command in HELP_WORDS:
            write(HELP)
            continue
        asks_diagnosis = command.split()[0] == "/diagnose"
        if asks_diagnosis or (not command.startswith("/") and looks_like_timeline_text(text)):
            # A timeline is never matched as a question: it must not land in the moderators' queue.
            write(DIAGNOSE_PROMPT if asks_diagnosis else TIMELINE_NOTICE)
            first = text[len("/diagnose") :] if asks_diagnosis else line
            timeline = await read_timeline(reader, first, pending)
            if timeline is None:
                interrupted = True
                write(TIMELINE_DROPPED)
            else:
                await _diagnose(policy, answers.sources, timeline, write)
            continue
        if command.startswith("/"):
            write(f"I don't know the command {text.split()[0]}. {HELP_HINT}")
            continue
        number = _picked_number(text)
        if number is not None:
            choices = last.suggestions if last is not None else []
            if not choices:
                write(NOTHING_TO_PICK)
            elif 1 <= number <= len(choices):
                picked = choices[number - 1]
                if last is not None and last.question_id is not None:  # a question not recorded has no pick
                    picked = await answers.pick_suggestion(last.question_id, picked.id)
                write(entry_text(picked, answers.sources))
                last = None
            else:
                write(f"Pick 1–{len(choices)} to open one of the suggestions above, or ask a question.")
            continue
        if not any(character.isalpha() for character in text):
            write(NOT_A_QUESTION)
            continue
        (last,) = await answers.ask_many([text], user, None, "chat", record=record)
        write(answer_text(last, answers.sources))
    write("bye")
    return 0


def run_in_terminal(chat: Callable[[Reader], Awaitable[int]], read: Reader = input) -> int:
    """Run `chat` (given the reader it should use) on an event loop in a worker thread while this thread,
    the main one, reads the terminal with `read`.

    Only the main thread receives Ctrl-C: reading there, `input` stops at once and the chat is told
    (the line is dropped). With the loop in the main thread, asyncio would take the Ctrl-C and `input`
    would go on waiting for Enter. Ctrl-C while the chat is busy (starting, answering) stops it.
    """
    prompts: queue.SimpleQueue[str | None] = queue.SimpleQueue()  # None: the chat has ended
    replies: queue.SimpleQueue[str | BaseException] = queue.SimpleQueue()
    running: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[int]]] = []
    outcome: list[int] = []
    failure: list[BaseException] = []

    def relay(prompt: str) -> str:  # the chat's reader, in one of its worker threads
        prompts.put(prompt)
        reply = replies.get()
        if isinstance(reply, BaseException):
            raise reply
        return reply

    async def talk() -> int:
        task = asyncio.ensure_future(chat(relay))
        running.append((asyncio.get_running_loop(), task))
        return await task

    def loop_thread() -> None:
        # The kernel hands Ctrl-C's SIGINT to any thread that does not block it, and `input` notices it
        # only when its own thread is interrupted: block it here and in every thread started from here.
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            outcome.append(asyncio.run(talk()))
        except BaseException as error:
            failure.append(error)
        finally:
            prompts.put(None)

    thread = threading.Thread(target=loop_thread, name="connectsbot: chat", daemon=True)
    thread.start()
    while True:
        prompt: str | None = None
        reply: str | BaseException
        try:
            prompt = prompts.get()
            if prompt is None:
                break
            reply = read(prompt)
        except KeyboardInterrupt as interrupt:
            if prompt is None:  # Ctrl-C while the chat is busy: stop it
                for loop, task in running:
                    loop.call_soon_threadsafe(task.cancel)
                continue
            reply = interrupt
        except BaseException as error:  # the end of input, or the prompt not shown (a closed pipe)
            reply = error  # raised in the chat, which ends (closing the database) and reports it here
        replies.put(reply)
    thread.join()
    if failure:
        if isinstance(failure[0], asyncio.CancelledError):
            raise KeyboardInterrupt from None
        raise failure[0]
    return outcome[0]
