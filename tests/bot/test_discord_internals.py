"""What bot/discord_internals.py relies on in discord.py still holds: these fail loudly on a discord.py
that changed it (the pin in pyproject.toml and the launcher's check keep such a version out)."""

from __future__ import annotations

import asyncio
import inspect
import re
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Self

import discord
import pytest
from discord.app_commands import CommandTree
from discord.gateway import DiscordWebSocket
from discord.state import ConnectionState
from discord.ui.view import ViewStore

from bot import discord_internals, launcher
from bot.discord_internals import (
    COMPONENT,
    HANDLER_TASK_PREFIXES,
    MODAL_SUBMIT,
    WRITTEN_FOR,
    discord_version_problem,
    handler_tasks,
    ui_will_handle,
    wrap_gateway_parser,
)
from bot.replays import ANSWERED_EVENTS

REPO = Path(__file__).resolve().parents[2]
MESSAGE_ID = 1_000_000_000_000_000_001
BUTTON = discord.ComponentType.button.value


def _client() -> discord.Client:
    return discord.Client(intents=discord.Intents.none())


# The version


def test_the_installed_discord_py_is_the_pinned_minor_version() -> None:
    assert (discord.version_info.major, discord.version_info.minor) == WRITTEN_FOR
    assert discord_version_problem() is None
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    major, minor = WRITTEN_FOR
    assert f"discord.py>={major}.{minor},<{major}.{minor + 1}" in dependencies


def _installed(monkeypatch: pytest.MonkeyPatch, major: int, minor: int, micro: int) -> None:
    version = discord.version_info._replace(major=major, minor=minor, micro=micro)
    monkeypatch.setattr(discord, "version_info", version)
    monkeypatch.setattr(discord, "__version__", f"{major}.{minor}.{micro}")


async def test_the_launcher_refuses_another_minor_version(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)  # refused before the settings are even read
    _installed(monkeypatch, WRITTEN_FOR[0], WRITTEN_FOR[1] + 1, 0)
    assert await launcher.run_from_cli(env_file=None) == launcher.EXIT_CONFIG
    err = capsys.readouterr().err
    wanted = ".".join(map(str, WRITTEN_FOR))
    assert f"discord.py {WRITTEN_FOR[0]}.{WRITTEN_FOR[1] + 1}.0 is installed" in err
    assert f"written for discord.py {wanted}" in err and "DISCORD_TOKEN" not in err


def test_another_patch_release_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, WRITTEN_FOR[0], WRITTEN_FOR[1], 99)
    assert discord_version_problem() is None


# The parser table


def test_the_gateway_looks_events_up_in_the_wrapped_parser_table() -> None:
    """`Client._connection.parsers` maps event names to one-argument parsers, and the gateway
    connection dispatches through that very dict (so a wrap put there sees every event)."""
    client = _client()
    parsers = client._connection.parsers
    assert isinstance(parsers, dict)
    for event in (*ANSWERED_EVENTS, "INTERACTION_CREATE"):
        assert len(inspect.signature(parsers[event]).parameters) == 1, event
    assert "ws._discord_parsers = client._connection.parsers" in inspect.getsource(
        DiscordWebSocket.from_client
    )
    assert "self._discord_parsers[event]" in inspect.getsource(DiscordWebSocket.received_message)

    seen: list[Any] = []
    original = parsers["MESSAGE_CREATE"]

    def noting(parse: discord_internals.GatewayParser) -> discord_internals.GatewayParser:
        assert parse == original
        return seen.append

    wrap_gateway_parser(client, "MESSAGE_CREATE", noting)
    client._connection.parsers["MESSAGE_CREATE"]({"id": "1"})
    assert seen == [{"id": "1"}]


# The view store


