"""Every use of discord.py's private attributes and undocumented behaviour, in one place.

The bot needs three things discord.py has no public API for: to see gateway events before discord.py
handles them (to drop replays and to note interactions nothing will handle), to know whether its view
store will route a component or modal interaction, and to find the tasks running handlers when it
closes. All of it is written against discord.py `WRITTEN_FOR` (pinned in pyproject.toml, checked by the
launcher at start); tests/bot/test_discord_internals.py fails when a new version changes any of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import discord

WRITTEN_FOR = (2, 7)  # the discord.py minor version whose internals this module uses

# A gateway event's parser: takes the event's raw `d` payload (a dict as Discord sends it).
GatewayParser = Callable[[Any], None]

# How discord.py names the tasks that run event listeners (Client._schedule_event), slash commands
# (CommandTree._from_interaction), view items (View._dispatch_item), modals (Modal._dispatch_submit)
# and dynamic items (ViewStore.dispatch_dynamic_items). Undocumented: only the names tell them apart.
HANDLER_TASK_PREFIXES = (
    "discord.py: ",
    "CommandTree-invoker",
    "discord-ui-view-dispatch-",
    "discord-ui-modal-dispatch-",
    "discord-ui-dynamic-item-",
)

COMPONENT = discord.InteractionType.component.value
MODAL_SUBMIT = discord.InteractionType.modal_submit.value


def discord_version_problem() -> str | None:
    """Why the installed discord.py cannot run this bot, or None when it is the version it is written for."""
    installed = discord.version_info
    if (installed.major, installed.minor) == WRITTEN_FOR:
        return None
    wanted = ".".join(map(str, WRITTEN_FOR))
    return (
        f"discord.py {discord.__version__} is installed, but this bot is written for discord.py {wanted}: "
        f"it relies on internals that change between versions (bot/discord_internals.py). "
        f"Install discord.py {wanted}.x (pip install -e .)."
    )


def wrap_gateway_parser(
    client: discord.Client, event: str, wrap: Callable[[GatewayParser], GatewayParser]
) -> None:
    """Put `wrap(parser)` in place of discord.py's parser of the gateway event `event` (e.g.
    "INTERACTION_CREATE"). `Client._connection.parsers` is the table every gateway connection of the
    client looks events up in, before any listener, command or component runs: the one place to see
    each event once, whatever will handle it."""
    parsers: dict[str, GatewayParser] = client._connection.parsers
    parsers[event] = wrap(parsers[event])


def ui_will_handle(client: discord.Client, data: Any) -> bool:
    """Whether discord.py will route a component click or modal submit (the raw INTERACTION_CREATE
    `data`) to a handler: a waiting modal with its custom_id, a view item on its message (or on no
    message), or a DynamicItem whose template matches. The lookups of ViewStore.dispatch_modal and
    dispatch_view, which drop everything else without a word; only the private view store knows."""
    # The client's view store is replaced when its state is cleared (a new login): look it up each time.
    store = client._connection._view_store
    custom_id = data["data"]["custom_id"]
    if data["type"] == MODAL_SUBMIT:
        return custom_id in store._modals
    if any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items):
        return True
    key = (data["data"]["component_type"], custom_id)
    message_id = int(data["message"]["id"]) if "message" in data else None
    return key in store._views.get(message_id, {}) or key in store._views.get(None, {})


def handler_tasks() -> list[asyncio.Task[Any]]:
    """The tasks of this event loop running discord.py handlers (see HANDLER_TASK_PREFIXES), but the
    current one: what a clean shutdown lets finish, and what the fake Discord's `settle` waits for."""
    current = asyncio.current_task()
    return [
        task
        for task in asyncio.all_tasks()
        if task is not current and task.get_name().startswith(HANDLER_TASK_PREFIXES)
    ]
