"""Grouping unanswered questions, alias candidates from picked suggestions, and the stats report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from connectsbot.question_reports import alias_candidates, build_stats, group_questions, question_key
from connectsbot.store import DayCount, FeedbackCount, RecordedQuestion

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _q(
    qid: int, text: str, minutes: int = 0, picked: str | None = None, suggestions: tuple[str, ...] = ()
) -> RecordedQuestion:
    return RecordedQuestion(
        id=qid,
        asked_at=T0 + timedelta(minutes=minutes),
        guild_id="1",
        channel="c",
        decision="suggest" if suggestions else "none",
        question=text,
        suggestions=list(suggestions),
        picked_entry_id=picked,
    )


def test_question_key_keeps_content_words() -> None:
    assert question_key("How do I change my profile photo??") == question_key("how to change profile photo")
    assert question_key("") == ""


def test_similar_questions_are_grouped_most_frequent_first() -> None:
    questions = [
        _q(1, "what's the weather in paris", minutes=50),
        _q(2, "how do I change my profile photo"),
        _q(3, "How to change profile photo?", minutes=5),
        _q(4, "how can i change my profile picture photo", minutes=10),
        _q(5, "can I withdraw to paypal", minutes=20),
        _q(6, "withdraw to paypal possible?", minutes=30),
        _q(7, "   "),
    ]
    groups = group_questions(questions)
    assert [g.count for g in groups] == [3, 2, 1]
    assert sorted(groups[0].ids) == [2, 3, 4]
    assert groups[0].text == "how can i change my profile picture photo"  # the most recent phrasing
    assert groups[0].latest == T0 + timedelta(minutes=10)
    assert "paypal" in groups[1].text and "weather" in groups[2].text


def test_ties_go_to_the_most_recent_group() -> None:
    groups = group_questions([_q(1, "alpha beta gamma"), _q(2, "zeta eta theta", minutes=5)])
    assert [g.ids for g in groups] == [[2], [1]]


def test_picked_and_suggested_entries() -> None:
    groups = group_questions(
        [
            _q(
                1,
                "connects plan",
                picked="connects-plus-plan",
                suggestions=("connects-plus-plan", "connects-buy"),
            ),
            _q(
                2,
                "connects plans",
                minutes=1,
                picked="connects-plus-plan",
                suggestions=("connects-plus-plan",),
            ),
            _q(3, "connects plan?", minutes=2, suggestions=("connects-buy",)),
        ]
    )
    (group,) = groups
    assert group.picked == [("connects-plus-plan", 2)]
    assert group.suggested == [("connects-buy", 2), ("connects-plus-plan", 2)]
    assert group.best_entry == "connects-plus-plan"
    (candidate,) = alias_candidates(groups)
    assert candidate.entry_id == "connects-plus-plan" and candidate.count == 2
    assert sorted(candidate.question_ids) == [1, 2]


def test_no_pick_no_candidate() -> None:
    assert alias_candidates(group_questions([_q(1, "hello there")])) == []
    assert group_questions([_q(1, "hello there")])[0].best_entry is None


def test_stats_fill_missing_days_and_rank_entries() -> None:
    days = [
        DayCount(day=date(2026, 11, 18), asked=4, answered=2, suggested=1, picked=1),
        DayCount(day=date(2026, 11, 21), asked=6, answered=4, suggested=2, picked=0),
    ]
    report = build_stats(
        days,
        usage={"connects-rollover": 5, "connects-buy": 2},
        feedback={
            "connects-buy": FeedbackCount("connects-buy", 1, 3),
            "upwork-what": FeedbackCount("upwork-what", 0, 1),
        },
        since=date(2026, 11, 17),
        until=date(2026, 11, 21),
    )
    assert [d.day.day for d in report.days] == [17, 18, 19, 20, 21]
    assert [d.asked for d in report.days] == [0, 4, 0, 0, 6]
    assert (report.asked, report.answered, report.suggested, report.picked) == (10, 6, 3, 1)
    assert report.answer_rate == 0.6 and report.helped_rate == 0.7
    assert [e.entry_id for e in report.entries] == ["connects-rollover", "connects-buy", "upwork-what"]
    assert [e.entry_id for e in report.top(2)] == ["connects-rollover", "connects-buy"]
    buy = report.entries[1]
    assert (buy.used, buy.helpful, buy.not_helpful) == (2, 1, 3)


def test_empty_stats() -> None:
    report = build_stats([], {}, {}, date(2026, 11, 21), date(2026, 11, 21))
    assert (
        report.asked == 0 and report.answer_rate == 0.0 and report.helped_rate == 0.0 and report.top() == []
    )
