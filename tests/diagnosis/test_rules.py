"""R1–R7, pending and grace, reason precedence, and the contract's fine points."""

from __future__ import annotations

from datetime import UTC, datetime

from connectsbot.diagnosis import advise, render_text
from connectsbot.knowledge import Policy
from tests.diagnosis.support import judge, policy_from, policy_with, shipped_policy_data, timeline, verdicts

CHECK_LATER = "2026-12-31 check"


def one(text: str) -> tuple[str, str, str, int]:
    (only,) = verdicts(judge(text))
    return only


def responded_interview(job: str, day: str, proposal_day: str = "2026-10-01") -> list[str]:
    return [f"{proposal_day} proposal {job}", f"{day} interview {job}", f"{day} respond {job}"]


# One rule at a time


def test_r1_invite_without_proposal() -> None:
    text = timeline("2026-11-04 invite Landing", "2026-11-04 respond Landing", CHECK_LATER)
    assert one(text) == ("Landing", "not_due", "no_proposal", 0)


def test_r1_proposal_after_the_interview_request() -> None:
    text = timeline(
        "2026-11-03 09:00 interview A", "2026-11-03 09:15 respond A", "2026-11-03 10:00 proposal A"
    )
    assert one(text + CHECK_LATER)[2] == "no_proposal"


def test_r1_first_of_proposal_and_invite_must_be_the_proposal() -> None:
    invited_first = timeline(
        "2026-11-01 invite A", "2026-11-02 proposal A", "2026-11-03 interview A", "2026-11-03 respond A"
    )
    proposed_first = timeline(
        "2026-11-01 proposal A", "2026-11-02 invite A", "2026-11-03 interview A", "2026-11-03 respond A"
    )
    assert one(invited_first + CHECK_LATER)[2] == "no_proposal"
    assert one(proposed_first + CHECK_LATER)[1:3] == ("due", "eligible")


def test_r1_no_proposal_at_all_is_explained() -> None:
    item = judge(timeline("2026-11-03 interview A", "2026-11-03 respond A", CHECK_LATER)).items[0]
    assert item.reason == "no_proposal"
    assert "no proposal of yours" in item.explanation and "3 Nov" in item.explanation


def test_r2_interview_without_response() -> None:
    text = timeline("2026-11-02 proposal A", "2026-11-03 10:00 interview A", CHECK_LATER)
    diagnosis = judge(text)
    assert verdicts(diagnosis) == [("A", "not_due", "not_responded", 0)]
    assert diagnosis.items[0].event_at == datetime(2026, 11, 3, 10, tzinfo=UTC)  # the request's moment


def test_r3_offer_without_any_interview_request() -> None:
    text = timeline("2026-11-02 proposal A", "2026-11-05 offer A", "2026-11-07 offer a", CHECK_LATER)
    diagnosis = judge(text)
    assert verdicts(diagnosis) == [("A", "not_due", "no_interview", 0)]
    assert diagnosis.items[0].event_at == datetime(2026, 11, 5, tzinfo=UTC)  # the first offer


def test_r3_offer_after_an_interview_adds_no_item() -> None:
    text = timeline(*responded_interview("A", "2026-11-03"), "2026-11-05 offer A", CHECK_LATER)
    assert verdicts(judge(text)) == [("A", "due", "eligible", 10)]


def test_r3_an_invite_anywhere_counts_as_an_interview_request() -> None:
    text = timeline("2026-11-05 offer A", "2026-11-06 invite A", CHECK_LATER)
    assert verdicts(judge(text)) == [("A", "not_due", "no_proposal", 0)]


def test_r4_each_qualifying_interview_earns_ten() -> None:
    text = timeline(
        *responded_interview("A", "2026-11-03"), *responded_interview("B", "2026-11-04"), CHECK_LATER
    )
    diagnosis = judge(text)
    assert [item.connects for item in diagnosis.items] == [10, 10]
    assert (diagnosis.expected, diagnosis.received, diagnosis.missing) == (20, 0, 20)


def test_r5_sixth_interview_in_seven_days_is_over_the_cap() -> None:
    lines = [line for n in range(6) for line in responded_interview(f"J{n}", f"2026-11-0{n + 1} 10:00")]
    diagnosis = judge(timeline(*lines, CHECK_LATER))
    assert [item.reason for item in diagnosis.items] == ["eligible"] * 5 + ["weekly_cap"]
    explanation = diagnosis.items[-1].explanation
    assert "5 interviews" in explanation and "50 Connects" in explanation and "7 days" in explanation
    assert "1 Nov 10:00 UTC" in explanation and "5 Nov 10:00 UTC" in explanation


