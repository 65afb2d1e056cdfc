"""The configuration, read in one place: pydantic-settings sections filled from the environment and `.env`.

The core's sections are here (the store, the semantic signal, whether to start Discord, the logs);
`bot.settings` adds the Discord sections on the same footing. The environment wins over `.env`; explicit
overrides (command-line options) win over both. Every field has a `description`: `.env.example` and
`connectsbot config check` are made from the models (`env_example`, `effective_settings`), so the
variables are listed in one place only, here and in `bot.settings`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectsbot.field_errors import field_errors
from connectsbot.store.asker_salt import salt_file
from connectsbot.store.postgresql import is_database_url

DEFAULT_ENV_FILE = Path(".env")
SEMANTIC_VARIABLE = "CONNECTSBOT_SEMANTIC"
# Never echoed in a problem: a token, an address that may hold a password.
SECRET_VARIABLES = ("DISCORD_TOKEN", "CONNECTSBOT_DATABASE_URL")


def settings_config() -> SettingsConfigDict:
    """Every section's configuration: the same `.env`, variables in any case, others ignored."""
    return SettingsConfigDict(
        env_file=DEFAULT_ENV_FILE,
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        case_sensitive=False,
    )


Section = TypeVar("Section", bound=BaseSettings)


def unset(value: Any) -> bool:
    """A setting not given: absent, or blank (`NAME=` in .env)."""
    return value is None or (isinstance(value, str) and not value.strip())


class SettingsError(Exception):
    """The configuration is missing or malformed; `problems` name each variable at fault."""

    def __init__(self, problems: list[str], what: str = "the configuration") -> None:
        super().__init__(f"{what} has problems:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


def shipped_knowledge_dir() -> Path:
    """The repo's `knowledge/`, else the copy a wheel carries (pyproject force-include)."""
    package = Path(__file__).resolve().parent
    in_repo = package.parent.parent / "knowledge"  # src/connectsbot -> repo root
    if (in_repo / "entries").is_dir():
        return in_repo
    return package / "_knowledge"


def default_database_path() -> Path:
    """connectsbot.sqlite3 under $XDG_DATA_HOME (default ~/.local/share)/connectsbot."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "connectsbot" / "connectsbot.sqlite3"


class StoreSettings(BaseSettings):
    model_config = settings_config()

    db: Path = Field(
        default_factory=default_database_path,
        validation_alias="CONNECTSBOT_DB",
        description="the SQLite database file (default: $XDG_DATA_HOME/connectsbot/connectsbot.sqlite3, "
        "XDG_DATA_HOME defaulting to ~/.local/share)",
    )
    database_url: SecretStr = Field(
        default=SecretStr(""),
        validation_alias="CONNECTSBOT_DATABASE_URL",
        description="keep the store in PostgreSQL instead of the SQLite file: "
        "postgresql://user:password@host:5432/database (add ?search_path=SCHEMA for a schema of its own; "
        "`connectsbot db migrate-to URL` copies the SQLite database there); default: the SQLite file",
    )
    salt_file: Path | None = Field(
        default=None,
        validation_alias="CONNECTSBOT_SALT_FILE",
        description="the secret file members' ids are hashed with, never kept in the database (default: "
        "beside the SQLite file, CONNECTSBOT_DB plus .salt, with PostgreSQL too)",
    )
    change_check_seconds: float = Field(
        default=30.0,
        gt=0,
        validation_alias="CONNECTSBOT_CHANGE_CHECK_SECONDS",
        description="how often a process checks the database for knowledge changes other processes made: "
        "the only way with SQLite, the fallback to LISTEN/NOTIFY with PostgreSQL",
    )
    knowledge: Path = Field(
        default_factory=shipped_knowledge_dir,
        validation_alias="CONNECTSBOT_KNOWLEDGE",
        description="the knowledge folder (entries/, policy.yaml, sources.yaml; default: the shipped one)",
    )

    @field_validator("knowledge")
    @classmethod
    def _folder(cls, folder: Path) -> Path:
        folder = folder.expanduser()
        if not folder.is_dir():
            raise ValueError(f"{folder} is not a folder")
        return folder

    @field_validator("db")
    @classmethod
    def _file(cls, path: Path) -> Path:
        path = path.expanduser()
        if path.is_dir():
            raise ValueError(f"{path} is a folder; give the database file's path")
        return path

    @field_validator("database_url")
    @classmethod
    def _url(cls, url: SecretStr) -> SecretStr:
        given = url.get_secret_value().strip()
        if given and not is_database_url(given):
            # The address is not echoed: it may hold a password.
            raise ValueError("should be a PostgreSQL address, postgresql://user:password@host:5432/database")
        return SecretStr(given)

    @field_validator("salt_file")
    @classmethod
    def _salt_file(cls, path: Path | None) -> Path | None:
        if path is None:
            return None
        path = path.expanduser()
        if path.is_dir():
            raise ValueError(f"{path} is a folder; give the salt file's path")
        return path

    @property
    def location(self) -> Path | str:
        """Where the store is: the PostgreSQL address when one is set, else the SQLite file."""
        return self.database_url.get_secret_value() or self.db

    @property
    def asker_salt(self) -> Path:
        """The salt file members' ids are hashed with (whichever database)."""
        return self.salt_file or salt_file(self.db)


class SemanticSettings(BaseSettings):
    model_config = settings_config()

    # As written: connectsbot.semantic says which words mean on and off, and refuses the others.
    semantic: str | None = Field(
        default=None,
        validation_alias=SEMANTIC_VARIABLE,
        description="off: answer with the lexical signal only (a very small machine); default on",
    )


TOKEN_DESCRIPTION = (
    "the bot's token (developer portal > your application > Bot > Reset Token); set: `connectsbot run` "
    "starts the Discord bot, unset: the local chat"
)


class RunSettings(BaseSettings):
    """What `connectsbot run` starts; the bot's own DiscordSettings check the token's shape."""

    model_config = settings_config()

    discord_token: SecretStr = Field(
        default=SecretStr(""), validation_alias="DISCORD_TOKEN", description=TOKEN_DESCRIPTION
    )

    @property
    def discord(self) -> bool:
        """Whether a Discord token is configured (else the local chat starts)."""
        return bool(self.discord_token.get_secret_value().strip())


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class LogSettings(BaseSettings):
    """Where the logs go: stderr always (journald and `docker logs` read it), and a rotated file if set."""

    model_config = settings_config()

    level: str = Field(
        default="INFO",
        validation_alias="CONNECTSBOT_LOG_LEVEL",
        description="DEBUG, INFO, WARNING or ERROR (message contents are never logged at INFO)",
    )
    file: Path | None = Field(
        default=None,
        validation_alias="CONNECTSBOT_LOG_FILE",
        description="also log to this file, rotated at 10 MB with 5 old files kept (default: stderr only)",
    )

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> str:
        level = str(value).strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"should be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("file", mode="before")
    @classmethod
    def _file(cls, value: Any) -> Path | None:
        if unset(value):
            return None
        path = Path(str(value)).expanduser()
        if path.is_dir():
            raise ValueError(f"{path} is a folder; give the log file's path")
        return path

    @property
    def level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.level]


