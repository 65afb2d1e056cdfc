"""The core's configuration: the environment, then `.env`, then the defaults; the CLI reads it too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectsbot.cli import main
from connectsbot.semantic import semantic_enabled
from connectsbot.settings import (
    RunSettings,
    SettingsError,
    StoreSettings,
    read_section,
    shipped_knowledge_dir,
)
from tests.helpers import SHIPPED_KNOWLEDGE


@pytest.fixture(autouse=True)
def _in_a_folder_without_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CONNECTSBOT_DB", raising=False)
    monkeypatch.delenv("CONNECTSBOT_SEMANTIC", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_the_shipped_knowledge_and_the_xdg_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = read_section(StoreSettings)
    assert store.knowledge == shipped_knowledge_dir() == SHIPPED_KNOWLEDGE
    assert store.db == Path.home() / ".local" / "share" / "connectsbot" / "connectsbot.sqlite3"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert read_section(StoreSettings).db == tmp_path / "data" / "connectsbot" / "connectsbot.sqlite3"
    assert read_section(RunSettings).discord is False


def test_dotenv_is_read_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    Path(".env").write_text(
        f"CONNECTSBOT_DB={tmp_path / 'from-file.sqlite3'}\n"
        f"export CONNECTSBOT_KNOWLEDGE='{tmp_path / 'kb'}'\n"
        "DISCORD_TOKEN=from-file\n"
        "CONNECTSBOT_SEMANTIC=off\n",
        encoding="utf-8",
    )
    store = read_section(StoreSettings)
    assert (store.db, store.knowledge) == (tmp_path / "from-file.sqlite3", tmp_path / "kb")
    assert read_section(RunSettings).discord is True
    assert semantic_enabled() is False
    monkeypatch.setenv("CONNECTSBOT_DB", str(tmp_path / "from-env.sqlite3"))
    monkeypatch.setenv("CONNECTSBOT_SEMANTIC", "on")
    assert read_section(StoreSettings).db == tmp_path / "from-env.sqlite3"
    assert semantic_enabled() is True
    # Given values (command-line options) win over both.
    assert read_section(StoreSettings, db=tmp_path / "given.sqlite3").db == tmp_path / "given.sqlite3"


def test_a_blank_token_starts_no_bot() -> None:
    Path(".env").write_text("DISCORD_TOKEN=  \n", encoding="utf-8")
    assert read_section(RunSettings).discord is False


def test_a_bad_setting_names_its_variable(tmp_path: Path) -> None:
    Path(".env").write_text(f"CONNECTSBOT_DB={tmp_path}\n", encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        read_section(StoreSettings)
    (problem,) = raised.value.problems
    assert problem.startswith(f"CONNECTSBOT_DB: {tmp_path} is a folder; give the database file's path")


def test_the_command_line_takes_the_knowledge_folder_from_dotenv(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = Path(shutil.copytree(SHIPPED_KNOWLEDGE, tmp_path / "kb"))
    (folder / "entries" / "stray.txt").write_text("not an entry", encoding="utf-8")
    Path(".env").write_text(f"CONNECTSBOT_KNOWLEDGE={folder}\n", encoding="utf-8")
    assert main(["kb", "validate"]) == 1
    assert "stray.txt: not an entry file" in capsys.readouterr().out
    assert main(["--knowledge", str(SHIPPED_KNOWLEDGE), "kb", "validate"]) == 0


def test_the_command_line_names_a_bad_setting(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    Path(".env").write_text(f"CONNECTSBOT_KNOWLEDGE={tmp_path / 'nowhere'}\n", encoding="utf-8")
    assert main(["kb", "validate"]) == 1
    assert "CONNECTSBOT_KNOWLEDGE:" in capsys.readouterr().err