def test_r5_an_award_exactly_168_hours_earlier_no_longer_counts() -> None:
    first = responded_interview("J0", "2026-11-01 10:00")
    others = [line for n in range(1, 5) for line in responded_interview(f"J{n}", f"2026-11-0{n + 1} 10:00")]
    exactly_a_week = responded_interview("J5", "2026-11-08 10:00")
    a_minute_short = responded_interview("J5", "2026-11-08 09:59")
    assert one_reason_of_last(timeline(*first, *others, *exactly_a_week, CHECK_LATER)) == "eligible"
    assert one_reason_of_last(timeline(*first, *others, *a_minute_short, CHECK_LATER)) == "weekly_cap"


def one_reason_of_last(text: str) -> str:
    return judge(text).items[-1].reason


def test_r5_refused_interviews_do_not_count_toward_later_windows() -> None:
    # Five paid on 1-5 Nov, the sixth refused on 6 Nov; on 8 Nov 10:30 the window (1 Nov 10:30, 8 Nov 10:30]
    # holds four awards (2-5 Nov): room for one more, because the refused sixth counts for nothing.
    lines = [line for n in range(6) for line in responded_interview(f"J{n}", f"2026-11-0{n + 1} 10:00")]
    lines += responded_interview("J6", "2026-11-08 10:30")
    assert [item.reason for item in judge(timeline(*lines, CHECK_LATER)).items][-2:] == [
        "weekly_cap",
        "eligible",
    ]


def test_r5_interviews_are_taken_in_response_order_not_request_order() -> None:
    lines = [line for n in range(4) for line in responded_interview(f"J{n}", f"2026-11-0{n + 1} 10:00")]
    lines += [
        "2026-10-01 proposal Early request",
        "2026-11-01 09:00 interview Early request",
        "2026-11-06 12:00 respond Early request",
        "2026-10-01 proposal Late request",
        "2026-11-05 09:00 interview Late request",
        "2026-11-05 10:00 respond Late request",
    ]
    assert dict((job, reason) for job, _, reason, _ in verdicts(judge(timeline(*lines, CHECK_LATER)))) == {
        "J0": "eligible",
        "J1": "eligible",
        "J2": "eligible",
        "J3": "eligible",
        "Late request": "eligible",
        "Early request": "weekly_cap",
    }


def test_r6_second_interview_on_the_same_job() -> None:
    text = timeline(
        *responded_interview("Calendly", "2026-11-03"),
        "2026-11-05 interview calendly",
        "2026-11-05 respond CALENDLY",
        CHECK_LATER,
    )
    diagnosis = judge(text)
    assert verdicts(diagnosis) == [
        ("Calendly", "due", "eligible", 10),
        ("Calendly", "not_due", "already_awarded", 0),
    ]
    assert "3 Nov" in diagnosis.items[1].explanation


def test_r6_a_refused_first_interview_does_not_close_the_job() -> None:
    lines = [line for n in range(5) for line in responded_interview(f"J{n}", f"2026-11-0{n + 1} 10:00")]
    lines += responded_interview("Again", "2026-11-06 10:00")  # refused for the cap
    lines += ["2026-11-20 interview Again", "2026-11-20 respond Again"]  # a fresh window
    assert [reason for _, _, reason, _ in verdicts(judge(timeline(*lines, CHECK_LATER)))][-2:] == [
        "weekly_cap",
        "eligible",
    ]


def test_r7_before_the_program_and_its_start_is_inclusive() -> None:
    before = timeline(*responded_interview("A", "2020-11-30 23:59", "2020-11-01"), CHECK_LATER)
    at_start = timeline(*responded_interview("A", "2020-12-01 00:00", "2020-11-01"), CHECK_LATER)
    assert one(before) == ("A", "not_due", "before_program", 0)
    assert one(at_start) == ("A", "due", "eligible", 10)
    assert "1 Dec 2020" in judge(before).items[0].explanation


def test_r7_the_response_not_the_request_counts() -> None:
    text = timeline(
        "2020-11-01 proposal A", "2020-11-30 interview A", "2020-12-01 09:00 respond A", CHECK_LATER
    )
    assert one(text)[2] == "eligible"


# Pending and the 48-hour grace


def test_pending_until_48_hours_and_due_at_exactly_48() -> None:
    base = responded_interview("A", "2026-11-03 09:40")
    assert one(timeline(*base, "2026-11-05 09:39 check"))[1] == "pending"
    assert one(timeline(*base, "2026-11-05 09:40 check"))[1] == "due"