def variable_name(field_name: str, info: FieldInfo) -> str:
    """The environment variable a field is read from (the first, current name when it has several)."""
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        alias = alias.choices[0]
    return alias if isinstance(alias, str) else field_name.upper()


def variable_of(section: type[BaseSettings], location: tuple[int | str, ...]) -> str:
    """The environment variable an error location points at."""
    if not location:
        return section.__name__
    name = str(location[0])
    for field_name, info in section.model_fields.items():
        variable = variable_name(field_name, info)
        if name.lower() in (field_name, variable.lower()):
            return variable
    return name.upper()


def section_problems(section: type[BaseSettings], error: ValidationError) -> list[str]:
    """Each refused setting in words, naming its variable (never echoing the Discord token)."""
    problems = []
    for item in field_errors(error):
        variable = variable_of(section, item.location)
        if not item.location:
            problems.append(item.message)
        elif item.missing:
            problems.append(f"{variable} is not set (set it in the environment or in .env)")
        else:
            shown = (
                ""
                if variable in SECRET_VARIABLES or isinstance(item.given, dict)
                else f" (got {item.given!r})"
            )
            problems.append(f"{variable}: {item.message}{shown}")
    return problems


def read_section(
    section: type[Section], env_file: Path | None = DEFAULT_ENV_FILE, **overrides: Any
) -> Section:
    """One section from the environment and `env_file`; `overrides` (by field name) win over both.
    Raises SettingsError naming every bad variable."""
    try:
        return section(_env_file=env_file, **overrides)
    except ValidationError as error:
        raise SettingsError(section_problems(section, error)) from None


# What the models say about themselves: the .env.example file and `connectsbot config check`.

ENV_EXAMPLE_HEADER = """\
# connectsbot's settings. Copy this file to .env (next to where you start the bot) and uncomment what
# you change; the environment wins over .env. Every line shows the default.
# Generated from the settings models: `connectsbot config example > .env.example`.
"""


def default_text(info: FieldInfo) -> str:
    """A field's default as it would be written in .env; empty when there is none or it depends on the
    machine (the description says what it is then)."""
    if info.is_required() or info.default_factory is not None or info.default is None:
        return ""
    default = info.default
    if isinstance(default, SecretStr):
        return default.get_secret_value()
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float):
        return f"{default:g}"
    return str(default)


def env_example(sections: Sequence[tuple[str, type[BaseSettings]]]) -> str:
    """`.env.example`: each section's variables with their default and what they do, each variable
    once (the first section that reads it describes it)."""
    lines = [ENV_EXAMPLE_HEADER.rstrip("\n")]
    seen: set[str] = set()
    for title, section in sections:
        block = []
        for field_name, info in section.model_fields.items():
            variable = variable_name(field_name, info)
            if variable in seen:
                continue
            seen.add(variable)
            block += [f"# {info.description}", f"# {variable}={default_text(info)}"]
        if block:
            lines += [f"\n## {title}", *block]
    return "\n".join(lines) + "\n"


def shown_value(value: Any) -> str:
    """A setting's value for the screen: secrets masked, keeping only whether one is set."""
    if isinstance(value, SecretStr):
        return "(set, hidden)" if value.get_secret_value() else "(not set)"
    if isinstance(value, bool):
        return str(value).lower()
    if value is None or value == [] or value == {}:
        return "(not set)"
    return str(value)


def effective_settings(section: BaseSettings) -> list[tuple[str, str]]:
    """Each variable of a section read from the configuration, with the value in effect."""
    return [
        (variable_name(field_name, info), shown_value(getattr(section, field_name)))
        for field_name, info in type(section).model_fields.items()
    ]
