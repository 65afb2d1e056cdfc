"""The configuration, read in one place: pydantic-settings sections filled from the environment and `.env`.

The core's sections are here (the store, the semantic signal, whether to start Discord); `bot.settings`
adds the Discord sections on the same footing. The environment wins over `.env`; explicit overrides
(command-line options) win over both.

| variable | section | meaning |
| --- | --- | --- |
| `CONNECTSBOT_DB` | store | the SQLite database (default under `$XDG_DATA_HOME` or `~/.local/share`) |
| `CONNECTSBOT_KNOWLEDGE` | store | the knowledge folder (default: the shipped one) |
| `CONNECTSBOT_SEMANTIC` | semantic | `off` answers with the lexical signal only (default on) |
| `DISCORD_TOKEN` | run | set: `connectsbot run` starts the Discord bot; unset: the local chat |
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectsbot.field_errors import field_errors

DEFAULT_ENV_FILE = Path(".env")
SEMANTIC_VARIABLE = "CONNECTSBOT_SEMANTIC"


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

    db: Path = Field(default_factory=default_database_path, validation_alias="CONNECTSBOT_DB")
    knowledge: Path = Field(default_factory=shipped_knowledge_dir, validation_alias="CONNECTSBOT_KNOWLEDGE")

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


class SemanticSettings(BaseSettings):
    model_config = settings_config()

    # As written: connectsbot.semantic says which words mean on and off, and refuses the others.
    semantic: str | None = Field(default=None, validation_alias=SEMANTIC_VARIABLE)


class RunSettings(BaseSettings):
    """What `connectsbot run` starts; the bot's own DiscordSettings check the token's shape."""

    model_config = settings_config()

    discord_token: SecretStr = Field(default=SecretStr(""), validation_alias="DISCORD_TOKEN")

    @property
    def discord(self) -> bool:
        """Whether a Discord token is configured (else the local chat starts)."""
        return bool(self.discord_token.get_secret_value().strip())


def variable_of(section: type[BaseSettings], location: tuple[int | str, ...]) -> str:
    """The environment variable an error location points at."""
    if not location:
        return section.__name__
    name = str(location[0])
    for field_name, info in section.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        if name in (field_name, alias) or (alias and name.lower() == alias.lower()):
            return alias or field_name.upper()
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
                if variable == "DISCORD_TOKEN" or isinstance(item.given, dict)
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
