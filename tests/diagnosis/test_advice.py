"""What to do next: wait, add a missing step, fix lines, or contact support with a ticket."""

from __future__ import annotations

from datetime import UTC, datetime

from connectsbot.diagnosis import advise
from tests.diagnosis.support import judge, timeline

CHECK_LATER = "2026-12-31 check"


def actions(text: str) -> list[str]:
    return [step.action for step in advise(judge(text)).steps]


def test_pending_means_wait_until_it_is_due() -> None:
    advice = advise(
        judge(
            timeline(
                "2026-11-02 proposal A",
                "2026-11-03 09:40 interview A",
                "2026-11-03 09:40 respond A",
                "2026-11-04 check",
            )
        )
    )
    assert [step.action for step in advice.steps] == ["wait"]
    assert advice.wait_until == datetime(2026, 11, 5, 9, 40, tzinfo=UTC)
    assert "5 Nov 09:40 UTC" in advice.steps[0].text
    assert "project's default, not an official figure" in advice.steps[0].text
    assert advice.support_ticket is None


def test_interview_without_response_suggests_adding_a_respond_line() -> None:
    advice = advise(
        judge(timeline("2026-11-02 proposal Logo", "2026-11-03 09:10 interview Logo", CHECK_LATER))
    )
    (step,) = advice.steps
    assert step.action == "add_respond"
    assert "if you did reply" in step.text and "2026-11-03 HH:MM respond Logo" in step.text


def test_offer_without_interview_suggests_adding_the_interview_request() -> None:
    (step,) = advise(judge(timeline("2026-11-02 proposal Data", "2026-11-05 offer Data", CHECK_LATER))).steps
    assert step.action == "add_interview"
    assert "Data" in step.text and "interview request" in step.text


def test_interview_without_any_proposal_suggests_adding_it_unless_invited() -> None:
    assert actions(timeline("2026-11-03 interview A", "2026-11-03 respond A", CHECK_LATER)) == [
        "add_proposal"
    ]
    invited = timeline("2026-11-03 invite A", "2026-11-03 interview A", "2026-11-03 respond A", CHECK_LATER)
    assert actions(invited) == ["nothing_to_do"]


def test_missing_connects_give_a_support_ticket_listing_the_due_interviews() -> None:
    text = timeline(
        "2026-11-02 proposal Logo design",
        "2026-11-03 09:10 interview Logo design",
        "2026-11-03 09:40 respond Logo design",
        "2026-11-02 proposal Landing page",
        "2026-11-04 10:00 interview Landing page",
        "2026-11-04 10:30 respond Landing page",
        "2026-11-05 bonus 10",
        "2026-11-20 proposal Later",
        "2026-11-21 interview Later",
        "2026-11-21 respond Later",
        "2026-11-22 check",
    )
    advice = advise(judge(text))
    assert [step.action for step in advice.steps] == ["wait", "contact_support"]
    assert "10 missing Connects" in advice.steps[1].text
    ticket = advice.support_ticket
    assert ticket is not None
    assert (
        "- Logo design: interview request 3 Nov 2026 09:10 UTC, my response 3 Nov 2026 09:40 UTC: 10 Connects"
        in ticket
    )
    assert (
        "- Landing page: interview request 4 Nov 2026 10:00 UTC, my response 4 Nov 2026 10:30 UTC" in ticket
    )
    assert "Later" not in ticket  # pending, not yet missing
    assert "Connects due for these interviews: 20. Interview Connects received: 10. Missing: 10." in ticket


def test_unreadable_lines_come_first() -> None:
    assert actions(
        timeline("2026-11-02 proposal A", "2026-11-03 archived A", "2026-11-03 interview A", CHECK_LATER)
    ) == ["fix_lines", "add_respond"]


def test_nothing_to_do_when_everything_arrived_or_nothing_qualifies() -> None:
    paid = advise(
        judge(
            timeline(
                "2026-11-02 proposal A",
                "2026-11-03 interview A",
                "2026-11-03 respond A",
                "2026-11-04 bonus",
                CHECK_LATER,
            )
        )
    )
    assert [(step.action, "Nothing is missing" in step.text) for step in paid.steps] == [
        ("nothing_to_do", True)
    ]
    empty = advise(judge(""))
    assert empty.steps[0].action == "nothing_to_do" and "one per line" in empty.steps[0].text
