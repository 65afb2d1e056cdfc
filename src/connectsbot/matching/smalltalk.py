"""Greetings, thanks and "help": a short friendly reply, never an FAQ answer or a recorded question.

A message is small talk only when every word it has (after Discord noise is stripped) is a
greeting, a thank-you, a call for help or a word addressing the bot or the room ("hi bot",
"thanks a lot!!", "help", "hello everyone :wave:"). "help with connects" is a question.
"""

from __future__ import annotations

import re

from connectsbot.matching.normalize import clean_chat

SMALLTALK = "smalltalk"
SMALLTALK_REPLY = (
    "Hi! I answer questions about Upwork Connects (what they are, how many you get, rollover, "
    "buying them), interview Connects (and why yours may be missing: try /diagnose with your "
    "timeline) and Upwork's rules on talking to clients outside Upwork. Just ask in your own words."
)

_GREETING = {
    "hi", "hii", "hello", "helo", "hey", "heya", "hiya", "yo", "sup", "howdy", "greetings", "hola",
    "salam", "salaam", "assalamualaikum", "namaste", "morning", "evening", "afternoon", "gm",
    "good", "day", "whats", "up", "how", "are", "you", "u", "doing", "welcome",
}  # fmt: skip
_THANKS = {
    "thanks", "thank", "thx", "thnx", "thanx", "ty", "tysm", "tks", "cheers", "appreciate", "it",
    "appreciated", "great", "awesome", "perfect", "ok", "okay", "cool", "nice", "got", "that",
    "bye", "goodbye", "later", "cya", "see", "ya", "so", "much", "very", "lot", "a", "alot",
}  # fmt: skip
_HELP = {"help", "helpme", "me", "please", "pls", "plz", "commands", "menu", "start", "what", "can", "do"}
_ADDRESS = {"bot", "connectsbot", "everyone", "all", "guys", "folks", "team", "friends", "there", "again"}
_WORDS = _GREETING | _THANKS | _HELP | _ADDRESS
# Words that make a message small talk of its own (the rest only keep it so).
_CORE = {
    "hi", "hii", "hello", "helo", "hey", "heya", "hiya", "yo", "sup", "howdy", "greetings", "hola",
    "salam", "salaam", "assalamualaikum", "namaste", "gm", "thanks", "thank", "thx", "thnx", "thanx",
    "ty", "tysm", "tks", "cheers", "help", "helpme", "commands", "menu", "bye", "goodbye", "cya",
    "morning", "evening", "afternoon",
}  # fmt: skip
_LETTERS = re.compile(r"[^\W\d_]+")
_RUNS = re.compile(r"(.)\1{2,}")


def is_smalltalk(text: str) -> bool:
    """True for a greeting, thanks or a bare call for help, with nothing else asked."""
    words = [_RUNS.sub(r"\1\1", w) for w in _LETTERS.findall(clean_chat(text[:300]).casefold())]
    if not words or len(words) > 8:
        return False
    squeezed = [w if w in _WORDS else _RUNS.sub(r"\1", w) for w in words]  # "hiii" -> "hii" -> "hi"
    return all(w in _WORDS for w in squeezed) and any(w in _CORE for w in squeezed)
