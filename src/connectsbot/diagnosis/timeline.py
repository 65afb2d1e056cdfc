"""Reading a member's timeline: canonical `DATE [TIME] KIND [REST]` lines and what members really write.

Every line either becomes an event or an error saying what was not understood, with an example of a line
that would work; nothing raises and nothing is dropped silently. The wordings are those of "Timelines as
members write them" in interview-connects-rules.md: dates at the start or end of a line (month names, no
year, relative days), am/pm times, verb phrases with who acts, job phrases, and lines that name no job.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal

from connectsbot.calendar_words import MONTH_ABBREVIATIONS, MONTH_NAMES
from connectsbot.diagnosis.results import AssumedYear, TimelineError
from connectsbot.knowledge import normalise_alias

EventKind = Literal["proposal", "invite", "interview", "respond", "offer", "bonus", "check"]

DEFAULT_BONUS = 10
UNNAMED_JOB = "your job"  # the one job of a timeline that names none
# Larger amounts are typos (and very long digit strings would not even convert to int).
MAX_BONUS_DIGITS = 6
# A date without a year is looked for this many years back (enough to find a 29 February).
YEAR_SEARCH_SPAN = 8
LEAP_YEAR = 2000  # any leap year: which days a month can have at most
# "N days later" beyond this is a typo, and would overflow the calendar.
MAX_DAYS_LATER = 3660

# An example of a working line for each kind of event, shown when a line that seems to be one fails.
EXAMPLES: dict[EventKind, str] = {
    "proposal": "Nov 3 applied to Logo design",
    "invite": "Nov 3 client invited me to interview for Logo design",
    "interview": "Nov 4 9:10am client messaged me about Logo design",
    "respond": "Nov 4 9:40am replied",
    "offer": "Nov 10 hired for Logo design",
    "bonus": "Nov 8 got 10 connects",
    "check": "Nov 20 checked my balance",
}
EXPECTED_DATE = (
    "no date found: write when it happened, at the start or the end of the line — 2026-11-03, Nov 3, "
    "3 November 2026, yesterday, same day, 2 days later"
)
EXPECTED_KIND = (
    "what happened is not clear: write applied, client invited me, client messaged me, replied, hired, "
    "got 10 connects or checked"
)
NOT_AN_EVENT = (
    "write one event a line with its date (applied, client messaged me, replied, hired, got 10 connects…)"
)
EXPECTED_BONUS = "a bonus is a whole number of Connects: “bonus”, “bonus 20” or “got 20 connects”"
EXPECTED_CHECK = "nothing may follow “check”: put the other events on their own lines and write “check” alone"

# Direction marks, zero-width spaces and byte-order marks that pasting drags in; they carry no meaning here.
_INVISIBLE = dict.fromkeys(
    map(ord, "\ufeff\u200b\u200e\u200f\u061c\u2060\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    None,
)
_COMMENT = re.compile(r"(?:^|\s)#.*")
_BULLET = re.compile(r"^(?:[-*•·▪‣◦+>]+(?=\s)|\(?[0-9]{1,3}[.)](?=\s))\s*")
_QUOTE_PAIRS = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»", "„": "“"}

_MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, start=1)}
_MONTH_NUMBERS |= {name.lower(): number for number, name in enumerate(MONTH_ABBREVIATIONS, start=1)}
_MONTH_NUMBERS["sept"] = 9
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
_WEEKDAY_ALONE = re.compile(r"(?<![a-z])" + _WEEKDAY + r"(?![a-z])", re.IGNORECASE)

_END = r"(?=$|[\s,;:.!)\-–—])"  # a date ends at a space or punctuation, never inside a word
_END_OR_TIME = r"(?=$|[\s,;:.!)\-–—]|T)"
_START = r"(?<![\w/.:+-])"
# Longest names first, so that "november" is not read as "nov" followed by "ember".
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?:the\s+)?(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?(?![0-9])"
_YEAR = r"(?:,?\s*(?P<year>[0-9]{4})(?![0-9]|:[0-9]))?"

_YEAR_FIRST = re.compile(
    _START
    + r"(?P<year>[0-9]{4})(?P<sep>[-/.])(?P<month>[0-9]{1,2})(?P=sep)(?P<day>[0-9]{1,2})"
    + _END_OR_TIME
)
_YEAR_LAST = re.compile(
    _START + r"(?P<a>[0-9]{1,2})(?P<sep>[-/.])(?P<b>[0-9]{1,2})(?P=sep)(?P<year>[0-9]{4})" + _END
)
_SHORT_YEAR = re.compile(_START + r"[0-9]{1,2}([-/.])[0-9]{1,2}\1[0-9]{2}" + _END)
_MONTH_FIRST = re.compile(r"(?<![\w])" + _MONTH + r"\s*" + _DAY + _YEAR + _END, re.IGNORECASE)
_DAY_FIRST = re.compile(r"(?<![\w/.:+-])" + _DAY + r"(?:\s+of)?\s*" + _MONTH + _YEAR + _END, re.IGNORECASE)
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_RELATIVE = re.compile(
    r"(?<![\w])(?:"
    r"(?P<today>today)|(?P<yesterday>yesterday)"
    r"|(?P<same>(?:later\s+)?(?:on\s+)?(?:the\s+)?(?:same|that)\s+day)"
    r"|(?P<next>(?:on\s+)?(?:the\s+)?(?:next|following)\s+day|(?:the\s+)?day\s+after)"
    r"|(?P<count>[0-9]{1,4}|" + "|".join(_NUMBER_WORDS) + r")\s+(?P<unit>days?|weeks?)\s+(?:later|after)"
    r")(?![\w])",
    re.IGNORECASE,
)

# A time of day ("9", "9:40", "9:40:05", "9:40am"), then its zone, if given ("Z", "+05:30", "UTC").
_CLOCK = (
    r"(?P<hour>[0-9]{1,2})(?::(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?)?"
    r"(?:\s*(?P<meridiem>[ap])\.?m\.?)?"
)
_ZONE = (
    r"(?:\s*(?P<offset>Z|(?P<sign>[+-])(?P<off_h>[0-9]{2}):?(?P<off_m>[0-9]{2}))|\s*(?:UTC|GMT)(?![a-z]))?"
)
_AT = r"(?:at|@)\s+"
# A time right after a date.
_TIME = re.compile(r"(?:\s*[,\-–—]?\s*" + _AT + r"|\s*[,\-–—]?\s+|T)" + _CLOCK + _ZONE + _END, re.IGNORECASE)
# A time anywhere in the line, introduced by "at".
_AT_TIME = re.compile(r"(?<![\w])" + _AT + _CLOCK + _ZONE + _END, re.IGNORECASE)
# A time written just before a date at the end of the line ("replied 9:40am Nov 4").
_TIME_BEFORE = re.compile(
    r"(?:(?<![\w])" + _AT + r")?(?<![\w:])" + _CLOCK + _ZONE + r"[\s,]*(?:on\s+)?$", re.IGNORECASE
)
_LOOKS_LIKE_TIME = re.compile(r"(?:,?\s*|T)(?:at\s+)?[0-9]{1,2}:[0-9]", re.IGNORECASE)
_SEPARATOR = re.compile(r"\s*[,;:\-–—]\s*|\s+")
_EDGE_PUNCTUATION = " \t,;:.!-–—"
_ON_BEFORE = re.compile(
    r"(?:(?<![\w])(?:on|of|dated)\s+)?(?:(?<![\w])" + _WEEKDAY + r",?\s+)?$", re.IGNORECASE
)
# Where the member says the message came; not part of any job's name.
_PLATFORM = re.compile(
    r"\s+(?:on|via|through|in|over)\s+(?:the\s+)?upwork(?:\s+(?:chat|messages))?(?=\s|$)", re.I
)
_WEEKDAY_REMARK = re.compile(r"\s*\(\s*" + _WEEKDAY + r"\s*\)", re.IGNORECASE)
_LEADING_FILLER = re.compile(
    r"^(?:(?:and|then|so|also|later|after\s+that|afterwards|finally|ok|okay)\s*,?\s+)+", re.IGNORECASE
)

_CLIENT = r"(?:the\s+|my\s+|a\s+)?client\s+"
_I = r"(?:i\s+)?"
_A = r"(?:an?\s+|the\s+|my\s+)?"
_TO_INTERVIEW = r"(?:\s+to\s+(?:an?\s+)?interview)?"
_FROM_CLIENT = r"(?:\s+from\s+(?:the\s+)?client)?"


@dataclass(frozen=True)
class _Wording:
    kind: EventKind
    pattern: re.Pattern[str]
    canonical: bool  # the contract's own keyword: the rest of the line is the job name, verbatim


def _wording(
    kind: EventKind, pattern: str, preposition: str = r"(?:\s+(?:to|for|on|about|regarding))?"
) -> _Wording:
    # "applied to: Logo design" and "applied to - Logo design" too.
    end = r"(?:\s*:\s*|\s+[-–—]\s+|\s+|$)"
    return _Wording(kind, re.compile(pattern + preposition + end, re.IGNORECASE), False)


# Tried in order: the longest phrases first, so that "client replied to my proposal for" is the client's
# event and "replied to the client" names no job; the canonical keywords last.
_WORDINGS: tuple[_Wording, ...] = (
    _wording(
        "proposal",
        _I + r"(?:sent|submitted|send|submit|put\s+in|made)\s+" + _A + r"(?:proposal|bid|application)s?",
    ),
    _wording("proposal", r"proposal\s+(?:sent|submitted)"),
    _wording("proposal", _I + r"(?:applied|apply|bid|bidded)"),
    _wording("invite", _CLIENT + r"(?:invited|invites)\s+me" + _TO_INTERVIEW),
    _wording("invite", _CLIENT + r"sent\s+(?:me\s+)?" + _A + r"invit(?:e|ation)" + _TO_INTERVIEW),
    _wording("invite", _I + r"(?:was\s+|got\s+|been\s+)?invited" + _TO_INTERVIEW),
    _wording(
        "invite",
        _I + r"(?:got|received|had)\s+" + _A + r"(?:interview\s+)?invit(?:e|ation)" + _TO_INTERVIEW,
    ),
    _wording("invite", r"invit(?:e|ation)\s+to\s+(?:an?\s+)?interview"),
    _wording("invite", r"invitation"),
    _wording("invite", r"invite\s+from\s+(?:the\s+)?client"),
    _wording(
        "interview",
        _CLIENT + r"(?:replied|responded|answered|reacted)\s+to\s+" + _A + r"(?:proposal|application|bid)",
    ),
    _wording(
        "interview",
        _CLIENT + r"(?:messaged|message|messages|wrote(?:\s+to)?|contacted|texted|pinged|dmed|dm'd|"
        r"reached\s+out\s+to|got\s+back\s+to|got\s+in\s+touch\s+with)\s+me",
    ),
    _wording("interview", _CLIENT + r"(?:wants|wanted)\s+to\s+interview(?:\s+me)?"),
    _wording(
        "interview",
        _CLIENT
        + r"(?:asked\s+(?:me\s+)?for|requested|sent\s+(?:me\s+)?"
        + _A
        + r")\s*(?:an?\s+)?interview(?:\s+request)?",
    ),
    _wording("interview", _CLIENT + r"sent\s+(?:me\s+)?" + _A + r"message"),
    _wording("interview", _CLIENT + r"(?:replied|responded|answered|got\s+back)"),
    _wording(
        "interview",
        _I + r"(?:got|received|had)\s+" + _A + r"interview\s+request" + _FROM_CLIENT,
    ),
    _wording("interview", _I + r"(?:got|received|had)\s+" + _A + r"message\s+from\s+(?:the\s+)?client"),
    _wording("interview", r"interview\s+request" + _FROM_CLIENT),
    _wording("interview", r"(?:a\s+)?message\s+from\s+(?:the\s+)?client"),
    _wording(
        "respond",
        _I
        + r"(?:replied|responded|answered|reply|wrote\s+back|messaged\s+(?:the\s+client\s+)?back)(?:\s+back)?"
        r"(?:\s+(?:to\s+)?(?:the\s+|their\s+|his\s+|her\s+)?(?:client(?:'s|’s)?(?:\s+message)?|interview\s+request|"
        r"interview\s+invitation|interview|invitation|invite|message|request|them|him|her)"
        r"(?:\s+back)?)?",
        r"(?:\s+(?:about|for|on|regarding|to))?",
    ),
    _wording(
        "offer",
        _CLIENT + r"(?:sent|made|gave)\s+(?:me\s+)?" + _A + r"(?:job\s+)?offer",
    ),
    _wording("offer", _CLIENT + r"hired\s+me"),
    _wording("offer", _I + r"(?:got|was|been|am|get)\s+hired"),
    _wording("offer", r"hired(?:\s+by\s+(?:the\s+)?client)?"),
    _wording("offer", r"offer\s+from\s+(?:the\s+)?client"),
    _wording(
        "offer",
        _I + r"(?:got|received|accepted|had)\s+" + _A + r"(?:job\s+)?offer" + _FROM_CLIENT,
    ),
    _wording("offer", r"(?:the\s+)?contract\s+(?:started|began|begun)"),
    _wording("offer", _I + r"started\s+(?:the\s+)?contract"),
    *(
        _Wording(kind, re.compile(kind + r"(?:\s+|$)", re.IGNORECASE), True)
        for kind in ("proposal", "invite", "interview", "respond", "offer")
    ),
)

_BONUS = re.compile(r"bonus(?:\s+(?P<rest>.*))?$", re.IGNORECASE)
_CONNECTS = r"(?:free\s+|bonus\s+|interview\s+|extra\s+)?connects?"
_BONUS_WORDINGS = (
    re.compile(
        _I
        + r"(?:got|received|earned|receive|get)\s+(?:my\s+|the\s+)?(?:(?P<amount>[-+]?[0-9][0-9.,]*)\s+)?"
        + _CONNECTS
        + r"(?:\s+back)?(?:\s+(?:for|from|on)\s+(?P<job>.+))?$",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?P<amount>\+\S*)\s+" + _CONNECTS + r"(?:\s+(?:for|from|on)\s+(?P<job>.+))?$", re.IGNORECASE
    ),
    re.compile(
        r"(?:(?P<amount>[-+]?[0-9][0-9.,]*)\s+)?"
        + _CONNECTS
        + r"\s+(?:arrived|came|came\s+in|were\s+added|added|credited|"
        r"showed\s+up)(?:\s+(?:for|from|on)\s+(?P<job>.+))?$",
        re.IGNORECASE,
    ),
)
_BONUS_AMOUNT = re.compile(rf"\+?[0-9]{{1,{MAX_BONUS_DIGITS}}}")
_NUMBER_LIKE = re.compile(r"[+-]?[0-9.,]*[0-9][0-9.,]*")
_CONNECTS_WORD = re.compile(r"connects?(?:\s+|$)", re.IGNORECASE)
_CHECK = re.compile(
    _I + r"(?:check(?:ed)?|looked\s+at)(?:\s+(?:my\s+)?(?:connects\s+)?(?:balance|connects))?$", re.IGNORECASE
)
_CHECK_WITH_TEXT = re.compile(r"check(?:ed)?\s", re.IGNORECASE)
_REFERENCE = re.compile(
    r"(?:it|that|this|them|job|project|posting|gig|"
    r"(?:that|this|the\s+same|same|the)\s+(?:one|job|project|posting|gig|contract))$",
    re.IGNORECASE,
)
# What follows an event's words and starts like this is more story, not a job's name.
_NOT_A_NAME = re.compile(r"(?:and|but|because|since|though|although|still|yet)\b", re.IGNORECASE)
_SYMBOLS = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+")  # emoji are no part of a name
_REMARK = re.compile(r"\s*\([^()]*\)$")  # "(finally!)" after a member's phrase is a remark, not a name
_ARTICLE = re.compile(r"^(?:the|a|an|my|this|that|their)\s+", re.IGNORECASE)
_JOB_WORD = re.compile(r"\s+(?:job(?:\s+post(?:ing)?)?|project|posting|gig)$", re.IGNORECASE)
# Where the kind of a line that fails can still be guessed, its example matches it.
_KIND_HINTS: tuple[tuple[EventKind, re.Pattern[str]], ...] = (
    ("bonus", re.compile(r"connects|bonus", re.IGNORECASE)),
    ("check", re.compile(r"\bcheck", re.IGNORECASE)),
    ("offer", re.compile(r"hire|offer|contract", re.IGNORECASE)),
    ("invite", re.compile(r"invit", re.IGNORECASE)),
    ("interview", re.compile(r"client|interview", re.IGNORECASE)),
    ("respond", re.compile(r"repl|respon|answer", re.IGNORECASE)),
    ("proposal", re.compile(r"appl|propos|bid", re.IGNORECASE)),
)
_SECOND_EVENT = re.compile(
    r"(?:(?:^|\s+)(?:and|then|&)\s+|\s*[,;]\s*(?:and\s+|then\s+)?)(?=\S)", re.IGNORECASE
)


@dataclass(frozen=True)
class TimelineEvent:
    """One readable line of the timeline."""

    line: int
    text: str  # the line as written
    kind: EventKind
    at: datetime
    has_time: bool
    job: str = ""  # as first written; "" for check and a bonus without one
    amount: int = 0  # bonus only
    job_inferred: bool = False  # the line named no job: this one is the only one it can belong to
    dated: bool = True  # False for a check line without a date: the moment of checking itself

    @property
    def job_key(self) -> str:
        return job_key(self.job)

    @property
    def order(self) -> tuple[datetime, int]:
        """Earlier in time, or the same moment on an earlier line, comes first."""
        return (self.at, self.line)


@dataclass(frozen=True)
class ParsedTimeline:
    events: tuple[TimelineEvent, ...]
    errors: tuple[TimelineError, ...]
    check_at: datetime | None  # the latest check line's moment; None when there is none
    assumed_years: tuple[AssumedYear, ...] = ()


def job_key(name: str) -> str:
    """Two job names are the same job when they differ only in case, spacing, or a trailing `job`."""
    return normalise_alias(_JOB_WORD.sub("", " ".join(name.split())))


class _LineError(ValueError):
    """Why a line cannot be read; becomes a TimelineError with the line's number and text."""


