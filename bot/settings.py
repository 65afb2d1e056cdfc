"""The bot's configuration: the core's sections (`connectsbot.settings`) and the Discord ones, each a
pydantic-settings class read from the environment and `.env` in the same way.

Every variable, its default and what it does: `.env.example` (generated from these models by
`connectsbot config example`; a test fails when it drifts). `connectsbot config check` prints the
settings in effect and every problem. Two variables were renamed with the `CONNECTSBOT_` prefix;
the old names (`DEV_GUILD_ID`, `CONTEXT_MENU_MODERATORS_ONLY`) still work, with a warning.

Ids are lists separated by commas or spaces (`123, 456`) or JSON (`[123, 456]`). A missing or malformed
setting raises `SettingsError` whose message names the variable and says what was expected.

Shards: `CONNECTSBOT_SHARD_COUNT` and `CONNECTSBOT_SHARD_IDS` (`0-3`, `0,2,5-7`) choose the shards this
process runs (unset: Discord's recommended count, every shard here).

`CONNECTSBOT_GUILDS` empty means no home server: nobody can change the knowledge base (moderator commands
say how to configure it), and questions asked in direct messages are not kept.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from dotenv import dotenv_values
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

from connectsbot.matching import MatcherConfig
from connectsbot.settings import DEFAULT_ENV_FILE as DEFAULT_ENV_FILE
from connectsbot.settings import (
    TOKEN_DESCRIPTION,
    LogSettings,
    SemanticSettings,
    StoreSettings,
    read_section,
    settings_config,
    unset,
)
from connectsbot.settings import SettingsError as SettingsError

log = logging.getLogger(__name__)

# Old name -> new name. The old names still work; `renamed_variables_in_use` says which are used.
RENAMED_VARIABLES = {
    "DEV_GUILD_ID": "CONNECTSBOT_DEV_GUILD_ID",
    "CONTEXT_MENU_MODERATORS_ONLY": "CONNECTSBOT_CONTEXT_MENU_MODERATORS_ONLY",
}

IdList = Annotated[list[int], NoDecode]
ShardIds = Annotated[list[int] | None, NoDecode]
RoleMap = Annotated[dict[int, list[int]], NoDecode]


def _snowflake(text: str, what: str) -> int:
    text = text.strip()
    if not text.isdigit() or not 15 <= len(text) <= 21:
        raise ValueError(f"{text!r} is not a Discord {what} id (a number such as 1234567890123456789)")
    return int(text)


def optional_id(value: Any, what: str) -> int | None:
    """One id, or None when unset or blank."""
    if unset(value):
        return None
    return _snowflake(str(value), what)


def parse_ids(value: Any, what: str = "channel") -> list[int]:
    """`"1, 2 3"`, `"[1, 2]"`, `[1, 2]` or `None` -> `[1, 2]` / `[]`."""
    if value is None:
        return []
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list | tuple | set):
        return [_snowflake(str(item), what) for item in value]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except ValueError:
                raise ValueError(f"{text!r} is not a JSON list of ids") from None
            return parse_ids(loaded, what)
        return [_snowflake(part, what) for part in text.replace(",", " ").split()]
    raise ValueError(f"expected {what} ids, got {type(value).__name__}")


def parse_role_map(value: Any) -> dict[int, list[int]]:
    """`"GUILD:ROLE,ROLE;GUILD:ROLE"` or JSON `{"GUILD": [ROLE]}` -> `{GUILD: [ROLE, ...]}`."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except ValueError:
                raise ValueError(f"{text!r} is not a JSON object of guild id -> role ids") from None
        else:
            mapping: dict[int, list[int]] = {}
            for part in filter(None, (p.strip() for p in text.split(";"))):
                guild, sep, roles = part.partition(":")
                if not sep:
                    raise ValueError(f"{part!r} should be GUILD_ID:ROLE_ID,ROLE_ID")
                mapping.setdefault(_snowflake(guild, "server"), []).extend(parse_ids(roles, "role"))
            return mapping
    if isinstance(value, dict):
        return {_snowflake(str(guild), "server"): parse_ids(roles, "role") for guild, roles in value.items()}
    raise ValueError(f"expected GUILD_ID:ROLE_ID,... got {type(value).__name__}")


