"""/help through the loopback Discord: every member command one line each, found from the command tree;
moderators also see theirs; nobody else sees the moderators' commands."""

from __future__ import annotations

from typing import Any

from discord import app_commands

from bot.exts.help._cog import MODERATORS_HEADING, is_for_moderators
from fakediscord.harness import FakeDiscord
from tests.bot.helpers import bot_of


def _commands(fake: FakeDiscord) -> dict[str, app_commands.Command[Any, ..., Any]]:
    return {
        command.qualified_name: command
        for command in bot_of(fake).tree.walk_commands()
        if isinstance(command, app_commands.Command)
    }


async def test_a_member_sees_every_member_command_and_no_moderator_command(fake: FakeDiscord) -> None:
    reply = await fake.slash("help", user=fake.member_user)
    assert reply.ephemeral and reply.allowed_mentions == {"parse": []}
    text = reply.content or ""
    commands = _commands(fake)
    for name, command in commands.items():
        line = next((line for line in text.splitlines() if line.startswith(f"`/{name}")), None)
        if is_for_moderators(command):
            assert line is None, name
        else:
            assert line is not None and line.endswith(f": {command.description}"), name
    assert "`/ask question`: Ask a question about Upwork Connects and interviews" in text
    assert "`/help`" in text and "**Answer with FAQ**" in text
    assert MODERATORS_HEADING not in text
    for_moderators = {name for name, command in commands.items() if is_for_moderators(command)}
    assert {"faq add", "faq edit", "faq unanswered"} <= for_moderators


async def test_a_moderator_also_sees_the_moderator_commands(fake: FakeDiscord) -> None:
    reply = await fake.slash("help", user=fake.moderator_user)
    text = reply.content or ""
    members, _, moderators = text.partition(MODERATORS_HEADING)
    for name, command in _commands(fake).items():
        part = moderators if is_for_moderators(command) else members
        assert f"`/{name}" in part, name
    assert "`/faq edit entry`: " in moderators and "`/faq retire" in moderators
    assert len(text) <= 2000
