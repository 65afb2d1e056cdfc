"""A diagnosis for people: plain text with light Discord markdown, readable in a terminal too."""

from __future__ import annotations

import re
from collections.abc import Mapping

from connectsbot.dating import policy_basis
from connectsbot.diagnosis.models import (
    Advice,
    Diagnosis,
    DiagnosisItem,
    format_day,
    format_moment,
    format_number,
)
from connectsbot.models import SourceRecord

MARKS = {"due": "✅", "pending": "⏳", "not_due": "❌"}
REASON_WORDS = {
    "no_proposal": "no proposal of yours came first",
    "not_responded": "no response to the request",
    "no_interview": "no interview request",
    "weekly_cap": "weekly maximum reached",
    "already_awarded": "this job was already paid",
    "before_program": "before the program began",
}
# Long pasted lines and long lists are cut here; the JSON output keeps everything.
LINE_TEXT_LIMIT = 80
JOB_NAME_LIMIT = 80
LISTED_ERRORS = 10
LISTED_YEAR_GUESSES = 5
# Control characters would garble a terminal; a backtick would open a code span or fence in Discord.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f`]")


def render_text(diagnosis: Diagnosis, advice: Advice, sources: Mapping[str, SourceRecord]) -> str:
    """Items with their marks and explanations, totals, unreadable lines, next steps, ticket, and which
    rules were applied and how old they are (`sources`: the registry, to name the policy's sources)."""
    checked = format_moment(diagnosis.checked_at)
    source = "your check line" if diagnosis.checked_from == "check line" else "now"
    out = [f"**Interview Connects check** (checked {checked}, {source})", ""]
    if not diagnosis.items:
        out.append("No interview request or offer could be read from this timeline.")
    for item in diagnosis.items:
        out.append(f"{MARKS[item.verdict]} {_safe(item.job, JOB_NAME_LIMIT)}: {_verdict_words(item)}")
        out.append(f"   {item.explanation}")
    out += [
        "",
        f"**Totals:** expected {diagnosis.expected} (due and pending) · received {diagnosis.received} · "
        f"missing {diagnosis.missing}",
    ]
    out += _errors(diagnosis) + _year_guesses(diagnosis)
    out += ["", "**What to do next:**", *(f"- {_safe(step.text)}" for step in advice.steps)]
    if advice.support_ticket:
        ticket = [_safe(line) for line in advice.support_ticket.split("\n")]
        out += ["", "**Support ticket** (copy and paste):", "```text", *ticket, "```"]
    out += [
        "",
        f"Policy applied: {policy_basis(diagnosis.policy_sources, sources, diagnosis.checked_at.date())}. "
        f"The {format_number(diagnosis.grace_hours)} h wait before Connects count as missing is "
        "the project's default, not an official figure.",
    ]
    return "\n".join(out)


def _errors(diagnosis: Diagnosis) -> list[str]:
    if not diagnosis.errors:
        return []
    out = ["", f"**Lines not understood** ({len(diagnosis.errors)}):"]
    for error in diagnosis.errors[:LISTED_ERRORS]:
        out.append(f"line {error.line}: `{_safe(error.text, LINE_TEXT_LIMIT)}` — {_safe(error.message)}")
    if len(diagnosis.errors) > LISTED_ERRORS:
        out.append(f"… and {len(diagnosis.errors) - LISTED_ERRORS} more.")
    return out


def _year_guesses(diagnosis: Diagnosis) -> list[str]:
    """Dates written without a year, and the year they were given: a guess the member should see."""
    if not diagnosis.assumed_years:
        return []
    guesses = [
        f"line {guess.line} “{_safe(guess.written)}” as {format_day(guess.read_as)}"
        for guess in diagnosis.assumed_years[:LISTED_YEAR_GUESSES]
    ]
    more = len(diagnosis.assumed_years) - LISTED_YEAR_GUESSES
    if more > 0:
        guesses.append(f"and {more} more")
    return [
        "",
        f"Dates without a year were read as the latest such date not after the check: {'; '.join(guesses)}.",
    ]


def _verdict_words(item: DiagnosisItem) -> str:
    if item.verdict == "due":
        return f"due, {item.connects} Connects"
    if item.verdict == "pending":
        return f"pending, {item.connects} Connects"
    return f"not due ({REASON_WORDS.get(item.reason, item.reason)})"


def _safe(text: str, limit: int | None = None) -> str:
    """One line of member-written text that cannot break the layout: no control characters or backticks."""
    cleaned = _UNSAFE.sub(lambda match: "'" if match.group() == "`" else " ", text)
    if limit is not None and len(cleaned) > limit:
        return cleaned[: limit - 1] + "…"
    return cleaned
