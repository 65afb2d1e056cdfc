"""The timeline parser: the canonical format, what members really write, an error for each unreadable line."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from connectsbot.diagnosis import TimelineEvent, parse_timeline
from connectsbot.diagnosis.timeline import looks_like_timeline_text
from tests.diagnosis.support import NOW


def only_event(line: str, now: datetime = NOW) -> TimelineEvent:
    parsed = parse_timeline(line, now)
    assert parsed.errors == (), parsed.errors
    assert len(parsed.events) == 1
    return parsed.events[0]


def only_error(line: str, now: datetime = NOW) -> str:
    parsed = parse_timeline(line, now)
    assert parsed.events == ()
    assert len(parsed.errors) == 1
    error = parsed.errors[0]
    assert (error.line, error.text) == (1, line.strip())
    return error.message


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, zone: timezone = UTC
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=zone)


# The canonical format


def test_canonical_lines() -> None:
    parsed = parse_timeline(
        "2026-11-02 proposal Logo design\n"
        "2026-11-03 09:10 interview Logo design\n"
        "2026-11-03T09:40 respond Logo design\n"
        "2026-11-06 check\n",
        NOW,
    )
    assert parsed.errors == ()
    assert [(e.line, e.kind, e.at, e.job) for e in parsed.events] == [
        (1, "proposal", at(2026, 11, 2), "Logo design"),
        (2, "interview", at(2026, 11, 3, 9, 10), "Logo design"),
        (3, "respond", at(2026, 11, 3, 9, 40), "Logo design"),
        (4, "check", at(2026, 11, 6), ""),
    ]
    assert parsed.check_at == at(2026, 11, 6)
    assert not parsed.events[0].has_time and parsed.events[1].has_time


@pytest.mark.parametrize(
    ("written", "moment"),
    [
        ("2026-11-03T14:05+02:00", at(2026, 11, 3, 14, 5, zone=timezone(timedelta(hours=2)))),
        ("2026-11-03 14:05+0200", at(2026, 11, 3, 14, 5, zone=timezone(timedelta(hours=2)))),
        (
            "2026-11-03T14:05:30-05:30",
            at(2026, 11, 3, 14, 5, 30, zone=timezone(-timedelta(hours=5, minutes=30))),
        ),
        ("2026-11-03 14:05Z", at(2026, 11, 3, 14, 5)),
        ("2026-11-03 14:05 UTC", at(2026, 11, 3, 14, 5)),
        ("2026-11-03 9:40am", at(2026, 11, 3, 9, 40)),
        ("2026-11-03 9:40 PM", at(2026, 11, 3, 21, 40)),
        ("2026-11-03 12am", at(2026, 11, 3, 0, 0)),
        ("2026-11-03 12 p.m.", at(2026, 11, 3, 12, 0)),
        ("3 Nov 2026", at(2026, 11, 3)),
        ("3rd of November 2026 at 9am", at(2026, 11, 3, 9)),
        ("November 3, 2026", at(2026, 11, 3)),
        ("Nov. 3 2026, 17:15", at(2026, 11, 3, 17, 15)),
        ("25/11/2026", at(2026, 11, 25)),
        ("11/25/2026", at(2026, 11, 25)),
        ("25.11.2026", at(2026, 11, 25)),
        ("11/11/2026", at(2026, 11, 11)),
    ],
)
def test_dates_and_times_members_write(written: str, moment: datetime) -> None:
    event = only_event(f"{written} proposal Logo design")
    assert event.at == moment
    assert event.at.utcoffset() == moment.utcoffset()


@pytest.mark.parametrize(
    ("written", "kind", "job", "amount"),
    [
        ("applied to Logo design", "proposal", "Logo design", 0),
        ("I applied for Logo design", "proposal", "Logo design", 0),
        ("sent proposal for Logo design", "proposal", "Logo design", 0),
        ("submitted proposal Logo design", "proposal", "Logo design", 0),
        ("submitted a proposal to Logo design", "proposal", "Logo design", 0),
        ("invited to Logo design", "invite", "Logo design", 0),
        ("the client invited me to interview for Logo design", "invite", "Logo design", 0),
        ("got an invitation to interview for Logo design", "invite", "Logo design", 0),
        ("client messaged me about Logo design", "interview", "Logo design", 0),
        ("the client replied to my proposal for Logo design", "interview", "Logo design", 0),
        ("interview request Logo design", "interview", "Logo design", 0),
        ("got an interview request for Logo design", "interview", "Logo design", 0),
        ("replied Logo design", "respond", "Logo design", 0),
        ("replied to Logo design", "respond", "Logo design", 0),
        ("I responded to the client about Logo design", "respond", "Logo design", 0),
        ("hired Logo design", "offer", "Logo design", 0),
        ("got hired for Logo design", "offer", "Logo design", 0),
        ("received an offer for Logo design", "offer", "Logo design", 0),
        ("got 10 connects", "bonus", "", 10),
        ("received 20 connects for Logo design", "bonus", "Logo design", 20),
        ("+10 connects", "bonus", "", 10),
        ("checked", "check", "", 0),
        ("checked my balance", "check", "", 0),
    ],
)
def test_wordings_members_use(written: str, kind: str, job: str, amount: int) -> None:
    event = only_event(f"2026-11-03 {written}")
    assert (event.kind, event.job, event.amount) == (kind, job, amount)


def test_canonical_keyword_keeps_the_rest_of_the_line_as_the_job() -> None:
    # Only the longer wordings drop a preposition; after a keyword the rest is the name, verbatim.
    assert only_event("2026-11-03 proposal For Sale website").job == "For Sale website"
    assert only_event("2026-11-03 interview request for To-do app").job == "To-do app"


def test_kind_words_are_case_insensitive_and_punctuation_after_the_date_is_allowed() -> None:
    assert only_event("2026-11-03 INTERVIEW Logo").kind == "interview"
    assert only_event("2026-11-03: Proposal Logo").kind == "proposal"
    assert only_event("Nov 3 2026 - replied to Logo").kind == "respond"


@pytest.mark.parametrize(
    ("written", "job"),
    [
        ('"Logo design"', "Logo design"),
        ("'Logo design'", "Logo design"),
        ("“Logo design”", "Logo design"),
        ("‘Logo design’", "Logo design"),
        ('"Logo design', '"Logo design'),  # no matching pair: kept as written
        ("C# developer", "C# developer"),
        ("Logo design   # for the bakery", "Logo design"),
    ],
)
def test_job_names_quotes_and_comments(written: str, job: str) -> None:
    assert only_event(f"2026-11-03 proposal {written}").job == job


def test_job_key_ignores_case_and_spacing() -> None:
    first, second = parse_timeline(
        "2026-11-03 proposal Logo  Design\n2026-11-04 offer  logo design ", NOW
    ).events
    assert first.job_key == second.job_key == "logo design"


@pytest.mark.parametrize(
    ("written", "amount", "job"),
    [
        ("bonus", 10, ""),
        ("bonus 20", 20, ""),
        ("bonus Logo design", 10, "Logo design"),
        ("bonus 10 Logo design", 10, "Logo design"),
        ("bonus 20 connects", 20, ""),
        ("bonus 3D renders", 10, "3D renders"),
        ("bonus 0", 0, ""),
    ],
)
def test_bonus_amounts(written: str, amount: int, job: str) -> None:
    event = only_event(f"2026-11-03 {written}")
    assert (event.kind, event.amount, event.job) == ("bonus", amount, job)


def test_comments_blank_lines_crlf_and_invisible_marks() -> None:
    text = (
        "# my timeline\r\n\r\n   \r\n"
        "\u200f2026-11-03 proposal A\r\n"
        "2026-11-04 interview A # later\r\n"
        "  # indented\n"
    )
    parsed = parse_timeline(text, NOW)
    assert parsed.errors == ()
    assert [(e.line, e.kind, e.job) for e in parsed.events] == [(4, "proposal", "A"), (5, "interview", "A")]


def test_latest_check_line_is_the_check_moment() -> None:
    parsed = parse_timeline("2026-11-06 check\n2026-11-08 check\n2026-11-07 check\n", NOW)
    assert parsed.check_at == at(2026, 11, 8)
    assert parse_timeline("2026-11-06 proposal A\n", NOW).check_at is None


# Dates without a year


def test_year_is_the_latest_such_date_not_after_the_check() -> None:
    parsed = parse_timeline("Nov 3 proposal A\nDec 30 interview A\nNov 6 check\n", at(2027, 3, 1))
    # The check itself is read against now (1 Mar 2027): 6 Nov 2026; the others against the check.
    assert parsed.check_at == at(2026, 11, 6)
    assert [e.at for e in parsed.events[:2]] == [at(2026, 11, 3), at(2025, 12, 30)]
    assert [(guess.line, guess.written, guess.read_as) for guess in parsed.assumed_years] == [
        (1, "Nov 3", date(2026, 11, 3)),
        (2, "Dec 30", date(2025, 12, 30)),
        (3, "Nov 6", date(2026, 11, 6)),
    ]


def test_year_without_check_line_is_taken_from_now_and_the_day_itself_counts() -> None:
    now = at(2026, 11, 3, 8, 0)
    assert only_event("Nov 3 14:00 proposal A", now).at == at(2026, 11, 3, 14)
    assert only_event("Nov 4 proposal A", now).at == at(2025, 11, 4)


def test_29_february_without_a_year_is_the_latest_leap_year() -> None:
    assert only_event("Feb 29 proposal A", at(2026, 11, 21)).at == at(2024, 2, 29)


# Every kind of unreadable line


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("proposal Logo design", "no date found"),
        ("applied to Logo design on Monday", "a weekday alone is not a date"),
        ("Nov 3 applied to Logo design Nov 4", "two dates on one line"),
        ("yesterday Nov 3 applied to Logo design", "two dates on one line"),
        ("same day replied", "counts from the line before"),
        ("2025-09-31 respond A", "September 2025 has 30 days"),
        ("2026-02-29 respond A", "February 2026 has 28 days"),
        ("2026-13-01 respond A", "no month 13"),
        ("0000-01-01 respond A", "no year 0"),
        ("Nov 31 respond A", "November has at most 30 days"),
        ("11/03/2026 respond A", "could be 11 Mar or 3 Nov"),
        ("13/14/2026 respond A", "it needs a day (1–31) and a month (1–12)"),
        ("0/5/2026 respond A", "it needs a day (1–31) and a month (1–12)"),
        ("31/11/2026 respond A", "November 2026 has 30 days"),
        ("25/11/26 respond A", "write the year in full"),
        ("2026-11-03 25:10 respond A", "25:10 is not a time of day"),
        ("2026-11-03 10:61 respond A", "10:61 is not a time of day"),
        ("2026-11-03 13pm respond A", "with am/pm the hour runs 1–12"),
        ("2026-11-03 10:00+25:00 respond A", "not a time-zone offset"),
        ("2026-11-03 10:0 respond A", "cannot read the time"),
        ("2026-11-03Trespond A", "expected a space after the date"),
        ("2026-11-03 archived A", "what happened is not clear"),
        ("2026-11-03", "what happened is not clear"),
        ("Nov 3 still nothing", "what happened is not clear"),
        ("Nov 3 applied to Logo and the client messaged me", "two events on one line"),
        ("Nov 3 I applied and got no connects why?", "is not a job's name"),
        ("Nov 4 client messaged me and I replied", "two events on one line (interview and respond)"),
        ("2026-11-03 check now", "nothing may follow “check”"),
        ("2026-11-03 check Logo design", "nothing may follow “check”"),
        ("2026-11-03 bonus -10", "whole number"),
        ("2026-11-03 bonus 10.5", "whole number"),
        ("2026-11-03 bonus 9999999", "whole number"),
        ("2026-11-03 got -10 connects", "whole number"),
    ],
)
def test_unreadable_line_says_what_was_expected(line: str, says: str) -> None:
    assert says in only_error(line)


def test_errors_do_not_stop_the_rest_of_the_timeline() -> None:
    parsed = parse_timeline(
        "2026-11-02 proposal A\nnonsense\n2026-11-03 interview A\n2026-11-03 bonus x10.5\n", NOW
    )
    assert [e.line for e in parsed.events] == [1, 3, 4]
    assert [e.line for e in parsed.errors] == [2]
    assert parsed.events[2].job == "x10.5"  # not an amount: the bonus's job name


def test_error_text_is_the_line_as_written() -> None:
    parsed = parse_timeline("  2026-11-03 archived A  # note  \n", NOW)
    assert parsed.errors[0].text == "2026-11-03 archived A  # note"


def test_naive_now_is_taken_as_utc() -> None:
    naive = datetime(2026, 11, 21, 12, 0)
    assert only_event("Nov 21 proposal A", naive).at == at(2026, 11, 21)


# Timelines as members write them: where the date and time stand, what is left out


@pytest.mark.parametrize(
    ("line", "moment", "kind", "job"),
    [
        ("Nov 3 applied to logo job", at(2026, 11, 3), "proposal", "logo"),
        ("applied to the “Logo design” job on Nov 3", at(2026, 11, 3), "proposal", "Logo design"),
        ("applied to Logo design, Nov 3", at(2026, 11, 3), "proposal", "Logo design"),
        ("applied to Logo design - 3rd of November", at(2026, 11, 3), "proposal", "Logo design"),
        ("Monday Nov 2: sent a proposal for Logo design", at(2026, 11, 2), "proposal", "Logo design"),
        ("Nov 3 (Tue) bid on Logo design", at(2026, 11, 3), "proposal", "Logo design"),
        ("Nov 3rd - 10:15 am - applied to Logo design", at(2026, 11, 3, 10, 15), "proposal", "Logo design"),
        ("replied 9:40am Nov 4 about Logo design", at(2026, 11, 4, 9, 40), "respond", "Logo design"),
        ("I answered at 11am on 5 Nov about Logo design", at(2026, 11, 5, 11), "respond", "Logo design"),
        ("client messaged me on Upwork about Logo Nov 4", at(2026, 11, 4), "interview", "Logo"),
        ("Nov 4 4:05pm GMT client messaged me about Logo", at(2026, 11, 4, 16, 5), "interview", "Logo"),
        ("Nov 4 9:40UTC client wants to interview me for Logo", at(2026, 11, 4, 9, 40), "interview", "Logo"),
        ("- Nov 5 got hired for Logo design 🎉", at(2026, 11, 5), "offer", "Logo design"),
        ("2) Nov 5 the client sent an offer for Logo (finally!)", at(2026, 11, 5), "offer", "Logo"),
        ("• Nov 6 got my 10 connects", at(2026, 11, 6), "bonus", ""),
        ("Nov 7 - 10 connects arrived", at(2026, 11, 7), "bonus", ""),
        ("applied to Website 2 Nov 3", at(2026, 11, 3), "proposal", "Website 2"),
        ("Nov 5 offer from the client for Logo", at(2026, 11, 5), "offer", "Logo"),
        ("Nov 4 message from client about Logo", at(2026, 11, 4), "interview", "Logo"),
        ("9:40am, Nov 4: replied about Website 2", at(2026, 11, 4, 9, 40), "respond", "Website 2"),
    ],
)  # fmt: skip
def test_member_lines(line: str, moment: datetime, kind: str, job: str) -> None:
    event = only_event(line)
    assert (event.at, event.kind, event.job) == (moment, kind, job)


def test_relative_days_count_from_the_previous_understood_line() -> None:
    parsed = parse_timeline(
        "Nov 3 14:00 applied to A\nnonsense\nreplied later that day\nthe next day hired\n"
        "2 days later at 9am got connects\ntoday checked\nyesterday client messaged me about A\n",
        at(2026, 11, 20, 12),
    )
    assert [(e.line, e.kind, e.at) for e in parsed.events] == [
        (1, "proposal", at(2026, 11, 3, 14)),
        (3, "respond", at(2026, 11, 3, 14)),  # same day without a time: the previous line's moment
        (4, "offer", at(2026, 11, 4)),
        (5, "bonus", at(2026, 11, 6, 9)),
        (6, "check", at(2026, 11, 20)),
        (7, "interview", at(2026, 11, 19)),
    ]
    assert [e.line for e in parsed.errors] == [2]


def test_yearless_dates_and_today_use_the_utc_day_of_the_check() -> None:
    now = datetime(2026, 11, 21, 1, 0, tzinfo=timezone(timedelta(hours=5)))  # 20 Nov 20:00 UTC
    assert only_event("today applied to A", now).at == at(2026, 11, 20)
    assert only_event("Nov 21 applied to A", now).at == at(2025, 11, 21)


def test_a_timeline_naming_no_job_is_your_job_and_unnamed_lines_follow_the_named_one() -> None:
    parsed = parse_timeline("Nov 3 applied\nNov 4 client messaged me\nNov 4 replied\n", NOW)
    assert {e.job for e in parsed.events} == {"your job"}
    parsed = parse_timeline("Nov 3 applied to Logo\nNov 4 client messaged me\nNov 4 replied to it\n", NOW)
    assert [(e.job, e.job_inferred) for e in parsed.events] == [
        ("Logo", False),
        ("Logo", True),
        ("Logo", True),
    ]


def test_an_ambiguous_reference_names_the_jobs() -> None:
    parsed = parse_timeline(
        "Nov 3 applied to Logo design\nNov 3 applied to Landing page\nNov 4 got hired\n"
        "Nov 4 client messaged me about Logo design\nNov 4 client invited me to Landing page\n"
        "Nov 5 replied\n",
        NOW,
    )
    assert [(e.line, e.message.split("?")[0]) for e in parsed.errors] == [
        (3, "which job: Logo design or Landing page"),
        (6, "which job: Logo design or Landing page"),
    ]
    assert "Nov 10 hired for Logo design" in parsed.errors[0].message  # the example fits the line's kind
    assert "replied about Logo design" in parsed.errors[1].message


def test_examples_in_errors_match_the_kind_the_line_seems_to_be() -> None:
    assert "“Nov 10 hired for Logo design”" in only_error("got hired on Monday")
    assert "“Nov 4 9:40am replied”" in only_error("replied at 9:40")
    assert "“Nov 8 got 10 connects”" in only_error("Nov 8 connects")
    assert "got 10 connects" in only_error("still nothing")


def test_a_check_without_a_date_is_the_moment_of_checking() -> None:
    parsed = parse_timeline("checked my balance\nNov 3 applied to A\n", NOW)
    assert parsed.check_at is None and parsed.errors == ()
    first = parsed.events[0]
    assert (first.kind, first.at, first.dated) == ("check", NOW, False)


def test_looks_like_timeline() -> None:
    from connectsbot.diagnosis.timeline import looks_like_timeline

    assert looks_like_timeline("Nov 3 applied to logo job")
    assert looks_like_timeline("- 2026-11-02 proposal Logo design")
    assert not looks_like_timeline("why did my connects not arrive on Nov 3")
    assert not looks_like_timeline("how many connects do I get")


@pytest.mark.parametrize("gap", [" " * 4000, "\t " * 2000])
def test_long_whitespace_inside_a_line_is_read_in_linear_time(gap: str) -> None:
    """A run of spaces used to cost time growing with its square (a second at 4,000); the guard
    bound is hundreds of times what the squeezed line takes."""
    text = f"Nov 3{gap}applied to logo job"
    started = time.perf_counter()
    assert looks_like_timeline_text(text)
    parsed = parse_timeline(text, datetime(2026, 11, 20, tzinfo=UTC))
    assert time.perf_counter() - started < 0.5
    assert [event.kind for event in parsed.events] == ["proposal"]
