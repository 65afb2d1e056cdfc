"""Intent rules: small, general patterns that route a question regardless of its wording.

`interview_connects_missing`: the member says interview (bonus) Connects did not arrive.
The rule needs all three of:

- interview vocabulary: "interview", "bonus", "reward", the award "10 connects", or a client
  who "replied to my proposal" (what starts an interview);
- Connects vocabulary (or the amount "10");
- a not-received pattern: a negation a few words before a receive-verb ("didnt get", "never
  arrived", "not credited", "havent seen"), "no (10) connects", "got nothing", or a missing-word
  ("missing", "where are my", "still waiting").

and is vetoed when the question is about a case with its own entry that explains why no
Connects come: an invitation, an offer or hire without an interview or chat, the weekly cap
(50 / limit / max), or the two-transactions display. Those questions are left to the scorer.
The rule reads normalised text (normalize.tokenize), so slang and apostrophes are already gone.
"""

from __future__ import annotations

import re

INTERVIEW_MISSING = "interview_connects_missing"

_NEGATION = (
    r"(?:not|no|never|didnt|didn|did\s+not|havent|haven|have\s+not|hasnt|hasn|has\s+not|wasnt|werent"
    r"|dont|doesnt|cant|cannot|nothing|zero|0)"
)
_RECEIVE = (
    r"(?:get|got|gotten|getting|receive|received|receiving|recieve|recieved|arrive|arrived|"
    r"come|came|coming|show|showed|shown|showing|credit|credited|add|added|appear|appeared|"
    r"see|seen|awarded|given|paid|land|landed|reflect|reflected)"
)
_NOT_RECEIVED = re.compile(
    rf"\b{_NEGATION}\b(?:\s+\w+){{0,4}}?\s+\b{_RECEIVE}\b"  # "didnt get", "never arrive", "not been added"
    rf"|\b{_RECEIVE}\b(?:\s+\w+){{0,3}}?\s+\b(?:not|nothing|zero)\b"  # "got nothing", "received zero"
    r"|\bno\s+(?:\d+\s+)?(?:bonus\s+|free\s+|interview\s+)*(?:connects?|conects?|bonus|credits?)\b"
    r"|\bmissing\b|\bwhere\s+(?:are|is|r)\s+(?:my|the)\b|\bstill\s+(?:waiting|nothing|no|not)\b"
    r"|\bnever\s+(?:came|arrived|showed|got)\b|\b(?:lost|disappeared)\b"
)
_INTERVIEW = re.compile(
    r"\b(?:interview\w*|intervew\w*|interveiw\w*|bonus\w*|reward\w*)\b"
    # the interview award is 10 Connects; a reply to one's proposal is what starts an interview
    r"|\b10\s+(?:free\s+|bonus\s+)?(?:connects?|conects?)\b"
    r"|\b(?:replied|responded|answered|reply|replies|respond|responds)\s+(?:to\s+)?(?:my\s+|the\s+)?(?:proposal|application)"
)
_CONNECTS = re.compile(r"\b(?:connects?|conects?|conect|connex|credits?|bonus|10)\b")
# Cases the knowledge base explains on their own (and that the scorer finds by their words).
_OWN_CASE = re.compile(
    r"\binvit\w*|\binvite\w*"
    r"|\b(?:without|skip\w*)\b(?:\s+\w+){0,2}\s+(?:interview\w*|chat\w*|talk\w*|conversation|messag\w*|call\w*|asking)"
    r"|\b(?:hired|offer\w*)\s+(?:me\s+)?(?:directly|straight|right\s+away|immediately|instantly)|\bdirect\s+offer"
    r"|\bno\s+interview\b(?!\s+(?:connects?|conects?|bonus|credits?))"
    r"|\boffer\b.*\b(?:never|didnt|did\s+not)\b(?:\s+\w+){0,2}\s+interview"
    r"|\b(?:50|fifty|cap|capped|limit|limits|maximum|max)\b"
    r"|\btwo\s+(?:transactions|lines|entries)|\b2\s+(?:transactions|lines|entries)|\bsplit\b|\bdouble\b"
)


def interview_connects_missing(normalised: str) -> bool:
    """True when the (normalised, lower-case) text complains that interview Connects are missing."""
    if not _INTERVIEW.search(normalised) or not _CONNECTS.search(normalised):
        return False
    if not _NOT_RECEIVED.search(normalised):
        return False
    return not _OWN_CASE.search(normalised)
