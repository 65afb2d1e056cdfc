"""The public evaluation timelines (../shared/eval/timelines), through the command as the scorer runs it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from connectsbot.diagnosis import command
from tests.helpers import PUBLIC_TIMELINES

CASES = sorted(PUBLIC_TIMELINES.glob("*.txt"))
CONTRACT_ITEM_KEYS = ["job", "event_at", "verdict", "reason", "connects", "explanation"]


def _normal_job(name: str) -> str:
    return " ".join(name.split()).lower()


def _scored_view(result: dict[str, Any]) -> dict[str, Any]:
    """What /work/shared/tools/score.py compares (its expected_view)."""
    return {
        "items": [[_normal_job(i["job"]), i["verdict"], i["reason"], i["connects"]] for i in result["items"]],
        "expected": result["expected"],
        "received": result["received"],
        "missing": result["missing"],
    }


def run_json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["diagnose", "--json", str(path)])
    assert args.handler(args) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_public_timeline(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    want = json.loads(case.with_suffix(".json").read_text(encoding="utf-8"))
    want["items"] = [[_normal_job(job), *rest] for job, *rest in want["items"]]
    got = run_json(case, capsys)
    assert _scored_view(got) == want
    assert list(got) == ["items", "expected", "received", "missing", "errors"]
    for item in got["items"]:
        assert list(item) == CONTRACT_ITEM_KEYS
        assert item["explanation"]
        assert item["event_at"][-6] in "+-"  # ISO with an offset


def test_contract_example_json_in_full(capsys: pytest.CaptureFixture[str]) -> None:
    got = run_json(PUBLIC_TIMELINES / "01-contract-example.txt", capsys)
    assert [(i["job"], i["event_at"]) for i in got["items"]] == [
        ("Logo design", "2026-11-03T09:40:00+00:00"),
        ("Landing page", "2026-11-04T00:00:00+00:00"),
        ("Data entry", "2026-11-05T00:00:00+00:00"),
    ]
    assert got["errors"] == []


def test_unreadable_lines_are_listed_with_line_text_and_message(capsys: pytest.CaptureFixture[str]) -> None:
    got = run_json(PUBLIC_TIMELINES / "11-unreadable-lines.txt", capsys)
    assert [(e["line"], e["text"]) for e in got["errors"]] == [
        (3, "2025-09-31 respond Subtitles for cooking show"),
        (4, "2025-09-03 archived Subtitles for cooking show"),
    ]
    assert "30 days" in got["errors"][0]["message"]