@dataclass(frozen=True)
class _Time:
    hour: int
    minute: int
    second: int
    zone: timezone


@dataclass(frozen=True)
class _Date:
    """A date as written: absolute (`year` None when left out) or relative (`relative` set)."""

    written: str
    year: int | None = None
    month: int = 1
    day: int = 1
    relative: Literal["", "today", "yesterday", "same", "later"] = ""
    days: int = 0  # for "later": how many days after the previous line


@dataclass(frozen=True)
class _Line:
    """A line read except for what needs the other lines: its year, a relative day, a job not named."""

    number: int
    text: str
    when: _Date | None  # None: a check without a date
    time: _Time | None
    kind: EventKind
    job: str | None  # None: the line names no job
    amount: int


def parse_timeline(text: str, now: datetime | None = None) -> ParsedTimeline:
    """Read a timeline. `now` is the check moment when there is no check line (default: the current time)."""
    reference_now = aware(now) if now is not None else datetime.now(UTC)
    lines: list[_Line] = []
    errors: list[TimelineError] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        content = _COMMENT.sub("", raw.translate(_INVISIBLE)).strip()
        content = _squeeze_spaces(_BULLET.sub("", content).strip())
        if not content:
            continue
        try:
            lines.append(_read_line(number, raw.strip(), content))
        except _LineError as problem:
            errors.append(TimelineError(line=number, text=raw.strip(), message=_explained(problem, content)))

    check_assumed: list[AssumedYear] = []
    # Check lines first: a date without a year, `today` and `yesterday` elsewhere are read against the check.
    checks: list[TimelineEvent] = []
    for line in lines:
        if line.kind == "check" and (line.when is None or line.when.relative in ("", "today", "yesterday")):
            try:
                checks.append(_check_event(line, reference_now, check_assumed))
            except _LineError as problem:
                errors.append(
                    TimelineError(line=line.number, text=line.text, message=_explained(problem, "check"))
                )
    dated_checks = [event for event in checks if event.dated]
    check_at = max(dated_checks, key=lambda event: event.order).at if dated_checks else None
    refused = {error.line for error in errors}
    placed = _place([line for line in lines if line.number not in refused], checks, check_at or reference_now)
    late_checks = [event for event in placed.events if event.kind == "check" and event not in checks]
    if late_checks:
        # A check dated "the next day" counts too; `today` and yearless dates are read again against it.
        check_at = max([*dated_checks, *late_checks], key=lambda event: event.order).at
        placed = _place([line for line in lines if line.number not in refused], checks, check_at)

    events = sorted(placed.events, key=lambda event: event.line)
    all_errors = sorted([*errors, *placed.errors], key=lambda error: error.line)
    assumed = sorted([*check_assumed, *placed.assumed], key=lambda guess: guess.line)
    return ParsedTimeline(tuple(events), tuple(all_errors), check_at, tuple(assumed))


