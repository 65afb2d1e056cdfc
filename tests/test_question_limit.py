"""The per-member question limit: told once, then quiet, answered again once the window moves on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectsbot.question_limit import QuestionLimit


def test_a_flood_is_told_once_then_ignored() -> None:
    throttle = QuestionLimit(limit=5, window_seconds=30)
    verdicts = [throttle.check("flooder", now=i * 0.2).verdict for i in range(50)]
    assert verdicts == ["ask"] * 5 + ["warn"] + ["quiet"] * 44


def test_others_are_not_slowed_by_a_flooder() -> None:
    throttle = QuestionLimit(limit=5, window_seconds=30)
    for i in range(50):
        throttle.check("flooder", now=i * 0.2)
    assert [throttle.check("member", now=10.0 + i).verdict for i in range(5)] == ["ask"] * 5


def test_answered_again_when_the_oldest_question_ages_out() -> None:
    throttle = QuestionLimit(limit=2, window_seconds=10)
    assert throttle.check("m", 0).allowed and throttle.check("m", 4).allowed
    refused = throttle.check("m", 5)
    assert refused.verdict == "warn" and refused.retry_after == 5 and refused.wait_seconds == 5
    assert throttle.check("m", 9.5).verdict == "quiet"
    assert throttle.check("m", 10).verdict == "ask"  # the question at 0 aged out
    # A new flood after being let in again is told again, once.
    assert [throttle.check("m", 10.5).verdict, throttle.check("m", 11).verdict] == ["warn", "quiet"]


def test_refused_questions_do_not_extend_the_wait() -> None:
    throttle = QuestionLimit(limit=1, window_seconds=10)
    throttle.check("m", 0)
    for t in range(1, 10):
        throttle.check("m", t)
    assert throttle.check("m", 10).allowed


def test_wait_is_rounded_up_for_people() -> None:
    throttle = QuestionLimit(limit=1, window_seconds=10)
    throttle.check("m", 0)
    assert throttle.check("m", 9.9).wait_seconds == 1


def test_memory_is_bounded_to_members_still_in_their_window() -> None:
    throttle = QuestionLimit(limit=1, window_seconds=10, remembered=100)
    for i in range(1000):
        throttle.check(f"member{i}", now=float(i))
    # Every 100 new members, those idle for 10 s are forgotten.
    assert len(throttle._members) <= 100 + 10


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        QuestionLimit(limit=0, window_seconds=10)


@settings(max_examples=200, deadline=None)
@given(
    gaps=st.lists(st.floats(min_value=0, max_value=20, allow_nan=False), max_size=60),
    limit=st.integers(1, 6),
    window=st.floats(min_value=0, max_value=30, allow_nan=False),
)
def test_never_more_than_the_limit_in_any_window_and_one_notice_per_refusal_run(
    gaps: list[float], limit: int, window: float
) -> None:
    throttle = QuestionLimit(limit, window)
    now, asked, verdicts = 0.0, [], []
    for gap in gaps:
        now += gap
        verdict = throttle.check("m", now).verdict
        verdicts.append(verdict)
        if verdict == "ask":
            asked.append(now)
    for t in asked:
        assert sum(1 for s in asked if t <= s < t + window) <= limit
    # Between two accepted questions, at most one notice, and it comes first.
    runs = "".join("a" if v == "ask" else "w" if v == "warn" else "q" for v in verdicts).split("a")
    assert all(run in ("", "w" + "q" * (len(run) - 1)) for run in runs)


def test_allows_counts_nothing_and_count_gives_no_notice() -> None:
    """The auto-answer's cooldown: one reply per member per window, counted only when it replies."""
    cooldown = QuestionLimit(limit=1, window_seconds=60)
    assert cooldown.allows("m", 0) and cooldown.allows("m", 1)
    cooldown.count("m", 1)
    assert not cooldown.allows("m", 60.9) and cooldown.allows("other", 30)
    assert cooldown.allows("m", 61)
    cooldown.count("m", 61)
    assert cooldown.check("m", 62).verdict == "warn"  # `count` left the notice to `check`