def test_pending_item_says_when_it_becomes_due_and_that_48_hours_is_a_default() -> None:
    diagnosis = judge(timeline(*responded_interview("A", "2026-11-03 09:40"), "2026-11-04 check"))
    item = diagnosis.items[0]
    assert (item.verdict, item.connects, item.due_from) == (
        "pending",
        10,
        datetime(2026, 11, 5, 9, 40, tzinfo=UTC),
    )
    assert "5 Nov 09:40 UTC" in item.explanation and "not an official figure" in item.explanation
    assert (diagnosis.expected, diagnosis.missing) == (10, 0)


def test_response_after_the_check_is_pending() -> None:
    text = timeline("2026-11-02 check", *responded_interview("A", "2026-11-03"))
    assert one(text)[1] == "pending"


def test_without_check_line_now_is_the_check() -> None:
    text = timeline(*responded_interview("A", "2026-11-03 09:40"))
    assert verdicts(judge(text, now=datetime(2026, 11, 4, tzinfo=UTC)))[0][1] == "pending"
    assert verdicts(judge(text, now=datetime(2026, 11, 6, tzinfo=UTC)))[0][1] == "due"
    assert judge(text, now=datetime(2026, 11, 6)).checked_from == "now"  # a naive now is UTC


def test_pending_counts_toward_the_window_and_closes_the_job() -> None:
    lines = [line for n in range(4) for line in responded_interview(f"J{n}", f"2026-11-0{n + 1} 10:00")]
    lines += responded_interview("Fifth", "2026-11-05 10:00")
    lines += responded_interview("Sixth", "2026-11-06 10:00")
    lines += ["2026-11-06 11:00 interview Fifth", "2026-11-06 11:00 respond Fifth"]
    diagnosis = judge(timeline(*lines, "2026-11-06 12:00 check"))
    assert verdicts(diagnosis)[-3:] == [
        ("Fifth", "pending", "eligible", 10),
        ("Sixth", "not_due", "weekly_cap", 0),
        ("Fifth", "not_due", "already_awarded", 0),
    ]


def test_grace_is_judged_across_time_zones() -> None:
    text = timeline(
        "2025-01-27 proposal A",
        "2025-01-28T09:00+05:30 interview A",
        "2025-01-28T09:30+05:30 respond A",  # 04:00 UTC
        "2025-01-30T04:00+00:00 check",  # exactly 48 h later
    )
    item = judge(text).items[0]
    assert item.verdict == "due"
    assert item.event_at.isoformat() == "2025-01-28T09:30:00+05:30"


# Which reason wins


def test_precedence_no_proposal_before_not_responded() -> None:
    assert one(timeline("2026-11-03 interview A", CHECK_LATER))[2] == "no_proposal"


def test_precedence_not_responded_before_before_program() -> None:
    assert one(timeline("2020-10-01 proposal A", "2020-10-02 interview A", CHECK_LATER))[2] == "not_responded"


def test_precedence_no_proposal_before_before_program() -> None:
    assert one(timeline("2020-10-02 invite A", "2020-10-02 respond A", CHECK_LATER))[2] == "no_proposal"


def test_precedence_before_program_before_already_awarded() -> None:
    # Only a dated policy change can put a start after an award: from 4 Nov the start is 10 Nov.
    policy = policy_with("program_start", "2026-11-04T00:00:00Z", "2026-11-10T00:00:00Z")
    text = timeline(*responded_interview("A", "2026-11-03"), "2026-11-05 interview A", "2026-11-05 respond A")
    diagnosis = judge(text + CHECK_LATER, policy=policy)
    assert [item.reason for item in diagnosis.items] == ["eligible", "before_program"]


def test_precedence_already_awarded_before_weekly_cap() -> None:
    lines = [line for n in range(5) for line in responded_interview(f"J{n}", f"2026-11-0{n + 1} 10:00")]
    lines += ["2026-11-06 interview J0", "2026-11-06 respond J0"]
    assert verdicts(judge(timeline(*lines, CHECK_LATER)))[-1][2] == "already_awarded"


# Invites, responses, line order


def test_interview_line_after_an_invite_is_the_one_item() -> None:
    text = timeline(
        "2026-11-01 proposal A", "2026-11-02 invite A", "2026-11-03 interview A", "2026-11-03 respond A"
    )
    assert verdicts(judge(text + CHECK_LATER)) == [("A", "due", "eligible", 10)]


def test_invite_alone_is_the_request_and_a_respond_may_answer_it() -> None:
    text = timeline("2026-11-01 proposal A", "2026-11-02 invite A", "2026-11-02 10:00 respond A")
    diagnosis = judge(text + CHECK_LATER)
    assert verdicts(diagnosis) == [("A", "due", "eligible", 10)]
    assert diagnosis.errors == []


