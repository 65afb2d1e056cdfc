"""The channel permissions the bot uses, in one place: the invite link asks for exactly these
(`connectsbot invite-url`), and at connect the bot checks it has them in every configured channel.

Replies to slash commands, buttons and forms go through the interaction and need none of them; these
are for the messages the bot posts itself (auto-answer, @mention replies, "Answer with FAQ" replies,
the mod-log) and for the files it attaches.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterable

import discord

log = logging.getLogger(__name__)

# discord.Permissions flag -> what the bot needs it for (the README's permission table says the same).
PERMISSION_USES: dict[str, str] = {
    "view_channel": "see the help, forum and mod-log channels and the questions posted there",
    "send_messages": "answer in help channels, reply to @mentions, post to the mod-log",
    "send_messages_in_threads": "answer new forum posts (each post is a thread)",
    "embed_links": "answers and mod-log entries are embeds",
    "attach_files": "the /faq stats chart and a refused edit's draft",
    "read_message_history": "reply to the member's message (a reply quotes it)",
}
REQUIRED_PERMISSIONS = discord.Permissions(**dict.fromkeys(PERMISSION_USES, True))
SCOPES = ("bot", "applications.commands")


def invite_url(application_id: int) -> str:
    """The OAuth2 link a server admin opens to add the bot with its commands and permissions."""
    return discord.utils.oauth_url(application_id, permissions=REQUIRED_PERMISSIONS, scopes=SCOPES)


def application_id_of(token: str) -> int | None:
    """The bot's id, which a token begins with (base64): the same as its application id. None when the
    text is not shaped like a token."""
    head = token.strip().split(".", 1)[0]
    try:
        text = base64.b64decode(head + "=" * (-len(head) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def missing_permissions(permissions: discord.Permissions) -> list[str]:
    """The required permissions `permissions` lacks, by name."""
    return [name for name in PERMISSION_USES if not getattr(permissions, name)]


def warn_about_missing_permissions(
    client: discord.Client, channel_ids: Iterable[int], *, every_server: bool = True
) -> None:
    """Log a warning for each configured channel the bot cannot see or lacks a permission in.
    `every_server` False: this process runs only some shards, so a channel it does not see may be in a
    server of another process (which checks it); only noted."""
    for channel_id in channel_ids:
        channel = client.get_channel(channel_id)
        if not isinstance(channel, discord.abc.GuildChannel):
            if every_server:
                log.warning("configured channel %s: not found in any server the bot is in", channel_id)
            else:
                log.info(
                    "configured channel %s: not in the servers of this process's shards (another "
                    "process checks it)",
                    channel_id,
                )
            continue
        me = channel.guild.me
        if me is None:  # the bot's own member is not cached yet: nothing to check against
            continue
        missing = missing_permissions(channel.permissions_for(me))
        if missing:
            log.warning(
                "configured channel #%s (%s): the bot lacks %s; invite it again with "
                "`connectsbot invite-url` or give its role these permissions there",
                channel.name,
                channel_id,
                ", ".join(missing),
            )
