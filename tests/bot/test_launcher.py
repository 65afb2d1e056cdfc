"""Starting and stopping: `connectsbot run` picks the bot or the chat, SIGTERM/SIGINT close the client and
the database cleanly, the token never reaches a log line, and the core never imports discord."""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import discord
import pytest

from bot import launcher
from bot.logging_setup import configure_logging
from bot.settings import BotSettings
from connectsbot import cli
from connectsbot.settings import LogSettings
from connectsbot.store import KnowledgeStore
from tests.bot.helpers import TOKEN, World, make_settings
from tests.helpers import REPO

STDERR_ONLY = LogSettings(_env_file=None)  # INFO, no log file


class StubBot:
    """Stands in for ConnectsBot: start() runs until close()."""

    def __init__(self, *args: Any) -> None:
        self.args = args
        self.closed = asyncio.Event()
        self.started_with: str | None = None
        self.started = asyncio.Event()

    async def __aenter__(self) -> StubBot:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self, token: str, *, reconnect: bool = True) -> None:
        self.started_with = token
        self.started.set()
        await self.closed.wait()

    async def close(self) -> None:
        self.closed.set()


def _settings(world: World, db: Path) -> BotSettings:
    return make_settings(world, db)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_closes_the_bot_and_the_database(
    sig: signal.Signals, world: World, template_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "kb.sqlite3"
    shutil.copy(template_db, db)
    made: list[StubBot] = []

    def make(*args: Any) -> StubBot:
        made.append(StubBot(*args))
        return made[-1]

    built = asyncio.Event()

    def make_and_tell(*args: Any) -> StubBot:
        bot = make(*args)
        built.set()
        return bot

    task = asyncio.create_task(launcher.run_bot(_settings(world, db), make_bot=make_and_tell))
    await asyncio.wait_for(built.wait(), 10)
    await asyncio.wait_for(made[0].started.wait(), 10)
    assert made[0].started_with == TOKEN
    os.kill(os.getpid(), sig)
    assert await asyncio.wait_for(task, 10) == launcher.EXIT_OK
    assert made[0].closed.is_set()
    # Closed cleanly: the last connection checkpointed and removed the write-ahead log.
    assert not db.with_name(db.name + "-wal").exists()
    async with await KnowledgeStore.open(db) as store:
        assert await store.live_entries()
    # The handlers are gone again: the default SIGINT behaviour is back.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


async def test_the_database_is_closed_when_the_bot_fails(
    world: World, template_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "kb.sqlite3"
    shutil.copy(template_db, db)

    class Failing(StubBot):
        async def start(self, token: str, *, reconnect: bool = True) -> None:
            raise RuntimeError("gateway exploded")

    with pytest.raises(RuntimeError, match="gateway exploded"):
        await launcher.run_bot(_settings(world, db), make_bot=Failing)
    assert not db.with_name(db.name + "-wal").exists()


async def test_an_empty_knowledge_base_does_not_start(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    empty = tmp_path / "knowledge"
    (empty / "entries").mkdir(parents=True)
    settings = make_settings(world, tmp_path / "kb.sqlite3", store={"knowledge": empty})
    caplog.set_level(logging.ERROR, logger="bot.launcher")
    assert await launcher.run_bot(settings, make_bot=StubBot) == launcher.EXIT_FAILED
    assert "knowledge base is empty" in caplog.text


async def test_run_from_cli_explains_missing_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.setenv("CONNECTSBOT_HELP_CHANNELS", "not-a-channel")
    assert await launcher.run_from_cli(env_file=None) == launcher.EXIT_CONFIG
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN is not set" in err and "CONNECTSBOT_HELP_CHANNELS" in err


def test_the_token_is_masked_in_logs() -> None:
    stream = io.StringIO()
    (handler,) = configure_logging("secret.token.value", STDERR_ONLY)
    handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        logging.getLogger("discord.http").warning("sending Authorization: Bot %s", "secret.token.value")
        logging.getLogger("bot.test").debug("debug lines are off at INFO: %s", "message text")
    finally:
        logging.getLogger().removeHandler(handler)
    assert "secret.token.value" not in stream.getvalue()
    assert "Authorization: Bot [redacted]" in stream.getvalue()
    assert "message text" not in stream.getvalue()


def test_the_token_is_masked_in_exception_texts_and_tracebacks() -> None:
    stream = io.StringIO()
    (handler,) = configure_logging("secret.token.value", STDERR_ONLY)
    handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        try:
            raise ConnectionError("refused for Bot secret.token.value")
        except ConnectionError:
            logging.getLogger("discord.http").exception("request failed")
    finally:
        logging.getLogger().removeHandler(handler)
    logged = stream.getvalue()
    assert "secret.token.value" not in logged
    assert "ConnectionError: refused for Bot [redacted]" in logged and "Traceback" in logged


def test_discord_voice_warnings_are_dropped() -> None:
    stream = io.StringIO()
    (handler,) = configure_logging(TOKEN, STDERR_ONLY)
    handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        client_log = logging.getLogger("discord.client")
        client_log.warning("PyNaCl is not installed, voice will NOT be supported")
        client_log.warning("davey is not installed, voice will NOT be supported")
        client_log.warning("another warning")
    finally:
        logging.getLogger().removeHandler(handler)
    assert stream.getvalue().count("WARNING") == 1 and "another warning" in stream.getvalue()


def test_reconnect_pauses_double_up_to_the_longest() -> None:
    reconnect = launcher.Reconnect(attempts=6, first_pause_seconds=5, longest_pause_seconds=30)
    assert list(reconnect.pauses()) == [5, 10, 20, 30, 30]
    assert list(launcher.Reconnect(attempts=1).pauses()) == []


class Unreachable(StubBot):
    async def start(self, token: str, *, reconnect: bool = True) -> None:
        self.started.set()
        raise OSError("Cannot connect to host discord.com:443")


async def test_discord_out_of_reach_is_tried_again_with_a_new_bot_then_given_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    made: list[StubBot] = []

    def make() -> StubBot:
        made.append(Unreachable())
        return made[-1]

    caplog.set_level(logging.INFO, logger="bot.launcher")
    reconnect = launcher.Reconnect(attempts=3, first_pause_seconds=0)
    assert await launcher.serve(make, TOKEN, signals=(), reconnect=reconnect) == launcher.EXIT_FAILED
    assert len(made) == 3 and all(bot.closed.is_set() for bot in made)
    assert "gave up after 3 attempts" in caplog.text


async def test_a_shutdown_signal_while_waiting_to_reach_discord_stops_at_once() -> None:
    made: list[StubBot] = []

    def make() -> StubBot:
        made.append(Unreachable())
        return made[-1]

    reconnect = launcher.Reconnect(attempts=5, first_pause_seconds=3600)
    task = asyncio.create_task(launcher.serve(make, TOKEN, signals=(signal.SIGTERM,), reconnect=reconnect))
    await asyncio.sleep(0)  # the first attempt fails at once; then the launcher waits an hour
    await asyncio.wait_for(made[0].closed.wait(), 10)
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(task, 10) == launcher.EXIT_OK
    assert len(made) == 1


@pytest.mark.parametrize(
    ("code", "expected"), [(4010, "run different CONNECTSBOT_SHARD_IDS"), (4011, "raise")]
)
async def test_shards_discord_refuses_stop_the_bot_with_what_to_change(
    caplog: pytest.LogCaptureFixture, code: int, expected: str
) -> None:
    class RefusedShard(StubBot):
        async def start(self, token: str, *, reconnect: bool = True) -> None:
            raise discord.ConnectionClosed(None, shard_id=0, code=code)  # type: ignore[arg-type]

    assert await launcher.serve(RefusedShard, TOKEN, signals=()) == launcher.EXIT_FAILED
    assert f"close code {code}" in caplog.text and expected in caplog.text


def _run_args(tmp_path: Path) -> argparse.Namespace:
    return argparse.Namespace(db=str(tmp_path / "kb.sqlite3"), knowledge=str(REPO / "knowledge"))


def test_connectsbot_run_starts_the_bot_when_a_token_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    async def fake_run(**kwargs: Any) -> int:
        calls.append(kwargs)
        return 0

    monkeypatch.setattr(launcher, "run_from_cli", fake_run)
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    assert cli.cmd_run(_run_args(tmp_path)) == 0
    assert calls == [{"db": tmp_path / "kb.sqlite3", "knowledge": REPO / "knowledge"}]


def test_connectsbot_run_reads_the_token_from_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    async def fake_run(**kwargs: Any) -> int:
        calls.append(kwargs)
        return 0

    monkeypatch.setattr(launcher, "run_from_cli", fake_run)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f'# the bot\nDISCORD_TOKEN="{TOKEN}"\n', encoding="utf-8")
    assert cli.cmd_run(_run_args(tmp_path)) == 0
    assert len(calls) == 1


def test_connectsbot_run_without_a_token_starts_the_chat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fake_chat(args: argparse.Namespace) -> int:
        return 7

    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "cmd_chat", fake_chat)
    assert cli.cmd_run(_run_args(tmp_path)) == 7
    out = capsys.readouterr().out
    assert "No DISCORD_TOKEN set" in out and "DISCORD_TOKEN=" in out and "connectsbot run" in out


def test_the_core_never_imports_discord() -> None:
    code = (
        "import sys, connectsbot.cli, connectsbot.answers, connectsbot.chat, connectsbot.question_reports, "
        "connectsbot.chart, connectsbot.entry_diff, connectsbot.entry_ranking, connectsbot.terminal_text; "
        "print(sorted(m for m in sys.modules if m == 'discord' or m.startswith(('discord.', 'bot'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
