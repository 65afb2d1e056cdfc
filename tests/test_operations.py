"""What the people who run the bot use: `.env.example`, `config check`, `invite-url`, `db backup` and
`db restore` of a database the bot is writing to, the backup before a migration, the log settings, and
the deploy files (Dockerfile, compose.yaml, the systemd unit) against the README."""

from __future__ import annotations

import logging
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiosqlite
import discord
import pytest
import yaml
from dotenv import dotenv_values

from bot.logging_setup import configure_logging
from bot.permissions import REQUIRED_PERMISSIONS, application_id_of, missing_permissions
from bot.settings import ALL_SECTIONS, RENAMED_VARIABLES, load_settings
from connectsbot.cli import main
from connectsbot.settings import LogSettings, SettingsError, env_example, read_section, variable_name
from connectsbot.store import KnowledgeStore
from connectsbot.store.database import SqliteDatabase, migrate, shipped_migrations

REPO = Path(__file__).resolve().parents[1]
REGENERATE = "regenerate it: .venv/bin/connectsbot config example > .env.example"
SERVER, CHANNEL = "123456789012345678", "223456789012345678"


@pytest.fixture(autouse=True)
def _clean_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("CONNECTSBOT_") or name.upper() in {"DISCORD_TOKEN", *RENAMED_VARIABLES}:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


# .env.example and config check


def test_the_env_example_is_generated_from_the_settings_models() -> None:
    committed = (REPO / ".env.example").read_text(encoding="utf-8")
    assert committed == env_example(ALL_SECTIONS), f".env.example is out of date; {REGENERATE}"


def test_the_env_example_names_every_variable_once_with_what_it_does() -> None:
    text = env_example(ALL_SECTIONS)
    variables = re.findall(r"^# ([A-Z_]+)=", text, flags=re.MULTILINE)
    expected = {
        variable_name(field_name, info)
        for _, section in ALL_SECTIONS
        for field_name, info in section.model_fields.items()
    }
    assert sorted(variables) == sorted(expected)
    assert all(v == "DISCORD_TOKEN" or v.startswith("CONNECTSBOT_") for v in variables)
    for variable in variables:
        described = text.split(f"# {variable}=")[0].rstrip("\n").rsplit("\n", 1)[-1]
        assert len(described) > 20, variable
    assert "# CONNECTSBOT_QUESTION_LIMIT=5\n" in text


def test_a_dotenv_copied_from_the_example_is_accepted(tmp_path: Path) -> None:
    Path(".env").write_text(env_example(ALL_SECTIONS) + "DISCORD_TOKEN=abc.def.ghi\n", encoding="utf-8")
    settings = load_settings(Path(".env"))
    assert settings.answers.question_limit == 5 and settings.logs.level == "INFO"


