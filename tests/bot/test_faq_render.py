"""/faq's moderator embeds within Discord's limits, however long the history or the questions."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot import replies
from bot.exts.faq._render import history_embed, stats_embed, unanswered_embed
from connectsbot.question_reports import QuestionGroup, StatsReport
from connectsbot.store import DayCount, RecordedQuestion
from tests.bot.helpers import edit_revision


def test_faq_moderator_embeds_fit() -> None:
    history = history_embed("x", [edit_revision(n, "why " * 80) for n in range(1, 60)])
    assert replies.embed_size(history) <= 6000 and len(history.description or "") <= 4096
    question = RecordedQuestion(
        id=1,
        asked_at=datetime(2026, 11, 21, tzinfo=UTC),
        guild_id=None,
        channel="c",
        decision="none",
        question="**bold** @everyone " + "long " * 400,
        suggestions=[],
        picked_entry_id=None,
    )
    groups = [QuestionGroup(text=question.question, key="k", questions=[question]) for _ in range(40)]
    unanswered = unanswered_embed(groups, 40)
    assert replies.embed_size(unanswered) <= 6000 and "\\*\\*bold\\*\\*" in (unanswered.description or "")
    days = [
        DayCount(day=date(2026, 11, d), asked=d, answered=d // 2, suggested=0, picked=0) for d in range(1, 22)
    ]
    report = StatsReport(
        since=date(2026, 11, 1),
        until=date(2026, 11, 21),
        days=days,
        asked=10,
        answered=5,
        suggested=3,
        picked=1,
        entries=[],
    )
    stats = stats_embed(report, {}, "stats.png")
    assert replies.embed_size(stats) <= 6000 and stats.image.url == "attachment://stats.png"