@dataclass(frozen=True)
class _Placed:
    events: list[TimelineEvent]
    errors: list[TimelineError]
    assumed: list[AssumedYear]


def _place(lines: list[_Line], checks: list[TimelineEvent], checked: datetime) -> _Placed:
    """Every line placed in time and given its job, in line order (relative days and unnamed jobs look
    back); the check lines already placed are kept as they are."""
    resolver = _Resolver(any(line.job for line in lines))
    placed = _Placed([], [], [])
    known = {event.line: event for event in checks}
    previous: TimelineEvent | None = None
    for line in lines:
        if line.number in known:
            previous = known[line.number]
            placed.events.append(previous)
            continue
        try:
            moment, has_time = _moment(line, checked, previous, placed.assumed)
            job, inferred = resolver.job(line)
        except _LineError as problem:
            message = _explained(problem, line.kind)
            placed.errors.append(TimelineError(line=line.number, text=line.text, message=message))
            continue
        previous = TimelineEvent(
            line.number, line.text, line.kind, moment, has_time, job, line.amount, inferred
        )
        resolver.saw(previous)
        placed.events.append(previous)
    return placed


_LONG_SPACE = re.compile(r"\s{3,}")


def _squeeze_spaces(content: str) -> str:
    """Runs of three or more spaces become two: a line's patterns backtrack over whitespace, so a
    long run (a member's, or an attacker's) would cost time growing with its square; a job name
    keeps its own single and double spaces."""
    return _LONG_SPACE.sub("  ", content)


