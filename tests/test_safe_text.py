"""One sanitiser at the core's boundary (issue 14, findings 3 and 9): lone surrogates, NUL, bidi
controls and zero-width characters in questions, entry fields and titles."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from connectsbot.answers import AnswerService
from connectsbot.kbcheck import check_entries
from connectsbot.kbfiles import load_folder
from connectsbot.knowledge import Entry
from connectsbot.safe_text import comparison_form, safe_text
from connectsbot.store import KnowledgeStore
from tests.helpers import build_entry

RIGHT_TO_LEFT_OVERRIDE = "\u202e"


def test_what_is_removed_and_what_stays() -> None:
    assert safe_text("a\ud800b") == "a\ufffdb"
    assert safe_text("nu\x00ll \u202egnp.exe\u202c \u2066x\u2069 \u200ez\u200f") == "null gnp.exe x z"
    assert safe_text("zero\u200bwidth\ufeff") == "zerowidth"
    assert safe_text("tab\tand\nlines\r\n, emoji 👩\u200d💻, accents é") == (
        "tab\tand\nlines\r\n, emoji 👩\u200d💻, accents é"
    )
    assert comparison_form("Con\u200dnects") == "Connects"


async def test_a_lone_surrogate_does_not_fail_the_questions_committed_with_it(
    kb_folder: Path, store: KnowledgeStore
) -> None:
    answers, _ = await AnswerService.start(store, kb_folder, semantic=False)
    questions = ["what about zeta topic", "broken \ud800 question", "what about omega topic"]
    asked = await asyncio.gather(*(answers.ask(q, f"member{n}", "g", "c") for n, q in enumerate(questions)))
    assert all(answer.question_id is not None for answer in asked), "every question recorded"
    recorded = {question.question for question in await store.unanswered()}
    assert recorded == {"what about zeta topic", "broken \ufffd question", "what about omega topic"}


async def test_a_nul_saved_through_the_form_does_not_block_later_imports(
    kb_folder: Path, store: KnowledgeStore
) -> None:
    form = build_entry("delta-topic").model_dump(mode="json")
    form["answer"] = "Connects\x00 roll over for a year."  # what a moderator's client sent in the form
    await store.add(Entry.model_validate(form), "moderator", "new")
    await store.export_folder(kb_folder)
    loaded = load_folder(kb_folder)
    assert loaded.problems == []
    assert loaded.entries["delta-topic"].answer == "Connects roll over for a year."


def test_invisible_characters_do_not_hide_a_duplicate_title() -> None:
    plain = build_entry("alpha-topic", question="Do Connects expire?", aliases=[])
    look_alike = build_entry("beta-topic", question="Do Con\u200bnects ex\u200dpire?", aliases=[])
    problems = check_entries({e.id: e for e in (plain, look_alike)}, {}, date(2026, 12, 1))
    assert [problem.field for problem in problems] == ["question", "question"]


def test_entry_fields_lose_bidi_controls() -> None:
    entry = build_entry(
        "alpha-topic", answer=f"Pay at {RIGHT_TO_LEFT_OVERRIDE}moc.krowpu", aliases=["a\u2066b"]
    )
    assert RIGHT_TO_LEFT_OVERRIDE not in entry.answer and entry.aliases == ["ab"]
