"""The interview-Connects rules R1–R7 applied to a parsed timeline (interview-connects-rules.md).

Pure functions: the verdicts depend only on the timeline, the policy and the check moment. Every policy
number is the value in force at the moment of the response being judged.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connectsbot.diagnosis.results import (
    Diagnosis,
    DiagnosisItem,
    ReadLine,
    Reason,
    TimelineError,
    Verdict,
    format_moment,
    format_number,
)
from connectsbot.diagnosis.timeline import ParsedTimeline, TimelineEvent, aware
from connectsbot.knowledge import Policy, PolicyNotInForce

REQUEST_KINDS = ("interview", "invite")
HOURS_PER_DAY = 24


@dataclass(frozen=True)
class _Candidate:
    """One thing to judge: an interview request (with its response, if any), or an offer without one."""

    job: str
    key: str
    request: TimelineEvent | None
    response: TimelineEvent | None
    offer: TimelineEvent | None
    had_invite: bool

    @property
    def shown_at(self) -> TimelineEvent:
        """The event whose moment the item carries: the response, else the request, else the offer."""
        shown = self.response or self.request or self.offer
        assert shown is not None, "a candidate has a request or an offer"
        return shown


@dataclass(frozen=True)
class _Award:
    """Connects counted as earned (due or pending): they fill the rolling window and close the job (R6)."""

    response: TimelineEvent
    connects: int


@dataclass
class _Ledger:
    """Awards so far, in response order, with running totals for the rolling-window sums."""

    awards: list[_Award] = field(default_factory=list)
    totals: list[int] = field(default_factory=lambda: [0])  # totals[i] = Connects of awards[:i]
    by_job: dict[str, _Award] = field(default_factory=dict)

    def add(self, job_key: str, award: _Award) -> None:
        self.awards.append(award)
        self.totals.append(self.totals[-1] + award.connects)
        self.by_job[job_key] = award

    def within(self, moment: datetime, window: timedelta) -> tuple[list[_Award], int]:
        """Awards less than `window` before `moment` (one exactly `window` earlier no longer counts)."""
        start = bisect_right(self.awards, -window, key=lambda award: award.response.at - moment)
        return self.awards[start:], self.totals[-1] - self.totals[start]


@dataclass(frozen=True)
class _Context:
    policy: Policy
    checked_at: datetime
    first_leads: dict[str, TimelineEvent]  # job -> its first proposal or invite

    def when(self, event: TimelineEvent) -> str:
        return format_moment(event.at, with_time=event.has_time, reference_year=self.checked_at.year)

    def moment(self, at: datetime) -> str:
        return format_moment(at, reference_year=self.checked_at.year)


def diagnose(
    timeline: ParsedTimeline, policy: Policy, now: datetime, *, now_given: bool = False
) -> Diagnosis:
    """Judge every interview request and offer. `now` is the check moment when there is no check line;
    `now_given` says it was set by the member (`--now`) rather than read from the clock."""
    checked_at = timeline.check_at if timeline.check_at is not None else aware(now)
    events = sorted(timeline.events, key=lambda event: event.order)
    responses, respond_errors = _pair_responses(events)
    context = _Context(policy, checked_at, _first_leads(events))
    ledger = _Ledger()
    candidates = _candidates(events, responses)
    # Responded requests in the order of their responses: earlier awards fill the window first.
    responded = sorted((c for c in candidates if c.response), key=lambda c: c.shown_at.order)
    items = [_judge_responded(c, context, ledger) for c in responded]
    items += [_judge_unanswered(c, context) for c in candidates if c.response is None]
    items.sort(key=lambda pair: pair[0].order)

    judged = [item for _, item in items]
    due = sum(item.connects for item in judged if item.verdict == "due")
    received = sum(event.amount for event in events if event.kind == "bonus")
    errors = sorted([*timeline.errors, *respond_errors], key=lambda error: error.line)
    return Diagnosis(
        items=judged,
        expected=sum(item.connects for item in judged if item.verdict in ("due", "pending")),
        received=received,
        missing=max(0, due - received),
        errors=errors,
        checked_at=checked_at,
        checked_from="check line" if timeline.check_at is not None else "--now" if now_given else "now",
        grace_hours=_grace_at(policy, checked_at),
        policy_sources=list(dict.fromkeys(citation.source for citation in policy.citations())),
        assumed_years=list(timeline.assumed_years),
        reading=_reading(timeline, errors),
    )


def _grace_at(policy: Policy, checked_at: datetime) -> float | None:
    """The grace in force at the check, for the closing note; None when the check is before the policy."""
    try:
        return policy.at(checked_at).grace_hours
    except PolicyNotInForce:
        return None


def _reading(timeline: ParsedTimeline, errors: list[TimelineError]) -> list[ReadLine]:
    """Each line as read, or its error (a respond with nothing to answer is read, then refused)."""
    refused = {error.line: error for error in errors}
    guessed = {guess.line for guess in timeline.assumed_years}
    lines = [
        ReadLine(
            line=event.line,
            text=event.text,
            at=event.at,
            has_time=event.has_time,
            kind=event.kind,
            job=event.job,
            amount=event.amount,
            job_inferred=event.job_inferred,
            year_assumed=event.line in guessed,
            dated=event.dated,
        )
        for event in timeline.events
        if event.line not in refused
    ]
    lines += [ReadLine(line=error.line, text=error.text, error=error.message) for error in errors]
    return sorted(lines, key=lambda line: line.line)


def _pair_responses(events: list[TimelineEvent]) -> tuple[dict[int, TimelineEvent], list[TimelineError]]:
    """Each respond answers the latest unanswered request (interview or invite) on its job before it.

    Returns request line -> its respond, and an error for each respond with nothing to answer.
    """
    unanswered: dict[str, list[TimelineEvent]] = defaultdict(list)
    responses: dict[int, TimelineEvent] = {}
    errors: list[TimelineError] = []
    for event in events:
        if event.kind in REQUEST_KINDS:
            unanswered[event.job_key].append(event)
        elif event.kind == "respond":
            waiting = unanswered[event.job_key]
            if waiting:
                responses[waiting.pop().line] = event
            else:
                message = (
                    f"this respond has no unanswered interview request or invite for “{event.job}” "
                    "before it: add the interview line (above it, or earlier in time), or check the job's "
                    f"name and date (for example “Nov 4 client messaged me about {event.job}” above it)"
                )
                errors.append(TimelineError(line=event.line, text=event.text, message=message))
    return responses, errors


def _first_leads(events: list[TimelineEvent]) -> dict[str, TimelineEvent]:
    leads: dict[str, TimelineEvent] = {}
    for event in events:
        if event.kind in ("proposal", "invite"):
            leads.setdefault(event.job_key, event)
    return leads


def _candidates(events: list[TimelineEvent], responses: dict[int, TimelineEvent]) -> list[_Candidate]:
    """One per interview line; one per invite no interview line follows; one per job with only offers."""
    names: dict[str, str] = {}
    for event in sorted(events, key=lambda event: event.line):
        if event.job:
            names.setdefault(event.job_key, event.job)  # shown as first written
    last_interview: dict[str, TimelineEvent] = {e.job_key: e for e in events if e.kind == "interview"}
    invited = {event.job_key for event in events if event.kind == "invite"}

    candidates: list[_Candidate] = []
    first_offers: dict[str, TimelineEvent] = {}
    for event in events:
        key = event.job_key
        later_interview = last_interview.get(key)
        is_item = event.kind == "interview" or (
            event.kind == "invite" and (later_interview is None or later_interview.order < event.order)
        )
        if is_item:
            candidates.append(
                _Candidate(names[key], key, event, responses.get(event.line), None, key in invited)
            )
        elif event.kind == "offer":
            first_offers.setdefault(key, event)
    requested = {event.job_key for event in events if event.kind in REQUEST_KINDS}
    candidates += [
        _Candidate(names[key], key, None, None, offer, False)
        for key, offer in first_offers.items()
        if key not in requested
    ]
    return candidates


def _judge_unanswered(candidate: _Candidate, context: _Context) -> tuple[TimelineEvent, DiagnosisItem]:
    """An offer without any request (R3), or a request with no response (R1 first, else R2)."""
    if candidate.request is None:
        assert candidate.offer is not None
        explanation = (
            f"The client's offer of {context.when(candidate.offer)} came with no interview request for "
            "this job in your timeline, and an offer or hire without one earns no Connects (R3)."
        )
        return _not_due(candidate, "no_interview", explanation)
    if failure := _no_proposal(candidate.request, candidate.key, context):
        return _not_due(candidate, "no_proposal", failure)
    explanation = (
        f"The interview request of {context.when(candidate.request)} has no response from you in the "
        "timeline, and Connects are earned only by responding to it (R2)."
    )
    return _not_due(candidate, "not_responded", explanation)


def _judge_responded(
    candidate: _Candidate, context: _Context, ledger: _Ledger
) -> tuple[TimelineEvent, DiagnosisItem]:
    """A responded request, rules in the contract's order: R1, R7, R6, R5, then due or pending."""
    request, response = candidate.request, candidate.response
    assert request is not None and response is not None
    policy, at = context.policy, response.at
    responded = f"You responded on {context.when(response)}"

    if failure := _no_proposal(request, candidate.key, context):
        return _not_due(candidate, "no_proposal", failure)
    try:
        rules = policy.at(at)
    except PolicyNotInForce as gap:
        # Before the policy's first dated values there are no rules to apply: the program had not begun.
        explanation = (
            f"{responded}, before the interview-Connects program's rules took effect on "
            f"{context.moment(gap.first_effective)}; responses before them earn nothing (R7)."
        )
        return _not_due(candidate, "before_program", explanation)
    if at < rules.program_start:
        explanation = (
            f"{responded}, before the interview-Connects program began on "
            f"{context.moment(rules.program_start)}; responses before it earn nothing (R7)."
        )
        return _not_due(candidate, "before_program", explanation)
    if earlier := ledger.by_job.get(candidate.key):
        explanation = (
            "This job already earned its interview Connects with your response of "
            f"{context.when(earlier.response)}; a job earns them once, so this later request does not (R6)."
        )
        return _not_due(candidate, "already_awarded", explanation)

    connects, cap, window_hours = rules.connects_per_interview, rules.weekly_cap, rules.window_hours
    counted, paid = ledger.within(at, timedelta(hours=window_hours))
    if paid + connects > cap:
        return _not_due(
            candidate, "weekly_cap", _over_cap(responded, counted, paid, connects, cap, window_hours, context)
        )

    ledger.add(candidate.key, _Award(response, connects))
    grace_hours = rules.grace_hours
    due_from = _later(at, grace_hours)
    lead = context.first_leads[candidate.key]
    earned = (
        f"{responded} to an interview request that followed your proposal of {context.when(lead)}, "
        f"which earns {connects} Connects (R4)"
    )
    if context.checked_at - at < timedelta(hours=grace_hours):
        when_due = f"from {context.moment(due_from)}" if due_from else "later"
        explanation = (
            f"{earned}; they count as missing only {when_due}, {format_number(grace_hours)} h after your "
            "response (the project's default wait, not an official figure)."
        )
        verdict: Verdict = "pending"
    else:
        explanation = f"{earned}; the {format_number(grace_hours)} h wait had passed when you checked."
        verdict = "due"
    return _item(candidate, verdict, "eligible", connects, explanation, due_from)


