"""The sources registry, citations by id, dates members can see, the dating lint and the V3 migration."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connectsbot.dating import (
    LEGACY_NOTE,
    OLD_NOTE,
    UNDATED_NOTE,
    dating_note,
    policy_basis,
    sources_line,
)
from connectsbot.kbcheck import check_citations, lint, validate_folder
from connectsbot.kbfiles import (
    EntryFileError,
    load_folder,
    load_sources,
    parse_entry,
    parse_sources,
    render_entry,
)
from connectsbot.knowledge import stated_label, stated_span
from connectsbot.store import KnowledgeStore
from connectsbot.terminal_text import entry_text
from tests.helpers import SHIPPED_KNOWLEDGE, build_entry

SOURCES = load_sources(SHIPPED_KNOWLEDGE)
TODAY = date(2026, 12, 4)
ANNOUNCEMENT = "upwork-connects-announcement"
SEED_FILES = {
    "002_199d9790c2e26437.txt": ANNOUNCEMENT,
    "004_89282ea679e06253.txt": "faq-upwork-communication",
    "000_f3298e88dadf35e4.txt": "blog-connects-explainer",
    "001_0306b46a8287d014.txt": "careercruise-connects-article",
    "003_d0db7c41576e6006.txt": "elance-help-basic-connects",
}


def cite(source: str, stated: str | None = None) -> dict[str, Any]:
    return {"source": source, "supports": "a fact", **({"stated": stated} if stated else {})}


# The registry


def test_the_registry_holds_every_seed_with_its_dates_and_trust() -> None:
    assert {record.file: key for key, record in SOURCES.items() if record.file} == SEED_FILES
    announcement = SOURCES[ANNOUNCEMENT]
    assert (announcement.published, announcement.updated, announcement.trust) == (
        "2020-12",
        "2021-07-23",
        "authoritative",
    )
    assert SOURCES["careercruise-connects-article"].trust == "unreliable"
    assert SOURCES["blog-connects-explainer"].dates == [] and SOURCES["faq-upwork-communication"].dates == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: a\n", "title"),
        ("{}", "must be a list of sources"),
        ("- [", "invalid YAML"),
        (
            "- {id: a, title: t, label: l, publisher: p, kind: blog post, trust: good, trust_note: n}",
            "kind",
        ),
        (
            "- {id: a, title: t, label: l, publisher: p, kind: FAQ compilation, trust: good, trust_note: n,"
            " updated: 2021-01}",
            "updated needs published",
        ),
        (
            "- {id: a, title: t, label: l, publisher: p, kind: FAQ compilation, trust: good, trust_note: n}\n"
            "- {id: a, title: t, label: l, publisher: p, kind: FAQ compilation, trust: good, trust_note: n}",
            "listed twice",
        ),
    ],
)
def test_a_broken_registry_says_where(text: str, message: str) -> None:
    with pytest.raises(EntryFileError, match=message):
        parse_sources(text, "sources.yaml")


def test_a_missing_registry_is_a_problem_of_the_folder(kb_folder: Path) -> None:
    (kb_folder / "sources.yaml").unlink()
    problems = [str(p) for p in validate_folder(load_folder(kb_folder), TODAY)]
    assert problems == [f"error: {kb_folder / 'sources.yaml'}: cannot read: No such file or directory"]


# Citations


def test_citations_must_name_a_registered_source_and_one_of_its_dates(kb_folder: Path) -> None:
    loaded = load_folder(kb_folder)
    entries = {
        "unknown": build_entry("unknown", sources=[cite("002_199d9790c2e26437.txt")]),
        "wrong-date": build_entry("wrong-date", sources=[cite(ANNOUNCEMENT, "2021-01")]),
        "undated-source": build_entry("undated-source", sources=[cite("blog-connects-explainer", "2020-12")]),
        "fine": build_entry("fine", sources=[cite(ANNOUNCEMENT, "2021-07-23"), cite(ANNOUNCEMENT)]),
    }
    problems = [str(p) for p in check_citations(entries, {}, loaded.policy, loaded.sources)]
    assert problems == [
        "error: unknown: sources.0.source: unknown source '002_199d9790c2e26437.txt': add it to sources.yaml",
        "error: wrong-date: sources.0.stated: 2021-01 is not a date of upwork-connects-announcement: "
        "it states only 2020-12 and 2021-07-23",
        "error: undated-source: sources.0.stated: 2020-12 is not a date of blog-connects-explainer: "
        "it is undated",
    ]


def test_policy_citations_are_checked_too(kb_folder: Path) -> None:
    policy = kb_folder / "policy.yaml"
    policy.write_text(policy.read_text().replace("source: connectsbot-defaults", "source: nobody"))
    problems = [str(p) for p in validate_folder(load_folder(kb_folder), TODAY)]
    assert problems == [
        "error: policy.yaml: grace_hours.values.0.cites.source: unknown source 'nobody': "
        "add it to sources.yaml"
    ]


def test_a_broken_registry_stops_an_import(kb_folder: Path) -> None:
    (kb_folder / "sources.yaml").write_text("- [", encoding="utf-8")
    assert any("sources.yaml" in str(p) and "invalid YAML" in str(p) for p in load_folder(kb_folder).problems)


@pytest.mark.parametrize(
    ("stated", "label", "span"),
    [
        ("2020-12", "Dec 2020", (date(2020, 12, 1), date(2020, 12, 31))),
        ("2021-02", "Feb 2021", (date(2021, 2, 1), date(2021, 2, 28))),
        ("2021-07-23", "Jul 2021", (date(2021, 7, 23), date(2021, 7, 23))),
    ],
)
def test_partial_dates(stated: str, label: str, span: tuple[date, date]) -> None:
    assert stated_label(stated) == label and stated_span(stated) == span


def test_month_and_full_dates_are_written_unquoted_and_read_back() -> None:
    entry = build_entry("dated", sources=[cite(ANNOUNCEMENT, "2020-12"), cite(ANNOUNCEMENT, "2021-07-23")])
    text = render_entry(entry)
    assert "  stated: 2020-12\n" in text and "  stated: 2021-07-23\n" in text
    assert parse_entry(text) == entry and render_entry(parse_entry(text)) == text


# What members see


def test_sources_line_names_titles_and_the_dates_facts_were_stated() -> None:
    entry = build_entry(
        "mixed",
        sources=[
            cite(ANNOUNCEMENT, "2021-07-23"),
            cite(ANNOUNCEMENT, "2020-12"),
            cite("blog-connects-explainer"),
            cite("careercruise-connects-article", "2025-02-26"),
            cite("not-registered"),
        ],
    )
    assert sources_line(entry, SOURCES) == (
        "Sources: Upwork Community announcement (Dec 2020, updated Jul 2021) · third-party blog explainer "
        "(undated) · CareerCruise article (Feb 2025; unreliable) · not-registered (undated)"
    )


def test_a_citation_without_a_date_shows_its_sources_dates() -> None:
    entry = build_entry("quick", sources=[cite(ANNOUNCEMENT)])
    assert (
        sources_line(entry, SOURCES) == "Sources: Upwork Community announcement (Dec 2020, updated Jul 2021)"
    )


def test_the_note_on_age() -> None:
    old = build_entry("old", sources=[cite(ANNOUNCEMENT, "2021-07-23")])
    assert dating_note(old, SOURCES, TODAY) == OLD_NOTE
    assert "more than two years old: Upwork may have changed it since; check" in OLD_NOTE
    assert dating_note(old, SOURCES, date(2023, 7, 23)) is None
    assert dating_note(old, SOURCES, date(2023, 7, 25)) == OLD_NOTE
    undated = build_entry("undated", sources=[cite("faq-upwork-communication")])
    assert dating_note(undated, SOURCES, date(2021, 8, 1)) == UNDATED_NOTE
    # A recent date of an unreliable article does not make an answer look fresh.
    myth = build_entry(
        "myth", sources=[cite(ANNOUNCEMENT, "2020-12"), cite("careercruise-connects-article", "2025-02-26")]
    )
    assert dating_note(myth, SOURCES, date(2025, 6, 1)) == OLD_NOTE
    legacy = build_entry("elance", category="legacy", sources=[cite("elance-help-basic-connects")])
    assert dating_note(legacy, SOURCES, TODAY) == LEGACY_NOTE


def test_every_shipped_answer_shows_titles_dates_and_the_note() -> None:
    loaded = load_folder(SHIPPED_KNOWLEDGE)
    for entry in loaded.entries.values():
        text = entry_text(entry, loaded.sources, TODAY)
        footer = text.rsplit("\n\n", 1)[1]
        sources, note = footer.split("\n")
        assert sources.startswith("Sources: ") and ".txt" not in footer and "as of" not in footer, entry.id
        assert note in (OLD_NOTE, UNDATED_NOTE, LEGACY_NOTE), entry.id
        assert all(
            record.label in sources
            for record in loaded.sources.values()
            if record.id in {c.source for c in entry.sources}
        )


def test_shipped_answers_are_short_where_they_can_be() -> None:
    long = [e.id for e in load_folder(SHIPPED_KNOWLEDGE).entries.values() if len(e.answer) >= 800]
    assert long == []


def test_policy_basis_names_the_rules_source_and_its_age() -> None:
    ids = [ANNOUNCEMENT, "connectsbot-defaults"]
    assert policy_basis(ids, SOURCES, TODAY) == (
        "rules as announced in the Upwork Community announcement of December 2020 (updated July 2021); "
        "Upwork may have changed them since: check Upwork's Help Center (support.upwork.com)"
    )
    assert policy_basis(ids, SOURCES, date(2022, 1, 1)) == (
        "rules as announced in the Upwork Community announcement of December 2020 (updated July 2021)"
    )
    assert policy_basis(["gone"], {}, TODAY).startswith("rules as announced in gone; Upwork may have")


# kb lint: no "current" figures from old sources


def test_lint_reports_now_words_in_answers_whose_sources_are_old() -> None:
    entries = {
        "stale": build_entry(
            "stale",
            answer="The current allowance is 10 a month, as of now.",
            sources=[cite(ANNOUNCEMENT, "2020-12")],
        ),
        "undated": build_entry(
            "undated", answer="Today the rule is the latest one.", sources=[cite("faq-upwork-communication")]
        ),
        "fine": build_entry(
            "fine",
            answer="Upwork now and then gives bonus Connects (Dec 2020).",
            sources=[cite(ANNOUNCEMENT, "2020-12")],
        ),
    }
    findings = [str(f) for f in lint(entries, {}, None, TODAY, SOURCES) if "two years" in f.message]
    assert findings == [
        "error: stale: answer: says 'current', 'now' but its newest source is over two years old or undated: "
        "give the source's date instead",
        "error: undated: answer: says 'Today', 'latest' but its newest source is over two years old or "
        "undated: give the source's date instead",
    ]
    recent = lint(entries, {}, None, date(2021, 6, 1), SOURCES)
    assert [f.file for f in recent if "two years" in f.message] == ["undated"]


# Databases made before the registry


async def test_a_v2_database_with_seed_citations_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    migrations = Path(__file__).parents[1] / "src/connectsbot/store/migrations/sqlite"
    old = build_entry("connects-rollover").model_dump(mode="json")
    old["sources"] = [
        {"seed": "002_199d9790c2e26437.txt", "supports": "limit 200", "stated": "2021-07-23"},
        {"seed": "000_f3298e88dadf35e4.txt", "supports": "no roll over", "stated": None},
        {"seed": "someone-else.txt", "supports": "a moderator's note", "stated": None},
    ]
    with sqlite3.connect(path) as db:
        for name in ("V1__initial.sql", "V2__feedback.sql"):
            db.executescript((migrations / name).read_text())
        db.execute("PRAGMA user_version = 2")
        db.execute("INSERT INTO entries (id, head_revision) VALUES ('connects-rollover', 1)")
        db.execute(
            "INSERT INTO revisions VALUES "
            "('connects-rollover', 1, 'add', 'm', 'r', '2026-11-01T00:00:00+00:00', 0, '[]', ?)",
            (json.dumps(old, separators=(",", ":")),),
        )
    async with await KnowledgeStore.open(path) as store:
        live = await store.get("connects-rollover")
        assert [c.source for c in live.entry.sources] == [
            ANNOUNCEMENT,
            "blog-connects-explainer",
            "someone-else.txt",
        ]
        assert live.entry.sources[0].stated == "2021-07-23"
        problems = [str(p) for p in check_citations({"x": live.entry}, {}, None, SOURCES)]
        assert problems == [
            "error: x: sources.2.source: unknown source 'someone-else.txt': add it to sources.yaml"
        ]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 3
