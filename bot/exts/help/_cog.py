"""/help, written from the command tree as it is: a new command is listed without touching this file.
A command is a moderator's when it carries the moderator check (`bot.checks.moderator_only`); those are
listed only to members who pass that check here."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks
from bot.client import ConnectsBot
from bot.replies import respond_text

MEMBERS_HEADING = "**What I can do** (only you see this)"
MODERATORS_HEADING = "**For moderators** (you see these because you are one here)"
MENTION_LINE = "You can also mention me with a question, like `/ask`."


def _usage(command: app_commands.Command[Any, ..., Any]) -> str:
    """`/faq alias add entry alias`: the command and its required options."""
    required = [parameter.display_name for parameter in command.parameters if parameter.required]
    return " ".join([f"/{command.qualified_name}", *required])


def is_for_moderators(command: app_commands.Command[Any, ..., Any]) -> bool:
    return checks.moderator_check in command.checks


def help_text(tree: app_commands.CommandTree[Any], moderator: bool) -> str:
    """The members' commands, then the moderators' when `moderator`, one line each, in tree order;
    then the message menus."""
    members: list[str] = []
    moderators: list[str] = []
    for command in tree.walk_commands(type=discord.AppCommandType.chat_input):
        if isinstance(command, app_commands.Command):
            line = f"`{_usage(command)}`: {command.description}"
            (moderators if is_for_moderators(command) else members).append(line)
    menus = [menu.name for menu in tree.get_commands(type=discord.AppCommandType.message)]
    lines = [MEMBERS_HEADING, *members]
    if menus:
        names = ", ".join(f"**{name}**" for name in menus)
        lines.append(f"On a message (right-click or long-press it, then Apps): {names}")
    lines.append(MENTION_LINE)
    if moderator and moderators:
        lines += ["", MODERATORS_HEADING, *moderators]
    return "\n".join(lines)


class HelpCog(commands.Cog):
    def __init__(self, bot: ConnectsBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What this bot can do for you, one line per command")
    async def help(self, interaction: discord.Interaction[ConnectsBot]) -> None:
        text = help_text(self.bot.tree, checks.is_moderator(interaction))
        await respond_text(interaction, text, ephemeral=True)
