"""The operator's commands: `config check|example`, `invite-url`, `db backup|restore|check|migrate-to`.

The Discord layer's settings and permissions are loaded by name, only when a command needs them: the
core never imports `bot` (nor discord.py) at import time.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from connectsbot.semantic import SemanticUnavailable, semantic_enabled
from connectsbot.settings import (
    DEFAULT_ENV_FILE,
    RunSettings,
    SettingsError,
    StoreSettings,
    effective_settings,
    env_example,
    read_section,
)
from connectsbot.store import KnowledgeStore, StoreError
from connectsbot.store.backup import backup_database, integrity_problems, restore_database
from connectsbot.store.postgresql import described, is_database_url
from connectsbot.store.transfer import copy_to_postgresql

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
TOKEN_UNSET = "(not set: `connectsbot run` starts the local chat)"


def _discord_layer(module: str) -> ModuleType:
    return importlib.import_module(f"bot.{module}")


def _store_overrides(args: argparse.Namespace) -> dict[str, Path]:
    """--db and --knowledge, which win over the environment and .env."""
    return {
        name: Path(value) for name in ("db", "knowledge") if (value := getattr(args, name, None)) is not None
    }


def _store_settings(args: argparse.Namespace) -> StoreSettings:
    return read_section(StoreSettings, **_store_overrides(args))


def _sqlite_database(args: argparse.Namespace, command: str) -> Path:
    """The SQLite file `command` works on; refused (StoreError) when the store is in PostgreSQL, whose
    own tools do it."""
    settings = _store_settings(args)
    url = settings.database_url.get_secret_value()
    if url:
        raise StoreError(
            f"the store is in PostgreSQL ({described(url)}, CONNECTSBOT_DATABASE_URL): `db {command}` is for "
            "the SQLite file; back up and restore with pg_dump and pg_restore"
        )
    return settings.db


# config


def cmd_config_check(args: argparse.Namespace) -> int:
    """Print every setting in effect (the token masked), then each warning and problem; 1 on problems."""
    settings = _discord_layer("settings")
    token_set = read_section(RunSettings).discord
    problems: list[str] = []
    auto_answer = False
    print("Settings in effect (the environment, then ./.env, then the defaults):")
    for title, section in settings.ALL_SECTIONS:
        overrides: dict[str, Any] = {}
        if section is StoreSettings:
            overrides = _store_overrides(args)
        elif section is settings.DiscordSettings and not token_set:
            # The chat needs no token; the other Discord settings are still checked.
            overrides = {"token": "unset"}
        try:
            values = read_section(section, DEFAULT_ENV_FILE, **overrides)
        except SettingsError as error:
            problems += error.problems
            print(f"\n{title}: not read (see the problems below)")
            continue
        auto_answer = auto_answer or getattr(values, "auto_answer", False)
        print(f"\n{title}")
        for variable, shown in effective_settings(values):
            shown = TOKEN_UNSET if variable == "DISCORD_TOKEN" and not token_set else shown
            print(f"  {variable} = {shown}")
    try:
        semantic_enabled()
    except SemanticUnavailable as error:
        problems.append(str(error))
    warnings = settings.renamed_variables_in_use(DEFAULT_ENV_FILE)
    if auto_answer:
        print(
            "\nAuto-answer is on (help or forum channels set): turn on the Message Content intent in the "
            "developer portal (your application > Bot > Privileged Gateway Intents)."
        )
    for heading, lines in (("Warnings", warnings), ("Problems", problems)):
        if lines:
            print(f"\n{heading}:")
            for line in lines:
                print(f"  - {line}")
    print(f"\n{len(problems)} problem{'s' if len(problems) != 1 else ''}.")
    return EXIT_PROBLEMS if problems else EXIT_OK


def cmd_config_example(args: argparse.Namespace) -> int:
    print(env_example(_discord_layer("settings").ALL_SECTIONS), end="")
    return EXIT_OK


# invite-url


def cmd_invite_url(args: argparse.Namespace) -> int:
    permissions = _discord_layer("permissions")
    application_id = args.application_id
    if application_id is None:
        token = read_section(RunSettings).discord_token.get_secret_value()
        application_id = permissions.application_id_of(token) if token else None
    if application_id is None:
        print(
            "connectsbot invite-url: give --application-id (developer portal > your application > "
            "General Information > Application ID), or set DISCORD_TOKEN to read it from the token",
            file=sys.stderr,
        )
        return EXIT_USAGE
    print(permissions.invite_url(application_id))
    return EXIT_OK


# db


def cmd_db_backup(args: argparse.Namespace) -> int:
    database = _sqlite_database(args, "backup")
    backup_database(database, Path(args.file))
    print(f"backed up {database} to {args.file}")
    return EXIT_OK


def cmd_db_restore(args: argparse.Namespace) -> int:
    database = _sqlite_database(args, "restore")
    kept = restore_database(Path(args.file), database)
    print(f"restored {database} from {args.file}")
    if kept is not None:
        print(f"the database it replaced is kept as {kept}")
    return EXIT_OK


async def _postgresql_problems(settings: StoreSettings) -> list[str]:
    """Why the PostgreSQL store cannot be used (empty: it opens, at the current schema, and answers)."""
    try:
        async with await KnowledgeStore.open(settings.location, salt=settings.asker_salt) as store:
            await store.knowledge_version()
    except StoreError as error:
        return [str(error)]
    return []


def cmd_db_check(args: argparse.Namespace) -> int:
    """Whether the database can be read and passes SQLite's quick check (the container's health check:
    it runs beside the bot, which keeps writing); for PostgreSQL, whether it can be reached and used (its
    soundness is the server's)."""
    settings = _store_settings(args)
    url = settings.database_url.get_secret_value()
    if url:
        problems = asyncio.run(_postgresql_problems(settings))
        for problem in problems:
            print(problem, file=sys.stderr)
        if not problems:
            print(f"{described(url)}: ok")
        return EXIT_PROBLEMS if problems else EXIT_OK
    database = settings.db
    problems = integrity_problems(database, quick=True)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{database}: ok")
    return EXIT_PROBLEMS if problems else EXIT_OK


def cmd_db_migrate_to(args: argparse.Namespace) -> int:
    """Copy the SQLite database (CONNECTSBOT_DB or --db) into an empty PostgreSQL database."""
    if not is_database_url(args.url):
        print(
            "connectsbot db migrate-to: give a PostgreSQL address, postgresql://user:password@host:5432/database",
            file=sys.stderr,
        )
        return EXIT_USAGE
    settings = _store_settings(args)
    copied = asyncio.run(copy_to_postgresql(settings.db, args.url))
    print(f"copied {settings.db} to {described(args.url)}:")
    for table, rows in copied.items():
        print(f"  {table}: {rows} rows")
    print(
        "To use it, set CONNECTSBOT_DATABASE_URL to that address. Members' hashes need the same salt file: "
        f"keep {settings.asker_salt} (CONNECTSBOT_SALT_FILE)."
    )
    return EXIT_OK


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = commands.add_parser("config", help="the configuration: check it, or print .env.example")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    config_commands.add_parser(
        "check", help="print the settings in effect (token masked) and every problem; exit 1 on any"
    ).set_defaults(handler=cmd_config_check)
    config_commands.add_parser(
        "example", help="print .env.example: every variable, its default and what it does"
    ).set_defaults(handler=cmd_config_example)

    invite = commands.add_parser(
        "invite-url", help="print the link that adds the bot to a server, with the permissions it uses"
    )
    invite.add_argument(
        "--application-id", type=int, help="the application's id (default: read from DISCORD_TOKEN)"
    )
    invite.set_defaults(handler=cmd_invite_url)

    db = commands.add_parser("db", help="back up, restore, check or move the database").add_subparsers(
        dest="db_command", required=True
    )
    backup = db.add_parser("backup", help="copy the database to FILE, consistent even while the bot writes")
    backup.add_argument("file", metavar="FILE")
    backup.set_defaults(handler=cmd_db_backup)
    restore = db.add_parser(
        "restore", help="replace the database with FILE (checked first; refused while the bot runs)"
    )
    restore.add_argument("file", metavar="FILE")
    restore.set_defaults(handler=cmd_db_restore)
    db.add_parser(
        "check", help="check that the database can be read and is sound; exit 1 if not"
    ).set_defaults(handler=cmd_db_check)
    migrate_to = db.add_parser(
        "migrate-to", help="copy the SQLite database into an empty PostgreSQL database (all or nothing)"
    )
    migrate_to.add_argument("url", metavar="URL", help="postgresql://user:password@host:5432/database")
    migrate_to.set_defaults(handler=cmd_db_migrate_to)