def _no_proposal(request: TimelineEvent, key: str, context: _Context) -> str | None:
    """Why R1 fails, or None: the job's first proposal or invite must be a proposal, before the request."""
    lead = context.first_leads.get(key)
    if lead is not None and lead.kind == "proposal" and lead.order < request.order:
        return None
    if lead is not None and lead.kind == "invite":
        return (
            f"The client invited you on {context.when(lead)} before you sent any proposal for this job, "
            "so the interview request did not come from your proposal: it earns no Connects (R1)."
        )
    if lead is not None:
        return (
            f"Your proposal of {context.when(lead)} came after the interview request of "
            f"{context.when(request)}; only a request that follows your proposal earns Connects (R1)."
        )
    return (
        "There is no proposal of yours for this job before the interview request of "
        f"{context.when(request)}; only a request that follows your proposal earns Connects (R1)."
    )


def _over_cap(
    responded: str,
    counted: list[_Award],
    paid: int,
    connects: int,
    cap: float,
    window_hours: float,
    context: _Context,
) -> str:
    window = _duration(window_hours)
    limit = f"the maximum of {format_number(cap)} interview Connects in any {window} (R5)"
    if not counted:
        return f"{responded}; its {connects} Connects alone would exceed {limit}."
    interviews = "1 interview" if len(counted) == 1 else f"{len(counted)} interviews"
    first, last = context.when(counted[0].response), context.when(counted[-1].response)
    span = f"on {first}" if first == last else f"between {first} and {last}"
    return (
        f"{responded}; {interviews} you responded to {span} had already earned {paid} Connects, "
        f"and {connects} more would exceed {limit}."
    )