def parse_shard_ids(value: Any) -> list[int] | None:
    """`"0-3"`, `"0,2 5-7"`, `[0, 2]` -> the sorted distinct shard ids; None when unset or blank."""
    if unset(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, list | tuple | set):
        value = ",".join(str(item) for item in value)
    if not isinstance(value, str):
        raise ValueError(f"expected shard ids such as 0-3 or 0,2,5-7, got {type(value).__name__}")
    ids: set[int] = set()
    for part in value.replace(",", " ").split():
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ValueError(f"{part!r} is not a shard id or a range of them (such as 0-3 or 0,2,5-7)")
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            raise ValueError(f"the range {part!r} runs backwards (write {high}-{low})")
        ids.update(range(low, high + 1))
    return sorted(ids)


def shard_ranges(ids: list[int]) -> str:
    """`[0, 1, 2, 5]` -> `"0-2,5"`: how CONNECTSBOT_SHARD_IDS writes them."""
    ranges: list[str] = []
    start = previous = ids[0] if ids else 0
    for shard_id in [*ids[1:], None]:
        if shard_id is not None and shard_id == previous + 1:
            previous = shard_id
            continue
        ranges.append(str(start) if start == previous else f"{start}-{previous}")
        if shard_id is not None:
            start = previous = shard_id
    return ",".join(ranges) if ids else ""


class DiscordSettings(BaseSettings):
    model_config = settings_config()

    token: SecretStr = Field(validation_alias="DISCORD_TOKEN", min_length=1, description=TOKEN_DESCRIPTION)
    dev_guild_id: int | None = Field(
        default=None,
        validation_alias=AliasChoices("CONNECTSBOT_DEV_GUILD_ID", "DEV_GUILD_ID"),
        description="sync the slash commands to this one server (a server id): instant, for testing",
    )
    sync_commands: bool = Field(
        default=True,
        validation_alias="CONNECTSBOT_SYNC_COMMANDS",
        description="register the slash commands with Discord at start (globally: may take up to an hour "
        "to show; false once they are registered and unchanged)",
    )

    @field_validator("token")
    @classmethod
    def _token_shape(cls, token: SecretStr) -> SecretStr:
        value = token.get_secret_value().strip()
        if not value or any(ch.isspace() for ch in value):
            raise ValueError(
                "the token is empty or contains spaces (copy it again from the developer portal)"
            )
        return SecretStr(value)

    @field_validator("dev_guild_id", mode="before")
    @classmethod
    def _guild(cls, value: Any) -> int | None:
        return optional_id(value, "server")


