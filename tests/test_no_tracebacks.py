"""No traceback reaches a user: each case run as a user runs it, `connectsbot …` in a subprocess.

Bytes that are not UTF-8 (typed, passed or piped), a reader that goes away (`| head`), a database that
cannot be opened or only read, and Discord out of reach at start.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.helpers import REPO, SHIPPED_KNOWLEDGE

CONSOLE_SCRIPT = Path(sys.executable).parent / "connectsbot"
BAD_BYTES = b"zzqq \xff\xfe"
REPLACED = "zzqq \ufffd\ufffd"
NO_TRACEBACK_SIGNS = ("Traceback", "Event loop is closed", "Exception ignored")


@pytest.fixture(scope="module")
def prepared_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the shipped knowledge imported and its sentence vectors stored (a fresh one costs
    each subprocess half a minute). Made by a process of its own: this one keeps the vectors other tests
    encoded in memory, and would not store them."""
    path = tmp_path_factory.mktemp("prepared") / "kb.sqlite3"
    done = connectsbot(path, "ask", "--no-record", "hello")
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def db(prepared_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "db" / "kb.sqlite3"
    copy.parent.mkdir()
    shutil.copy(prepared_db, copy)
    return copy


def connectsbot(
    db: Path | str,
    *args: str | bytes,
    stdin: bytes = b"",
    semantic: bool = True,
    wrapper: Sequence[str] = (),
) -> subprocess.CompletedProcess[bytes]:
    """`connectsbot --db DB ARGS` with `stdin`; the output as bytes, to check it is valid UTF-8. Without
    `semantic` it answers with the lexical signal only (quicker, where the encoder is not in question)."""
    environment = {**os.environ, "CONNECTSBOT_KNOWLEDGE": str(SHIPPED_KNOWLEDGE)}
    if not semantic:
        environment["CONNECTSBOT_SEMANTIC"] = "off"
    environment.pop("DISCORD_TOKEN", None)
    return subprocess.run(
        [*wrapper, str(CONSOLE_SCRIPT), "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        env=environment,
        cwd=REPO,
        timeout=180,
        check=False,
    )


def assert_no_traceback(stderr: bytes) -> str:
    text = stderr.decode("utf-8")
    for sign in NO_TRACEBACK_SIGNS:
        assert sign not in text, text
    return text


def recorded_questions(db: Path) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [row[0] for row in connection.execute("SELECT question FROM questions ORDER BY id")]


# Bytes that are not UTF-8


def test_a_question_with_bad_bytes_on_the_command_line_is_answered_and_recorded(db: Path) -> None:
    done = connectsbot(db, "ask", BAD_BYTES)
    assert done.returncode == 0
    assert_no_traceback(done.stderr)
    assert "don't know" in done.stdout.decode("utf-8")
    assert recorded_questions(db) == [REPLACED]


@pytest.mark.parametrize("record", [True, False])
def test_a_bad_line_in_a_batch_costs_no_other_line_its_answer(db: Path, record: bool) -> None:
    lines = [b"do unused connects roll over", BAD_BYTES, b"\xc3(\xa0\xa1 what are connects used for"]
    options = ["--json", "-"] if record else ["--json", "--no-record", "-"]
    done = connectsbot(db, "ask", *options, stdin=b"\n".join(lines) + b"\n")
    assert done.returncode == 0
    assert_no_traceback(done.stderr)
    answers = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [answer["question"] for answer in answers] == [
        "do unused connects roll over",
        REPLACED,
        "\ufffd(\ufffd\ufffd what are connects used for",
    ]
    assert answers[0]["entry_id"] == "connects-rollover"
    assert answers[2]["entry_id"] == "connects-what"
    assert len(recorded_questions(db)) == (3 if record else 0)


def test_bad_bytes_typed_into_the_chat_are_answered(db: Path) -> None:
    done = connectsbot(db, "chat", stdin=BAD_BYTES + b"\nquit\n")
    assert done.returncode == 0
    assert_no_traceback(done.stderr)
    out = done.stdout.decode("utf-8")
    assert "don't know" in out and out.rstrip().endswith("bye")
    assert recorded_questions(db) == [REPLACED]


# A reader that goes away


@pytest.mark.parametrize("command", [["kb", "export", "--json"], ["chat"]])
def test_a_closed_pipe_ends_the_output_quietly(db: Path, command: list[str]) -> None:
    environment = {
        **os.environ,
        "CONNECTSBOT_KNOWLEDGE": str(SHIPPED_KNOWLEDGE),
        "CONNECTSBOT_SEMANTIC": "off",
    }
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "--db", str(db), *command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    assert process.stdout is not None
    process.stdout.close()  # as `| head` does once it has read enough; here before the first write
    try:
        _, stderr = process.communicate(b"how many connects\nquit\n", timeout=120)
    finally:
        process.kill()
    assert process.returncode == 141  # what a shell shows for a program SIGPIPE ended
    assert_no_traceback(stderr)
    assert b"BrokenPipe" not in stderr


# Databases that cannot be opened, or only read


@pytest.fixture
def read_only(db: Path) -> Iterator[list[str]]:
    """The command prefix under which the database's folder cannot be written. Root ignores file
    permissions, so it gets a read-only bind mount of the folder in a mount namespace of its own."""
    folder = db.parent
    if os.geteuid() == 0:
        yield ["unshare", "--mount", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', str(folder)]
        return
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        yield []
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)


@pytest.mark.parametrize("where", ["in /proc", "a folder", "in a read-only folder"])
def test_a_database_that_cannot_be_opened_is_a_clear_message(
    where: str, db: Path, read_only: list[str], tmp_path: Path
) -> None:
    path, wrapper, message = {
        "in /proc": ("/proc/x.sqlite3", [], "/proc/x.sqlite3: the database file cannot be opened"),
        "a folder": (str(tmp_path), [], "is a folder; give the database file's path"),
        "in a read-only folder": (
            str(db.parent / "new.sqlite3"),
            read_only,
            "new.sqlite3: the database file cannot be opened",
        ),
    }[where]
    done = connectsbot(
        path, "ask", "--no-record", "Do unused Connects roll over?", semantic=False, wrapper=wrapper
    )
    assert done.returncode == 1 and done.stdout == b""
    assert message in assert_no_traceback(done.stderr)


def test_a_read_only_database_still_answers(db: Path, read_only: list[str]) -> None:
    question = "Do unused Connects roll over to the next month?"
    done = connectsbot(db, "ask", "--no-record", question, semantic=False, wrapper=read_only)
    assert done.returncode == 0 and "200" in done.stdout.decode("utf-8")
    assert_no_traceback(done.stderr)

    done = connectsbot(db, "ask", question, semantic=False, wrapper=read_only)
    assert done.returncode == 0 and "200" in done.stdout.decode("utf-8")
    assert "questions are not being recorded" in assert_no_traceback(done.stderr)

    done = connectsbot(db, "kb", "history", "connects-rollover", semantic=False, wrapper=read_only)
    assert done.returncode == 0 and done.stdout.decode("utf-8").startswith("r1 ")
    assert "read-only" in assert_no_traceback(done.stderr)
    assert recorded_questions(db) == []


STORE_SCRIPT = """
import asyncio, sys
from pathlib import Path
from connectsbot.store import KnowledgeStore, StoreUnavailable

async def main() -> None:
    async with await KnowledgeStore.open(Path(sys.argv[1])) as store:
        print("read_only", store.read_only, len(await store.live_entries()))
        try:
            await store.add_alias("connects-rollover", "rollover please", "tester", "test")
        except StoreUnavailable as error:
            print("refused:", error)

asyncio.run(main())
"""


def test_a_read_only_store_says_so_and_refuses_changes(db: Path, read_only: list[str]) -> None:
    done = subprocess.run(
        [*read_only, sys.executable, "-c", STORE_SCRIPT, str(db)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    shown, refused = done.stdout.splitlines()
    assert shown.startswith("read_only True ") and int(shown.split()[-1]) >= 34
    assert refused == (
        "refused: The bot's database could not save this just now (the database is read-only); nothing "
        "was changed. Try again in a minute; if it keeps happening, tell the bot's operator."
    )
    assert "opened read-only" in done.stderr


# Discord out of reach at start

UNREACHABLE_SCRIPT = """
import socket, sys
import discord.http
from bot import launcher
from connectsbot.cli import main

# A port on 127.0.0.1 nothing listens on: the login is refused at once, and nothing leaves the machine.
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
launcher.RECONNECT = launcher.Reconnect(attempts=3, first_pause_seconds=0.05)
sys.exit(main(sys.argv[1:]))
"""


def test_discord_out_of_reach_is_retried_then_reported_in_one_line(db: Path) -> None:
    token = "x" * 24 + ".secret-token-value"
    done = subprocess.run(
        [sys.executable, "-c", UNREACHABLE_SCRIPT, "--db", str(db), "run"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "DISCORD_TOKEN": token, "CONNECTSBOT_SEMANTIC": "off"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    log = assert_no_traceback(done.stderr.encode())
    retries = [line for line in log.splitlines() if "cannot reach Discord" in line]
    assert len(retries) == 3, log
    assert "trying again in 0.05 s (attempt 2 of 3)" in retries[0]
    assert "trying again in 0.1 s (attempt 3 of 3)" in retries[1]
    assert "gave up after 3 attempts" in retries[2] and "ERROR" in retries[2]
    assert "voice" not in log and "PyNaCl" not in log and "davey" not in log
    assert token not in log and "database closed" in log
