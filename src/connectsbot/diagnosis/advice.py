"""What a member should do next after a diagnosis: fix lines, add a missing step, wait, or contact support."""

from __future__ import annotations

from connectsbot.diagnosis.results import (
    Advice,
    Diagnosis,
    DiagnosisItem,
    NextStep,
    format_moment,
    wait_words,
)


def advise(diagnosis: Diagnosis) -> Advice:
    """The next steps, most useful first; a support ticket to paste when due Connects are missing."""
    year = diagnosis.checked_at.year
    steps: list[NextStep] = []
    if diagnosis.errors:
        lines = "line" if len(diagnosis.errors) == 1 else f"{len(diagnosis.errors)} lines"
        steps.append(
            NextStep(
                action="fix_lines",
                text=f"Correct the {lines} that could not be read and check again: a step written there "
                "may change the verdicts.",
            )
        )
    steps += [step for item in diagnosis.items if (step := _missing_step(item, year)) is not None]

    pending = [item for item in diagnosis.items if item.verdict == "pending"]
    due_dates = [item.due_from for item in pending if item.due_from is not None]
    wait_until = max(due_dates) if due_dates else None
    if pending:
        connects = sum(item.connects for item in pending)
        until = format_moment(wait_until, reference_year=year) if wait_until else "later"
        steps.append(
            NextStep(
                action="wait",
                text=f"Wait until {until} for the {connects} pending Connects ({_jobs(pending)}). "
                f"{wait_words(diagnosis.grace_hours)} is the project's default, "
                "not an official figure.",
            )
        )

    ticket = support_ticket(diagnosis) if diagnosis.missing else None
    if ticket:
        steps.append(
            NextStep(
                action="contact_support",
                text=f"Contact Upwork support about the {diagnosis.missing} missing Connects: "
                "paste the ticket below and attach screenshots of the interview messages if you can.",
            )
        )
    if not steps:
        steps.append(NextStep(action="nothing_to_do", text=_all_clear(diagnosis)))
    return Advice(steps=steps, wait_until=wait_until, support_ticket=ticket)


def _missing_step(item: DiagnosisItem, year: int) -> NextStep | None:
    """A step the member may have left out of the timeline, judging by why the item is not due."""
    if item.reason == "not_responded" and item.requested_at is not None:
        example = f"{item.requested_at.date().isoformat()} HH:MM respond {item.job}"
        requested = format_moment(item.requested_at, with_time=False, reference_year=year)
        return NextStep(
            action="add_respond",
            text=f"{item.job}: if you did reply to the interview request of {requested}, "
            f"add a respond line, for example “{example}”, and check again.",
        )
    if item.reason == "no_interview":
        return NextStep(
            action="add_interview",
            text=f"{item.job}: if the client sent an interview request (messaged you about your proposal) "
            "before the offer, add it as an interview line, with your respond line, and check again.",
        )
    if item.reason == "no_proposal" and not item.had_invite:
        return NextStep(
            action="add_proposal",
            text=f"{item.job}: if you submitted a proposal before the interview request, add the proposal "
            "line (or correct its date) and check again.",
        )
    return None


def support_ticket(diagnosis: Diagnosis) -> str:
    """Plain text listing each interview that should have paid, when, and how much, for a support ticket."""
    due = [item for item in diagnosis.items if item.verdict == "due"]
    lines = [
        "Subject: Missing interview Connects",
        "",
        "Hello,",
        "",
        "I have not received all the interview Connects I earned. Each of these interview requests came "
        "from a proposal I had submitted, and I responded to it:",
    ]
    for item in due:
        requested = format_moment(item.requested_at) if item.requested_at else "unknown"
        responded = format_moment(item.event_at)
        lines.append(
            f"- {item.job}: interview request {requested}, my response {responded}: {item.connects} Connects"
        )
    due_total = sum(item.connects for item in due)
    lines += [
        "",
        f"Connects due for these interviews: {due_total}. Interview Connects received: {diagnosis.received}. "
        f"Missing: {diagnosis.missing}.",
        "Could you please check my account and credit the missing Connects? Thank you.",
    ]
    return "\n".join(lines)


def _jobs(items: list[DiagnosisItem]) -> str:
    names = list(dict.fromkeys(item.job for item in items))
    return ", ".join(names)


def _all_clear(diagnosis: Diagnosis) -> str:
    if not diagnosis.items:
        return (
            "There is no interview request or offer to judge: write your events one per line, "
            "for example “2026-11-03 09:10 interview Logo design”."
        )
    if any(item.verdict == "due" for item in diagnosis.items):
        return "Nothing is missing: the Connects due have arrived."
    return "No interview in this timeline earns Connects, so there is nothing to claim."
