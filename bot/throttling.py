"""The per-member question limit on /ask and @mentions (see connectsbot.question_limit).

Over the limit, a mention gets the "slow down" notice once and later ones are ignored, so a flood
never makes the bot flood the channel. A slash command must be answered (Discord shows "the
application did not respond" otherwise), so each refused /ask gets the notice privately: only the
member sees it, and it costs neither a match nor a database write.
"""

from __future__ import annotations

from bot.client import ConnectsBot
from connectsbot.question_limit import LimitDecision

SLOW_DOWN = (
    "You're asking faster than I can answer: please wait {seconds} s before your next question. "
    "Questions sent meanwhile are not answered."
)


def check_question(bot: ConnectsBot, member_id: int) -> LimitDecision:
    return bot.question_throttle.check(str(member_id), bot.monotonic())


def slow_down(decision: LimitDecision) -> str:
    return SLOW_DOWN.format(seconds=decision.wait_seconds)
