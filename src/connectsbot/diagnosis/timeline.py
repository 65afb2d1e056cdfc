"""Reading a member's timeline: canonical `DATE [TIME] KIND [REST]` lines and what members really write.

Every line either becomes an event or an error saying what was expected; nothing raises and nothing is
dropped silently. Dates without a year ("Nov 3") get the latest such date not after the check (or now),
and each such guess is reported so the member can see it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal

from connectsbot.diagnosis.models import AssumedYear, TimelineError
from connectsbot.models import normalise_alias

EventKind = Literal["proposal", "invite", "interview", "respond", "offer", "bonus", "check"]

DEFAULT_BONUS = 10
# Larger amounts are typos (and very long digit strings would not even convert to int).
MAX_BONUS_DIGITS = 6
# A date without a year is looked for this many years back (enough to find a 29 February).
YEAR_SEARCH_SPAN = 8
LEAP_YEAR = 2000  # any leap year: which days a month can have at most

EXAMPLE_LINE = "2026-11-03 09:40 respond Logo design"
EXPECTED_DATE = (
    "expected a date first: 2026-11-03, 3 Nov 2026 or Nov 3 (for example “2026-11-03 proposal Logo design”)"
)
EXPECTED_KIND = (
    "after the date, expected what happened: proposal, invite, interview, respond, offer, bonus or check "
    f"(for example “{EXAMPLE_LINE}”)"
)
EXPECTED_BONUS = "a bonus is a whole number of Connects: “bonus”, “bonus 20” or “bonus 10 Logo design”"
EXPECTED_CHECK = "nothing may follow “check”: put the other events on their own lines and write “check” alone"

# Direction marks, zero-width spaces and byte-order marks that pasting drags in; they carry no meaning here.
_INVISIBLE = dict.fromkeys(
    map(ord, "\ufeff\u200b\u200e\u200f\u061c\u2060\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    None,
)
_COMMENT = re.compile(r"(?:^|\s)#.*")
_QUOTE_PAIRS = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»"}

# English names, whatever the machine's locale: the format is documented in English.
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, start=1)}
_MONTH_NUMBERS |= {name[:3].lower(): number for number, name in enumerate(MONTH_NAMES, start=1)}
_MONTH_NUMBERS["sept"] = 9

_END = r"(?=$|[\s,;:\-–—])"  # a date ends at a space or punctuation, never inside a word
_END_OR_TIME = r"(?=$|[\s,;:\-–—]|T)"
# Longest names first, so that "november" is not read as "nov" followed by "ember".
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?(?![0-9])"
_YEAR = r"(?:,?\s*(?P<year>[0-9]{4})(?![0-9]|:[0-9]))?"

_YEAR_FIRST = re.compile(
    r"(?P<year>[0-9]{4})(?P<sep>[-/.])(?P<month>[0-9]{1,2})(?P=sep)(?P<day>[0-9]{1,2})" + _END_OR_TIME
)
_YEAR_LAST = re.compile(r"(?P<a>[0-9]{1,2})(?P<sep>[-/.])(?P<b>[0-9]{1,2})(?P=sep)(?P<year>[0-9]{4})" + _END)
_SHORT_YEAR = re.compile(r"[0-9]{1,2}([-/.])[0-9]{1,2}\1[0-9]{2}" + _END)
_MONTH_FIRST = re.compile(_MONTH + r"\s*" + _DAY + _YEAR + _END, re.IGNORECASE)
_DAY_FIRST = re.compile(_DAY + r"(?:\s+of)?\s*" + _MONTH + _YEAR + _END, re.IGNORECASE)

_TIME = re.compile(
    r"(?:,?\s*at\s+|,?\s+|T)"
    r"(?P<hour>[0-9]{1,2})(?::(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?)?"
    r"(?:\s*(?P<meridiem>[ap])\.?m\.?)?"
    r"(?:\s*(?P<offset>Z|(?P<sign>[+-])(?P<off_h>[0-9]{2}):?(?P<off_m>[0-9]{2}))|\s+(?:UTC|GMT))?"
    r"(?=$|[\s,;])",
    re.IGNORECASE,
)
_LOOKS_LIKE_TIME = re.compile(r"(?:,?\s*|T)(?:at\s+)?[0-9]{1,2}:[0-9]", re.IGNORECASE)
_SEPARATOR = re.compile(r"\s*[,;:\-–—]\s*|\s+")

_PREPOSITION = r"(?:\s+(?:to|for|on|about|regarding))?"
# Tried in order: the longer wordings first, the canonical keyword (whose rest is the job name verbatim) last.
_WORDINGS: tuple[tuple[EventKind, str], ...] = (
    ("proposal", r"(?:i\s+)?(?:sent|submitted)\s+(?:a\s+|my\s+|the\s+)?proposal" + _PREPOSITION),
    ("proposal", r"(?:i\s+)?applied" + _PREPOSITION),
    ("proposal", r"proposal"),
    ("invite", r"(?:the\s+)?client\s+invited\s+me(?:\s+to\s+interview)?" + _PREPOSITION),
    ("invite", r"(?:i\s+)?(?:was\s+|got\s+)?invited(?:\s+to\s+interview)?" + _PREPOSITION),
    ("invite", r"(?:got\s+|received\s+)(?:an?\s+)?invit(?:e|ation)(?:\s+to\s+interview)?" + _PREPOSITION),
    ("invite", r"invit(?:e|ation)\s+to\s+interview" + _PREPOSITION),
    ("invite", r"invitation" + _PREPOSITION),
    ("invite", r"invite"),
    ("interview", r"(?:the\s+)?client\s+(?:replied|responded)\s+to\s+my\s+proposal" + _PREPOSITION),
    ("interview", r"(?:the\s+)?client\s+(?:messaged|wrote\s+to|contacted|texted)\s+me" + _PREPOSITION),
    ("interview", r"(?:got\s+|received\s+)?(?:an?\s+)?message\s+from\s+(?:the\s+)?client" + _PREPOSITION),
    (
        "interview",
        r"(?:got\s+|received\s+)?(?:an?\s+)?interview\s+request(?:\s+from\s+(?:the\s+)?client)?"
        + _PREPOSITION,
    ),
    ("interview", r"interview"),
    (
        "respond",
        r"(?:i\s+)?(?:responded|replied|answered|reply)"
        r"(?:\s+to\s+(?:the\s+)?(?:client|interview\s+request|interview|invitation|invite|message)"
        r"(?:\s+(?:about|for|on|regarding))?|\s+(?:to|about|on|for))?",
    ),
    ("respond", r"respond"),
    ("offer", r"(?:the\s+)?client\s+hired\s+me" + _PREPOSITION),
    ("offer", r"(?:i\s+)?(?:was\s+|got\s+)?hired" + _PREPOSITION),
    ("offer", r"(?:i\s+)?(?:got|received|accepted)\s+(?:an?\s+|the\s+)?offer" + _PREPOSITION),
    ("offer", r"offer"),
)
_KIND_PATTERNS = tuple(
    (kind, re.compile(pattern + r"(?:\s+|$)", re.IGNORECASE)) for kind, pattern in _WORDINGS
)

_BONUS = re.compile(r"bonus(?:\s+(?P<rest>.*))?$", re.IGNORECASE)
_BONUS_WORDINGS = re.compile(
    r"(?:(?:i\s+)?(?:got|received)\s+|(?=\+))(?P<amount>\S+)\s+(?:free\s+|bonus\s+|interview\s+)?connects?"
    r"(?:\s+(?:for|from|on)\s+(?P<job>.+)|\s*)$",
    re.IGNORECASE,
)
_BONUS_AMOUNT = re.compile(rf"\+?[0-9]{{1,{MAX_BONUS_DIGITS}}}")
_NUMBER_LIKE = re.compile(r"[+-]?[0-9.,]*[0-9][0-9.,]*")
_CONNECTS_WORD = re.compile(r"connects?(?:\s+|$)", re.IGNORECASE)
_CHECK = re.compile(r"check(?:ed)?(?:\s+(?:my\s+)?(?:balance|connects))?$", re.IGNORECASE)
_CHECK_WITH_TEXT = re.compile(r"check(?:ed)?\s", re.IGNORECASE)


@dataclass(frozen=True)
class TimelineEvent:
    """One readable line of the timeline."""

    line: int
    text: str  # the line as written
    kind: EventKind
    at: datetime
    has_time: bool
    job: str = ""  # as first written on this line, without quotes; "" for check and a bonus without one
    amount: int = 0  # bonus only

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
    """Two job names are the same job when they differ only in case and spacing."""
    return normalise_alias(name)


class _LineError(ValueError):
    """Why a line cannot be read; becomes a TimelineError with the line's number and text."""


