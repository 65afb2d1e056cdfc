"""Plain-text renderings for the terminal (the Discord layer renders embeds from the same data)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime

from rich.console import Console
from rich.markdown import Markdown

from connectsbot.answers import Answer
from connectsbot.dating import dating_lines
from connectsbot.knowledge import Entry, SourceRecord
from connectsbot.matching.smalltalk import SMALLTALK_REPLY
from connectsbot.store import Revision

DIAGNOSE_HINT = (
    "To check your own case interview by interview, paste your timeline into the diagnosis "
    "(/diagnose in Discord, /diagnose here, or `connectsbot diagnose FILE`)."
)


def readable(text: str) -> str:
    """Text as typed or passed on the command line, with bytes that were not UTF-8 (Python keeps them as
    lone surrogates) replaced by U+FFFD: safe to match, store and print."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that did not come from an undecodable byte
        return text.encode("utf-8", "replace").decode("utf-8")


def _discord_line_breaks(text: str) -> str:
    """The answers are written for Discord, where a line break is a break; in Markdown it is a space. Each
    line outside code blocks ends with a hard break (two spaces) so the terminal keeps the lines."""
    lines = []
    in_code = False
    for line in text.split("\n"):
        fence = line.lstrip().startswith("```")
        in_code ^= fence
        lines.append(line if in_code or fence or not line.strip() else f"{line}  ")
    return "\n".join(lines)


class TerminalConsole(Console):
    """rich's console for the chat. A closed pipe is raised as BrokenPipeError, for the command line to
    end quietly as it does for any output (rich would exit with 1 from the chat's worker thread)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def markdown_writer(console: Console) -> Callable[[str], None]:
    """Print Markdown (bold, lists, code, links with their addresses) rendered for the terminal."""

    def write(text: str) -> None:
        console.print(Markdown(_discord_line_breaks(text), hyperlinks=False))

    return write


def today_utc() -> date:
    return datetime.now(UTC).date()


def entry_text(entry: Entry, sources: Mapping[str, SourceRecord], today: date | None = None) -> str:
    """An answer as members read it: question, answer, then its sources with their dates and, when
    they are old, the warning that Upwork may have changed it since."""
    return f"{entry.question}\n\n{entry.answer}\n\n{dating_lines(entry, sources, today or today_utc())}"


def answer_text(answer: Answer, sources: Mapping[str, SourceRecord], today: date | None = None) -> str:
    """What the terminal shows for one question."""
    result = answer.result
    if answer.entry is not None:
        text = entry_text(answer.entry, sources, today)
        if answer.points_to_diagnosis:
            text += f"\n\n{DIAGNOSE_HINT}"
        return text
    if answer.is_smalltalk:
        return SMALLTALK_REPLY
    if answer.suggestions:
        lines = ["I'm not sure I understood. Did you mean:"]
        lines += [f"  {number}. {entry.question}" for number, entry in enumerate(answer.suggestions, start=1)]
        lines += ["", "(type a number to see that answer)"]
        return "\n".join(lines)
    return (
        "Sorry, I don't know that one. I can answer questions about Upwork Connects, interview "
        "Connects and Upwork's communication rules. I've noted your question for the moderators."
        if result.question.strip()
        else "Ask me a question about Upwork Connects."
    )


def history_text(revisions: Sequence[Revision]) -> str:
    lines = []
    for revision in revisions:
        fields = ", ".join(revision.changed_fields) if revision.action != "add" else "new entry"
        state = " [retired]" if revision.retired else ""
        lines.append(
            f"r{revision.revision}  {revision.created_at:%Y-%m-%d %H:%M} UTC  {revision.action:<12} "
            f"by {revision.author}: {revision.reason}  ({fields}){state}"
        )
    return "\n".join(lines)


def explain_text(answer: Answer) -> str:
    """Why the answer service decided what it did: the decision, its reason and the best candidates."""
    result = answer.result
    lines = [
        f"decision: {result.decision}" + (f" -> {result.entry_id}" if result.entry_id else ""),
        result.why,
    ]
    if result.candidates:
        lines.append("candidates (share of the ranking, lexical 0-1, semantic cosine):")
        lines += [
            f"  {c.score:6.2f}%  lexical {c.lexical or 0:.2f}  "
            f"semantic {'-' if c.semantic is None else f'{c.semantic:.2f}'}  "
            f"{c.entry_id}  via {c.field} {c.matched_text!r}"
            for c in result.candidates
        ]
    return "\n".join(lines)
