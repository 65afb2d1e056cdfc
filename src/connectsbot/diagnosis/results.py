"""Result models of the interview-Connects diagnosis, and how their moments are written for members."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from connectsbot.calendar_words import day_and_month

Verdict = Literal["due", "pending", "not_due"]
Reason = Literal[
    "eligible",
    "no_proposal",
    "not_responded",
    "no_interview",
    "weekly_cap",
    "already_awarded",
    "before_program",
]
CheckSource = Literal["check line", "now", "--now"]
StepAction = Literal[
    "fix_lines",
    "add_respond",
    "add_interview",
    "add_proposal",
    "wait",
    "contact_support",
    "nothing_to_do",
]


class TimelineError(BaseModel):
    """A timeline line that could not be read or placed, and what was expected instead."""

    model_config = ConfigDict(frozen=True)

    line: int
    text: str
    message: str


class AssumedYear(BaseModel):
    """A date written without a year, and the year the parser gave it."""

    model_config = ConfigDict(frozen=True)

    line: int
    written: str
    read_as: date


class ReadLine(BaseModel):
    """How one line of the timeline was read, in canonical terms, or why it was not: shown before verdicts."""

    model_config = ConfigDict(frozen=True)

    line: int
    text: str
    at: datetime | None = None  # None when the line was not understood
    has_time: bool = False
    kind: str = ""
    job: str = ""
    amount: int = 0
    job_inferred: bool = False  # the line named no job; this is the only one it could belong to
    year_assumed: bool = False
    dated: bool = True  # False: a check without a date, the moment of checking itself
    error: str = ""


class DiagnosisItem(BaseModel):
    """The verdict on one interview request (or on one offer without any)."""

    model_config = ConfigDict(frozen=True)

    job: str
    event_at: datetime
    verdict: Verdict
    reason: Reason
    connects: int
    explanation: str
    # For advice and rendering; not part of the contract JSON.
    requested_at: datetime | None = None
    responded_at: datetime | None = None
    due_from: datetime | None = None  # when a due/pending award stops being pending
    had_invite: bool = False


class Diagnosis(BaseModel):
    """Every item judged, the totals, the unreadable lines, and what the verdicts rest on."""

    model_config = ConfigDict(frozen=True)

    items: list[DiagnosisItem]
    expected: int
    received: int
    missing: int
    errors: list[TimelineError]
    checked_at: datetime
    checked_from: CheckSource
    grace_hours: float | None  # in force at the check, for the closing note; None before the policy
    policy_sources: list[str]
    assumed_years: list[AssumedYear] = Field(default_factory=list)
    reading: list[ReadLine] = Field(default_factory=list)  # every non-blank line, in line order

    def contract_json(self) -> dict[str, Any]:
        """Exactly the JSON document of interview-connects-rules.md, nothing more."""
        return {
            "items": [
                {
                    "job": item.job,
                    "event_at": item.event_at.isoformat(),
                    "verdict": item.verdict,
                    "reason": item.reason,
                    "connects": item.connects,
                    "explanation": item.explanation,
                }
                for item in self.items
            ],
            "expected": self.expected,
            "received": self.received,
            "missing": self.missing,
            "errors": [error.model_dump() for error in self.errors],
        }


class NextStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: StepAction
    text: str


class Advice(BaseModel):
    """What the member should do next, most urgent first, and the ticket text when Connects are missing."""

    model_config = ConfigDict(frozen=True)

    steps: list[NextStep]
    wait_until: datetime | None = None
    support_ticket: str | None = None


def format_number(value: float) -> str:
    """50.0 -> "50", 1.5 -> "1.5": policy numbers as a person writes them."""
    return f"{value:g}"


def wait_words(grace_hours: float | None) -> str:
    """ "The 48 h wait", or "The wait" when the check came before the policy gave one."""
    return "The wait" if grace_hours is None else f"The {format_number(grace_hours)} h wait"


def format_offset(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_day(day: date, reference_year: int | None = None) -> str:
    """A day as "3 Nov 2026", or "3 Nov" when the year is `reference_year` (the check's year)."""
    text = day_and_month(day)
    return text if day.year == reference_year else f"{text} {day.year}"


def format_moment(moment: datetime, *, with_time: bool = True, reference_year: int | None = None) -> str:
    """A moment as "3 Nov 2026 09:40 UTC", in the member's own offset ("UTC+05:30") when they gave one."""
    text = format_day(moment.date(), reference_year)
    if with_time:
        text += f" {moment.hour:02d}:{moment.minute:02d} {format_offset(moment)}"
    return text