@dataclass(frozen=True)
class _Moment:
    """The date and time read from the start of a line; `year` is None when the member left it out."""

    year: int | None
    month: int
    day: int
    hour: int
    minute: int
    second: int
    zone: timezone
    has_time: bool
    written_date: str

    def at(self, year: int) -> datetime:
        return datetime(year, self.month, self.day, self.hour, self.minute, self.second, tzinfo=self.zone)


@dataclass(frozen=True)
class _Line:
    """A line read except for a missing year, which needs the check moment."""

    number: int
    text: str
    moment: _Moment
    kind: EventKind
    job: str
    amount: int


def parse_timeline(text: str, now: datetime | None = None) -> ParsedTimeline:
    """Read a timeline. `now` is the check moment when there is no check line (default: the current time)."""
    reference_now = aware(now) if now is not None else datetime.now(UTC)
    lines: list[_Line] = []
    errors: list[TimelineError] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        content = _COMMENT.sub("", raw.translate(_INVISIBLE)).strip()
        if not content:
            continue
        try:
            lines.append(_read_line(number, raw.strip(), content))
        except _LineError as problem:
            errors.append(TimelineError(line=number, text=raw.strip(), message=str(problem)))

    events: list[TimelineEvent] = []
    assumed: list[AssumedYear] = []

    def place(pending: list[_Line], reference: date) -> None:
        for line in pending:
            try:
                events.append(_event(line, reference, assumed))
            except _LineError as problem:
                errors.append(TimelineError(line=line.number, text=line.text, message=str(problem)))

    # Check lines first: a date without a year elsewhere is read relative to the check.
    place([line for line in lines if line.kind == "check"], reference_now.date())
    checks = [event for event in events if event.kind == "check"]
    check_at = max(checks, key=lambda event: event.order).at if checks else None
    place([line for line in lines if line.kind != "check"], (check_at or reference_now).date())

    events.sort(key=lambda event: event.line)
    errors.sort(key=lambda error: error.line)
    assumed.sort(key=lambda guess: guess.line)
    return ParsedTimeline(tuple(events), tuple(errors), check_at, tuple(assumed))


