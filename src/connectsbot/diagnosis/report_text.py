"""A diagnosis for people: plain text with light Discord markdown, readable in a terminal too."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime

from connectsbot.dating import policy_basis
from connectsbot.diagnosis.results import (
    Advice,
    Diagnosis,
    DiagnosisItem,
    ReadLine,
    format_moment,
    wait_words,
)
from connectsbot.knowledge import SourceRecord

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
# Control characters would garble a terminal; a backtick would open a code span or fence in Discord.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f`]")


CHECK_SOURCES = {"check line": "your check line", "now": "now", "--now": "the moment given with --now"}
KIND_WORDS = {
    "proposal": "proposal",
    "invite": "invite",
    "interview": "interview request",
    "respond": "respond",
    "offer": "offer",
    "bonus": "bonus",
    "check": "check",
}
# The reading lists at most this many understood lines (every unreadable one up to LISTED_ERRORS).
LISTED_READ_LINES = 30


def render_text(diagnosis: Diagnosis, advice: Advice, sources: Mapping[str, SourceRecord]) -> str:
    """How each line was read, then the items with their marks and explanations (with a warning when
    lines were not understood), totals, next steps, ticket, and which rules were applied and how old
    they are (`sources`: the registry, to name the policy's sources)."""
    checked = format_moment(diagnosis.checked_at)
    out = [f"**Interview Connects check** (checked {checked}, {CHECK_SOURCES[diagnosis.checked_from]})", ""]
    out += _reading(diagnosis)
    if diagnosis.errors:
        count = len(diagnosis.errors)
        lines = "1 line" if count == 1 else f"{count} lines"
        out += [f"⚠️ **{lines} not understood**: the result below may be incomplete.", ""]
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
    out += ["", "**What to do next:**", *(f"- {_safe(step.text)}" for step in advice.steps)]
    if advice.support_ticket:
        ticket = [_safe(line) for line in advice.support_ticket.split("\n")]
        out += ["", "**Support ticket** (copy and paste):", "```text", *ticket, "```"]
    out += [
        "",
        f"Policy applied: {policy_basis(diagnosis.policy_sources, sources, _age_reference(diagnosis))}. "
        f"{wait_words(diagnosis.grace_hours)} before Connects count as missing is "
        "the project's default, not an official figure.",
    ]
    return "\n".join(out)


def _reading(diagnosis: Diagnosis) -> list[str]:
    """Each line as read (date, time, event, job in canonical terms) or why not, in line order."""
    if not diagnosis.reading:
        return []
    out = ["**How I read your timeline:**"]
    shown_read = shown_errors = 0
    for line in diagnosis.reading:
        if line.error:
            shown_errors += 1
            if shown_errors <= LISTED_ERRORS:
                text = _safe(line.text, LINE_TEXT_LIMIT)
                out.append(f"line {line.line}: ❓ not understood: `{text}` — {_safe(line.error)}")
        else:
            shown_read += 1
            if shown_read <= LISTED_READ_LINES:
                out.append(f"line {line.line}: {_read_line(line)}")
    more = max(0, shown_read - LISTED_READ_LINES) + max(0, shown_errors - LISTED_ERRORS)
    if more:
        out.append(f"… and {more} more.")
    if any(line.year_assumed for line in diagnosis.reading):
        out.append("(A date without a year is the latest such date not after the check.)")
    return [*out, ""]


def _read_line(line: ReadLine) -> str:
    if line.at is None or not line.dated:
        when = "when you checked"
    else:
        when = format_moment(line.at, with_time=line.has_time)
    parts = [when, KIND_WORDS.get(line.kind, line.kind)]
    if line.kind == "bonus":
        parts[-1] = f"bonus {line.amount}"
    if line.job:
        job = _safe(line.job, JOB_NAME_LIMIT)
        parts.append(f"{job} (not named; the only job it can be)" if line.job_inferred else job)
    return " · ".join(parts)


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


def _age_reference(diagnosis: Diagnosis) -> date:
    """The day the rules' age is judged on: today, or a later check moment (a check line dated in
    2021 must not hide that the rules are years old now)."""
    return max(diagnosis.checked_at.date(), datetime.now(UTC).date())
