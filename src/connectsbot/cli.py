"""`connectsbot`: the command line — knowledge base tools, ask, chat, diagnose, run."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import io
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TextIO

from connectsbot import chat, ops_cli
from connectsbot.answers import AnswerService
from connectsbot.curation import sync_files
from connectsbot.diagnosis import command as diagnose_command
from connectsbot.kbcheck import lint, validate_folder
from connectsbot.kbfiles import EntryFileError, load_folder, load_policy
from connectsbot.settings import RunSettings, SettingsError, StoreSettings, read_section
from connectsbot.store import ImportFailed, ImportReport, KnowledgeStore, StoreError, StoreUnavailable
from connectsbot.terminal_text import (
    TerminalConsole,
    answer_text,
    explain_text,
    history_text,
    markdown_writer,
    readable,
)

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
# What a shell reports for a program that SIGPIPE ended: the reader of its output went away (`| head`).
EXIT_BROKEN_PIPE = 128 + 13
READ_ONLY_NOTE = (
    "connectsbot: the database is read-only: answering from what it holds; questions are not being recorded."
)


def _store_settings(args: argparse.Namespace) -> StoreSettings:
    """The store's settings, with --db and --knowledge winning over the environment and .env."""
    given = {name: Path(value) for name, value in (("db", args.db), ("knowledge", args.knowledge)) if value}
    return read_section(StoreSettings, **given)


def _knowledge(args: argparse.Namespace) -> Path:
    return _store_settings(args).knowledge


async def _open_store(args: argparse.Namespace) -> KnowledgeStore:
    """The store: in PostgreSQL when CONNECTSBOT_DATABASE_URL is set, else in the SQLite file."""
    settings = _store_settings(args)
    return await KnowledgeStore.open(settings.location, salt=settings.asker_salt)


def _print_failure(heading: str, failure: ImportFailed, stream: TextIO) -> None:
    """Why an import wrote nothing: `heading`, then every problem."""
    print(heading, file=stream)
    for problem in failure.problems:
        print(f"  {problem}", file=stream)


def _report_sync(outcome: ImportReport | ImportFailed, stream: TextIO) -> None:
    """Tell the user about knowledge files that were not taken into the live store."""
    if isinstance(outcome, ImportFailed):
        _print_failure(
            "The knowledge files have problems; still answering from the last good import:", outcome, stream
        )
    elif outcome.conflicts:
        print(outcome.summary(), file=stream)


async def _with_answers(args: argparse.Namespace, body: Callable[[AnswerService], Awaitable[int]]) -> int:
    async with await _open_store(args) as store:
        answers, outcome = await AnswerService.start(store, _knowledge(args))
        if store.read_only:  # the import could not be saved: that is all its failure says
            print(READ_ONLY_NOTE, file=sys.stderr)
        else:
            _report_sync(outcome, sys.stderr)
        if not (await answers.snapshot()).entries:
            print(
                "The knowledge base is empty: fix the knowledge files (connectsbot kb validate).",
                file=sys.stderr,
            )
            return EXIT_PROBLEMS
        return await body(answers)


async def _sync_quietly(store: KnowledgeStore, args: argparse.Namespace) -> None:
    """Bring the store up to date with the knowledge files before reading it; on problems, say so and
    go on with the last good import (as `ask` does)."""
    if store.read_only:
        print("connectsbot: the database is read-only: showing what it holds.", file=sys.stderr)
        return
    try:
        await sync_files(store, _knowledge(args))
    except ImportFailed as failure:
        _report_sync(failure, sys.stderr)
    except StoreUnavailable as error:
        print(f"The knowledge files were not imported: {error}", file=sys.stderr)


# kb


def cmd_kb_validate(args: argparse.Namespace) -> int:
    loaded = load_folder(_knowledge(args))
    problems = validate_folder(loaded, date.today())
    for problem in problems:
        print(problem)
    policy = "ok" if loaded.policy else "missing"
    counts = f"{len(loaded.entries)} entries, {len(loaded.sources)} sources, policy {policy}"
    print(f"{counts}: {len(problems)} problems")
    return EXIT_PROBLEMS if problems else EXIT_OK


