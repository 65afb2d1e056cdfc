"""The bot's configuration: the core's sections (`connectsbot.settings`) and the Discord ones, each a
pydantic-settings class read from the environment and `.env` in the same way.

| variable | section | meaning |
| --- | --- | --- |
| `DISCORD_TOKEN` | discord | the bot token (required to run the bot) |
| `DEV_GUILD_ID` | discord | sync the commands to this server only (instant; for development) |
| `CONNECTSBOT_SYNC_COMMANDS` | discord | sync the slash commands at start (default true) |
| `CONNECTSBOT_DB` | store (core) | the SQLite database (default under `~/.local/share/connectsbot/`) |
| `CONNECTSBOT_KNOWLEDGE` | store (core) | the knowledge folder (default: the shipped one) |
| `CONNECTSBOT_HELP_CHANNELS` | channels | text channel ids where questions are answered automatically |
| `CONNECTSBOT_FORUM_CHANNELS` | channels | forum channel ids whose new posts are answered automatically |
| `CONNECTSBOT_MODLOG_CHANNEL` | channels | channel id where every knowledge-base change is posted |
| `CONNECTSBOT_MODERATOR_ROLES` | moderation | `GUILD:ROLE,ROLE;GUILD:ROLE` (or JSON `{"GUILD": [ROLE]}`) |
| `CONNECTSBOT_GUILDS` | moderation | home servers: the only ones whose moderators change the knowledge base |
| `CONTEXT_MENU_MODERATORS_ONLY` | moderation | "Answer with FAQ" for moderators only (default false) |
| `CONNECTSBOT_COOLDOWN_SECONDS` | answers | auto-answer: one reply per member per this many seconds (60) |
| `CONNECTSBOT_QUESTION_LIMIT` | answers | /ask and @mention: questions per member per window (5) |
| `CONNECTSBOT_QUESTION_WINDOW_SECONDS` | answers | the window of that limit, in seconds (30) |
| `CONNECTSBOT_ANSWER_THRESHOLD` | answers | lexical fallback (no answer model trained): override, 0..100 |
| `CONNECTSBOT_SUGGEST_THRESHOLD` | answers | lexical-fallback override, 0..100 (likewise) |
| `CONNECTSBOT_MIN_MARGIN` | answers | lexical-fallback override, 0..100 (likewise) |
| `CONNECTSBOT_SEMANTIC` | semantic (core) | `off` answers with the lexical signal only (default on) |

Ids are lists separated by commas or spaces (`123, 456`) or JSON (`[123, 456]`). A missing or malformed
setting raises `SettingsError` whose message names the variable and says what was expected.

`CONNECTSBOT_GUILDS` empty means no home server: nobody can change the knowledge base (moderator commands
say how to configure it), and questions asked in direct messages are not kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

from connectsbot.matching import MatcherConfig
from connectsbot.settings import DEFAULT_ENV_FILE as DEFAULT_ENV_FILE
from connectsbot.settings import SettingsError as SettingsError
from connectsbot.settings import StoreSettings, read_section, settings_config

IdList = Annotated[list[int], NoDecode]
RoleMap = Annotated[dict[int, list[int]], NoDecode]


def _snowflake(text: str, what: str) -> int:
    text = text.strip()
    if not text.isdigit() or not 15 <= len(text) <= 21:
        raise ValueError(f"{text!r} is not a Discord {what} id (a number such as 1234567890123456789)")
    return int(text)


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


class DiscordSettings(BaseSettings):
    model_config = settings_config()

    token: SecretStr = Field(validation_alias="DISCORD_TOKEN", min_length=1)
    dev_guild_id: int | None = Field(default=None, validation_alias="DEV_GUILD_ID")
    sync_commands: bool = Field(default=True, validation_alias="CONNECTSBOT_SYNC_COMMANDS")

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
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _snowflake(str(value), "server")


class ChannelSettings(BaseSettings):
    model_config = settings_config()

    help_channel_ids: IdList = Field(default_factory=list, validation_alias="CONNECTSBOT_HELP_CHANNELS")
    forum_channel_ids: IdList = Field(default_factory=list, validation_alias="CONNECTSBOT_FORUM_CHANNELS")
    mod_log_channel_id: int | None = Field(default=None, validation_alias="CONNECTSBOT_MODLOG_CHANNEL")

    @field_validator("help_channel_ids", "forum_channel_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> list[int]:
        return parse_ids(value, "channel")

    @property
    def auto_answer(self) -> bool:
        """Auto-answer is on when any help or forum channel is configured."""
        return bool(self.help_channel_ids or self.forum_channel_ids)

    @field_validator("mod_log_channel_id", mode="before")
    @classmethod
    def _channel(cls, value: Any) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _snowflake(str(value), "channel")


class ModerationSettings(BaseSettings):
    model_config = settings_config()

    moderator_roles: RoleMap = Field(default_factory=dict, validation_alias="CONNECTSBOT_MODERATOR_ROLES")
    guild_ids: IdList = Field(default_factory=list, validation_alias="CONNECTSBOT_GUILDS")
    context_menu_moderators_only: bool = Field(default=False, validation_alias="CONTEXT_MENU_MODERATORS_ONLY")

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
        default=60.0, ge=0, le=86_400, validation_alias="CONNECTSBOT_COOLDOWN_SECONDS"
    )
    # Flood limit on questions put to the bot (/ask, @mention), per member: see connectsbot.question_limit.
    question_limit: int = Field(default=5, ge=1, le=1000, validation_alias="CONNECTSBOT_QUESTION_LIMIT")
    question_window_seconds: float = Field(
        default=30.0, ge=0, le=86_400, validation_alias="CONNECTSBOT_QUESTION_WINDOW_SECONDS"
    )
    answer_threshold: float | None = Field(
        default=None, ge=0, le=100, validation_alias="CONNECTSBOT_ANSWER_THRESHOLD"
    )
    suggest_threshold: float | None = Field(
        default=None, ge=0, le=100, validation_alias="CONNECTSBOT_SUGGEST_THRESHOLD"
    )
    min_margin: float | None = Field(default=None, ge=0, le=100, validation_alias="CONNECTSBOT_MIN_MARGIN")

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


@dataclass(frozen=True)
class BotSettings:
    discord: DiscordSettings
    store: StoreSettings
    channels: ChannelSettings
    moderation: ModerationSettings
    answers: AnswerSettings


SECTIONS: dict[str, type[BaseSettings]] = {
    "discord": DiscordSettings,
    "store": StoreSettings,
    "channels": ChannelSettings,
    "moderation": ModerationSettings,
    "answers": AnswerSettings,
}


def load_settings(env_file: Path | None = DEFAULT_ENV_FILE, **overrides: dict[str, Any]) -> BotSettings:
    """Every section from the environment and `env_file`; `overrides` per section (e.g.
    `store={"db": path}`) win over both. Raises SettingsError naming every bad variable."""
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