def _duration(hours: float) -> str:
    if hours and hours % HOURS_PER_DAY == 0:
        days = int(hours // HOURS_PER_DAY)
        return "day" if days == 1 else f"{days} days"
    return f"{format_number(hours)} hours"


def _later(moment: datetime, hours: float) -> datetime | None:
    """`moment` plus `hours`, or None past the calendar's end (a timeline can say 9999-12-31)."""
    try:
        return moment + timedelta(hours=hours)
    except OverflowError:
        return None


def _not_due(candidate: _Candidate, reason: Reason, explanation: str) -> tuple[TimelineEvent, DiagnosisItem]:
    return _item(candidate, "not_due", reason, 0, explanation, None)


def _item(
    candidate: _Candidate,
    verdict: Verdict,
    reason: Reason,
    connects: int,
    explanation: str,
    due_from: datetime | None,
) -> tuple[TimelineEvent, DiagnosisItem]:
    """The item, with the event it is ordered by (its moment, then its line)."""
    shown = candidate.shown_at
    item = DiagnosisItem(
        job=candidate.job,
        event_at=shown.at,
        verdict=verdict,
        reason=reason,
        connects=connects,
        explanation=explanation,
        requested_at=candidate.request.at if candidate.request else None,
        responded_at=candidate.response.at if candidate.response else None,
        due_from=due_from,
        had_invite=candidate.had_invite,
    )
    return shown, item
