"""`connectsbot diagnose FILE|-`: the diagnosis on the command line; --json prints the contract JSON."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from connectsbot.diagnosis.advice import advise
from connectsbot.diagnosis.report_text import render_text
from connectsbot.diagnosis.rules import diagnose
from connectsbot.diagnosis.timeline import aware, parse_timeline
from connectsbot.kbfiles import EntryFileError, load_policy, load_sources
from connectsbot.settings import SettingsError, StoreSettings, read_section

EXIT_OK, EXIT_POLICY, EXIT_USAGE = 0, 1, 2


class _Unusable(Exception):
    """An argument the command cannot work with; the message says which and why."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "diagnose",
        help="check missing interview Connects from a timeline file (or - for stdin)",
        description="Judge a timeline of proposals, interview requests, responses, offers and bonuses "
        "against the interview-Connects rules.",
    )
    parser.add_argument("file", metavar="FILE|-", help="the timeline, one event per line; - reads stdin")
    parser.add_argument("--json", action="store_true", help="print the diagnosis as one JSON document")
    parser.add_argument("--now", help="ISO date-time of the check when the timeline has no check line")
    # SUPPRESS: without the option here, a --knowledge given before `diagnose` keeps its value.
    parser.add_argument("--knowledge", default=argparse.SUPPRESS, help="knowledge folder holding policy.yaml")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        now = _now(args.now)
        text = _read(args.file)
        folder = _knowledge(getattr(args, "knowledge", None))
    except _Unusable as problem:
        print(f"connectsbot diagnose: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except SettingsError as error:  # CONNECTSBOT_KNOWLEDGE (environment or .env) names no folder
        print(f"connectsbot diagnose: {error}", file=sys.stderr)
        return EXIT_POLICY
    try:
        policy = load_policy(folder)
        # Only the text names the policy's sources (from the registry); the contract JSON does not.
        sources = {} if args.json else load_sources(folder)
    except EntryFileError as error:
        print(f"connectsbot diagnose: the policy cannot be read: {error}", file=sys.stderr)
        return EXIT_POLICY
    diagnosis = diagnose(parse_timeline(text, now), policy, now, now_given=args.now is not None)
    if args.json:
        print(json.dumps(diagnosis.contract_json(), ensure_ascii=False, indent=2))
    else:
        print(render_text(diagnosis, advise(diagnosis), sources))
    return EXIT_OK


def _now(written: str | None) -> datetime:
    if written is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(written.strip())
    except ValueError:
        raise _Unusable(f"--now “{written}” is not an ISO date-time such as 2026-11-06T12:00Z") from None
    return aware(moment)


def _read(file: str) -> str:
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as error:
        raise _Unusable(f"cannot read {file}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _Unusable(f"{file} is not UTF-8 text: save the timeline as UTF-8 and try again") from None


def _knowledge(folder: str | None) -> Path:
    if folder is None:
        return read_section(StoreSettings).knowledge
    path = Path(folder)
    if not path.is_dir():
        raise _Unusable(f"--knowledge {folder}: no such folder")
    return path