def aware(moment: datetime) -> datetime:
    """A moment without a time zone is taken as UTC, like the timeline's own times."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _read_line(number: int, text: str, content: str) -> _Line:
    moment, position = _read_moment(content)
    separator = _SEPARATOR.match(content, position)
    if position < len(content) and separator is None:
        raise _LineError(f"expected a space after the date “{content[:position]}”")
    rest = content[separator.end() :] if separator else ""
    kind, job, amount = _read_event(rest)
    return _Line(number, text, moment, kind, job, amount)


def _read_moment(content: str) -> tuple[_Moment, int]:
    year, month, day, written, end = _read_date(content)
    time = _TIME.match(content, end)
    if time is None or (time["minute"] is None and time["meridiem"] is None):
        if _LOOKS_LIKE_TIME.match(content, end):
            raise _LineError(
                f"cannot read the time after “{written}”: expected HH:MM (24 h), 9:40am or 14:05+02:00"
            )
        return _Moment(year, month, day, 0, 0, 0, UTC, False, written), end
    hour, minute, second = int(time["hour"]), int(time["minute"] or 0), int(time["second"] or 0)
    written_time = content[time.start("hour") : time.end()].strip()
    if time["meridiem"]:
        if not 1 <= hour <= 12:
            raise _LineError(f"{written_time} is not a time of day: with am/pm the hour runs 1–12")
        hour = hour % 12 + (12 if time["meridiem"].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _LineError(f"{written_time} is not a time of day: hours run 00–23, minutes and seconds 00–59")
    return _Moment(year, month, day, hour, minute, second, _zone(time), True, written), time.end()


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


def _read_date(content: str) -> tuple[int | None, int, int, str, int]:
    """(year or None, month, day, the date as written, where it ends); month and day not yet checked."""
    if match := _YEAR_FIRST.match(content):
        return int(match["year"]), int(match["month"]), int(match["day"]), match.group(), match.end()
    if match := _YEAR_LAST.match(content):
        month, day = _month_and_day(int(match["a"]), int(match["b"]), match.group())
        return int(match["year"]), month, day, match.group(), match.end()
    if match := _SHORT_YEAR.match(content):
        raise _LineError(f"{match.group()}: write the year in full, for example 25/11/2026 or 2026-11-25")
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        if match := pattern.match(content):
            year = int(match["year"]) if match["year"] else None
            month = _MONTH_NUMBERS[match["month"].lower()]
            return year, month, int(match["day"]), match.group(), match.end()
    raise _LineError(EXPECTED_DATE)


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
        f"{written} could be {first} {MONTH_NAMES[second - 1][:3]} or {second} {MONTH_NAMES[first - 1][:3]}: "
        "write it as YYYY-MM-DD or with the month's name"
    )


def _read_event(rest: str) -> tuple[EventKind, str, int]:
    """(kind, job name, bonus amount) of the text after the date and time."""
    if _CHECK.match(rest):
        return "check", "", 0
    if _CHECK_WITH_TEXT.match(rest):
        raise _LineError(EXPECTED_CHECK)
    if match := _BONUS.match(rest):
        return ("bonus", *_read_bonus(match["rest"] or ""))
    if match := _BONUS_WORDINGS.match(rest):
        amount = _bonus_amount(match["amount"])
        return "bonus", _job_name(match["job"] or ""), amount
    for kind, pattern in _KIND_PATTERNS:
        if match := pattern.match(rest):
            job = _job_name(rest[match.end() :])
            if not job:
                raise _LineError(
                    f"“{match.group().strip()}” needs the job's name after it (for example “{EXAMPLE_LINE}”)"
                )
            return kind, job, 0
    raise _LineError(EXPECTED_KIND)


def _read_bonus(rest: str) -> tuple[str, int]:
    """`bonus`, `bonus 20`, `bonus Logo design`, `bonus 10 Logo design` (also `bonus 20 connects`)."""
    first, after = (*rest.split(maxsplit=1), "", "")[:2]
    if not _NUMBER_LIKE.fullmatch(first):
        return _job_name(rest), DEFAULT_BONUS
    amount = _bonus_amount(first)
    if connects_word := _CONNECTS_WORD.match(after):
        after = after[connects_word.end() :]
    return _job_name(after), amount


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


def _event(line: _Line, reference: date, assumed: list[AssumedYear]) -> TimelineEvent:
    moment = line.moment
    if moment.year is None:
        year = _latest_year(moment.month, moment.day, reference, moment.written_date)
        read_as = date(year, moment.month, moment.day)
        assumed.append(AssumedYear(line=line.number, written=moment.written_date, read_as=read_as))
    else:
        year = moment.year
    try:
        at = moment.at(year)
    except ValueError:
        raise _LineError(_not_a_date(moment.written_date, year, moment.month)) from None
    return TimelineEvent(line.number, line.text, line.kind, at, moment.has_time, line.job, line.amount)


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
