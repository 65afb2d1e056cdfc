"""`diagnose FILE|-` through register(): JSON output, --now, --knowledge, and exit codes."""

from __future__ import annotations

import argparse
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from connectsbot.diagnosis import command
from tests.helpers import SHIPPED_KNOWLEDGE

TIMELINE = "2026-11-02 proposal A\n2026-11-03 09:10 interview A\n2026-11-03 09:40 respond A\n"


def run(argv: list[str], parent_options: list[str] | None = None) -> int:
    """Parse like the main CLI would (a parent parser with its own --knowledge) and run the handler."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--knowledge")
    command.register(parser.add_subparsers())
    args = parser.parse_args([*(parent_options or []), "diagnose", *argv])
    code: int = args.handler(args)
    return code


@pytest.fixture
def timeline_file(tmp_path: Path) -> Path:
    path = tmp_path / "timeline.txt"
    path.write_text(TIMELINE, encoding="utf-8")
    return path


def json_out(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def test_json_is_exactly_the_contract(timeline_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--json", "--now", "2026-11-06T00:00:00Z", str(timeline_file)]) == 0
    result = json_out(capsys)
    assert result["items"][0] | {"explanation": "…"} == {
        "job": "A",
        "event_at": "2026-11-03T09:40:00+00:00",
        "verdict": "due",
        "reason": "eligible",
        "connects": 10,
        "explanation": "…",
    }
    assert {k: v for k, v in result.items() if k != "items"} == {
        "expected": 10,
        "received": 0,
        "missing": 10,
        "errors": [],
    }


def test_now_is_the_check_without_a_check_line(
    timeline_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--json", "--now", "2026-11-04T12:00", str(timeline_file)]) == 0  # naive: UTC
    assert json_out(capsys)["items"][0]["verdict"] == "pending"


def test_a_check_line_wins_over_now(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.txt"
    path.write_text(TIMELINE + "2026-11-10 check\n", encoding="utf-8")
    assert run(["--json", "--now", "2026-11-04T00:00Z", str(path)]) == 0
    assert json_out(capsys)["items"][0]["verdict"] == "due"


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(("\ufeff" + TIMELINE + "2026-11-10 check\n").encode()))
    monkeypatch.setattr("sys.stdin", stdin)
    assert run(["--json", "-"]) == 0
    assert json_out(capsys)["missing"] == 10


def test_human_rendering(timeline_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--now", "2026-11-06T00:00Z", str(timeline_file)]) == 0
    out = capsys.readouterr().out
    assert "✅ A: due, 10 Connects" in out and "Policy applied:" in out
    first = out.splitlines()[0]
    assert first == "**Interview Connects check** (checked 6 Nov 2026 00:00 UTC, the moment given with --now)"


def test_the_header_says_now_or_check_line_when_no_now_was_given(
    tmp_path: Path, timeline_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([str(timeline_file)]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(", now)")
    path = tmp_path / "t.txt"
    path.write_text(TIMELINE + "2026-11-10 check\n", encoding="utf-8")
    assert run(["--now", "2026-11-20", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith("UTC, your check line)")


def test_members_timeline_reading_comes_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.txt"
    path.write_text("Nov 3 applied to logo job\nclient messaged me nov 4\nreplied same day\nhired nov 10\n")
    assert run(["--now", "2026-11-20", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2:7] == [
        "**How I read your timeline:**",
        "line 1: 3 Nov 2026 · proposal · logo",
        "line 2: 4 Nov 2026 · interview request · logo (not named; the only job it can be)",
        "line 3: 4 Nov 2026 · respond · logo (not named; the only job it can be)",
        "line 4: 10 Nov 2026 · offer · logo (not named; the only job it can be)",
    ]
    assert "✅ logo: due, 10 Connects" in lines
    assert "not understood" not in "\n".join(lines)


def test_error_lines_still_exit_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.txt"
    path.write_text("garbage\n\x00\n2026-11-03 archived X\n", encoding="utf-8")
    assert run(["--json", str(path)]) == 0
    assert [error["line"] for error in json_out(capsys)["errors"]] == [1, 2, 3]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["/no/such/timeline.txt"], "cannot read /no/such/timeline.txt"),
        (["--now", "next tuesday", "TIMELINE"], "--now “next tuesday” is not an ISO date-time"),
        (["--knowledge", "/no/such/folder", "TIMELINE"], "--knowledge /no/such/folder: no such folder"),
    ],
)
def test_unusable_arguments_exit_2(
    argv: list[str], says: str, timeline_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([str(timeline_file) if arg == "TIMELINE" else arg for arg in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert says in captured.err


def test_a_folder_or_binary_file_is_unusable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run([str(tmp_path)]) == 2
    binary = tmp_path / "t.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert run([str(binary)]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err


def test_knowledge_folder_option_before_or_after_the_subcommand(
    tmp_path: Path, timeline_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    policy = (SHIPPED_KNOWLEDGE / "policy.yaml").read_text(encoding="utf-8")
    (folder / "policy.yaml").write_text(
        policy.replace("    value: 10\n", "    value: 12\n"), encoding="utf-8"
    )
    now = ["--now", "2026-11-10T00:00Z"]
    assert run(["--json", *now, "--knowledge", str(folder), str(timeline_file)]) == 0
    assert json_out(capsys)["expected"] == 12
    assert run(["--json", *now, str(timeline_file)], parent_options=["--knowledge", str(folder)]) == 0
    assert json_out(capsys)["expected"] == 12


def test_broken_policy_exits_1(
    tmp_path: Path, timeline_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(SHIPPED_KNOWLEDGE, tmp_path / "kb")
    (tmp_path / "kb" / "policy.yaml").write_text("weekly_cap: [", encoding="utf-8")
    assert run(["--knowledge", str(tmp_path / "kb"), str(timeline_file)]) == 1
    assert "policy cannot be read" in capsys.readouterr().err


def test_a_timeline_before_the_policy_is_judged_not_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.txt"
    path.write_text(
        "2019-05-01 proposal A\n2019-05-02 interview A\n2019-05-02 respond A\n2019-06-01 check\n",
        encoding="utf-8",
    )
    assert run([str(path)]) == 0
    shown = capsys.readouterr().out
    assert "before the program began" in shown and "The wait before Connects count as missing" in shown