def test_respond_answers_the_latest_unanswered_request() -> None:
    text = timeline(
        "2026-11-01 proposal A",
        "2026-11-02 interview A",
        "2026-11-03 interview A",
        "2026-11-04 respond A",  # answers the 3 Nov request
        "2026-11-05 respond A",  # answers the 2 Nov request
    )
    diagnosis = judge(text + CHECK_LATER)
    assert [(item.requested_at, item.responded_at) for item in diagnosis.items] == [
        (datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC)),
        (datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC)),
    ]
    assert [item.reason for item in diagnosis.items] == ["eligible", "already_awarded"]


def test_respond_without_request_is_an_error_line() -> None:
    text = timeline(
        "2026-11-01 proposal A", "2026-11-02 respond A", "2026-11-02 interview A", "2026-11-03 respond B"
    )
    diagnosis = judge(text + CHECK_LATER)
    assert [(error.line, error.text) for error in diagnosis.errors] == [
        (2, "2026-11-02 respond A"),
        (4, "2026-11-03 respond B"),
    ]
    assert "no unanswered interview request" in diagnosis.errors[0].message
    assert verdicts(diagnosis) == [("A", "not_due", "not_responded", 0)]


def test_second_respond_to_one_request_is_an_error_line() -> None:
    text = timeline(*responded_interview("A", "2026-11-03"), "2026-11-04 respond A", CHECK_LATER)
    assert [error.line for error in judge(text).errors] == [4]


def test_same_minute_keeps_line_order() -> None:
    proposal_above = timeline(
        "2026-11-03 10:00 proposal A", "2026-11-03 10:00 interview A", "2026-11-03 10:00 respond A"
    )
    proposal_below = timeline(
        "2026-11-03 10:00 interview A", "2026-11-03 10:00 proposal A", "2026-11-03 10:00 respond A"
    )
    respond_above = timeline(
        "2026-11-03 10:00 proposal A", "2026-11-03 10:00 respond A", "2026-11-03 10:00 interview A"
    )
    assert one(proposal_above + CHECK_LATER)[2] == "eligible"
    assert one(proposal_below + CHECK_LATER)[2] == "no_proposal"
    diagnosis = judge(respond_above + CHECK_LATER)
    assert verdicts(diagnosis) == [("A", "not_due", "not_responded", 0)]
    assert [error.line for error in diagnosis.errors] == [2]


def test_lines_need_not_be_in_time_order() -> None:
    text = timeline("2026-11-03 respond A", CHECK_LATER, "2026-11-03 interview A", "2026-11-01 proposal A")
    assert [error.line for error in judge(text).errors] == [1]  # the respond's line is above its request
    text = timeline(
        "2026-11-03 10:00 respond A", CHECK_LATER, "2026-11-03 09:00 interview A", "2026-11-01 proposal A"
    )
    assert verdicts(judge(text)) == [("A", "due", "eligible", 10)]


def test_items_are_ordered_by_event_at_and_named_as_first_written() -> None:
    text = timeline(
        "2026-11-01 proposal logo  DESIGN",
        "2026-11-02 proposal Data entry",
        "2026-11-05 interview Data Entry",
        "2026-11-03 interview 'Logo design'",
        "2026-11-03 respond Logo design",
        CHECK_LATER,
    )
    assert [(item.job, item.reason) for item in judge(text).items] == [
        ("logo  DESIGN", "eligible"),
        ("Data entry", "not_responded"),
    ]


# Totals and bonuses


def test_received_is_the_plain_sum_and_missing_never_negative() -> None:
    base = [*responded_interview("A", "2026-11-03"), *responded_interview("B", "2026-11-04")]
    partly = judge(timeline(*base, "2026-11-05 bonus 10 B", CHECK_LATER))
    assert (partly.expected, partly.received, partly.missing) == (20, 10, 10)
    overpaid = judge(timeline(*base, "2026-11-05 bonus 30", CHECK_LATER))
    assert (overpaid.expected, overpaid.received, overpaid.missing) == (20, 30, 0)


def test_missing_counts_due_only_not_pending() -> None:
    text = timeline(
        *responded_interview("A", "2026-11-01"), *responded_interview("B", "2026-11-05"), "2026-11-06 check"
    )
    diagnosis = judge(text)
    assert [item.verdict for item in diagnosis.items] == ["due", "pending"]
    assert (diagnosis.expected, diagnosis.missing) == (20, 10)


def test_empty_timeline() -> None:
    diagnosis = judge("")
    assert (diagnosis.items, diagnosis.expected, diagnosis.received, diagnosis.missing) == ([], 0, 0, 0)


