"""The one sanitiser for text from members and moderators, applied where it enters the core: questions
before they are matched or recorded (`AnswerService.ask_many`), entry fields before they are validated
or saved (`Entry`), titles and aliases before they are compared (`normalise_alias`).

What it removes cannot be seen, means nothing in an answer or a question, and does harm:
- a lone surrogate (U+D800-U+DFFF, from a client sending broken UTF-16) cannot be encoded: SQLite
  refuses it and fails every question committed with it; it becomes U+FFFD;
- NUL and the other control characters but tab and line breaks: a NUL in a knowledge file makes it
  unreadable to the next import;
- the bidi embeddings, overrides, isolates and marks (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
  U+061C): text displayed in another order than it is written (a diff, a link);
- zero-width spaces, the word joiner and byte-order marks (U+200B, U+2060, U+FEFF): look-alike titles.
  The zero-width joiner and non-joiner stay in saved text (emoji sequences and some scripts need
  them) but not in the comparison form: two titles that differ only by them are the same title.
"""

from __future__ import annotations

from typing import Any

_DROPPED = [
    *range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F,  # controls; tab, \n and \r stay
    *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C,  # bidi
    0x200B, 0x2060, 0xFEFF,  # zero-width space, word joiner, byte-order mark
]  # fmt: skip
_SAFE: dict[int, str | None] = {
    **dict.fromkeys(_DROPPED),
    **dict.fromkeys(range(0xD800, 0xE000), "\ufffd"),  # lone surrogates
}
_COMPARED: dict[int, str | None] = {**_SAFE, 0x200C: None, 0x200D: None}


def safe_text(text: str) -> str:
    """`text` without what the module docstring lists (lone surrogates become U+FFFD)."""
    return text.translate(_SAFE)


def comparison_form(text: str) -> str:
    """`text` as compared for sameness: `safe_text`, and without any zero-width character."""
    return text.translate(_COMPARED)


def safe_strings(data: Any) -> Any:
    """Every string in `data` (nested dicts and lists, as parsed from a form or a file) made safe."""
    if isinstance(data, str):
        return safe_text(data)
    if isinstance(data, dict):
        return {key: safe_strings(value) for key, value in data.items()}
    if isinstance(data, list):
        return [safe_strings(item) for item in data]
    return data
