"""The command set as a whole: no clashing names across extensions, Discord's naming limits, where the
commands are synced, the client's defaults (no mentions), and what reaches the logs."""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.client import EXTENSIONS, ConnectsBot
from fakediscord.harness import FakeDiscord
from tests.bot.helpers import TOKEN, BotMaker, World, bot_of

NAME = re.compile(r"^[-_a-z0-9]{1,32}$")


def _walk(command: Any, prefix: str = "") -> list[tuple[str, Any]]:
    name = f"{prefix}{command.name}"
    if isinstance(command, app_commands.Group):
        return [item for sub in command.commands for item in _walk(sub, name + " ")]
    return [(name, command)]


async def test_no_two_extensions_define_the_same_command(make_bot: BotMaker) -> None:
    bot = await make_bot()
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    try:
        owners: Counter[tuple[str, str]] = Counter()
        for cog in bot.cogs.values():
            for command in cog.get_app_commands():
                owners[(command.name, "chat_input")] += 1
        for menu in bot.tree.get_commands(type=discord.AppCommandType.message):
            owners[(menu.name, "message")] += 1
        clashes = [key for key, count in owners.items() if count > 1]
        assert clashes == []
        roots = [c.name for c in bot.tree.get_commands()]
        assert sorted(roots) == sorted(set(roots))
        assert {"ask", "faq", "diagnose", "diagnose-help", "Answer with FAQ"} <= set(roots)

        leaves = [
            item
            for root in bot.tree.get_commands(type=discord.AppCommandType.chat_input)
            for item in _walk(root)
        ]
        names = [name for name, _ in leaves]
        assert len(names) == len(set(names))
        for name, command in leaves:
            assert all(NAME.match(part) for part in name.split()), name
            assert 1 <= len(command.description) <= 100, name
            for parameter in command.parameters:
                assert NAME.match(parameter.name) and len(parameter.description) <= 100, (
                    name,
                    parameter.name,
                )
        assert len(bot.tree.get_commands()) <= 100
    finally:
        for extension in EXTENSIONS:
            await bot.unload_extension(extension)


async def test_commands_sync_globally_by_default(fake: FakeDiscord) -> None:
    names = {c["name"] for c in fake.commands[None]}
    assert {"ask", "faq", "diagnose", "diagnose-help", "Answer with FAQ"} <= names
    faq = next(c for c in fake.commands[None] if c["name"] == "faq")
    subcommands = {o["name"] for o in faq["options"]}
    assert {
        "show",
        "list",
        "add",
        "edit",
        "retire",
        "alias",
        "history",
        "revert",
        "unanswered",
        "stats",
        "import",
    } == subcommands


async def test_commands_sync_to_the_development_server(launch: Any, world: World) -> None:
    fake: FakeDiscord = await launch(discord={"dev_guild_id": world.guild_id})
    assert "ask" in {c["name"] for c in fake.commands[world.guild_id]}
    assert fake.commands.get(None, []) == []
    reply = await fake.slash("ask", question="do unused connects roll over?")
    assert reply.embeds


async def test_commands_not_synced_when_disabled(launch: Any) -> None:
    fake: FakeDiscord = await launch(discord={"sync_commands": False})
    assert not [r for r in fake.sent if r.method == "PUT"]
    assert (await fake.slash("ask", question="do unused connects roll over?")).embeds


async def test_the_client_mentions_nobody_by_default(fake: FakeDiscord) -> None:
    bot = bot_of(fake)
    assert isinstance(bot, ConnectsBot)
    assert bot.allowed_mentions is not None and bot.allowed_mentions.to_dict() == {"parse": []}
    assert bot.intents.message_content and bot.intents.guild_messages and not bot.intents.members


async def test_no_message_contents_or_token_in_info_logs(
    fake: FakeDiscord, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    secrets = ["zebra husbandry course", "do unused connects roll over?", "connects plan fortnightly"]
    await fake.slash("ask", question=secrets[0])
    await fake.message(fake.faq, secrets[1])
    await fake.wait_for_sent(fake.faq)
    await fake.message(fake.general, f"<@{world.bot_user['id']}> {secrets[2]}")
    await fake.wait_for_sent(fake.general)
    await fake.settle()
    logged = [record.getMessage() for record in caplog.records if record.levelno >= logging.INFO]
    assert any("auto-answer" in line for line in logged)
    for line in logged:
        assert TOKEN not in line
        for secret in secrets:
            assert secret not in line
