"""Timelines as members write them (the contract's last section) are judged like their canonical equivalents.

- `member_cases.json`: member-worded timelines, each with the result the contract gives (items, totals,
  the lines that are errors), through `connectsbot diagnose --json --now`.
- `heldout_member_timelines.json`: timelines written before the parser was tuned, each beside its
  canonical equivalent; every one must be judged alike.
- A property: canonical timelines rewritten line by line in randomly chosen member wordings (date position,
  month names, relative days, verb phrases, jobs left out where only one can be meant, references,
  bullets, blank lines) give the same `--json` result as the canonical text.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectsbot.calendar_words import MONTH_NAMES
from connectsbot.diagnosis import command, diagnose, parse_timeline
from connectsbot.diagnosis.timeline import job_key
from tests.diagnosis.support import SHIPPED_POLICY, judge

HERE = Path(__file__).parent
MEMBER_CASES = json.loads((HERE / "member_cases.json").read_text(encoding="utf-8"))
HELD_OUT = json.loads((HERE / "heldout_member_timelines.json").read_text(encoding="utf-8"))


def _normal_job(name: str) -> str:
    return " ".join(name.split()).lower()


def _run_json(path: Path, now: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["diagnose", "--json", "--now", now, str(path)])
    assert args.handler(args) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


@pytest.mark.parametrize("case", MEMBER_CASES, ids=[case["name"] for case in MEMBER_CASES])
def test_member_worded_case(case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "timeline.txt"
    path.write_text(case["timeline"], encoding="utf-8")
    got = _run_json(path, case["now"], capsys)
    assert list(got) == ["items", "expected", "received", "missing", "errors"]
    view = {
        "items": [[_normal_job(i["job"]), i["verdict"], i["reason"], i["connects"]] for i in got["items"]],
        "expected": got["expected"],
        "received": got["received"],
        "missing": got["missing"],
        "error_lines": [error["line"] for error in got["errors"]],
    }
    assert view == case["expected"]
    lines = case["timeline"].split("\n")
    for error in got["errors"]:  # each error names its line as written, and what was not understood
        assert error["text"] == lines[error["line"] - 1].strip() and error["message"]


def test_there_are_enough_member_cases() -> None:
    assert len(MEMBER_CASES) >= 40


def _agreeing_view(text: str, now: datetime) -> tuple[Any, ...]:
    result = judge(text, now)
    items = [(_normal_job(i.job), i.verdict, i.reason, i.connects) for i in result.items]
    return items, result.expected, result.received, result.missing, len(result.errors)


def test_held_out_member_timelines_agree_with_their_canonical_equivalents() -> None:
    disagreeing = []
    for number, case in enumerate(HELD_OUT, start=1):
        now = datetime.fromisoformat(case["now"].replace("Z", "+00:00"))
        if _agreeing_view(case["member"], now) != _agreeing_view(case["canonical"], now):
            disagreeing.append(number)
    assert len(HELD_OUT) == 20 and disagreeing == []


# The property: canonical timelines rewritten in member wordings

JOBS = ["Logo design", "Landing page", "Data entry", "Tom's bakery site"]
STORIES = [
    ["proposal", "interview", "respond"],
    ["proposal", "interview", "respond", "offer"],
    ["proposal", "interview"],
    ["proposal", "offer"],
    ["invite", "respond"],
    ["invite", "interview", "respond"],
    ["proposal", "invite", "respond"],
    ["interview", "proposal", "respond"],
    ["proposal", "interview", "respond", "interview", "respond"],
    ["respond"],
]
WITH_JOB = {
    "proposal": [
        "applied to {job}", "applied for {job}", "sent a proposal for {job}",
        "submitted a proposal to {job}", "bid on {job}", "I applied to {job}", "sent my proposal to {job}",
    ],
    "invite": [
        "client invited me to interview for {job}", "the client invited me to {job}",
        "got an invite for {job}", "got an invitation to interview for {job}", "invited to {job}",
    ],
    "interview": [
        "client messaged me about {job}", "the client replied to my proposal for {job}",
        "got an interview request for {job}", "client wants to interview me for {job}",
    ],
    "respond": [
        "replied about {job}", "I responded to the client about {job}", "replied to {job}",
        "answered the client about {job}",
    ],
    "offer": [
        "hired for {job}", "got hired for {job}", "got an offer for {job}",
        "client sent me an offer for {job}", "contract started for {job}",
    ],
}  # fmt: skip
WITHOUT_JOB = {
    "proposal": ["applied", "I applied to it", "sent a proposal for that job"],
    "invite": ["client invited me to interview", "got an invite"],
    "interview": ["client messaged me", "got an interview request", "the client replied to my proposal",
                  "client messaged me about it"],
    "respond": ["replied", "I responded", "answered", "replied to the client", "replied to it",
                "I replied back"],
    "offer": ["got hired", "hired", "the client sent an offer", "got hired for the same job"],
}  # fmt: skip
BULLETS = ["", "", "", "- ", "* ", "• ", "{n}. ", "{n}) "]


@dataclass(frozen=True)
class Canonical:
    moment: datetime
    has_time: bool
    kind: str
    job: str = ""
    amount: int = 10

    def line(self) -> str:
        when = f"{self.moment:%Y-%m-%d %H:%M}" if self.has_time else f"{self.moment:%Y-%m-%d}"
        rest = {"bonus": f"bonus {self.amount}", "check": "check"}.get(self.kind, f"{self.kind} {self.job}")
        return f"{when} {rest}"


@dataclass
class _Jobs:
    """What the contract lets a member leave out: the same bookkeeping a reader does, in line order."""

    named: list[str] = field(default_factory=list)
    unanswered: dict[str, list[str]] = field(default_factory=dict)

    def may_omit(self, event: Canonical) -> bool:
        key = job_key(event.job)
        if event.kind == "respond":
            waiting = [job for job, requests in self.unanswered.items() if requests]
            if waiting:
                return waiting == [key]
        return self.named == [key]

    def saw(self, event: Canonical) -> None:
        key = job_key(event.job)
        if key not in self.named:
            self.named.append(key)
        requests = self.unanswered.setdefault(key, [])
        if event.kind == "interview" and requests and requests[-1] == "invite":
            requests[-1] = "interview"
        elif event.kind in ("interview", "invite"):
            requests.append(event.kind)
        elif event.kind == "respond" and requests:
            requests.pop()


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _written_date(day: date, rng: random.Random) -> str:
    month = MONTH_NAMES[day.month - 1]
    forms = [
        f"{month[:3]} {day.day}",
        f"{month} {_ordinal(day.day)}",
        f"{day.day} {month[:3]}",
        f"{_ordinal(day.day)} of {month}",
        f"{month[:3]} {day.day}, {day.year}",
        f"{day.day} {month} {day.year}",
        day.isoformat(),
    ]
    if day.day > 12:
        forms.append(f"{day.day}/{day.month}/{day.year}")
    return rng.choice(forms)


def _written_time(moment: datetime, rng: random.Random) -> str:
    hour, minute = moment.hour, moment.minute
    twelve = f"{hour % 12 or 12}" + (f":{minute:02d}" if minute or rng.random() < 0.5 else "")
    forms = [f"{hour:02d}:{minute:02d}", f"{hour}:{minute:02d}", twelve + ("am" if hour < 12 else "pm"),
             twelve + (" AM" if hour < 12 else " PM"), f"{hour:02d}:{minute:02d} UTC"]  # fmt: skip
    written = rng.choice(forms)
    return f"at {written}" if rng.random() < 0.4 else written


def _when(event: Canonical, previous: Canonical | None, checked: date, rng: random.Random) -> str:
    """The event's date (and time) as a member writes it: absolute or, where it fits, relative."""
    day = event.moment.date()
    relative = []
    if day == checked:
        relative.append("today")
    if day == checked - timedelta(days=1):
        relative.append("yesterday")
    if previous is not None:
        gap = (day - previous.moment.date()).days
        # Without a time, "same day" is the previous line's moment: only right when that is 00:00 too.
        if gap == 0 and (event.has_time or not previous.has_time):
            relative += ["same day", "that day", "on the same day"]
        if gap == 1:
            relative += ["the next day", "the day after", "next day", "1 day later"]
        if gap > 1:
            relative += [f"{gap} days later"]
    # A check dated from the line before, with `yesterday` above it counting from the check, is circular.
    if relative and event.kind != "check" and rng.random() < 0.35:
        written = rng.choice(relative)
    else:
        written = _written_date(day, rng)
    if event.has_time:
        written += " " + _written_time(event.moment, rng)
    return written


