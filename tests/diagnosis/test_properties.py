"""Properties: parse, diagnose, advise and render never raise, whatever is pasted; the totals add up."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from connectsbot.diagnosis import Diagnosis, advise, diagnose, parse_timeline, render_text
from connectsbot.kbfiles import load_sources
from tests.diagnosis.support import NOW, SHIPPED_POLICY
from tests.helpers import PUBLIC_TIMELINES, SHIPPED_KNOWLEDGE

BUDGET = settings(max_examples=200, deadline=None)
SOURCES = load_sources(SHIPPED_KNOWLEDGE)

CANONICAL_KINDS = ["proposal", "invite", "interview", "respond", "offer", "bonus"]
CANONICAL_JOBS = ["Logo design", "logo  DESIGN", "Data entry", "Landing page"]
SEED_LINES = [
    line
    for path in sorted(PUBLIC_TIMELINES.glob("*.txt"))
    for line in path.read_text(encoding="utf-8").splitlines()
    if line.strip()
]
NASTY = ["\x00", "\u200f", "\u202e", "\ufeff", "\r", "\n", "#", "`", "’", "٣", "\u2028", " ", ":", "T", "+"]

nows = st.datetimes(min_value=datetime(1, 1, 9), max_value=datetime(9999, 12, 20), timezones=st.just(UTC))


def check_whole_pipeline(text: str, now: datetime) -> Diagnosis:
    timeline = parse_timeline(text, now)
    diagnosis = diagnose(timeline, SHIPPED_POLICY, now)
    rendered = render_text(diagnosis, advise(diagnosis), SOURCES)
    assert rendered.splitlines()[-1].startswith("Policy applied:")
    document = json.loads(json.dumps(diagnosis.contract_json()))
    assert list(document) == ["items", "expected", "received", "missing", "errors"]

    items = diagnosis.items
    assert diagnosis.expected == sum(i.connects for i in items if i.verdict != "not_due")
    assert diagnosis.missing == max(
        0, sum(i.connects for i in items if i.verdict == "due") - diagnosis.received
    )
    assert all((i.reason == "eligible") == (i.verdict != "not_due") for i in items)
    assert all(i.connects == 0 for i in items if i.verdict == "not_due")
    assert [i.event_at for i in items] == sorted(i.event_at for i in items)
    # Nothing is dropped silently: a line is read, or it is an error, never both.
    event_lines = {event.line for event in timeline.events}
    assert not event_lines & {error.line for error in timeline.errors}
    return diagnosis


@BUDGET
@given(st.text(max_size=300), nows)
def test_arbitrary_text_never_raises(text: str, now: datetime) -> None:
    check_whole_pipeline(text, now)


@BUDGET
@given(st.lists(st.sampled_from(NASTY) | st.text(max_size=5), max_size=40).map("".join), nows)
def test_control_and_direction_characters_never_raise(text: str, now: datetime) -> None:
    check_whole_pipeline(text, now)


def _ten_thousand(piece: str) -> str:
    return (piece * (10_000 // len(piece) + 1))[:10_000]


@settings(max_examples=30, deadline=None)
@given(
    st.text(min_size=1, max_size=400).map(_ten_thousand)
    | st.lists(st.sampled_from(SEED_LINES), min_size=1, max_size=20).map(
        lambda lines: _ten_thousand("\n".join(lines) + "\n")
    )
)
def test_ten_thousand_characters_never_raise(text: str) -> None:
    assert len(text) == 10_000
    check_whole_pipeline(text, NOW)


@st.composite
def mutated_timelines(draw: st.DrawFn) -> str:
    """Real timeline lines, then characters deleted, inserted, replaced, and lines swapped or doubled."""
    lines = draw(st.lists(st.sampled_from(SEED_LINES), min_size=1, max_size=30))
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(0, 12))):
        index = rng.randrange(len(lines))
        line = lines[index]
        position = rng.randrange(len(line) + 1)
        choice = rng.randrange(6)
        if choice == 0:
            lines[index] = line[:position] + line[position + 1 :]
        elif choice == 1:
            lines[index] = line[:position] + rng.choice(NASTY + list("0123456789-/ ")) + line[position:]
        elif choice == 2 and line[position : position + 1].isdigit():
            lines[index] = line[:position] + str(rng.randrange(10)) + line[position + 1 :]
        elif choice == 3:
            other = rng.randrange(len(lines))
            lines[index], lines[other] = lines[other], lines[index]
        elif choice == 4:
            lines.insert(index, line)
        else:
            lines[index] = line.upper()
    return "\n".join(lines)


@BUDGET
@given(mutated_timelines(), nows)
def test_mutated_timelines_never_raise(text: str, now: datetime) -> None:
    check_whole_pipeline(text, now)


@st.composite
def canonical_timelines(draw: st.DrawFn) -> tuple[list[str], datetime]:
    """Well-formed lines, each at its own minute (so that line order cannot matter), and a check moment."""
    start = datetime(2025, 6, 1, tzinfo=UTC)
    minutes = draw(st.lists(st.integers(0, 60 * 24 * 30), min_size=1, max_size=25, unique=True))
    lines = []
    for minute in minutes:
        moment = start + timedelta(minutes=minute)
        kind = draw(st.sampled_from(CANONICAL_KINDS))
        job = draw(st.sampled_from(CANONICAL_JOBS))
        lines.append(f"{moment:%Y-%m-%d %H:%M} {kind} {job}")
    return lines, start + timedelta(days=draw(st.integers(0, 40)))


@BUDGET
@given(canonical_timelines(), st.randoms(use_true_random=False))
def test_line_order_does_not_matter_when_moments_differ(
    case: tuple[list[str], datetime], rng: random.Random
) -> None:
    lines, now = case
    shuffled = lines[:]
    rng.shuffle(shuffled)
    first = check_whole_pipeline("\n".join(lines), now)
    second = check_whole_pipeline("\n".join(shuffled), now)
    assert [(i.event_at, i.verdict, i.reason, i.connects) for i in first.items] == [
        (i.event_at, i.verdict, i.reason, i.connects) for i in second.items
    ]
    assert (first.expected, first.received, first.missing) == (
        second.expected,
        second.received,
        second.missing,
    )
    assert len(first.errors) == len(second.errors)


@BUDGET
@given(canonical_timelines())
def test_every_canonical_line_is_an_event_and_the_cap_holds(case: tuple[list[str], datetime]) -> None:
    lines, now = case
    timeline = parse_timeline("\n".join(lines), now)
    assert timeline.errors == () and len(timeline.events) == len(lines)
    diagnosis = check_whole_pipeline("\n".join(lines), now)
    earned = sorted((i.event_at, i.connects) for i in diagnosis.items if i.verdict != "not_due")
    for moment, _ in earned:
        in_window = sum(c for at, c in earned if timedelta(0) <= moment - at < timedelta(hours=168))
        assert in_window <= 50


def test_a_huge_timeline_is_judged_quickly_and_rendered() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    lines = []
    for n in range(3000):
        moment = start + timedelta(hours=7 * n)
        lines += [
            f"{moment:%Y-%m-%d %H:%M} proposal Job {n}",
            f"{moment:%Y-%m-%d %H:%M} interview Job {n}",
            f"{moment:%Y-%m-%d %H:%M} respond Job {n}",
        ]
    diagnosis = check_whole_pipeline("\n".join(lines), datetime(2030, 1, 1, tzinfo=UTC))
    assert len(diagnosis.items) == 3000
    assert {i.reason for i in diagnosis.items} == {"eligible", "weekly_cap"}