def cmd_kb_lint(args: argparse.Namespace) -> int:
    loaded = load_folder(_knowledge(args))
    files = {entry_id: str(path) for entry_id, path in loaded.files.items()}
    findings = validate_folder(loaded, date.today()) + lint(
        loaded.entries, files, loaded.policy, date.today(), loaded.sources
    )
    for finding in findings:
        print(finding)
    errors = sum(1 for f in findings if f.severity == "error")
    print(f"{len(loaded.entries)} entries: {errors} errors, {len(findings) - errors} warnings")
    return EXIT_PROBLEMS if errors else EXIT_OK


async def cmd_kb_import(args: argparse.Namespace) -> int:
    async with await _open_store(args) as store:
        try:
            report = await sync_files(store, _knowledge(args), force=args.force)
        except ImportFailed as failure:
            _print_failure(
                "Nothing was imported; the live knowledge base is unchanged. Problems:", failure, sys.stderr
            )
            return EXIT_PROBLEMS
    print(report.summary())
    return EXIT_OK


async def cmd_kb_export(args: argparse.Namespace) -> int:
    async with await _open_store(args) as store:
        await _sync_quietly(store, args)
        if args.json:
            live = await store.live_entries()
            json.dump(
                [item.entry.model_dump(mode="json") for item in live],
                sys.stdout,
                ensure_ascii=False,
                indent=2,
            )
            print()
            return EXIT_OK
        folder = Path(args.dir) if args.dir else _knowledge(args)
        written = await store.export_folder(folder)
    print(f"exported to {folder}: {len(written)} files written or removed")
    return EXIT_OK


async def cmd_kb_history(args: argparse.Namespace) -> int:
    async with await _open_store(args) as store:
        await _sync_quietly(store, args)
        print(history_text(await store.history(args.entry_id)))
    return EXIT_OK


# ask, chat, run


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


async def cmd_ask(args: argparse.Namespace) -> int:
    if args.question == ["-"]:
        questions = [readable(line.rstrip("\n")) for line in sys.stdin]
    elif args.question:
        questions = [readable(" ".join(args.question))]
    else:
        print("connectsbot ask: give a question, or - to read one question per line", file=sys.stderr)
        return EXIT_USAGE

    async def body(answers: AnswerService) -> int:
        record = not args.no_record and not answers.store.read_only
        replies = await answers.ask_many(questions, _local_user(), None, "cli", record=record)
        for answer in replies:
            result = answer.result
            if args.json:
                line = {
                    "question": result.question,
                    "decision": result.decision,
                    "entry_id": result.entry_id,
                    "score": round(result.score, 2),
                    "suggestions": [c.entry_id for c in result.suggestions],
                    "top_id": result.top_id,
                    "candidates": [
                        {
                            "entry_id": c.entry_id,
                            "score": c.score,
                            "lexical": c.lexical,
                            "semantic": c.semantic,
                        }
                        for c in result.candidates
                    ],
                }
                print(json.dumps(line, ensure_ascii=False))
            elif args.explain:
                print(answer_text(answer, answers.sources) + "\n\n" + explain_text(answer))
            else:
                print(answer_text(answer, answers.sources))
        if args.explain and answers.model is not None:
            print(f"\nanswer model: {answers.model.summary()}\n{answers.model.describe()}")
        return EXIT_OK

    return await _with_answers(args, body)


def cmd_chat(args: argparse.Namespace) -> int:
    with contextlib.suppress(ImportError):  # not on every platform
        import readline  # noqa: F401  (for its effect: line editing and history in input())
    policy = load_policy(_knowledge(args))
    write = markdown_writer(TerminalConsole(highlight=False))

    def talk(reader: chat.Reader) -> Awaitable[int]:
        return _with_answers(
            args,
            lambda answers: chat.run_chat(
                answers, policy, _local_user(), reader, write, record=not answers.store.read_only
            ),
        )

    return chat.run_in_terminal(talk)


