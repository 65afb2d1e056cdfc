"""Each message and interaction is handled once, even when Discord delivers it twice.

After a RESUME Discord replays from the sequence number it believes we had, which can repeat events we
handled: a message would be answered twice, an interaction answered again (Discord refuses that: 400
40060). Dropping repeats where discord.py parses gateway events covers every listener, command and
component at once, instead of each keeping its own memory.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import discord

from bot.discord_internals import GatewayParser, wrap_gateway_parser
from connectsbot.recent import Recent

log = logging.getLogger(__name__)

# Gateway events that make the bot answer: each is handled once per id (message or interaction id).
ANSWERED_EVENTS = ("MESSAGE_CREATE", "INTERACTION_CREATE")
REMEMBERED_EVENTS = 10_000  # ids kept; a replay after a RESUME covers seconds to minutes of events


def drop_replayed_events(client: discord.Client) -> None:
    """From now on, `client` ignores an ANSWERED_EVENTS event whose id it has seen already."""
    seen: Recent[int, None] = Recent(REMEMBERED_EVENTS)

    def once_per_id(event: str, parse: GatewayParser) -> GatewayParser:
        def parse_once(data: Any) -> None:
            id_ = int(data["id"])
            if id_ in seen:
                log.info("%s %s delivered again: ignored", event, id_)
                return
            seen.put(id_, None)
            parse(data)

        return parse_once

    for event in ANSWERED_EVENTS:
        wrap_gateway_parser(client, event, functools.partial(once_per_id, event))
