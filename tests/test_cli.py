"""The command line as a user runs it: kb tools, ask (people and --json), chat, first start."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connectsbot import chat
from connectsbot.answers import AnswerService
from connectsbot.cli import main
from connectsbot.kbfiles import load_policy, render_entry
from connectsbot.store import KnowledgeStore
from tests.helpers import SHIPPED_KNOWLEDGE, build_entry, scripted_reader

CONSOLE_SCRIPT = Path(sys.executable).parent / "connectsbot"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_KNOWLEDGE, tmp_path / "knowledge"))


def test_validate_and_lint_pass_on_the_shipped_knowledge(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kb", "validate")
    assert code == 0 and out.strip().endswith(": 0 problems")
    code, out, _ = run(capsys, "kb", "lint")
    assert code == 0 and ": 0 errors" in out


def test_validate_fails_with_file_and_field(capsys: pytest.CaptureFixture[str], knowledge_copy: Path) -> None:
    (knowledge_copy / "entries" / "connects-rollover.md").write_text("---\nid: connects-rollover\n---\nx\n")
    code, out, _ = run(capsys, "--knowledge", str(knowledge_copy), "kb", "validate")
    assert code == 1
    assert "connects-rollover.md: question: Field required" in out
    assert "connects-rollover.md: sources: Field required" in out


def test_import_of_a_broken_folder_changes_nothing(
    capsys: pytest.CaptureFixture[str], knowledge_copy: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "cli.sqlite3")
    assert run(capsys, "--db", db, "--knowledge", str(knowledge_copy), "kb", "import")[0] == 0
    (knowledge_copy / "entries" / "zz-new.md").write_text(render_entry(build_entry("zz-new")))
    (knowledge_copy / "entries" / "connects-what.md").write_text("broken")
    code, _, err = run(capsys, "--db", db, "--knowledge", str(knowledge_copy), "kb", "import")
    assert code == 1 and "Nothing was imported" in err and "connects-what.md" in err
    code, out, _ = run(capsys, "--db", db, "--knowledge", str(knowledge_copy), "kb", "export", "--json")
    assert "zz-new" not in {item["id"] for item in json.loads(out)}


def test_export_json_lists_live_entries_with_required_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kb", "export", "--json")
    entries = json.loads(out)
    assert code == 0 and len(entries) >= 34
    for item in entries:
        assert {"id", "question", "aliases", "answer", "category", "sources", "as_of"} <= set(item)


def test_history_lists_revisions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kb", "history", "connects-rollover")
    assert code == 0 and out.startswith("r1 ") and "import" in out and "knowledge-files" in out
    code, _, err = run(capsys, "kb", "history", "no-such-entry")
    assert code == 1 and "no entry 'no-such-entry'" in err


def test_ask_for_people_prints_the_answer_with_sources(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ask", "do", "unused", "connects", "roll", "over?")
    assert code == 0
    assert "200" in out and "Sources: Upwork Community announcement (Dec 2020)" in out
    assert "more than two years old: Upwork may have changed it since; check" in out
    assert "002_199d9790c2e26437" not in out and "as of" not in out


def test_ask_explain_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ask", "--explain", "--no-record", "do unused connects roll over?")
    assert code == 0 and "Sources:" in out
    assert "decision: answer -> connects-rollover" in out and "candidates (share of the ranking" in out
    assert "answer model: lexical + semantic; trained on" in out and "ranking: lexical" in out


def test_ask_json_single_question(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ask", "--json", "whats the weather in paris tomorrow")
    line = json.loads(out)
    assert code == 0
    assert set(line) == {"question", "decision", "entry_id", "score", "suggestions", "top_id", "candidates"}
    assert all(set(c) == {"entry_id", "score", "lexical", "semantic"} for c in line["candidates"])
    assert line["entry_id"] is None and line["decision"] in ("none", "suggest")


def test_ask_json_stdin_answers_every_line_in_order() -> None:
    questions = [
        "do connects roll over",
        "",
        "how do i withdraw to payoneer",
        "what are connects used for",
    ] * 250
    proc = subprocess.run(
        [str(CONSOLE_SCRIPT), "ask", "--json", "-"],
        input="\n".join(questions) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["question"] for line in lines] == questions
    assert lines[0]["entry_id"] == "connects-rollover" and lines[0]["decision"] == "answer"
    assert lines[1]["decision"] == "none" and lines[1]["suggestions"] == []
    assert lines[3]["entry_id"] == "connects-what"
    for line in lines:
        assert (line["entry_id"] is not None) == (line["decision"] == "answer")


def test_first_start_fills_the_database_and_edited_files_are_live_after_restart(
    capsys: pytest.CaptureFixture[str], knowledge_copy: Path, tmp_path: Path
) -> None:
    db = tmp_path / "fresh" / "bot.sqlite3"
    args = ["--db", str(db), "--knowledge", str(knowledge_copy)]
    assert run(capsys, *args, "ask", "--json", "zebra husbandry course")[0] == 0
    assert db.exists()
    path = knowledge_copy / "entries" / "connects-rollover.md"
    path.write_text(path.read_text().replace("aliases:\n", "aliases:\n- zebra husbandry course\n", 1))
    _, out, _ = run(capsys, *args, "ask", "--json", "zebra husbandry course")
    assert json.loads(out)["entry_id"] == "connects-rollover"


async def test_chat_answers_suggests_picks_and_diagnoses(tmp_path: Path) -> None:
    said: list[str] = []
    reader = scripted_reader(
        [
            "do unused connects roll over",
            "/diagnose",
            "2026-11-02 proposal Logo design",
            "2026-11-03 09:10 interview Logo design",
            "2026-11-03 09:40 respond Logo design",
            "2026-11-06 check",
            "done",
            "zebra husbandry",
        ]
    )
    async with await KnowledgeStore.open(tmp_path / "chat.sqlite3") as store:
        answers, _ = await AnswerService.start(store, SHIPPED_KNOWLEDGE)
        code = await chat.run_chat(answers, load_policy(SHIPPED_KNOWLEDGE), "tester", reader, said.append)
        unanswered = await store.unanswered()
    assert code == 0
    assert "200" in said[1]
    assert "Paste your timeline" in said[2] and "done" in said[2]
    assert "Logo design" in said[3] and "10" in said[3]
    assert "don't know" in said[4] or "Did you mean" in said[4]
    assert said[-1] == "bye"
    assert [q.question for q in unanswered] == ["zebra husbandry"]