def looks_like_timeline(text: str) -> bool:
    """Whether a chat line is a timeline line rather than a question: it starts with a date (after any
    bullet) and reads as an event."""
    content = _squeeze_spaces(_BULLET.sub("", _COMMENT.sub("", text.translate(_INVISIBLE)).strip()).strip())
    found = _safe_dates(content)
    starts = bool(found) and found[0].start == 0
    return starts and len(parse_timeline(content, datetime.now(UTC)).events) == 1


def looks_like_timeline_text(text: str) -> bool:
    """Whether a message holds a timeline line (a question may quote its timeline below it)."""
    return any(looks_like_timeline(line) for line in text.splitlines() if line.strip())


def _safe_dates(content: str) -> list[_Found]:
    try:
        return _find_dates(content)[1]
    except _LineError:
        return []


def aware(moment: datetime) -> datetime:
    """A moment without a time zone is taken as UTC, like the timeline's own times."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# One line: where its date and time stand, what happened, to which job


@dataclass(frozen=True)
class _Found:
    start: int
    end: int  # after the date and a time right after it
    date: _Date
    time: _Time | None


def _read_line(number: int, text: str, content: str) -> _Line:
    candidates, found = _find_dates(content)
    # A date stands at the start or at the end; of overlapping readings ("Website 2 Nov 3") the one that
    # stands there wins.
    starts = [
        f
        for f in candidates
        if not content[: f.start].strip(_EDGE_PUNCTUATION) or _ON_BEFORE.fullmatch(content[: f.start])
    ]
    first = max(starts, key=lambda f: f.end, default=None)
    ends = [
        f
        for f in candidates
        if not content[f.end :].strip(_EDGE_PUNCTUATION) and (first is None or f.start >= first.end)
    ]
    last = min(ends, key=lambda f: f.start, default=None)
    chosen = [f for f in (first, last) if f is not None]
    if not chosen:
        chosen = found  # one date inside the line is still read; two are an error below
    # A date right beside the one read ("yesterday Nov 3", "Nov 5 Nov 6") is a second date, not a name.
    chosen += [
        f
        for f in found
        if not any(_overlap(f, c) for c in chosen) and any(_beside(f, c, content) for c in chosen)
    ]
    if len(chosen) > 1:
        raise _LineError(
            f"two dates on one line (“{chosen[0].date.written}” and “{chosen[1].date.written}”): keep one "
            f"date a line, for example “{EXAMPLES[_hinted_kind(content) or 'proposal']}”"
        )
    if not chosen:
        kind, job, _ = _read_event_or_none(_LEADING_FILLER.sub("", content))
        if kind == "check":  # "checked my balance": the moment of checking itself
            return _Line(number, text, None, None, "check", None, 0)
        hinted = kind or _hinted_kind(content)
        example = EXAMPLES[hinted or "proposal"]
        if hinted is None and not _WEEKDAY_ALONE.search(content):
            raise _LineError(f"no date and no event found: {NOT_AN_EVENT}, for example “{example}”")
        if _WEEKDAY_ALONE.search(content):
            raise _LineError(f"a weekday alone is not a date: add the date, for example “{example}”")
        raise _LineError(f"{EXPECTED_DATE}; for example “{example}”")
    date_found = chosen[0]
    if (
        date_found.start == 0
        and date_found.end < len(content)
        and not _SEPARATOR.match(content, date_found.end)
    ):
        raise _LineError(f"expected a space after the date “{content[: date_found.end]}”")
    before = _ON_BEFORE.sub("", content[: date_found.start])
    # After a leading date the rest is kept as written (a canonical job name is verbatim).
    before, after = before.strip(_EDGE_PUNCTUATION), content[date_found.end :].lstrip(_EDGE_PUNCTUATION)
    rest = f"{before} {after}" if before and after else before or after
    time = date_found.time
    if (
        time is None
        and before
        and (bare := _TIME_BEFORE.search(before))
        and (bare["minute"] or bare["meridiem"])
    ):
        time = _read_time(bare, bare.group().strip())
        rest = f"{before[: bare.start()].rstrip()} {after}".strip()
    if time is None and (at_time := _AT_TIME.search(rest)):
        time = _read_time(at_time, at_time.group().strip())
        rest = f"{rest[: at_time.start()].rstrip()} {rest[at_time.end() :].lstrip()}"
    rest = _LEADING_FILLER.sub("", _PLATFORM.sub("", _WEEKDAY_REMARK.sub("", rest)).strip())
    if rest and _WEEKDAY_ALONE.fullmatch(rest.split()[0].rstrip(",")):
        rest = rest.split(maxsplit=1)[1] if " " in rest else ""  # "Nov 3, Monday: applied"
    kind, job, amount = _read_event(rest, content)
    return _Line(number, text, date_found.date, time, kind, job, amount)


def _beside(one: _Found, other: _Found, content: str) -> bool:
    first, second = sorted((one, other), key=lambda f: f.start)
    return not content[first.end : second.start].strip(_EDGE_PUNCTUATION)


def _find_dates(content: str) -> tuple[list[_Found], list[_Found]]:
    """Every reading of a date in the line (with a time right after it), and those readings left to
    right with none overlapping."""
    found: list[_Found] = []
    for finder in (_absolute_dates, _relative_dates):
        for start, end, when in finder(content):
            time, end = _time_after(content, end, when.written)
            found.append(_Found(start, end, when, time))
    found.sort(key=lambda f: (f.start, -f.end))
    kept: list[_Found] = []
    for candidate in found:
        if not kept or candidate.start >= kept[-1].end:
            kept.append(candidate)
    return found, kept


def _overlap(one: _Found, other: _Found) -> bool:
    return one.start < other.end and other.start < one.end


def _absolute_dates(content: str) -> list[tuple[int, int, _Date]]:
    dates: list[tuple[int, int, _Date]] = []
    for match in _YEAR_FIRST.finditer(content):
        written = match.group()
        dates.append(
            (
                match.start(),
                match.end(),
                _Date(written, int(match["year"]), int(match["month"]), int(match["day"])),
            )
        )
    for match in _YEAR_LAST.finditer(content):
        month, day = _month_and_day(int(match["a"]), int(match["b"]), match.group())
        dates.append((match.start(), match.end(), _Date(match.group(), int(match["year"]), month, day)))
    if short := _SHORT_YEAR.search(content):
        raise _LineError(f"{short.group()}: write the year in full, for example 25/11/2026 or 2026-11-25")
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        for match in pattern.finditer(content):
            year = int(match["year"]) if match["year"] else None
            month = _MONTH_NUMBERS[match["month"].lower()]
            dates.append((match.start(), match.end(), _Date(match.group(), year, month, int(match["day"]))))
    return dates


def _relative_dates(content: str) -> list[tuple[int, int, _Date]]:
    dates: list[tuple[int, int, _Date]] = []
    for match in _RELATIVE.finditer(content):
        written = match.group()
        if match["today"]:
            dates.append((match.start(), match.end(), _Date(written, relative="today")))
        elif match["yesterday"]:
            dates.append((match.start(), match.end(), _Date(written, relative="yesterday")))
        elif match["same"]:
            dates.append((match.start(), match.end(), _Date(written, relative="same")))
        elif match["next"]:
            dates.append((match.start(), match.end(), _Date(written, relative="later", days=1)))
        else:
            count = match["count"].lower()
            days = _NUMBER_WORDS[count] if count in _NUMBER_WORDS else int(count)
            days *= 7 if match["unit"].lower().startswith("week") else 1
            if days > MAX_DAYS_LATER:
                raise _LineError(f"“{written}” is too far: write the date itself")
            dates.append((match.start(), match.end(), _Date(written, relative="later", days=days)))
    return dates


def _time_after(content: str, end: int, written: str) -> tuple[_Time | None, int]:
    time = _TIME.match(content, end)
    if time is None or (time["minute"] is None and time["meridiem"] is None):
        if _LOOKS_LIKE_TIME.match(content, end):
            raise _LineError(
                f"cannot read the time after “{written}”: expected HH:MM (24 h), 9:40am or 14:05+02:00"
            )
        return None, end
    return _read_time(time, content[time.start("hour") : time.end()].strip()), time.end()


def _read_time(time: re.Match[str], written: str) -> _Time:
    hour, minute, second = int(time["hour"]), int(time["minute"] or 0), int(time["second"] or 0)
    if time["meridiem"]:
        if not 1 <= hour <= 12:
            raise _LineError(f"{written} is not a time of day: with am/pm the hour runs 1–12")
        hour = hour % 12 + (12 if time["meridiem"].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _LineError(f"{written} is not a time of day: hours run 00–23, minutes and seconds 00–59")
    return _Time(hour, minute, second, _zone(time))


def _zone(time: re.Match[str]) -> timezone:
    if not time["sign"]:
        return UTC  # Z, UTC, GMT, or no offset at all: the timeline's times are UTC
    hours, minutes = int(time["off_h"]), int(time["off_m"])
    if hours > 23 or minutes > 59:
        raise _LineError(
            f"{time['offset']} is not a time-zone offset: expected Z, +02:00 or +0200 (under 24 h)"
        )
    offset = timedelta(hours=hours, minutes=minutes)
    return UTC if not offset else timezone(offset if time["sign"] == "+" else -offset)


def _month_and_day(first: int, second: int, written: str) -> tuple[int, int]:
    """Month and day of 25/11/2026 or 11/25/2026; refuses 11/03/2026, which could be either."""
    readings = {
        (month, day) for month, day in ((first, second), (second, first)) if 1 <= month <= 12 and day >= 1
    }
    if len(readings) == 1:
        return readings.pop()
    if not readings:
        raise _LineError(f"{written} is not a date: it needs a day (1–31) and a month (1–12)")
    raise _LineError(
        f"{written} could be {first} {MONTH_ABBREVIATIONS[second - 1]} "
        f"or {second} {MONTH_ABBREVIATIONS[first - 1]}: "
        "write it as YYYY-MM-DD or with the month's name"
    )


def _read_event(rest: str, content: str) -> tuple[EventKind, str | None, int]:
    kind, job, amount = _read_event_or_none(rest)
    if kind is None:
        guess = _hinted_kind(content)
        example = f"; for example “{EXAMPLES[guess]}”" if guess else ""
        raise _LineError(f"{EXPECTED_KIND}{example}")
    return kind, job, amount


def _read_event_or_none(rest: str) -> tuple[EventKind | None, str | None, int]:
    """(kind, job name or None when the line names none, bonus amount) of the text around the date."""
    rest = rest.strip(_EDGE_PUNCTUATION)
    if _CHECK.match(rest):
        return "check", None, 0
    if _CHECK_WITH_TEXT.match(rest):
        raise _LineError(EXPECTED_CHECK)
    if match := _BONUS.match(rest):
        job, amount = _read_bonus(match["rest"] or "")
        return "bonus", job, amount
    for pattern in _BONUS_WORDINGS:
        if match := pattern.match(rest):
            amount = _bonus_amount(match["amount"]) if match["amount"] else DEFAULT_BONUS
            return "bonus", _member_job(match["job"] or ""), amount
    for wording in _WORDINGS:
        if match := wording.pattern.match(rest):
            after = rest[match.end() :]
            if wording.canonical:
                return wording.kind, _reference_or(_job_name(after)), 0
            _refuse_second_event(after, wording.kind)
            return wording.kind, _member_job(after), 0
    return None, None, 0


def _refuse_second_event(after: str, kind: EventKind) -> None:
    """“applied and got hired”: two events on one line would be one misread event."""
    for separator in _SECOND_EVENT.finditer(after):
        tail = _LEADING_FILLER.sub("", after[separator.end() :])
        if (second := _member_kind(tail)) is not None:
            raise _LineError(
                f"two events on one line ({kind} and {second}): put each on its own line with its date, "
                f"for example “{EXAMPLES[kind]}”"
            )


def _member_kind(text: str) -> EventKind | None:
    """The kind of a member's wording starting `text` (not a canonical keyword: that may be a name)."""
    if any(pattern.match(text) for pattern in _BONUS_WORDINGS):
        return "bonus"
    return next((w.kind for w in _WORDINGS if not w.canonical and w.pattern.match(text)), None)


