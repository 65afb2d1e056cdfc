"""Per-member question limit: a member flooding the bot is told once to slow down, then ignored.

A sliding window: each member may ask `limit` questions in any `window_seconds`. The first question
over the limit gets a "slow down" notice (`warn`); the rest are dropped quietly (`quiet`) until the
member is under the limit again, so the notice itself never becomes spam. Refused questions do not
count towards the window: a member who stops is answered again as soon as their oldest question ages
out. The auto-answer's per-member cooldown is the same limit (one reply per cooldown), counted with
`allows` and `count`. Pure logic; the caller passes the time (a monotonic clock), so it is
deterministic in tests.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["ask", "warn", "quiet"]


@dataclass(frozen=True)
class LimitDecision:
    verdict: Verdict
    retry_after: float  # seconds until the member may ask again (0 when allowed now)

    @property
    def allowed(self) -> bool:
        return self.verdict == "ask"

    @property
    def wait_seconds(self) -> int:
        """The wait as a whole number of seconds for people (rounded up, at least 1)."""
        return max(1, math.ceil(self.retry_after))


@dataclass
class _Member:
    asked_at: deque[float]
    warned: bool = False


class QuestionLimit:
    def __init__(self, limit: int, window_seconds: float, *, remembered: int = 10_000) -> None:
        if limit < 1 or window_seconds < 0:
            raise ValueError("the limit must be at least 1 question and the window not negative")
        self.limit = limit
        self.window_seconds = window_seconds
        self._remembered = remembered
        self._members: dict[str, _Member] = {}

    def check(self, member: str, now: float) -> LimitDecision:
        """Count this question if the member is under the limit; otherwise say how to refuse it."""
        state = self._current(member, now)
        asked_at = state.asked_at
        if len(asked_at) < self.limit:
            asked_at.append(now)
            state.warned = False
            return LimitDecision("ask", 0.0)
        retry_after = self.window_seconds - (now - asked_at[0])
        if state.warned:
            return LimitDecision("quiet", retry_after)
        state.warned = True
        return LimitDecision("warn", retry_after)

    def allows(self, member: str, now: float) -> bool:
        """Whether the member is under the limit now, counting nothing: for a caller that counts only
        some of what it checks (the auto-answer counts its replies, not the questions it reads)."""
        return member not in self._members or len(self._current(member, now).asked_at) < self.limit

    def count(self, member: str, now: float) -> None:
        """Count one for the member (after `allows`), without the notice bookkeeping of `check`."""
        self._current(member, now).asked_at.append(now)

    def _current(self, member: str, now: float) -> _Member:
        """The member's state, with only the times still in the window (a new member: none)."""
        state = self._members.get(member)
        if state is None:
            self._forget_idle(now)
            state = self._members[member] = _Member(deque())
        asked_at = state.asked_at
        while asked_at and now - asked_at[0] >= self.window_seconds:
            asked_at.popleft()
        return state

    def _forget_idle(self, now: float) -> None:
        """Bound memory: past `remembered` members, drop those with nothing left in their window."""
        if len(self._members) < self._remembered:
            return
        self._members = {
            member: state
            for member, state in self._members.items()
            if state.asked_at and now - state.asked_at[-1] < self.window_seconds
        }
