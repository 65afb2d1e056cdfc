"""The session check of the shared evaluation data (tests/conftest.py): it names each missing part."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import missing_shared_data


def test_every_missing_part_of_the_shared_folder_is_named(tmp_path: Path) -> None:
    assert missing_shared_data(tmp_path) == [
        f"{tmp_path}/eval/questions.jsonl (a file)",
        f"{tmp_path}/knowledge-topics.md (a file)",
        f"{tmp_path}/eval/timelines (a folder of *.txt timelines)",
    ]


def test_a_timelines_folder_without_timelines_is_missing_data(tmp_path: Path) -> None:
    (tmp_path / "eval" / "timelines").mkdir(parents=True)
    (tmp_path / "eval" / "questions.jsonl").write_text('{"q": "x", "expect": "y"}\n')
    (tmp_path / "knowledge-topics.md").write_text("## Topics\n")
    assert missing_shared_data(tmp_path) == [f"{tmp_path}/eval/timelines (a folder of *.txt timelines)"]
    (tmp_path / "eval" / "timelines" / "01-case.txt").write_text("2026-11-02 proposal A\n")
    assert missing_shared_data(tmp_path) == []