def _read_bonus(rest: str) -> tuple[str | None, int]:
    """`bonus`, `bonus 20`, `bonus Logo design`, `bonus 10 Logo design` (also `bonus 20 connects`)."""
    first, after = (*rest.split(maxsplit=1), "", "")[:2]
    if not _NUMBER_LIKE.fullmatch(first):
        return _job_name(rest) or None, DEFAULT_BONUS
    amount = _bonus_amount(first)
    if connects_word := _CONNECTS_WORD.match(after):
        after = after[connects_word.end() :]
    return _job_name(after) or None, amount


def _bonus_amount(written: str) -> int:
    if not _BONUS_AMOUNT.fullmatch(written):
        raise _LineError(f"“{written}” is not an amount: {EXPECTED_BONUS}")
    return int(written)


def _job_name(text: str) -> str:
    """The job's name as written, without one matching pair of quotes around it."""
    name = text.strip()
    if len(name) >= 2 and _QUOTE_PAIRS.get(name[0]) == name[-1]:
        name = name[1:-1].strip()
    return name


def _reference_or(name: str) -> str | None:
    """None when the name only points back (`it`, `that job`) or is empty: the job is found from the lines."""
    return None if not name or _REFERENCE.fullmatch(name) else name


def _member_job(text: str) -> str | None:
    """The job phrase of a member's wording: no article before it, no `job`/`project` after it, no quotes."""
    name = _REMARK.sub("", _SYMBOLS.sub("", text.strip())).rstrip(".!?,;:")
    if _reference_or(name) is None:
        return None
    if _NOT_A_NAME.match(name):
        raise _LineError(
            f"“{name}” after the event is not a job's name: one event a line, the job after to, for, on or "
            "about (for example “Nov 3 applied to Logo design”)"
        )
    return _reference_or(_job_name(_JOB_WORD.sub("", _ARTICLE.sub("", name))))


