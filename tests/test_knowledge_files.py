"""Knowledge files: parsing, canonical rendering, `kb validate` problems and `kb lint` findings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectsbot.kbcheck import lint, validate_folder
from connectsbot.kbfiles import (
    EntryFileError,
    load_folder,
    load_policy,
    parse_entry,
    parse_policy,
    render_entry,
)
from connectsbot.knowledge import ANSWER_MAX_CHARS, PolicyAt, PolicyNotInForce
from tests.helpers import REQUIRED_TOPICS, SHIPPED_KNOWLEDGE, build_entry, write_folder

TODAY = date(2026, 12, 4)


def required_topic_ids() -> list[str]:
    ids = []
    topics = REQUIRED_TOPICS.read_text().split("## Topics", 1)[1].split("\n## ", 1)[0]
    for line in topics.splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) > 2 and cells[1].startswith("`") and cells[1].endswith("`"):
            ids.append(cells[1].strip("`"))
    return ids


def problems_of(folder: Path) -> list[str]:
    return [str(p) for p in validate_folder(load_folder(folder), TODAY)]


def test_shipped_knowledge_is_valid_and_canonical() -> None:
    loaded = load_folder(SHIPPED_KNOWLEDGE)
    assert validate_folder(loaded, TODAY) == []
    for entry_id, path in loaded.files.items():
        assert render_entry(loaded.entries[entry_id]) == path.read_text(encoding="utf-8"), path.name


def test_every_required_topic_is_an_entry_with_sources_and_as_of() -> None:
    loaded = load_folder(SHIPPED_KNOWLEDGE)
    required = required_topic_ids()
    assert len(required) >= 30
    assert sorted(set(required) - set(loaded.entries)) == []
    for entry in loaded.entries.values():
        assert entry.sources and entry.as_of
        assert len(entry.answer) < ANSWER_MAX_CHARS


def test_shipped_knowledge_has_no_lint_errors() -> None:
    loaded = load_folder(SHIPPED_KNOWLEDGE)
    files = {k: str(v) for k, v in loaded.files.items()}
    errors = [
        f for f in lint(loaded.entries, files, loaded.policy, TODAY, loaded.sources) if f.severity == "error"
    ]
    assert errors == []


def test_render_then_parse_is_identity() -> None:
    entry = build_entry(
        "round-trip", aliases=["a: colon", "quote ' and \" marks", "émoji 🚀"], keywords=["x"]
    )
    assert parse_entry(render_entry(entry)) == entry


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no front matter", "must start with a '---'"),
        ("---\nid: x\n", "not closed"),
        ("---\nid: [oops\n---\nbody\n", "invalid YAML"),
        ("---\n- a list\n---\nbody\n", "mapping of fields"),
        ("---\nid: x\nanswer: inline\n---\n", "text after the front matter"),
        ("---\nid: a\x00b\n---\n", "NUL"),
    ],
)
def test_unreadable_entry_files_say_why(text: str, expected: str) -> None:
    with pytest.raises(EntryFileError, match=expected):
        parse_entry(text, "bad.md")


def _broken(folder: Path, name: str, text: str) -> list[str]:
    (folder / "entries" / name).write_text(text, encoding="utf-8")
    return problems_of(folder)


def _with_front_matter(entry_text: str, old: str, new: str) -> str:
    assert old in entry_text
    return entry_text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "sources:\n- source: upwork-connects-announcement\n  supports: the figures\n",
            "sources: []\n",
            "sources",
            "at least 1",
        ),
        ("as_of: 2026-11-01", "as_of: 2026-13-01", "as_of", "date"),
        ("as_of: 2026-11-01", "as_of: 2027-01-01", "as_of", "in the future"),
        ("category: connects", "category: connects\ncolour: blue", "colour", "Extra inputs"),
        ("id: beta-topic", "id: Beta Topic", "id", "pattern"),
        (
            "source: upwork-connects-announcement",
            "source: see the blog",
            "sources.0.source",
            "unknown source",
        ),
        (
            "  supports: the figures\n",
            "  supports: the figures\n  stated: 2019-05\n",
            "sources.0.stated",
            "not a date",
        ),
        (
            "  supports: the figures\n",
            "  supports: the figures\n  stated: 2021-02-30\n",
            "sources.0.stated",
            "day",
        ),
        ("question: What about beta topic?\n", "", "question", "Field required"),
    ],
)
def test_each_invalid_field_is_reported_with_file_and_field(
    kb_folder: Path, old: str, new: str, field: str, message: str
) -> None:
    path = kb_folder / "entries" / "beta-topic.md"
    problems = _broken(kb_folder, "beta-topic.md", _with_front_matter(path.read_text(), old, new))
    assert any("beta-topic.md" in p and field in p and message in p for p in problems), problems


def test_answer_over_the_embed_limit_is_reported(kb_folder: Path) -> None:
    text = (kb_folder / "entries" / "beta-topic.md").read_text() + "x" * ANSWER_MAX_CHARS
    problems = _broken(kb_folder, "beta-topic.md", text)
    assert any("beta-topic.md: answer" in p and str(ANSWER_MAX_CHARS) in p for p in problems)


def test_cross_entry_problems(kb_folder: Path) -> None:
    write_folder(
        kb_folder,
        [
            build_entry("delta-topic", aliases=["What is  GAMMA"], related=["no-such-topic"]),
            build_entry("epsilon-topic", aliases=["eps", "eps too"]),
        ],
    )
    epsilon = kb_folder / "entries" / "epsilon-topic.md"
    epsilon.write_text(epsilon.read_text().replace("eps too", "EPS"))
    problems = problems_of(kb_folder)
    assert any("delta-topic.md: aliases" in p and "'gamma-topic'" in p for p in problems)
    assert any("delta-topic.md: related" in p and "no-such-topic" in p for p in problems)
    assert any("epsilon-topic.md: aliases: alias 'EPS' is listed twice" in p for p in problems), problems


def test_file_name_must_match_id_and_files_must_be_entries(kb_folder: Path) -> None:
    entries = kb_folder / "entries"
    (entries / "beta-topic.md").rename(entries / "beta.md")
    (entries / "notes.txt").write_text("scratch")
    (entries / "binary.md").write_bytes(b"\xff\xfe\x00")
    problems = problems_of(kb_folder)
    assert any("beta.md: id" in p and "file name" in p for p in problems)
    assert any("notes.txt" in p and "not an entry file" in p for p in problems)
    assert any("binary.md" in p and "UTF-8" in p for p in problems)


def test_missing_policy_and_missing_entries_folder(tmp_path: Path) -> None:
    assert any("entries folder does not exist" in p for p in problems_of(tmp_path))
    (tmp_path / "entries").mkdir()
    assert any("policy.yaml" in p and "cannot read" in p for p in problems_of(tmp_path))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "effective_from: 2020-12-01T00:00:00Z\n    value: 10",
            "effective_from: 2020-12-01\n    value: 10",
            "time zone",
        ),
        ("value: 50", "value: -50", "negative"),
        ("value: 50", "value: 50.5", "whole number"),
        ("value: 2020-12-01T00:00:00Z", "value: 12", "date-time"),
        ("grace_hours:", "grace_hourz:", "grace_hours"),
    ],
)
def test_policy_problems(old: str, new: str, message: str) -> None:
    text = (SHIPPED_KNOWLEDGE / "policy.yaml").read_text()
    assert old in text
    with pytest.raises(EntryFileError, match=message):
        parse_policy(text.replace(old, new, 1))


def test_the_policy_at_a_moment_is_typed() -> None:
    moment = datetime(2026, 11, 21, tzinfo=UTC)
    assert load_policy(SHIPPED_KNOWLEDGE).at(moment) == PolicyAt(
        moment=moment,
        connects_per_interview=10,
        weekly_cap=50,
        window_hours=168.0,
        program_start=datetime(2020, 12, 1, tzinfo=UTC),
        grace_hours=48.0,
    )


def test_the_policy_is_not_in_force_before_its_first_values() -> None:
    text = (SHIPPED_KNOWLEDGE / "policy.yaml").read_text()
    first = "  - effective_from: 2020-12-01T00:00:00Z\n    value: 168"
    assert first in text
    policy = parse_policy(text.replace(first, first.replace("2020-12-01", "2021-02-01"), 1))
    moment = datetime(2021, 1, 15, tzinfo=UTC)
    with pytest.raises(PolicyNotInForce) as raised:
        policy.at(moment)
    assert (raised.value.parameter, raised.value.moment) == ("window_hours", moment)
    assert raised.value.first_effective == datetime(2021, 2, 1, tzinfo=UTC)
    assert "window_hours" in str(raised.value) and "2021-02-01" in str(raised.value)
    # Before every parameter's first value, the error names the one whose first value comes last.
    with pytest.raises(PolicyNotInForce, match="window_hours"):
        policy.at(datetime(2020, 1, 1, tzinfo=UTC))
    assert policy.at(datetime(2021, 2, 1, tzinfo=UTC)).window_hours == 168


def test_policy_values_must_be_in_date_order() -> None:
    text = (SHIPPED_KNOWLEDGE / "policy.yaml").read_text()
    later = text.replace(
        "  - effective_from: 2020-12-01T00:00:00Z\n    value: 10",
        "  - effective_from: 2025-01-01T00:00:00Z\n    value: 15\n    as_of: 2026-11-21\n    cites:\n"
        "      source: a\n      supports: b\n  - effective_from: 2020-12-01T00:00:00Z\n    value: 10",
        1,
    )
    with pytest.raises(EntryFileError, match="increasing effective_from"):
        parse_policy(later)


def test_lint_finds_confusable_stale_and_disagreeing_entries() -> None:
    entries = {
        "plus-a": build_entry(
            "plus-a",
            aliases=["how many connects on plus plan"],
            answer="Freelancer Plus gives 80 Connects a month.",
            as_of=date(2024, 1, 1),
        ),
        "plus-b": build_entry(
            "plus-b",
            aliases=["how many connects on the plus plan"],
            answer="The Plus plan gives 70 Connects per month.",
        ),
        "plus-history": build_entry(
            "plus-history", answer="Older blogs say Plus gave 70 Connects a month; that is outdated."
        ),
        "cap": build_entry("cap", answer="You can earn at most 60 Connects in any 7-day period."),
    }
    policy = load_folder(SHIPPED_KNOWLEDGE).policy
    findings = [str(f) for f in lint(entries, {}, policy, TODAY, {})]
    assert any("warning: plus-a: as_of" in f and "over a year" in f for f in findings)
    assert any("warning: plus-a: aliases" in f and "plus-b" in f and "confuse" in f for f in findings)
    disagree = [f for f in findings if "monthly Connects on Freelancer Plus disagree" in f]
    assert len(disagree) == 1 and "70 in plus-b" in disagree[0] and "plus-history" not in disagree[0]
    assert any(f.startswith("error: cap: answer") and "policy.yaml says 50" in f for f in findings)


def test_lint_reports_an_alias_another_entry_answers_better() -> None:
    entries = {
        "rollover": build_entry(
            "rollover",
            question="Do unused Connects roll over?",
            aliases=["unused connects next month", "how do i buy more connects with a card"],
            answer="Unused Connects roll over, up to 200.",
        ),
        "buying": build_entry(
            "buying",
            question="How do I buy more Connects?",
            aliases=["purchase connects with a card", "top up connects"],
            answer="Buy Connects from your account.",
        ),
    }
    findings = [str(f) for f in lint(entries, {}, None, TODAY, {}) if "better" in f.message]
    misplaced = [f for f in findings if "'how do i buy more connects with a card'" in f]
    assert len(misplaced) == 1 and misplaced[0].startswith("warning: rollover: aliases"), findings
    assert "matches 'buying' better" in misplaced[0]
    assert not [f for f in findings if "unused connects next month" in f or "top up connects" in f]


def test_a_policy_file_that_is_not_utf8_says_so(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_bytes(b"interview_connects:\n  \xff\xfe broken")
    with pytest.raises(EntryFileError, match="cannot read: not valid UTF-8 text"):
        load_policy(tmp_path)
