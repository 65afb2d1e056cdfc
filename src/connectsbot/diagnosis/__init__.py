"""The missing interview Connects diagnosis: parse a member's timeline, judge it, advise, render."""

from connectsbot.diagnosis.advice import advise, support_ticket
from connectsbot.diagnosis.report_text import render_text
from connectsbot.diagnosis.results import (
    Advice,
    AssumedYear,
    Diagnosis,
    DiagnosisItem,
    NextStep,
    Reason,
    TimelineError,
    Verdict,
)
from connectsbot.diagnosis.rules import diagnose
from connectsbot.diagnosis.timeline import ParsedTimeline, TimelineEvent, parse_timeline

__all__ = [
    "Advice",
    "AssumedYear",
    "Diagnosis",
    "DiagnosisItem",
    "NextStep",
    "ParsedTimeline",
    "Reason",
    "TimelineError",
    "TimelineEvent",
    "Verdict",
    "advise",
    "diagnose",
    "parse_timeline",
    "render_text",
    "support_ticket",
]