def _explained(problem: _LineError, content: str) -> str:
    """The problem, with an example of a working line of the kind the line seems to be, if it has none."""
    message = str(problem)
    if "for example" in message:
        return message
    return f"{message}; for example “{EXAMPLES[_hinted_kind(content) or 'proposal']}”"


def _hinted_kind(content: str) -> EventKind | None:
    """The kind a line that could not be read seems to be about, for its example."""
    for kind, hint in _KIND_HINTS:
        if hint.search(content):
            return kind
    return None


# Placing a line in time, and finding the job of a line that names none


def _check_event(line: _Line, now: datetime, assumed: list[AssumedYear]) -> TimelineEvent:
    if line.when is None:  # "checked my balance": the moment of checking, as a bare canonical check
        return TimelineEvent(line.number, line.text, "check", now, True, dated=False)
    moment, has_time = _moment(line, now, None, assumed)
    return TimelineEvent(line.number, line.text, "check", moment, has_time)


def _moment(
    line: _Line, checked: datetime, previous: TimelineEvent | None, assumed: list[AssumedYear]
) -> tuple[datetime, bool]:
    """When the line happened: its own date, or relative to the check or to the previous understood line."""
    when, time = line.when, line.time
    assert when is not None
    if when.relative in ("today", "yesterday"):
        day = _utc_day(checked) - timedelta(days=1 if when.relative == "yesterday" else 0)
    elif when.relative:
        if previous is None:
            raise _LineError(
                f"“{when.written}” counts from the line before, and no line before it was understood: "
                f"write the date, for example “{EXAMPLES[line.kind]}”"
            )
        if when.relative == "same" and time is None:
            return previous.at, previous.has_time
        try:
            day = previous.at.date() + timedelta(days=when.days)
        except OverflowError:
            raise _LineError(f"“{when.written}” runs past the calendar's end") from None
    else:
        day = _absolute_day(line.number, when, _utc_day(checked), assumed)
    if time is None:
        return datetime(day.year, day.month, day.day, tzinfo=UTC), False
    return (
        datetime(day.year, day.month, day.day, time.hour, time.minute, time.second, tzinfo=time.zone),
        True,
    )


