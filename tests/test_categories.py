"""Entry categories come from knowledge/categories.yaml: a misspelled one is an error of `kb validate`
and `kb lint`, naming the file and the closest known category."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectsbot.cli import main
from connectsbot.kbfiles import load_folder
from tests.helpers import SHIPPED_KNOWLEDGE


def test_every_shipped_category_is_listed_and_every_listed_one_is_used() -> None:
    loaded = load_folder(SHIPPED_KNOWLEDGE)
    assert loaded.categories is not None and not loaded.problems
    assert {entry.category for entry in loaded.entries.values()} == set(loaded.categories)


@pytest.mark.parametrize("command", ["validate", "lint"])
def test_a_misspelled_category_is_an_error(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, folder)
    entry = folder / "entries" / "connects-buy.md"
    entry.write_text(entry.read_text("utf-8").replace("category: connects\n", "category: bananas\n"), "utf-8")
    assert main(["--knowledge", str(folder), "kb", command]) == 1
    out = capsys.readouterr().out
    assert f"error: {entry}: category: unknown category 'bananas' (did you mean 'connects'?)" in out


def test_a_malformed_categories_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, folder)
    (folder / "categories.yaml").write_text("- connects\n- upwork\n", "utf-8")
    assert main(["--knowledge", str(folder), "kb", "validate"]) == 1
    assert "categories.yaml: must map each category to a line on what it holds" in capsys.readouterr().out
