"""The answer service's matcher: member questions -> knowledge entries (answer, suggest or none)."""

from connectsbot.matching.matcher import Candidate, Matcher, MatcherConfig, MatchResult

__all__ = ["Candidate", "MatchResult", "Matcher", "MatcherConfig"]