def _utc_day(moment: datetime) -> date:
    """The calendar day (UTC) of the moment of checking, which yearless dates and `today` are read against."""
    return moment.astimezone(UTC).date()


def _absolute_day(number: int, when: _Date, reference: date, assumed: list[AssumedYear]) -> date:
    if when.year is None:
        year = _latest_year(when.month, when.day, reference, when.written)
        read_as = date(year, when.month, when.day)
        assumed.append(AssumedYear(line=number, written=when.written, read_as=read_as))
        return read_as
    try:
        return date(when.year, when.month, when.day)
    except ValueError:
        raise _LineError(_not_a_date(when.written, when.year, when.month)) from None


class _Resolver:
    """The job of each understood line, in line order; a line naming none gets the one it can belong to."""

    def __init__(self, any_named: bool) -> None:
        self.any_named = any_named
        self.named: dict[str, str] = {}  # job key -> name as first written, in line order
        self.unanswered: dict[str, list[EventKind]] = {}  # job key -> its unanswered requests

    def job(self, line: _Line) -> tuple[str, bool]:
        if line.job is not None:
            return line.job, False
        if line.kind in ("check", "bonus"):
            return "", False  # a bonus's job is informative only; a check has none
        if not self.any_named:
            return UNNAMED_JOB, False
        if line.kind == "respond":
            waiting = [key for key, requests in self.unanswered.items() if requests]
            if len(waiting) == 1:
                return self.named[waiting[0]], True
            if len(waiting) > 1:
                raise _LineError(self._which([self.named[key] for key in waiting], line.kind))
        if len(self.named) == 1:
            return next(iter(self.named.values())), True
        if not self.named:
            raise _LineError(
                f"which job? No line above names one: add its name, for example “{EXAMPLES[line.kind]}”"
            )
        raise _LineError(self._which(list(self.named.values()), line.kind))

    @staticmethod
    def _which(names: list[str], kind: EventKind) -> str:
        listed = " or ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
        return f"which job: {listed}? Name it on this line, for example “{_example_for(kind, names[0])}”"

    def saw(self, event: TimelineEvent) -> None:
        if not event.job or event.kind in ("check",):
            return
        key = event.job_key
        self.named.setdefault(key, event.job)
        requests = self.unanswered.setdefault(key, [])
        if event.kind == "interview" and requests and requests[-1] == "invite":
            requests[-1] = "interview"  # an invite followed by its interview line is one request
        elif event.kind in ("interview", "invite"):
            requests.append(event.kind)
        elif event.kind == "respond" and requests:
            requests.pop()