def cmd_run(args: argparse.Namespace) -> int:
    """The Discord bot when DISCORD_TOKEN is set (environment or ./.env), else the local chat.

    The core never imports discord: the bot package is loaded by name, only when it is needed.
    """
    if read_section(RunSettings).discord:
        import importlib

        try:
            launcher = importlib.import_module("bot.launcher")
        except ImportError as error:
            print(f"connectsbot: the Discord layer cannot be loaded: {error}", file=sys.stderr)
            return EXIT_PROBLEMS
        db = Path(args.db) if args.db else None
        knowledge = Path(args.knowledge) if args.knowledge else None
        return int(asyncio.run(launcher.run_from_cli(db=db, knowledge=knowledge)))
    print(
        "No DISCORD_TOKEN set: starting the local terminal chat.\n"
        "To connect to Discord, put DISCORD_TOKEN=<your bot token> in the environment or in ./.env "
        "(with CONNECTSBOT_HELP_CHANNELS, CONNECTSBOT_MODERATOR_ROLES, ... as in the README) "
        "and run `connectsbot run` again."
    )
    return cmd_chat(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="connectsbot", description=__doc__)
    parser.add_argument(
        "--db",
        help="SQLite database file (default: $CONNECTSBOT_DB, else connectsbot/connectsbot.sqlite3 under "
        "$XDG_DATA_HOME or ~/.local/share; $CONNECTSBOT_DATABASE_URL, when set, wins)",
    )
    parser.add_argument(
        "--knowledge", help="knowledge folder (default: $CONNECTSBOT_KNOWLEDGE or the shipped one)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    kb = commands.add_parser("kb", help="knowledge base tools").add_subparsers(
        dest="kb_command", required=True
    )
    kb.add_parser("validate", help="check every knowledge file; exit 1 on any problem").set_defaults(
        handler=cmd_kb_validate
    )
    kb.add_parser(
        "lint", help="validate, then look for confusable, stale and disagreeing entries"
    ).set_defaults(handler=cmd_kb_lint)
    kb_import = kb.add_parser("import", help="load the knowledge files into the database (all or nothing)")
    kb_import.add_argument("--force", action="store_true", help="overwrite entries moderators edited")
    kb_import.set_defaults(handler=cmd_kb_import)
    kb_export = kb.add_parser("export", help="write the live entries back to files (or --json)")
    kb_export.add_argument("--dir", help="folder to write to (default: the knowledge folder)")
    kb_export.add_argument("--json", action="store_true", help="print the live entries as a JSON list")
    kb_export.set_defaults(handler=cmd_kb_export)
    kb_history = kb.add_parser("history", help="list an entry's revisions")
    kb_history.add_argument("entry_id")
    kb_history.set_defaults(handler=cmd_kb_history)

    ask = commands.add_parser("ask", help="answer a question (or - for one per line on stdin)")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--no-record", action="store_true", help="do not record the questions")
    ask.add_argument(
        "--explain", action="store_true", help="also say why: the decision and the best candidates"
    )
    ask.set_defaults(handler=cmd_ask)

    commands.add_parser("chat", help="talk to the bot in this terminal").set_defaults(handler=cmd_chat)
    commands.add_parser("run", help="start the bot (local chat when DISCORD_TOKEN is not set)").set_defaults(
        handler=cmd_run
    )
    diagnose_command.register(commands)
    ops_cli.register(commands)
    return parser


def _tolerate_bad_bytes() -> None:
    """Input that is not valid text is read with replacement characters, and output that the terminal
    cannot show is replaced, instead of either ending the program."""
    for stream in (sys.stdin, sys.stdout):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def main(argv: list[str] | None = None) -> int:
    _tolerate_bad_bytes()
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        args = parser.parse_args(["run"] if argv is None else [*argv, "run"])
        handler = args.handler
    try:
        outcome = handler(args)
        if asyncio.iscoroutine(outcome):
            outcome = asyncio.run(outcome)
        sys.stdout.flush()  # here, so that a closed pipe is reported below and not at exit
        return int(outcome)
    except (StoreError, EntryFileError, SettingsError) as error:
        print(f"connectsbot: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    except BrokenPipeError:
        # The reader of the output went away: stop quietly, and send what Python still has to flush at
        # exit nowhere (it would report the broken pipe again).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130
