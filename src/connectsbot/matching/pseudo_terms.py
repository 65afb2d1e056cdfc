"""Cues: pseudo-terms for meaning that word bags lose, found by small general patterns.

A two-sided marketplace FAQ has pairs of entries that share every word and differ in who asks or
when: "as a client, how do I message a freelancer" / "as a freelancer, how do I message a
client"; "may I use WhatsApp before the contract" / "...once the contract has started". The
patterns below add pseudo-terms to a text (entry texts and member questions alike, so they match
each other like any other term):

- `to_client` / `to_freelancer`: whom the asker wants to reach ("message a client");
- `as_client` / `as_freelancer`: who is asking ("as a client", "freelancer here", "I'm hiring");
- `phase_before` / `phase_after`: where in the hiring timeline ("before the contract",
  "no contract yet" / "once hired", "the contract started", "active contract");
- `q_define`: a definition question ("what does X mean", "what counts as", "what even is X");
- `not`: a not-received complaint phrased without a negation ("where are my...", "missing").

Each group of patterns runs only when the text's words meet a cheap gate (a set test).
"""

from __future__ import annotations

import re

from connectsbot.matching.normalize import Tokens

_CLIENT = r"(?:clients?|employers?|buyers?|customers?|hirers?)"
_FREELANCER = r"(?:freelancers?|contractors?|talents?|devs?|developers?|designers?|writers?)"
_DET = r"(?:(?:the|a|an|my|this|that|his|her|their|your|some|potential|new)\s+){0,2}"
_CONTACT = (
    r"(?:message|messages|messaging|messaged|contact|contacting|text|write\s+to|talk\s+to|talk\s+with"
    r"|chat\s+with|reply\s+to|respond\s+to|follow\s+up\s+with)"
)
_CONTRACT = r"(?:contract|contracts|offer|job|project|work)"


CUES = frozenset(
    {
        "to_client",
        "to_freelancer",
        "as_client",
        "as_freelancer",
        "phase_before",
        "phase_after",
        "q_define",
        "not",
    }
)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Gates: a group of patterns runs only when the text's words meet its gate (set operations,
# much cheaper than the patterns themselves).
_PARTY_WORDS = _wordset(
    "client clients employer employers buyer buyers customer customers hirer hirers freelancer freelancers "
    "contractor contractors talent talents dev devs developer developers designer designers writer writers"
)
_ROLE_VERBS = _wordset(
    "message messages messaging messaged contact contacting text write talk chat reply respond follow "
    "as am im being here hiring"
)
_ROLES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"\b{_CONTACT}\s+(?:to\s+)?{_DET}{_CLIENT}\b"), "to_client"),
    (re.compile(rf"\b{_CONTACT}\s+(?:to\s+)?{_DET}{_FREELANCER}\b"), "to_freelancer"),
    (
        re.compile(
            rf"\b(?:as|am|im|being)\s+(?:a\s+|an\s+|the\s+)?{_CLIENT}\b|\b{_CLIENT}\s+here\b"
            r"|\b(?:i\s+am|im|am)\s+(?:the\s+one\s+)?hiring\b"
        ),
        "as_client",
    ),
    (
        re.compile(rf"\b(?:as|am|im|being)\s+(?:a\s+|an\s+|the\s+)?{_FREELANCER}\b|\b{_FREELANCER}\s+here\b"),
        "as_freelancer",
    ),
)