def test_diagnosis_names_the_policy_it_applied() -> None:
    diagnosis = judge(timeline(*responded_interview("A", "2026-11-03"), CHECK_LATER))
    assert diagnosis.policy_sources == ["upwork-connects-announcement", "connectsbot-defaults"]
    assert diagnosis.grace_hours == 48
    assert "policy" not in str(diagnosis.contract_json())


# A policy that changes on a date


def test_connects_change_applies_only_to_responses_from_its_date() -> None:
    policy = policy_with("connects_per_interview", "2026-11-04T00:00:00Z", 15)
    text = timeline(
        *responded_interview("Before", "2026-11-03 23:59"),
        *responded_interview("At", "2026-11-04 00:00"),
        *responded_interview("After", "2026-11-10"),
        CHECK_LATER,
    )
    diagnosis = judge(text, policy=policy)
    assert [item.connects for item in diagnosis.items] == [10, 15, 15]
    assert diagnosis.expected == 40
    assert "15 Connects" in diagnosis.items[1].explanation
    assert [item.connects for item in judge(text).items] == [10, 10, 10]  # the shipped policy


def test_cap_change_changes_the_verdict_only_after_its_date() -> None:
    policy = policy_with("weekly_cap", "2026-11-15T00:00:00Z", 30)

    def four_in_a_week(first_day: int) -> list[str]:
        return [
            line
            for n in range(4)
            for line in responded_interview(f"J{first_day + n}", f"2026-11-{first_day + n:02d} 10:00")
        ]

    before = judge(timeline(*four_in_a_week(1), CHECK_LATER), policy=policy)
    after = judge(timeline(*four_in_a_week(16), CHECK_LATER), policy=policy)
    assert [item.reason for item in before.items] == ["eligible"] * 4
    assert [item.reason for item in after.items] == ["eligible"] * 3 + ["weekly_cap"]
    assert "maximum of 30" in after.items[-1].explanation


def test_grace_change_applies_by_the_response_moment() -> None:
    policy = policy_with("grace_hours", "2026-11-04T00:00:00Z", 24)
    before = timeline(*responded_interview("A", "2026-11-03 00:00"), "2026-11-04 12:00 check")
    after = timeline(*responded_interview("A", "2026-11-04 00:00"), "2026-11-05 12:00 check")
    assert one_verdict(before, policy) == "pending"  # 36 h, 48 h grace in force at the response
    assert one_verdict(after, policy) == "due"  # 36 h, 24 h grace in force


def one_verdict(text: str, policy: Policy) -> str:
    return judge(text, policy=policy).items[0].verdict


def test_far_future_response_does_not_overflow() -> None:
    text = timeline(*responded_interview("A", "9999-12-31T23:00"), "2026-11-06 check")
    item = judge(text).items[0]
    assert (item.verdict, item.due_from) == ("pending", None)
    assert "later" in item.explanation


# Before the policy's first dated values


def test_a_response_before_a_parameters_first_value_is_before_program() -> None:
    data = shipped_policy_data()
    data["weekly_cap"]["values"][0]["effective_from"] = "2021-03-01T00:00:00Z"  # starts after the program
    policy = policy_from(data)
    early = judge(
        timeline(*responded_interview("A", "2021-01-10 10:00", "2021-01-01"), CHECK_LATER), policy=policy
    )
    later = judge(
        timeline(*responded_interview("A", "2021-03-01 00:00", "2021-01-01"), CHECK_LATER), policy=policy
    )
    assert verdicts(early) == [("A", "not_due", "before_program", 0)]
    assert "rules took effect on 1 Mar 2021" in early.items[0].explanation
    assert verdicts(later) == [("A", "due", "eligible", 10)]


def test_a_check_before_the_policy_is_judged_and_rendered_without_a_grace() -> None:
    text = timeline(
        "2019-05-01 proposal A",
        "2019-05-02 interview A",
        "2019-05-02 respond A",
        "2019-05-03 proposal B",
        "2026-11-02 interview B",  # answered after the check: pending under the policy of its response
        "2026-11-02 respond B",
        "2019-06-01 check",
    )
    diagnosis = judge(text)
    assert verdicts(diagnosis) == [("A", "not_due", "before_program", 0), ("B", "pending", "eligible", 10)]
    assert diagnosis.grace_hours is None
    advice = advise(diagnosis)
    shown = render_text(diagnosis, advice, {})
    assert "The wait before Connects count as missing is the project's default" in shown
    assert any(
        step.action == "wait"
        and step.text.endswith("The wait is the project's default, not an official figure.")
        for step in advice.steps
    )
