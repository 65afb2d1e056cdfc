"""The mod-log's short diff between two versions of an entry."""

from __future__ import annotations

from connectsbot.entry_diff import short_diff
from tests.helpers import build_entry


def test_new_entry_summary() -> None:
    lines = short_diff(None, build_entry("alpha-topic", aliases=["one", "two"]))
    assert lines[0] == "+ new entry alpha-topic (connects)"
    assert "+ alias: one" in lines and lines[-1].startswith("+ answer:")


def test_changed_fields() -> None:
    before = build_entry("alpha-topic", aliases=["old way"], answer="line one\nline two")
    after = build_entry(
        "alpha-topic",
        question="A better question?",
        aliases=["new way"],
        answer="line one\nline 2",
        keywords=["kw"],
    )
    lines = short_diff(before, after)
    assert lines[0].startswith("~ question: What about alpha topic? → A better question?")
    assert "- alias: old way" in lines and "+ alias: new way" in lines and "+ keyword: kw" in lines
    assert "- answer: line two" in lines and "+ answer: line 2" in lines


def test_long_diffs_are_capped() -> None:
    before = build_entry("alpha-topic", answer="\n".join(f"old {i}" for i in range(40)))
    after = build_entry("alpha-topic", answer="\n".join(f"new {i} " + "x" * 300 for i in range(10)))
    lines = short_diff(before, after, max_lines=6)
    assert len(lines) == 6 and lines[-1].startswith("… and ")
    assert all(len(line) < 140 for line in lines)


def test_whitespace_only_change_and_no_change() -> None:
    entry = build_entry("alpha-topic")
    assert short_diff(entry, entry) == []