_PHASE_WORDS = _wordset(
    "contract contracts offer job project work hire hired hiring accept accepting accepted signed started "
    "precontract pre"
)
_BEFORE_WORDS = _wordset("before prior until yet pre precontract not havent hasnt didnt")
_AFTER_WORDS = _wordset(
    "after once since during now started starts running active ongoing began begun signed place underway "
    "current existing open accepted have has had hired working work already currently"
)
_BEFORE = re.compile(
    rf"\b(?:before|prior\s+to|until)\s+(?:\w+\s+){{0,3}}?(?:{_CONTRACT}|hire|hired|hiring|accepting|accept)"
    r"(?:\s+(?:starts|started|begins|is\s+signed|is\s+sent|sends|arrives))?\b"
    rf"|\bno\s+{_CONTRACT}\s+yet\b|\bnot\s+(?:yet\s+)?(?:hired|signed)\b|\bpre[\s-]?contract\b"
    r"|\b(?:havent|hasnt|didnt|not)\s+(?:\w+\s+){0,2}(?:hired|accepted|signed|started)\b"
)
_AFTER = re.compile(
    rf"\b(?:after|once|since|during|now\s+that)\s+(?:\w+\s+){{0,3}}?(?:{_CONTRACT}|hire|hired|hiring|started|signed)\b"
    rf"|\b{_CONTRACT}\s+(?:is\s+|has\s+|was\s+|already\s+)*(?:started|starts|running|active|ongoing|began|begun"
    r"|signed|in\s+place|underway)\b"
    rf"|\b(?:active|ongoing|running|current|existing|open)\s+{_CONTRACT}\b"
    rf"|\b(?:started|begun|began|signed|accepted|have|has|had)\s+{_DET}{_CONTRACT}\b"
    r"|\b(?:already|got|been|was|were|am|im|are)\s+hired\b"
    rf"|\b(?:working|work|already|currently)\s+(?:\w+\s+){{0,2}}?(?:on|in|under)\s+{_DET}{_CONTRACT}\b"
)

_DEFINE_WORDS = _wordset(
    "mean means meant meaning count counts define defined defines definition definitions considered explain "
    "qualify qualifies qualified classed regarded constitute constitutes "
    "explained"
)
_DEFINE = re.compile(
    r"\bwhat\s+(?:does|do|is|are)\s+(?:\w+\s+){0,5}?(?:mean|means|meant)\b|\bmeaning\b"
    r"|\b(?:counts?|qualif(?:y|ies|ied)|classed|regarded)\s+as\b|\bconstitutes?\b"
    r"|\bdefin(?:e|ed|es|ition|itions)\b|\bconsidered\b|\bexplain(?:ed)?\b"
)
# A short clause "what (even) is/are X" asks for a definition: "what even are connects lol".
_DEFINE_CLAUSE = re.compile(
    r"^(?:(?:so|ok|hey|but|and|like|um|sorry)\s+)*what\s+(?:even\s+)?(?:is|are)\s+(?:even\s+)?"
    r"(?:(?:an?|the|this|that|these)\s+)?\w+(?:\s+\w+){0,2}"
    r"(?:\s+(?:exactly|even|really|actually|about|for|on\s+upwork))*$"
)
_MISSING_WORDS = _wordset("missing where still never")
_MISSING = re.compile(
    r"\bmissing\b|\bwhere\s+(?:are|is|did)\s+(?:my|the)\b|\bstill\s+(?:waiting|nothing)\b"
    r"|\bnever\s+(?:came|arrived)\b"
)


def cues(tokens: Tokens) -> list[str]:
    """The pseudo-terms a text carries (see the module docstring)."""
    words = set(tokens.words)
    joined = tokens.joined
    found: list[str] = []
    if not words.isdisjoint(_PARTY_WORDS) and not words.isdisjoint(_ROLE_VERBS):
        found += [name for pattern, name in _ROLES if pattern.search(joined)]
    if (not words.isdisjoint(_DEFINE_WORDS) and _DEFINE.search(joined)) or (
        "what" in words and any(_DEFINE_CLAUSE.match(clause) for clause in tokens.clauses[:20])
    ):
        found.append("q_define")
    if not words.isdisjoint(_MISSING_WORDS) and _MISSING.search(joined):
        found.append("not")
    if not words.isdisjoint(_PHASE_WORDS):
        rest = joined
        if not words.isdisjoint(_BEFORE_WORDS) and _BEFORE.search(joined):
            found.append("phase_before")
            rest = _BEFORE.sub(" ", joined)  # "before the contract starts" is not "contract started"
        if not words.isdisjoint(_AFTER_WORDS) and _AFTER.search(rest):
            found.append("phase_after")
    return found