class _Dynamic(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"dyn:(?P<n>[0-9]+)"):
    def __init__(self, n: str) -> None:
        super().__init__(discord.ui.Button(label="dynamic", custom_id=f"dyn:{n}"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["n"])


def _component(custom_id: str, *, on_message: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"type": COMPONENT, "data": {"custom_id": custom_id, "component_type": BUTTON}}
    if on_message:
        data["message"] = {"id": str(MESSAGE_ID)}
    return data


def _modal(custom_id: str) -> dict[str, Any]:
    return {"type": MODAL_SUBMIT, "data": {"custom_id": custom_id, "components": []}}


def test_the_view_store_has_the_shapes_read() -> None:
    client = _client()
    store = client._connection._view_store
    assert isinstance(store, ViewStore)
    assert store._modals == {} and store._views == {} and store._dynamic_items == {}
    client.add_dynamic_items(_Dynamic)
    [(pattern, item)] = store._dynamic_items.items()
    assert isinstance(pattern, re.Pattern) and item is _Dynamic
    # The client's state routes component and modal interactions through this store.
    routing = inspect.getsource(ConnectionState.parse_interaction_create)
    assert "self._view_store.dispatch_view(" in routing and "self._view_store.dispatch_modal(" in routing
    # Sending a modal stores it with the view store's add_view (which files it under its custom_id).
    assert "_state.store_view(modal)" in inspect.getsource(discord.InteractionResponse.send_modal)


async def test_ui_will_handle_agrees_with_what_the_view_store_dispatches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = _client()
    store = client._connection._view_store
    routed: list[asyncio.Task[None]] = []
    monkeypatch.setattr(store, "add_task", routed.append)

    on_message = discord.ui.View(timeout=None)
    on_message.add_item(discord.ui.Button(label="on a message", custom_id="message-button"))
    client.add_view(on_message, message_id=MESSAGE_ID)
    anywhere = discord.ui.View(timeout=None)
    anywhere.add_item(discord.ui.Button(label="anywhere", custom_id="anywhere-button"))
    client.add_view(anywhere)
    client.add_dynamic_items(_Dynamic)
    modal = discord.ui.Modal(title="A form", custom_id="waiting-form")
    modal.add_item(discord.ui.TextInput(label="Text"))
    store.add_view(modal)  # what InteractionResponse.send_modal does

    cases = {
        "a button on its message": (_component("message-button", on_message=True), True),
        "a button of a view without a message": (_component("anywhere-button", on_message=True), True),
        "a button of another message": (_component("message-button", on_message=False), False),
        "a dynamic item": (_component("dyn:42", on_message=True), True),
        "a custom_id nothing knows": (_component("cb:gone:1", on_message=True), False),
        "a waiting form": (_modal("waiting-form"), True),
        "a form nothing waits for": (_modal("5f0c6a3e9b7d4e21a8c3f6b2d9e1a470"), False),
    }
    for case, (data, handled) in cases.items():
        routed.clear()
        message = SimpleNamespace(id=MESSAGE_ID) if "message" in data else None
        interaction: Any = SimpleNamespace(message=message, _state=None, guild_id=None, guild=None)
        custom_id = data["data"]["custom_id"]
        if data["type"] == MODAL_SUBMIT:
            store.dispatch_modal(custom_id, interaction, [], {})
        else:
            store.dispatch_view(BUTTON, custom_id, interaction)
        for task in routed:  # never run the handlers: only whether discord.py routed it matters
            task.cancel()
        await asyncio.gather(*routed, return_exceptions=True)
        assert (bool(routed), ui_will_handle(client, data)) == (handled, handled), case


# The handler tasks


# Where discord.py names each kind of handler task.
NAMED_IN: dict[str, Any] = {
    "discord.py: ": discord.Client._schedule_event,
    "CommandTree-invoker": CommandTree._from_interaction,
    "discord-ui-view-dispatch-": discord.ui.View._dispatch_item,
    "discord-ui-modal-dispatch-": discord.ui.Modal._dispatch_submit,
    "discord-ui-dynamic-item-": ViewStore.dispatch_dynamic_items,
}


def test_every_prefix_is_checked_against_discord_py() -> None:
    assert set(NAMED_IN) == set(HANDLER_TASK_PREFIXES)


@pytest.mark.parametrize(("prefix", "function"), NAMED_IN.items())
def test_discord_py_names_its_handler_tasks_with_the_prefixes(prefix: str, function: Any) -> None:
    assert re.search(rf"""name=f?['"]{re.escape(prefix)}""", inspect.getsource(function)), prefix


async def test_handler_tasks_are_those_named_by_discord_py_but_the_current_one() -> None:
    release = asyncio.Event()
    handler = asyncio.create_task(release.wait(), name="discord.py: on_message")
    other = asyncio.create_task(release.wait(), name="connectsbot: shutdown signal")
    current = asyncio.current_task()
    assert current is not None
    name = current.get_name()
    current.set_name("discord.py: on_interaction")  # a handler does not wait for itself
    try:
        assert handler_tasks() == [handler]
    finally:
        current.set_name(name)
        release.set()
        await asyncio.gather(handler, other)