def _member_line(
    event: Canonical, previous: Canonical | None, checked: date, jobs: _Jobs, rng: random.Random
) -> str:
    if event.kind == "bonus":
        amount = event.amount
        phrase = rng.choice(
            [
                f"got {amount} connects",
                f"+{amount} connects",
                f"{amount} connects arrived",
                f"received {amount} connects",
            ]
        )
        if event.amount == 10 and rng.random() < 0.3:
            phrase = rng.choice(["got connects", "connects arrived"])
    elif event.kind == "check":
        phrase = rng.choice(["checked my balance", "checked", "check"])
    elif jobs.may_omit(event) and rng.random() < 0.6:
        phrase = rng.choice(WITHOUT_JOB[event.kind])
    else:
        job = rng.choice([event.job, f'"{event.job}"', f"the {event.job} job", f"the “{event.job}” gig"])
        phrase = rng.choice(WITH_JOB[event.kind]).format(job=job)
    if event.kind not in ("bonus", "check"):
        jobs.saw(event)
    when = _when(event, previous, checked, rng)
    if rng.random() < 0.5:
        return f"{when}{rng.choice(['', ':', ' -', ','])} {phrase}"
    return f"{phrase}{rng.choice([' on', ',', ''])} {when}"


@st.composite
def canonical_timelines(draw: st.DrawFn) -> tuple[list[Canonical], datetime]:
    """A few jobs' stories interleaved in time, maybe bonuses and a check, across a year's end at times."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(700))
    events: list[Canonical] = []
    for job in rng.sample(JOBS, rng.randint(1, 3)):
        moment = start + timedelta(days=rng.randrange(10))
        for kind in rng.choice(STORIES):
            moment += timedelta(days=rng.choice([0, 0, 1, 2]), hours=rng.choice([0, 0, 1, 5]))
            has_time = rng.random() < 0.5
            at = moment.replace(minute=rng.choice([0, 10, 40])) if has_time else moment.replace(hour=0)
            events.append(Canonical(at, has_time, kind, job))
    last = max(event.moment for event in events)
    for _ in range(rng.choice([0, 0, 1, 2])):
        day = (last - timedelta(days=rng.randrange(5))).replace(hour=0, minute=0)
        events.append(Canonical(day, False, "bonus", amount=rng.choice([5, 10, 20])))
    if rng.random() < 0.3:
        last += timedelta(
            days=rng.randrange(4)
        )  # now is not before the check: its yearless date is read by now
        events.append(Canonical(last.replace(hour=0, minute=0), False, "check"))
    # In time order, so that the line order a member's references follow is the order the rules use.
    events.sort(key=lambda event: event.moment)
    now = last + timedelta(days=rng.randrange(30), hours=rng.randrange(24))
    return events, now


def _rewrite(events: list[Canonical], now: datetime, rng: random.Random) -> tuple[str, list[int]]:
    """The member's text, and for each canonical line the member line it became."""
    checks = [event.moment.date() for event in events if event.kind == "check"]
    checked = max(checks) if checks else now.date()
    jobs = _Jobs()
    out: list[str] = []
    where: list[int] = []
    previous: Canonical | None = None
    for number, event in enumerate(events, start=1):
        while rng.random() < 0.15:
            out.append("")
        bullet = rng.choice(BULLETS).format(n=number)
        out.append(bullet + _member_line(event, previous, checked, jobs, rng))
        where.append(len(out))
        previous = event
    return "\n".join(out), where


def _result(text: str, now: datetime) -> dict[str, Any]:
    document: dict[str, Any] = diagnose(parse_timeline(text, now), SHIPPED_POLICY, now).contract_json()
    return document


@settings(max_examples=300, deadline=None)
@given(canonical_timelines(), st.integers(0, 2**32))
def test_member_wordings_give_the_canonical_json(case: tuple[list[Canonical], datetime], seed: int) -> None:
    events, now = case
    rng = random.Random(seed)
    canonical = _result("\n".join(event.line() for event in events), now)
    member_text, where = _rewrite(events, now, rng)
    member = _result(member_text, now)
    assert member["items"] == canonical["items"], member_text
    assert (member["expected"], member["received"], member["missing"]) == (
        canonical["expected"],
        canonical["received"],
        canonical["missing"],
    )
    assert [error["line"] for error in member["errors"]] == [
        where[e["line"] - 1] for e in canonical["errors"]
    ]