def test_config_check_prints_the_settings_with_the_token_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "very.secret.token")
    monkeypatch.setenv("CONNECTSBOT_HELP_CHANNELS", CHANNEL)
    assert main(["--db", "bot.sqlite3", "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "very.secret.token" not in out
    assert "DISCORD_TOKEN = (set, hidden)" in out
    assert f"CONNECTSBOT_HELP_CHANNELS = [{CHANNEL}]" in out
    assert f"CONNECTSBOT_DB = {Path('bot.sqlite3')}" in out
    assert "Message Content intent" in out and "0 problems." in out


def test_config_check_names_every_problem_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONNECTSBOT_HELP_CHANNELS", "111,222")
    monkeypatch.setenv("CONNECTSBOT_LOG_LEVEL", "loud")
    monkeypatch.setenv("CONNECTSBOT_SEMANTIC", "maybe")
    assert main(["config", "check"]) == 1
    out = capsys.readouterr().out
    assert "DISCORD_TOKEN = (not set: `connectsbot run` starts the local chat)" in out
    assert "CONNECTSBOT_HELP_CHANNELS: '111' is not a Discord channel id" in out
    assert "CONNECTSBOT_LOG_LEVEL: should be one of DEBUG, INFO, WARNING, ERROR (got 'loud')" in out
    assert "CONNECTSBOT_SEMANTIC='maybe' is not understood" in out
    assert "3 problems." in out


def test_renamed_variables_still_work_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "a.b.c")
    monkeypatch.setenv("DEV_GUILD_ID", SERVER)
    Path(".env").write_text("CONTEXT_MENU_MODERATORS_ONLY=true\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        settings = load_settings(Path(".env"))
    assert settings.discord.dev_guild_id == int(SERVER)
    assert settings.moderation.context_menu_moderators_only is True
    assert "DEV_GUILD_ID is deprecated: rename it to CONNECTSBOT_DEV_GUILD_ID" in caplog.text
    assert "CONTEXT_MENU_MODERATORS_ONLY is deprecated" in caplog.text
    assert main(["config", "check"]) == 0
    assert "Warnings:\n  - DEV_GUILD_ID is deprecated" in capsys.readouterr().out
    monkeypatch.delenv("DEV_GUILD_ID")
    monkeypatch.setenv("CONNECTSBOT_DEV_GUILD_ID", SERVER)
    Path(".env").unlink()
    assert load_settings(None).discord.dev_guild_id == int(SERVER)


def _readme_configuration() -> dict[str, str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh\nDISCORD_TOKEN=", 1)[1].split("```", 1)[0]
    example = Path("readme.env")
    example.write_text("DISCORD_TOKEN=" + block, encoding="utf-8")
    return {name: value or "" for name, value in dotenv_values(example).items()}


def test_the_readme_example_configuration_passes_the_settings_check() -> None:
    values = _readme_configuration()
    assert {"CONNECTSBOT_HELP_CHANNELS", "CONNECTSBOT_MODERATOR_ROLES", "CONNECTSBOT_GUILDS"} <= set(values)
    Path(".env").write_text(
        "".join(f"{name}={value if value != '...' else 'a.b.c'}\n" for name, value in values.items()),
        encoding="utf-8",
    )
    settings = load_settings(Path(".env"))
    assert settings.channels.help_channel_ids and settings.moderation.moderator_roles


# invite-url and the permissions


def test_the_invite_url_asks_for_exactly_the_permissions_the_bot_uses(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["invite-url", "--application-id", SERVER]) == 0
    query = parse_qs(urlsplit(capsys.readouterr().out.strip()).query)
    assert query["client_id"] == [SERVER]
    assert query["scope"] == ["bot applications.commands"]
    assert int(query["permissions"][0]) == REQUIRED_PERMISSIONS.value
    # What the bot posts on its own needs these, and nothing more (no Manage, no Mention Everyone).
    assert discord.Permissions(int(query["permissions"][0])) == discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
        attach_files=True,
        read_message_history=True,
    )
    # The application id is read from the token when it is not given.
    monkeypatch.setenv("DISCORD_TOKEN", "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.signature")
    assert application_id_of("MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.signature") == int(SERVER)
    assert main(["invite-url"]) == 0
    assert f"client_id={SERVER}" in capsys.readouterr().out


def test_invite_url_without_an_application_id_says_where_to_find_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["invite-url"]) == 2
    assert "General Information > Application ID" in capsys.readouterr().err
    assert application_id_of("not a token") is None


def test_the_connect_check_names_the_missing_permissions() -> None:
    assert missing_permissions(REQUIRED_PERMISSIONS) == []
    without_embeds = discord.Permissions(REQUIRED_PERMISSIONS.value)
    without_embeds.embed_links = False
    assert missing_permissions(without_embeds) == ["embed_links"]


# db backup and restore


def _store_with_a_counter(path: Path) -> None:
    """A connectsbot database (schema and all) with a table the test's writer fills."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode = WAL")
        version = max(m.version for m in shipped_migrations())
        db.execute(f"PRAGMA user_version = {version}")
        db.execute("CREATE TABLE counter (n INTEGER PRIMARY KEY, pair INTEGER NOT NULL)")


@pytest.fixture
def busy_writer(tmp_path: Path) -> Iterator[Path]:
    """A database another connection keeps writing to in WAL mode, two rows per transaction."""
    path = tmp_path / "live.sqlite3"
    _store_with_a_counter(path)
    stop = threading.Event()
    written = threading.Event()

    def write() -> None:
        with closing(sqlite3.connect(path, isolation_level=None, timeout=5)) as db:
            db.execute("PRAGMA synchronous = FULL")
            pair = 0
            while not stop.is_set():
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT INTO counter (pair) VALUES (?)", (pair,))
                db.execute("INSERT INTO counter (pair) VALUES (?)", (pair,))
                db.execute("COMMIT")
                pair += 1
                if pair == 200:
                    written.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert written.wait(30)
        yield path
    finally:
        stop.set()
        writer.join()


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern))


def _pairs(path: Path) -> list[tuple[int, int]]:
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return [(int(n), int(p)) for n, p in db.execute("SELECT n, pair FROM counter ORDER BY n")]


def test_a_backup_taken_while_the_bot_writes_is_consistent(busy_writer: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backups" / "copy.sqlite3"
    assert main(["--db", str(busy_writer), "db", "backup", str(backup)]) == 0
    rows = _pairs(backup)
    # Whole transactions only: every pair complete, rows contiguous from the first.
    assert len(rows) >= 400 and len(rows) % 2 == 0
    assert rows == [(n, (n - 1) // 2) for n in range(1, len(rows) + 1)]
    assert not backup.with_name("copy.sqlite3-wal").exists()
    assert not list(backup.parent.glob("*.partial"))


async def test_restore_is_refused_while_the_bot_has_the_database_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "bot.sqlite3"
    backup = tmp_path / "backup.sqlite3"
    store = await KnowledgeStore.open(database)
    try:
        assert main(["--db", str(database), "db", "backup", str(backup)]) == 0
        assert main(["--db", str(database), "db", "restore", str(backup)]) == 1
        assert "is in use (is the bot running? stop it first)" in capsys.readouterr().err
    finally:
        await store.close()
    assert _files(tmp_path, "bot.before-restore-*") == []


def test_restore_checks_the_backup_then_replaces_the_database(
    busy_writer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = tmp_path / "copy.sqlite3"
    assert main(["--db", str(busy_writer), "db", "backup", str(backup)]) == 0
    saved = _pairs(backup)
    database = tmp_path / "restored.sqlite3"
    _store_with_a_counter(database)
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(backup.read_bytes()[:4096] + b"\0garbage" * 512)
    assert main(["--db", str(database), "db", "restore", str(damaged)]) == 1
    assert "not restored; the backup has problems" in capsys.readouterr().err
    assert _pairs(database) == []
    assert main(["--db", str(database), "db", "restore", str(backup)]) == 0
    assert _pairs(database) == saved
    (kept,) = tmp_path.glob("restored.before-restore-*.sqlite3")
    assert _pairs(kept) == []


async def test_a_database_is_backed_up_before_a_migration_and_only_then(tmp_path: Path) -> None:
    migrations = shipped_migrations()
    old = tmp_path / "old.sqlite3"
    with closing(sqlite3.connect(old, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode = WAL")
    async with aiosqlite.connect(old, isolation_level=None) as writer:
        await migrate(writer, migrations[:-1], 1.0)
    database = await SqliteDatabase.open(old, write_patience=1.0)
    await database.close()
    (backup,) = _files(tmp_path, "old.before-migration-v*.sqlite3")
    with closing(sqlite3.connect(backup)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (migrations[-2].version,)
    # Opening it again (nothing to migrate) and opening a new database take no backup.
    await (await SqliteDatabase.open(old, write_patience=1.0)).close()
    await (await SqliteDatabase.open(tmp_path / "new.sqlite3", write_patience=1.0)).close()
    assert len(_files(tmp_path, "*.before-migration-*")) == 1


# logs


def test_log_level_and_a_rotated_log_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONNECTSBOT_LOG_LEVEL", "warning")
    monkeypatch.setenv("CONNECTSBOT_LOG_FILE", str(tmp_path / "logs" / "bot.log"))
    logs = read_section(LogSettings, None)
    handlers = configure_logging("secret.token.value", logs)
    try:
        logging.getLogger("bot.test").info("not at WARNING")
        logging.getLogger("bot.test").warning("token %s in a warning", "secret.token.value")
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
            handler.close()
        logging.getLogger().setLevel(logging.WARNING)
    written = (tmp_path / "logs" / "bot.log").read_text(encoding="utf-8")
    assert "token [redacted] in a warning" in written and "not at WARNING" not in written
    assert handlers[1].maxBytes > 0 and handlers[1].backupCount > 0  # type: ignore[attr-defined]
    monkeypatch.setenv("CONNECTSBOT_LOG_LEVEL", "loud")
    with pytest.raises(SettingsError, match="CONNECTSBOT_LOG_LEVEL"):
        read_section(LogSettings, None)


# deploy files


def _readme_install_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- install: the Dockerfile runs exactly these -->\n```sh\n", 1)[1]
    return [line for line in block.split("```", 1)[0].splitlines() if line and not line.startswith("#")]


def test_the_dockerfile_installs_exactly_as_the_readme_does() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert re.findall(r"^FROM .*", dockerfile, flags=re.MULTILINE) == ["FROM python:3.11-slim"]
    run_lines = [
        line.removeprefix("RUN ").strip()
        for line in dockerfile.splitlines()
        if line.startswith("RUN ") and "pip" in line
    ]
    assert run_lines == _readme_install_commands()
    assert re.search(r"^USER (?!root)\w+", dockerfile, flags=re.MULTILINE)
    assert re.search(r"^HEALTHCHECK ", dockerfile, flags=re.MULTILINE)
    assert "ENV CONNECTSBOT_DB=/data/connectsbot.sqlite3" in dockerfile
    assert 'VOLUME ["/data"]' in dockerfile


def test_the_readme_install_gives_a_working_connectsbot_outside_the_repository(tmp_path: Path) -> None:
    """What the Dockerfile's install produces, short of the image: the package installed from the
    repository (dependencies are already in this environment) runs from elsewhere, with the shipped
    knowledge and the Discord layer inside it."""
    first = shlex.split(_readme_install_commands()[0])
    assert first == ["python", "-m", "pip", "install", "."]
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, *first[1:], "--quiet", "--no-deps", "--target", str(target)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    environment = {**os.environ, "PYTHONPATH": str(target)}

    def installed(*arguments: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(target / "bin" / "connectsbot"), *arguments]
        return subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True)

    validated = installed("kb", "validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert str(target / "connectsbot" / "_knowledge") in installed("config", "check").stdout
    assert installed("config", "example").stdout == (REPO / ".env.example").read_text(encoding="utf-8")
    assert installed("invite-url", "--application-id", SERVER).stdout.startswith("https://discord.com/")


def test_compose_names_the_volume_and_the_env_file() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    (service,) = compose["services"].values()
    assert service["env_file"] == [".env"]
    volume, mount = service["volumes"][0].split(":")[:2]
    assert mount == "/data" and volume in compose["volumes"]
    assert service["restart"] == "unless-stopped"


def test_the_systemd_unit_runs_the_bot_as_a_service() -> None:
    unit = (REPO / "deploy" / "connectsbot.service").read_text(encoding="utf-8")
    assert re.search(r"^ExecStart=\S*connectsbot run$", unit, flags=re.MULTILINE)
    assert re.search(r"^EnvironmentFile=", unit, flags=re.MULTILINE)
    assert re.search(r"^Restart=on-failure$", unit, flags=re.MULTILINE)
    assert re.search(r"^User=connectsbot$", unit, flags=re.MULTILINE)
