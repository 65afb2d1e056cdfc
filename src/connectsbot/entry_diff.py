"""A short, readable diff between two versions of an entry: what the mod-log shows for each change."""

from __future__ import annotations

import difflib

from connectsbot.knowledge import Citation, Entry

LIST_FIELDS = {"aliases": "alias", "keywords": "keyword", "related": "related"}
VALUE_LIMIT = 120


def _clip(text: str, limit: int = VALUE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _source(source: Citation) -> str:
    stated = f" ({source.stated})" if source.stated else ""
    return f"{source.source}{stated}: {source.supports}"


def short_diff(before: Entry | None, after: Entry, max_lines: int = 12) -> list[str]:
    """Lines such as `+ alias: do connects expire` or `~ question: "…" → "…"`, at most `max_lines`
    (the last one then says how many more). A new entry is summed up instead of diffed."""
    if before is None:
        summary = [
            f"+ new entry {after.id} ({after.category})",
            f"+ question: {_clip(after.question)}",
            *(f"+ alias: {_clip(alias)}" for alias in after.aliases),
            f"+ answer: {len(after.answer)} characters",
        ]
        return _cap(summary, max_lines)
    lines: list[str] = []
    for name in ("question", "category", "as_of"):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            lines.append(f"~ {name}: {_clip(str(old), 60)} → {_clip(str(new), 60)}")
    for name, singular in LIST_FIELDS.items():
        old_items, new_items = list(getattr(before, name)), list(getattr(after, name))
        lines += [f"- {singular}: {_clip(item)}" for item in old_items if item not in new_items]
        lines += [f"+ {singular}: {_clip(item)}" for item in new_items if item not in old_items]
    old_sources, new_sources = [_source(s) for s in before.sources], [_source(s) for s in after.sources]
    lines += [f"- source: {_clip(s)}" for s in old_sources if s not in new_sources]
    lines += [f"+ source: {_clip(s)}" for s in new_sources if s not in old_sources]
    if before.answer != after.answer:
        lines += _answer_lines(before.answer, after.answer)
    return _cap(lines, max_lines)


def _answer_lines(old: str, new: str) -> list[str]:
    """The changed lines of the answer, as `- answer: …` / `+ answer: …`."""
    out = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        if line[1:].strip():
            out.append(f"{line[0]} answer: {_clip(line[1:])}")
    return out or ["~ answer: whitespace only"]


def _cap(lines: list[str], max_lines: int) -> list[str]:
    if len(lines) <= max_lines:
        return lines
    kept = max(max_lines - 1, 0)
    return [*lines[:kept], f"… and {len(lines) - kept} more changed lines"]
