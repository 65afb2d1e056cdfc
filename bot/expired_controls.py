"""Forms and controls nothing handles any more get an "expired" reply instead of Discord's "This
interaction failed".

Modals and the preview's controls live in memory only, and a `cb:` control of a kind this version lacks
has no template: after a restart or a timeout discord.py drops their interactions without a word. Only
its view store knows what it will route, and only before the handlers run, so the gateway parser notes
what it will drop and `answer_if_expired` (called from the bot's `on_interaction`) answers that.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.discord_internals import COMPONENT, MODAL_SUBMIT, GatewayParser, ui_will_handle, wrap_gateway_parser
from bot.replies import tell_privately

log = logging.getLogger(__name__)

_EXPIRED = "has expired (the bot restarted or too much time passed). Run the command again."
EXPIRED_FORM_TEXT = f"This form {_EXPIRED}"
EXPIRED_CONTROL_TEXT = f"This button or menu {_EXPIRED}"


class ExpiredControls:
    """Notes the component and modal interactions of `client` that discord.py will drop."""

    def __init__(self, client: discord.Client) -> None:
        self._ids: set[int] = set()  # noted, not answered yet: `answer_if_expired` removes each

        def noting_expired(parse: GatewayParser) -> GatewayParser:
            def parse_noting_expired(data: Any) -> None:
                if data["type"] in (COMPONENT, MODAL_SUBMIT) and not ui_will_handle(client, data):
                    self._ids.add(int(data["id"]))
                parse(data)

            return parse_noting_expired

        wrap_gateway_parser(client, "INTERACTION_CREATE", noting_expired)

    async def answer_if_expired(self, interaction: discord.Interaction[Any]) -> None:
        """Tell the member the form or control expired, if nothing handles this interaction."""
        if interaction.id not in self._ids:
            return
        self._ids.discard(interaction.id)
        modal = interaction.type is discord.InteractionType.modal_submit
        log.info("%s with an unknown custom_id: told the member it expired", interaction.type.name)
        await tell_privately(interaction, EXPIRED_FORM_TEXT if modal else EXPIRED_CONTROL_TEXT)
