"""What the bot does after an exception while handling an interaction: log it at the right level and
tell the member (ephemeral). Discord failing or refusing is a WARNING with its answer (an ERROR would
page the operators over Discord's weather); anything else is a bug: ERROR with the traceback."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.checks import NotAllowed
from bot.replies import tell_privately
from connectsbot.store import StoreError

log = logging.getLogger(__name__)

SelfT = TypeVar("SelfT")
ItemCallback = Callable[
    [SelfT, discord.Interaction[Any]], Coroutine[Any, Any, None]
]  # a component's callback

BUG_TEXT = "Something went wrong on my side; the moderators can find it in the logs."
DISCORD_FAILED_TEXT = "Discord did not accept my reply just now; please try again in a moment."
NO_PERMISSION_TEXT = "Discord did not let me do that here: I am missing a permission in this channel."
UNKNOWN_INTERACTION = 10062  # Discord's code for an interaction that expired (3 s) or never existed


def is_discord_failure(error: BaseException) -> bool:
    """Discord failed or refused, which is not a bug in the bot: a 5xx still there after discord.py's
    five tries, a 429 it does not retry (no `Via` header: Cloudflare), a missing permission or access
    (403), or the interaction, message or channel gone (404)."""
    return isinstance(error, discord.HTTPException) and (
        error.status >= 500 or error.status in (403, 404, 429)
    )


async def report_failure(
    interaction: discord.Interaction[Any], error: BaseException, what: str, bug_text: str = BUG_TEXT
) -> None:
    """After an exception while handling an interaction: log it and tell the member (ephemeral)."""
    if not is_discord_failure(error):
        log.error("%s failed", what, exc_info=error)
        await tell_privately(interaction, bug_text)
        return
    log.warning("%s: Discord refused or failed: %s", what, error)
    if isinstance(error, discord.NotFound) and error.code == UNKNOWN_INTERACTION:
        return  # the interaction is gone: there is no one to tell
    await tell_privately(
        interaction, NO_PERMISSION_TEXT if isinstance(error, discord.Forbidden) else DISCORD_FAILED_TEXT
    )


def reports_failures(what: str) -> Callable[[ItemCallback[SelfT]], ItemCallback[SelfT]]:
    """For callbacks discord.py has no error hook for (a `DynamicItem`'s: it only logs them at ERROR):
    an exception goes to `report_failure` instead."""

    def decorate(callback: ItemCallback[SelfT]) -> ItemCallback[SelfT]:
        @functools.wraps(callback)
        async def reporting(self: SelfT, interaction: discord.Interaction[Any]) -> None:
            try:
                await callback(self, interaction)
            except Exception as error:
                await report_failure(interaction, error, what)

        return reporting

    return decorate


class ConnectsTree(app_commands.CommandTree[discord.Client]):
    """The command tree: refusals and store errors become ephemeral replies; Discord's failures are
    warnings and bugs errors (see `report_failure`)."""

    async def on_error(
        self, interaction: discord.Interaction[discord.Client], error: app_commands.AppCommandError
    ) -> None:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(original, NotAllowed):
            await tell_privately(interaction, str(original))
        elif isinstance(original, StoreError):
            log.info("command %s refused by the store: %s", _name(interaction), type(original).__name__)
            await tell_privately(interaction, str(original))
        else:
            await report_failure(interaction, original, f"command {_name(interaction)}")


def _name(interaction: discord.Interaction[Any]) -> str:
    command = interaction.command
    return f"/{command.qualified_name}" if command is not None else f"interaction {interaction.type.name}"
