"""Configuration from the environment and .env: parsed ids, defaults, and errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import (
    SettingsError,
    load_settings,
    parse_ids,
    parse_role_map,
    parse_shard_ids,
    shard_ranges,
)
from connectsbot.matching import MatcherConfig

GUILD = "1234567890123456789"
ROLE_A, ROLE_B = "2234567890123456789", "3234567890123456789"
CHANNEL = "4234567890123456789"

VARIABLES = [
    "DISCORD_TOKEN",
    "DEV_GUILD_ID",
    "CONNECTSBOT_SYNC_COMMANDS",
    "CONNECTSBOT_HELP_CHANNELS",
    "CONNECTSBOT_FORUM_CHANNELS",
    "CONNECTSBOT_MODLOG_CHANNEL",
    "CONNECTSBOT_MODERATOR_ROLES",
    "CONNECTSBOT_GUILDS",
    "CONTEXT_MENU_MODERATORS_ONLY",
    "CONNECTSBOT_COOLDOWN_SECONDS",
    "CONNECTSBOT_ANSWER_THRESHOLD",
    "CONNECTSBOT_SUGGEST_THRESHOLD",
    "CONNECTSBOT_MIN_MARGIN",
    "CONNECTSBOT_SHARD_COUNT",
    "CONNECTSBOT_SHARD_IDS",
]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def _problems(error: pytest.ExceptionInfo[SettingsError]) -> str:
    return str(error.value)


def test_everything_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "abc.def.ghi")
    monkeypatch.setenv("DEV_GUILD_ID", GUILD)
    monkeypatch.setenv("CONNECTSBOT_HELP_CHANNELS", f"{CHANNEL}, {GUILD}")
    monkeypatch.setenv("CONNECTSBOT_FORUM_CHANNELS", f"[{CHANNEL}]")
    monkeypatch.setenv("CONNECTSBOT_MODLOG_CHANNEL", CHANNEL)
    monkeypatch.setenv("CONNECTSBOT_MODERATOR_ROLES", f"{GUILD}:{ROLE_A},{ROLE_B}")
    monkeypatch.setenv("CONNECTSBOT_GUILDS", GUILD)
    monkeypatch.setenv("CONTEXT_MENU_MODERATORS_ONLY", "true")
    monkeypatch.setenv("CONNECTSBOT_COOLDOWN_SECONDS", "30")
    monkeypatch.setenv("CONNECTSBOT_ANSWER_THRESHOLD", "60")
    monkeypatch.setenv("CONNECTSBOT_DB", str(tmp_path / "bot.sqlite3"))
    settings = load_settings(env_file=None)
    assert settings.discord.token.get_secret_value() == "abc.def.ghi"
    assert "abc.def.ghi" not in repr(settings)
    assert settings.discord.dev_guild_id == int(GUILD)
    assert settings.channels.help_channel_ids == [int(CHANNEL), int(GUILD)]
    assert settings.channels.forum_channel_ids == [int(CHANNEL)]
    assert settings.channels.mod_log_channel_id == int(CHANNEL)
    assert settings.moderation.roles_for(int(GUILD)) == {int(ROLE_A), int(ROLE_B)}
    assert settings.moderation.roles_for(1) == frozenset()
    assert settings.moderation.is_home_server(int(GUILD)) and not settings.moderation.is_home_server(1)
    assert settings.moderation.context_menu_moderators_only is True
    assert settings.answers.cooldown_seconds == 30
    config = settings.answers.matcher_config()
    assert config is not None and config.answer_threshold == 60
    assert config.suggest_threshold == MatcherConfig().suggest_threshold
    assert settings.store.db == tmp_path / "bot.sqlite3"


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    settings = load_settings(env_file=None)
    assert settings.discord.dev_guild_id is None and settings.discord.sync_commands
    assert settings.channels.help_channel_ids == [] and settings.channels.mod_log_channel_id is None
    assert settings.moderation.moderator_roles == {} and not settings.moderation.is_home_server(123)
    assert settings.moderation.context_menu_moderators_only is False
    assert settings.answers.cooldown_seconds == 60 and settings.answers.matcher_config() is None
    assert settings.shards.count is None and settings.shards.ids is None
    assert settings.shards.describe() == "every shard, as many as Discord recommends"


def test_read_from_a_dotenv_file(tmp_path: Path) -> None:
    env = tmp_path / "bot.env"
    env.write_text(
        "DISCORD_TOKEN=from-file\n"
        f"CONNECTSBOT_MODERATOR_ROLES='{{\"{GUILD}\": [{ROLE_A}]}}'\n"
        "OTHER=ignored\n",
        encoding="utf-8",
    )
    settings = load_settings(env_file=env)
    assert settings.discord.token.get_secret_value() == "from-file"
    assert settings.moderation.moderator_roles == {int(GUILD): [int(ROLE_A)]}


def test_the_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("DISCORD_TOKEN=from-file\n", encoding="utf-8")
    monkeypatch.setenv("DISCORD_TOKEN", "from-env")
    assert load_settings(env_file=env).discord.token.get_secret_value() == "from-env"


def test_a_missing_token_is_named() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=None)
    assert "DISCORD_TOKEN is not set" in _problems(error)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "CONNECTSBOT_HELP_CHANNELS",
            "general",
            "CONNECTSBOT_HELP_CHANNELS: 'general' is not a Discord channel id",
        ),
        ("CONNECTSBOT_FORUM_CHANNELS", "[1, 2", "CONNECTSBOT_FORUM_CHANNELS: '[1, 2' is not a JSON list"),
        (
            "CONNECTSBOT_MODLOG_CHANNEL",
            "#mod-log",
            "CONNECTSBOT_MODLOG_CHANNEL: '#mod-log' is not a Discord channel",
        ),
        (
            "CONNECTSBOT_MODERATOR_ROLES",
            ROLE_A,
            f"CONNECTSBOT_MODERATOR_ROLES: '{ROLE_A}' should be GUILD_ID:ROLE_ID",
        ),
        (
            "CONNECTSBOT_MODERATOR_ROLES",
            f"{GUILD}:mods",
            "CONNECTSBOT_MODERATOR_ROLES: 'mods' is not a Discord role id",
        ),
        ("DEV_GUILD_ID", "my-server", "DEV_GUILD_ID: 'my-server' is not a Discord server id"),
        (
            "CONNECTSBOT_COOLDOWN_SECONDS",
            "-5",
            "CONNECTSBOT_COOLDOWN_SECONDS: Input should be greater than or equal",
        ),
        (
            "CONNECTSBOT_COOLDOWN_SECONDS",
            "soon",
            "CONNECTSBOT_COOLDOWN_SECONDS: Input should be a valid number",
        ),
        (
            "CONTEXT_MENU_MODERATORS_ONLY",
            "maybe",
            "CONTEXT_MENU_MODERATORS_ONLY: Input should be a valid boolean",
        ),
        (
            "CONNECTSBOT_ANSWER_THRESHOLD",
            "150",
            "CONNECTSBOT_ANSWER_THRESHOLD: Input should be less than or equal",
        ),
        ("CONNECTSBOT_SUGGEST_THRESHOLD", "80", "CONNECTSBOT_SUGGEST_THRESHOLD (80) must not be above"),
        ("DISCORD_TOKEN", "two words", "DISCORD_TOKEN: the token is empty or contains spaces"),
    ],
)
def test_malformed_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=None)
    assert expected in _problems(error)
    if variable == "DISCORD_TOKEN":
        assert value not in _problems(error), "the token is never echoed"


def test_every_problem_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTSBOT_HELP_CHANNELS", "x")
    monkeypatch.setenv("CONNECTSBOT_COOLDOWN_SECONDS", "-1")
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=None)
    text = _problems(error)
    assert all(
        name in text
        for name in ("DISCORD_TOKEN", "CONNECTSBOT_HELP_CHANNELS", "CONNECTSBOT_COOLDOWN_SECONDS")
    )


def test_missing_knowledge_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.setenv("CONNECTSBOT_KNOWLEDGE", str(tmp_path / "nowhere"))
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=None)
    assert "CONNECTSBOT_KNOWLEDGE:" in _problems(error) and "is not a folder" in _problems(error)


def test_id_parsers() -> None:
    assert parse_ids(None) == [] and parse_ids("") == [] and parse_ids(f" {CHANNEL} ") == [int(CHANNEL)]
    assert parse_ids(f"{CHANNEL} {GUILD},{ROLE_A}") == [int(CHANNEL), int(GUILD), int(ROLE_A)]
    assert parse_role_map(f"{GUILD}:{ROLE_A}; {CHANNEL}:{ROLE_B}") == {
        int(GUILD): [int(ROLE_A)],
        int(CHANNEL): [int(ROLE_B)],
    }
    assert parse_role_map({GUILD: [ROLE_A]}) == {int(GUILD): [int(ROLE_A)]}
    with pytest.raises(ValueError):
        parse_ids("12")  # too short for a snowflake


def test_shards_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.setenv("CONNECTSBOT_SHARD_COUNT", "12")
    monkeypatch.setenv("CONNECTSBOT_SHARD_IDS", "8-11, 4")
    shards = load_settings(env_file=None).shards
    assert shards.count == 12 and shards.ids == [4, 8, 9, 10, 11]
    assert shards.describe() == "shards 4,8-11 of 12"
    monkeypatch.delenv("CONNECTSBOT_SHARD_IDS")
    assert load_settings(env_file=None).shards.describe() == "every shard of 12"


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"CONNECTSBOT_SHARD_IDS": "0-3"}, "CONNECTSBOT_SHARD_IDS needs CONNECTSBOT_SHARD_COUNT"),
        (
            {"CONNECTSBOT_SHARD_COUNT": "4", "CONNECTSBOT_SHARD_IDS": "2-5"},
            "CONNECTSBOT_SHARD_IDS names shard 4-5, but with CONNECTSBOT_SHARD_COUNT=4 the shard ids run "
            "from 0 to 3",
        ),
        (
            {"CONNECTSBOT_SHARD_COUNT": "0"},
            "CONNECTSBOT_SHARD_COUNT: Input should be greater than or equal to 1",
        ),
        ({"CONNECTSBOT_SHARD_COUNT": "two"}, "CONNECTSBOT_SHARD_COUNT: Input should be a valid integer"),
        (
            {"CONNECTSBOT_SHARD_COUNT": "4", "CONNECTSBOT_SHARD_IDS": "0-x"},
            "CONNECTSBOT_SHARD_IDS: '0-x' is not a shard id or a range of them (such as 0-3 or 0,2,5-7)",
        ),
        (
            {"CONNECTSBOT_SHARD_COUNT": "4", "CONNECTSBOT_SHARD_IDS": "3-1"},
            "CONNECTSBOT_SHARD_IDS: the range '3-1' runs backwards (write 1-3)",
        ),
    ],
)
def test_bad_shard_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=None)
    assert expected in _problems(error)


def test_shard_id_parser() -> None:
    assert parse_shard_ids(None) is None and parse_shard_ids(" ") is None
    assert parse_shard_ids("0,2 5-7") == [0, 2, 5, 6, 7] and parse_shard_ids("3,3,1-2") == [1, 2, 3]
    assert parse_shard_ids([2, 0]) == [0, 2] and parse_shard_ids(1) == [1]
    with pytest.raises(ValueError):
        parse_shard_ids("-1")
    assert shard_ranges([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8" and shard_ranges([3]) == "3"
