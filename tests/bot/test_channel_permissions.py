"""At connect the bot checks it has the permissions it uses (bot.permissions.REQUIRED_PERMISSIONS, the
same the invite link asks for) in every configured channel, and names what is missing."""

from __future__ import annotations

import logging

import discord
import pytest

from tests.bot.helpers import Launcher, World


async def test_a_missing_permission_in_a_configured_channel_is_named(
    launch: Launcher, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    mod_log = world.channel("mod-log")
    bot_role = world.role(world.bot_user["username"])
    mod_log["permission_overwrites"] = [
        {
            "id": bot_role["id"],
            "type": 0,
            "allow": "0",
            "deny": str(discord.Permissions(embed_links=True).value),
        }
    ]
    caplog.set_level(logging.WARNING, logger="bot.permissions")
    fake = await launch()
    await fake.settle()
    warnings = [record.getMessage() for record in caplog.records if record.name == "bot.permissions"]
    assert warnings == [
        f"configured channel #mod-log ({mod_log['id']}): the bot lacks embed_links; invite it again with "
        "`connectsbot invite-url` or give its role these permissions there"
    ]


async def test_no_warning_when_the_bot_has_them_everywhere(
    launch: Launcher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.permissions")
    fake = await launch()
    await fake.settle()
    assert [record for record in caplog.records if record.name == "bot.permissions"] == []