def _example_for(kind: EventKind, job: str) -> str:
    examples: dict[EventKind, Callable[[str], str]] = {
        "proposal": lambda name: f"Nov 3 applied to {name}",
        "invite": lambda name: f"Nov 3 client invited me to {name}",
        "interview": lambda name: f"Nov 4 client messaged me about {name}",
        "respond": lambda name: f"Nov 4 replied about {name}",
        "offer": lambda name: f"Nov 10 hired for {name}",
        "bonus": lambda name: f"Nov 8 got 10 connects for {name}",
        "check": lambda name: "Nov 20 checked my balance",
    }
    return examples[kind](job)


def _latest_year(month: int, day: int, reference: date, written: str) -> int:
    """The year of the latest `month`/`day` not after `reference` (29 February: the latest leap year)."""
    for year in range(reference.year, max(reference.year - YEAR_SEARCH_SPAN, 0), -1):
        try:
            if date(year, month, day) <= reference:
                return year
        except ValueError:
            continue
    if 1 <= month <= 12 and 1 <= day <= _days(LEAP_YEAR, month):
        raise _LineError(
            f"{written}: no such date in the {YEAR_SEARCH_SPAN} years up to the check; add the year"
        )
    raise _LineError(_not_a_date(written, None, month))


def _not_a_date(written: str, year: int | None, month: int) -> str:
    if not 1 <= month <= 12:
        return f"{written} is not a date: there is no month {month}"
    if year is None:
        most = _days(LEAP_YEAR, month)
        return f"{written} is not a date: {MONTH_NAMES[month - 1]} has at most {most} days"
    if year < 1:
        return f"{written} is not a date: there is no year {year}"
    return f"{written} is not a date: {MONTH_NAMES[month - 1]} {year} has {_days(year, month)} days"


def _days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]