class ChannelSettings(BaseSettings):
    model_config = settings_config()

    help_channel_ids: IdList = Field(
        default_factory=list,
        validation_alias="CONNECTSBOT_HELP_CHANNELS",
        description="text channel ids where questions are answered automatically (needs the Message "
        "Content intent); comma-separated",
    )
    forum_channel_ids: IdList = Field(
        default_factory=list,
        validation_alias="CONNECTSBOT_FORUM_CHANNELS",
        description="forum channel ids whose new posts are answered automatically (likewise)",
    )
    mod_log_channel_id: int | None = Field(
        default=None,
        validation_alias="CONNECTSBOT_MODLOG_CHANNEL",
        description="channel id where every knowledge-base change is posted",
    )

    @field_validator("help_channel_ids", "forum_channel_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> list[int]:
        return parse_ids(value, "channel")

    @property
    def auto_answer(self) -> bool:
        """Auto-answer is on when any help or forum channel is configured."""
        return bool(self.help_channel_ids or self.forum_channel_ids)

    @property
    def configured_channel_ids(self) -> list[int]:
        """Every channel the bot posts in of its own accord: help, forum and mod-log."""
        mod_log = [] if self.mod_log_channel_id is None else [self.mod_log_channel_id]
        return [*self.help_channel_ids, *self.forum_channel_ids, *mod_log]

    @field_validator("mod_log_channel_id", mode="before")
    @classmethod
    def _channel(cls, value: Any) -> int | None:
        return optional_id(value, "channel")


class ModerationSettings(BaseSettings):
    model_config = settings_config()

    moderator_roles: RoleMap = Field(
        default_factory=dict,
        validation_alias="CONNECTSBOT_MODERATOR_ROLES",
        description="moderator roles per server: SERVER_ID:ROLE_ID,ROLE_ID;SERVER_ID:ROLE_ID (Manage "
        "Server always counts)",
    )
    guild_ids: IdList = Field(
        default_factory=list,
        validation_alias="CONNECTSBOT_GUILDS",
        description="home servers: the only ones whose moderators change the knowledge base (empty: "
        "nobody can, and questions asked in direct messages are not kept)",
    )
    context_menu_moderators_only: bool = Field(
        default=False,
        validation_alias=AliasChoices(
            "CONNECTSBOT_CONTEXT_MENU_MODERATORS_ONLY", "CONTEXT_MENU_MODERATORS_ONLY"
        ),
        description='the "Answer with FAQ" message menu for moderators only',
    )

    @field_validator("moderator_roles", mode="before")
    @classmethod
    def _roles(cls, value: Any) -> dict[int, list[int]]:
        return parse_role_map(value)

    @field_validator("guild_ids", mode="before")
    @classmethod
    def _guilds(cls, value: Any) -> list[int]:
        return parse_ids(value, "server")

    def roles_for(self, guild_id: int) -> frozenset[int]:
        return frozenset(self.moderator_roles.get(guild_id, ()))

    def is_home_server(self, guild_id: int) -> bool:
        """Whether this server curates the knowledge base (its moderators may change it)."""
        return guild_id in self.guild_ids


class AnswerSettings(BaseSettings):
    model_config = settings_config()

    cooldown_seconds: float = Field(
        default=60.0,
        ge=0,
        le=86_400,
        validation_alias="CONNECTSBOT_COOLDOWN_SECONDS",
        description="auto-answer: at most one reply per member per this many seconds",
    )
    # Flood limit on questions put to the bot (/ask, @mention), per member: see connectsbot.question_limit.
    question_limit: int = Field(
        default=5,
        ge=1,
        le=1000,
        validation_alias="CONNECTSBOT_QUESTION_LIMIT",
        description="/ask and @mention: questions per member per window",
    )
    question_window_seconds: float = Field(
        default=30.0,
        ge=0,
        le=86_400,
        validation_alias="CONNECTSBOT_QUESTION_WINDOW_SECONDS",
        description="the window of that limit, in seconds",
    )
    answer_threshold: float | None = Field(
        default=None,
        ge=0,
        le=100,
        validation_alias="CONNECTSBOT_ANSWER_THRESHOLD",
        description="0..100: the lexical matcher's answer score, used only when no answer model is "
        "trained (a knowledge base the labelled questions do not cover)",
    )
    suggest_threshold: float | None = Field(
        default=None,
        ge=0,
        le=100,
        validation_alias="CONNECTSBOT_SUGGEST_THRESHOLD",
        description="0..100: likewise, the score for suggestions (not above the answer threshold)",
    )
    min_margin: float | None = Field(
        default=None,
        ge=0,
        le=100,
        validation_alias="CONNECTSBOT_MIN_MARGIN",
        description="0..100: likewise, how far the best entry must lead the next to be answered",
    )

    @model_validator(mode="after")
    def _ordered(self) -> AnswerSettings:
        config = self.matcher_config() or MatcherConfig()
        if config.suggest_threshold > config.answer_threshold:
            raise ValueError(
                f"CONNECTSBOT_SUGGEST_THRESHOLD ({config.suggest_threshold:g}) must not be above "
                f"CONNECTSBOT_ANSWER_THRESHOLD ({config.answer_threshold:g})"
            )
        return self

    def matcher_config(self) -> MatcherConfig | None:
        """The matcher's thresholds with the overrides applied; None when nothing is overridden."""
        overrides = {
            name: value
            for name in ("answer_threshold", "suggest_threshold", "min_margin")
            if (value := getattr(self, name)) is not None
        }
        return MatcherConfig(**overrides) if overrides else None


class ShardSettings(BaseSettings):
    """Which of Discord's shards this process runs: each server's events go to one shard
    (`(server_id >> 22) % count`), so several processes can split the servers between them."""

    model_config = settings_config()

    count: int | None = Field(
        default=None,
        ge=1,
        validation_alias="CONNECTSBOT_SHARD_COUNT",
        description="how many shards the bot runs over all its processes (default: the number Discord "
        "recommends, every one in this process)",
    )
    ids: ShardIds = Field(
        default=None,
        validation_alias="CONNECTSBOT_SHARD_IDS",
        description="the shards this process runs, such as 0-3 or 0,2,5-7 (needs CONNECTSBOT_SHARD_COUNT; "
        "default: every shard)",
    )

    @field_validator("count", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        return None if unset(value) else value

    @field_validator("ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> list[int] | None:
        return parse_shard_ids(value)

    @model_validator(mode="after")
    def _ids_within_count(self) -> ShardSettings:
        if self.ids is None:
            return self
        if self.count is None:
            raise ValueError(
                "CONNECTSBOT_SHARD_IDS needs CONNECTSBOT_SHARD_COUNT: the total number of shards over every "
                "process (e.g. CONNECTSBOT_SHARD_COUNT=12 with CONNECTSBOT_SHARD_IDS=0-3)"
            )
        beyond = [shard_id for shard_id in self.ids if shard_id >= self.count]
        if beyond:
            raise ValueError(
                f"CONNECTSBOT_SHARD_IDS names shard {shard_ranges(beyond)}, but with CONNECTSBOT_SHARD_COUNT="
                f"{self.count} the shard ids run from 0 to {self.count - 1}"
            )
        return self

    def describe(self) -> str:
        """Which shards this process runs, in words (for the log at start)."""
        if self.count is None:
            return "every shard, as many as Discord recommends"
        if self.ids is None or len(self.ids) == self.count:
            return f"every shard of {self.count}"
        return f"shards {shard_ranges(self.ids)} of {self.count}"


@dataclass(frozen=True)
class BotSettings:
    discord: DiscordSettings
    store: StoreSettings
    channels: ChannelSettings
    moderation: ModerationSettings
    answers: AnswerSettings
    logs: LogSettings = field(default_factory=LogSettings)
    shards: ShardSettings = field(default_factory=ShardSettings)


SECTIONS: dict[str, type[BaseSettings]] = {
    "discord": DiscordSettings,
    "store": StoreSettings,
    "channels": ChannelSettings,
    "moderation": ModerationSettings,
    "answers": AnswerSettings,
    "logs": LogSettings,
    "shards": ShardSettings,
}

# Every section the bot and the command line read, in the order .env.example lists them.
ALL_SECTIONS: tuple[tuple[str, type[BaseSettings]], ...] = (
    ("Discord", DiscordSettings),
    ("Channels", ChannelSettings),
    ("Moderation", ModerationSettings),
    ("Answers", AnswerSettings),
    ("Shards", ShardSettings),
    ("Store", StoreSettings),
    ("Semantic signal", SemanticSettings),
    ("Logs", LogSettings),
)


def renamed_variables_in_use(env_file: Path | None = DEFAULT_ENV_FILE) -> list[str]:
    """A warning for each old variable name set in the environment or `env_file`."""
    given = {name.upper() for name in os.environ}
    if env_file is not None and env_file.is_file():
        given |= {name.upper() for name in dotenv_values(env_file)}
    return [
        f"{old} is deprecated: rename it to {new} (the old name still works for now)"
        for old, new in RENAMED_VARIABLES.items()
        if old in given
    ]


def load_settings(env_file: Path | None = DEFAULT_ENV_FILE, **overrides: dict[str, Any]) -> BotSettings:
    """Every section from the environment and `env_file`; `overrides` per section (e.g.
    `store={"db": path}`) win over both. Raises SettingsError naming every bad variable."""
    for warning in renamed_variables_in_use(env_file):
        log.warning("%s", warning)
    problems: list[str] = []
    built: dict[str, BaseSettings] = {}
    for name, section in SECTIONS.items():
        try:
            built[name] = read_section(section, env_file, **overrides.get(name, {}))
        except SettingsError as error:
            problems += error.problems
    if problems:
        raise SettingsError(problems, "the bot's configuration")
    return BotSettings(**built)  # type: ignore[arg-type]
