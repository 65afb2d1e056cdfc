"""Builders for the JSON payloads Discord sends: users, members, roles, channels, guilds, messages,
gateway events and INTERACTION_CREATE bodies.

Every builder returns a plain ``dict`` shaped like Discord's API v10 (ids as strings, timestamps in ISO
8601), with every key discord.py 2.x reads without a default. discord.py raises out of ``connect()`` on
a missing key, which kills the client, so tests should build payloads here rather than by hand.

Only the fields the fake needs are parameters; pass ``**extra`` to add or override any key.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import discord

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000

# Option types (https://discord.com/developers/docs/interactions/application-commands).
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
INTEGER = 4
BOOLEAN = 5
USER = 6
CHANNEL = 7
ROLE = 8
MENTIONABLE = 9
NUMBER = 10
ATTACHMENT = 11

# Interaction types.
PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
APPLICATION_COMMAND_AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

# Application command types (``data.type``).
CHAT_INPUT = 1
USER_COMMAND = 2
MESSAGE_COMMAND = 3

# Channel types.
GUILD_TEXT = 0
DM = 1
GUILD_CATEGORY = 4
GUILD_ANNOUNCEMENT = 5
PUBLIC_THREAD = 11
GUILD_FORUM = 15

EPHEMERAL = 1 << 6

_EVERYONE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    read_message_history=True,
    add_reactions=True,
    embed_links=True,
    attach_files=True,
    use_application_commands=True,
    use_external_emojis=True,
).value
MODERATOR_PERMISSIONS = discord.Permissions(
    manage_messages=True, manage_threads=True, moderate_members=True, kick_members=True
).value
ADMIN_PERMISSIONS = discord.Permissions(administrator=True).value
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    read_message_history=True,
    add_reactions=True,
    embed_links=True,
    attach_files=True,
    manage_messages=True,
    manage_threads=True,
    use_application_commands=True,
).value
ALL_PERMISSIONS = discord.Permissions.all().value

_last_snowflake = 0
_counter = itertools.count()


def snowflake() -> int:
    """A new, unique and increasing Discord id (its timestamp part is now)."""
    global _last_snowflake
    now = int(time.time() * 1000) - DISCORD_EPOCH_MS
    value = max((now << 22) | (next(_counter) & 0xFFF), _last_snowflake + 1)
    _last_snowflake = value
    return value


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a server's events: Discord's ``(guild_id >> 22) % shard_count``."""
    return (guild_id >> 22) % shard_count


def guild_id_on_shard(shard_id: int, shard_count: int) -> int:
    """A new snowflake for a server that lands on ``shard_id`` of ``shard_count`` (ids made in the
    same millisecond share their ``>> 22``, hence one shard: this moves the timestamp part on)."""
    global _last_snowflake
    if not 0 <= shard_id < shard_count:
        raise ValueError(f"shard {shard_id} is not one of the {shard_count} shards")
    value = snowflake()
    timestamp_part = value >> 22
    timestamp_part += (shard_id - timestamp_part) % shard_count
    value = (timestamp_part << 22) | (value & ((1 << 22) - 1))
    _last_snowflake = max(_last_snowflake, value)
    return value


def token() -> str:
    """A random interaction token (letters and digits only, so it is safe in paths and globs)."""
    return "aW50ZXJhY3Rpb24" + secrets.token_hex(24)


def timestamp(when: datetime | None = None) -> str:
    """An ISO 8601 timestamp as Discord writes it."""
    return (when or datetime.now(UTC)).isoformat()


def _id(value: int | None) -> str:
    return str(value if value is not None else snowflake())


def id_of(thing: int | str | Mapping[str, Any]) -> int:
    """The id of a payload dict, or the id itself."""
    if isinstance(thing, Mapping):
        return int(thing["id"])
    return int(thing)


# --- users, roles, members -------------------------------------------------------------------------


def user(
    name: str, *, id: int | None = None, bot: bool = False, global_name: str | None = None, **extra: Any
) -> JSON:
    """A user object. ``avatar`` is null, as for a user who never set one."""
    payload: JSON = {
        "id": _id(id),
        "username": name,
        "global_name": global_name,
        "discriminator": "0",
        "avatar": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "bot": bot,
        "system": False,
        "avatar_decoration_data": None,
    }
    payload.update(extra)
    return payload


def role(
    name: str,
    *,
    guild_id: int,
    id: int | None = None,
    permissions: int = 0,
    position: int = 1,
    managed: bool = False,
    mentionable: bool = False,
    bot_id: int | None = None,
    **extra: Any,
) -> JSON:
    """A role. Give ``bot_id`` for the managed role Discord creates for a bot."""
    payload: JSON = {
        "id": _id(id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed or bot_id is not None,
        "mentionable": mentionable,
        "flags": 0,
    }
    if bot_id is not None:
        payload["tags"] = {"bot_id": str(bot_id)}
    payload.update(extra)
    return payload


def everyone_role(guild_id: int, *, permissions: int = _EVERYONE_PERMISSIONS) -> JSON:
    """The @everyone role: its id is the guild's id."""
    return role("@everyone", guild_id=guild_id, id=guild_id, permissions=permissions, position=0)


def member(
    of: JSON,
    *,
    roles: Iterable[int | Mapping[str, Any]] = (),
    nick: str | None = None,
    joined_at: str | None = None,
    **extra: Any,
) -> JSON:
    """A guild member (with its ``user``) as in GUILD_CREATE and INTERACTION_CREATE."""
    payload: JSON = {
        "user": of,
        "nick": nick,
        "avatar": None,
        "banner": None,
        "roles": [str(id_of(r)) for r in roles],
        "joined_at": joined_at or timestamp(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }
    payload.update(extra)
    return payload


def member_permissions(guild: Mapping[str, Any], member_payload: Mapping[str, Any]) -> int:
    """The member's guild-level permissions: @everyone plus its roles; owner and administrators get all.

    Channel permission overwrites are not applied.
    """
    if str(guild.get("owner_id")) == str(member_payload["user"]["id"]):
        return ALL_PERMISSIONS
    role_ids = {str(r) for r in member_payload.get("roles", [])} | {str(guild["id"])}
    value = 0
    for r in guild.get("roles", []):
        if str(r["id"]) in role_ids:
            value |= int(r["permissions"])
    if value & discord.Permissions.administrator.flag:
        return ALL_PERMISSIONS
    return value


# --- channels ----------------------------------------------------------------------------------------


def text_channel(
    name: str,
    *,
    guild_id: int,
    id: int | None = None,
    position: int = 0,
    parent_id: int | None = None,
    topic: str | None = None,
    **extra: Any,
) -> JSON:
    """A guild text channel (type 0)."""
    payload: JSON = {
        "id": _id(id),
        "type": GUILD_TEXT,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "parent_id": str(parent_id) if parent_id is not None else None,
        "topic": topic,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "default_auto_archive_duration": 1440,
        "default_thread_rate_limit_per_user": 0,
        "flags": 0,
    }
    payload.update(extra)
    return payload


def category_channel(
    name: str, *, guild_id: int, id: int | None = None, position: int = 0, **extra: Any
) -> JSON:
    """A channel category (type 4)."""
    payload: JSON = {
        "id": _id(id),
        "type": GUILD_CATEGORY,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "parent_id": None,
        "nsfw": False,
        "flags": 0,
    }
    payload.update(extra)
    return payload


def forum_tag(
    name: str, *, id: int | None = None, moderated: bool = False, emoji_name: str | None = None
) -> JSON:
    """A forum tag for ``forum_channel(tags=...)``."""
    return {"id": _id(id), "name": name, "moderated": moderated, "emoji_id": None, "emoji_name": emoji_name}


def forum_channel(
    name: str,
    *,
    guild_id: int,
    id: int | None = None,
    position: int = 0,
    parent_id: int | None = None,
    tags: Sequence[JSON] = (),
    topic: str | None = None,
    **extra: Any,
) -> JSON:
    """A forum channel (type 15) with ``available_tags``. Its posts are threads (see ``thread_channel``)."""
    payload: JSON = {
        "id": _id(id),
        "type": GUILD_FORUM,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "parent_id": str(parent_id) if parent_id is not None else None,
        "topic": topic,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "default_auto_archive_duration": 1440,
        "default_thread_rate_limit_per_user": 0,
        "available_tags": list(tags),
        "default_reaction_emoji": None,
        "default_sort_order": None,
        "default_forum_layout": 0,
        "flags": 0,
    }
    payload.update(extra)
    return payload


def thread_channel(
    name: str,
    *,
    guild_id: int,
    parent_id: int,
    owner_id: int,
    id: int | None = None,
    applied_tags: Iterable[int | Mapping[str, Any]] = (),
    archived: bool = False,
    locked: bool = False,
    **extra: Any,
) -> JSON:
    """A public thread (type 11): a thread in a text channel or a post in a forum channel."""
    now = timestamp()
    payload: JSON = {
        "id": _id(id),
        "type": PUBLIC_THREAD,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "flags": 0,
        "applied_tags": [str(id_of(t)) for t in applied_tags],
        "thread_metadata": {
            "archived": archived,
            "auto_archive_duration": 1440,
            "archive_timestamp": now,
            "locked": locked,
            "create_timestamp": now,
        },
    }
    payload.update(extra)
    return payload


def dm_channel(recipient: JSON, *, id: int | None = None) -> JSON:
    """A direct-message channel (type 1) with one recipient."""
    return {"id": _id(id), "type": DM, "last_message_id": None, "recipients": [recipient], "flags": 0}


# --- guilds ------------------------------------------------------------------------------------------


def guild(
    name: str,
    *,
    id: int,
    owner_id: int,
    roles: Sequence[JSON],
    channels: Sequence[JSON],
    members: Sequence[JSON],
    threads: Sequence[JSON] = (),
    **extra: Any,
) -> JSON:
    """A full guild object as sent in GUILD_CREATE. ``roles`` must include ``everyone_role(id)``;
    ``members`` should include the bot's own member (discord.py uses it for ``guild.me``)."""
    payload: JSON = {
        "id": str(id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(owner_id),
        "region": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "features": ["COMMUNITY"],
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "application_id": None,
        "widget_enabled": False,
        "incidents_data": None,
        "roles": list(roles),
        "emojis": [],
        "stickers": [],
        "channels": list(channels),
        "threads": list(threads),
        "members": list(members),
        "member_count": len(members),
        "large": False,
        "unavailable": False,
        "lazy": True,
        "joined_at": timestamp(),
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }
    payload.update(extra)
    return payload


def default_guild(bot_user: JSON, *, id: int | None = None) -> JSON:
    """A small community server for tests.

    Roles: @everyone, ``Moderator`` (manage messages/threads), ``Admin`` (administrator), the bot's
    managed role. Channels: category ``Community`` with text ``general`` and ``faq``, forum ``help``
    (tags ``connects``, ``account``, ``solved``), text ``mod-log``. Members: the bot, ``member`` (no
    role), ``moderator`` (Moderator), ``admin`` (Admin, guild owner).
    """
    gid = id if id is not None else snowflake()
    moderator_role = role("Moderator", guild_id=gid, permissions=MODERATOR_PERMISSIONS, position=2)
    admin_role = role("Admin", guild_id=gid, permissions=ADMIN_PERMISSIONS, position=3)
    bot_role = role(
        bot_user["username"],
        guild_id=gid,
        permissions=BOT_PERMISSIONS,
        position=1,
        bot_id=int(bot_user["id"]),
    )
    community = category_channel("Community", guild_id=gid, position=0)
    cat = int(community["id"])
    channels = [
        community,
        text_channel("general", guild_id=gid, position=0, parent_id=cat, topic="Say hi"),
        text_channel("faq", guild_id=gid, position=1, parent_id=cat, topic="Ask about Connects"),
        forum_channel(
            "help",
            guild_id=gid,
            position=2,
            parent_id=cat,
            tags=[forum_tag("connects"), forum_tag("account"), forum_tag("solved", moderated=True)],
            topic="Post a question",
        ),
        text_channel("mod-log", guild_id=gid, position=3),
    ]
    admin = user("admin")
    members = [
        member(bot_user, roles=[bot_role]),
        member(user("member", global_name="Member")),
        member(user("moderator", global_name="Moderator"), roles=[moderator_role]),
        member(admin, roles=[admin_role]),
    ]
    return guild(
        "Connects Community",
        id=gid,
        owner_id=int(admin["id"]),
        roles=[everyone_role(gid), bot_role, moderator_role, admin_role],
        channels=channels,
        members=members,
    )


def unavailable_guild(guild_id: int) -> JSON:
    """The stub READY lists for each guild before its GUILD_CREATE."""
    return {"id": str(guild_id), "unavailable": True}


# --- messages ----------------------------------------------------------------------------------------

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def attachment(filename: str, size: int, *, id: int | None = None, url: str = "", **extra: Any) -> JSON:
    """An attachment object (``url`` defaults to a loopback address that does not exist)."""
    aid = _id(id)
    link = url or f"http://127.0.0.1:9/attachments/{aid}/{filename}"
    payload: JSON = {
        "id": aid,
        "filename": filename,
        "size": size,
        "url": link,
        "proxy_url": link,
        "content_type": "application/octet-stream",
        "flags": 0,
    }
    payload.update(extra)
    return payload


def message(
    channel_id: int,
    content: str = "",
    *,
    author: JSON,
    id: int | None = None,
    guild_id: int | None = None,
    member_payload: JSON | None = None,
    embeds: Sequence[JSON] = (),
    components: Sequence[JSON] = (),
    attachments: Sequence[JSON] = (),
    flags: int = 0,
    type: int = 0,
    mentions: Sequence[JSON] = (),
    mention_roles: Sequence[int] = (),
    mention_everyone: bool = False,
    message_reference: JSON | None = None,
    referenced_message: JSON | None = None,
    **extra: Any,
) -> JSON:
    """A message object. ``member_payload`` (without ``user``) is what MESSAGE_CREATE carries in guilds."""
    payload: JSON = {
        "id": _id(id),
        "channel_id": str(channel_id),
        "type": type,
        "content": content,
        "author": author,
        "timestamp": timestamp(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": mention_everyone,
        "mentions": list(mentions),
        "mention_roles": [str(r) for r in mention_roles],
        "mention_channels": [],
        "attachments": list(attachments),
        "embeds": list(embeds),
        "components": list(components),
        "reactions": [],
        "pinned": False,
        "flags": flags,
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    if member_payload is not None:
        payload["member"] = {k: v for k, v in member_payload.items() if k != "user"}
    if message_reference is not None:
        payload["message_reference"] = message_reference
        payload["referenced_message"] = referenced_message
    payload.update(extra)
    return payload


def mentions_in(content: str, guild_payload: Mapping[str, Any] | None) -> JSON:
    """``mentions``, ``mention_roles`` and ``mention_everyone`` as Discord computes them from the text."""
    users: list[JSON] = []
    known = {str(m["user"]["id"]): m for m in (guild_payload or {}).get("members", [])}
    for uid in dict.fromkeys(_USER_MENTION.findall(content)):
        if uid in known:
            found = dict(known[uid]["user"])
            found["member"] = {k: v for k, v in known[uid].items() if k != "user"}
            users.append(found)
    return {
        "mentions": users,
        "mention_roles": list(dict.fromkeys(_ROLE_MENTION.findall(content))),
        "mention_everyone": "@everyone" in content or "@here" in content,
    }


# --- interactions ------------------------------------------------------------------------------------


def option(
    name: str, type: int, value: Any = None, *, focused: bool = False, options: Sequence[JSON] | None = None
) -> JSON:
    """One entry of ``data.options``. Subcommands and groups carry nested ``options`` instead of a value."""
    payload: JSON = {"name": name, "type": type}
    if options is not None:
        payload["options"] = list(options)
    else:
        payload["value"] = value
    if focused:
        payload["focused"] = True
    return payload


def nest_options(path: Sequence[str], leaf_options: Sequence[JSON]) -> list[JSON]:
    """Wrap options for ``/group sub``: ``path`` is the part after the root name, e.g. ``["kb", "show"]``.

    With two parts the first is a SUB_COMMAND_GROUP, the last is always a SUB_COMMAND.
    """
    options = list(leaf_options)
    for depth, part in reversed(list(enumerate(path))):
        kind = SUB_COMMAND if depth == len(path) - 1 else SUB_COMMAND_GROUP
        options = [option(part, kind, options=options)]
    return options


def command_data(
    name: str,
    *,
    command_id: int,
    type: int = CHAT_INPUT,
    options: Sequence[JSON] = (),
    guild_id: int | None = None,
    resolved: JSON | None = None,
    target_id: int | None = None,
) -> JSON:
    """``data`` of an APPLICATION_COMMAND or AUTOCOMPLETE interaction. ``guild_id`` is set for guild
    commands only (discord.py looks the command up by name and that guild id)."""
    payload: JSON = {"id": str(command_id), "name": name, "type": type}
    if type == CHAT_INPUT:
        payload["options"] = list(options)
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    if resolved:
        payload["resolved"] = resolved
    if target_id is not None:
        payload["target_id"] = str(target_id)
    return payload


def message_command_data(name: str, target: JSON, *, command_id: int, guild_id: int | None = None) -> JSON:
    """``data`` of a message context-menu command (data.type 3) on ``target``."""
    return command_data(
        name,
        command_id=command_id,
        type=MESSAGE_COMMAND,
        guild_id=guild_id,
        target_id=int(target["id"]),
        resolved={"messages": {str(target["id"]): target}},
    )


def user_command_data(
    name: str,
    target: JSON,
    *,
    command_id: int,
    member_payload: JSON | None = None,
    guild_id: int | None = None,
) -> JSON:
    """``data`` of a user context-menu command (data.type 2) on ``target`` (a user object)."""
    resolved: JSON = {"users": {str(target["id"]): target}}
    if member_payload is not None:
        resolved["members"] = {str(target["id"]): {k: v for k, v in member_payload.items() if k != "user"}}
    return command_data(
        name,
        command_id=command_id,
        type=USER_COMMAND,
        guild_id=guild_id,
        target_id=int(target["id"]),
        resolved=resolved,
    )


def component_data(
    custom_id: str, component_type: int = 2, values: Sequence[str] | None = None, resolved: JSON | None = None
) -> JSON:
    """``data`` of a MESSAGE_COMPONENT interaction: a button (type 2) or a select (3, 5-8) with ``values``."""
    payload: JSON = {"custom_id": custom_id, "component_type": component_type}
    if values is not None:
        payload["values"] = list(values)
    if resolved:
        payload["resolved"] = resolved
    return payload


def modal_submit_data(custom_id: str, components: Sequence[JSON]) -> JSON:
    """``data`` of a MODAL_SUBMIT interaction. See ``modal_components`` for ``components``."""
    return {"custom_id": custom_id, "components": list(components)}


def modal_components(modal: Mapping[str, Any], values: Mapping[str, str | Sequence[str]]) -> list[JSON]:
    """The submitted ``components`` for a modal as the bot sent it (callback type 9 ``data``).

    Text inputs take a string, selects a list of strings; unknown keys, missing required text inputs
    and lengths outside min/max_length raise ``ValueError`` (the Discord client would not submit them).
    """
    unused = dict(values)

    def submit(component: Mapping[str, Any]) -> JSON:
        ctype = component["type"]
        out: JSON = {"type": ctype, "id": component.get("id", 0)}
        if ctype == 1:
            out["components"] = [submit(c) for c in component.get("components", [])]
        elif ctype == 18:
            out["component"] = submit(component["component"])
        elif "custom_id" in component:
            cid = component["custom_id"]
            out["custom_id"] = cid
            if ctype == 4:
                if cid not in unused and component.get("required", True) and component.get("value") is None:
                    raise ValueError(f"the modal requires a value for text input {cid!r}")
                value = str(unused.pop(cid, component.get("value") or ""))
                low, high = component.get("min_length") or 0, component.get("max_length") or 4000
                if value and not low <= len(value) <= high:
                    raise ValueError(f"text input {cid!r} takes {low}..{high} characters, not {len(value)}")
                out["value"] = value
            else:
                given = unused.pop(cid, [])
                out["values"] = [given] if isinstance(given, str) else list(given)
        return out

    submitted = [submit(c) for c in modal.get("components", [])]
    if unused:
        raise ValueError(f"the modal has no input(s) {sorted(unused)}")
    return submitted


def interaction(
    type: int,
    *,
    application_id: int,
    data: JSON | None,
    channel: JSON,
    guild_payload: JSON | None = None,
    member_payload: JSON | None = None,
    user_payload: JSON | None = None,
    message_payload: JSON | None = None,
    app_permissions: int = BOT_PERMISSIONS,
    locale: str = "en-US",
    id: int | None = None,
    interaction_token: str | None = None,
) -> JSON:
    """An INTERACTION_CREATE body. In a guild give ``guild_payload`` and ``member_payload`` (with
    ``user``); in a DM give ``user_payload``. ``message_payload`` is the message a component sits on."""
    channel_payload = dict(channel)
    payload: JSON = {
        "id": _id(id),
        "application_id": str(application_id),
        "type": type,
        "token": interaction_token or token(),
        "version": 1,
        "channel_id": str(channel["id"]),
        "app_permissions": str(app_permissions),
        "locale": locale,
        "entitlements": [],
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if data is not None:
        payload["data"] = data
    if guild_payload is not None:
        if member_payload is None:
            raise ValueError("a guild interaction needs member_payload")
        gid = str(guild_payload["id"])
        permissions = member_permissions(guild_payload, member_payload)
        channel_payload["permissions"] = str(permissions)
        payload.update(
            guild_id=gid,
            guild={
                "id": gid,
                "locale": guild_payload.get("preferred_locale", "en-US"),
                "features": guild_payload.get("features", []),
            },
            guild_locale=guild_payload.get("preferred_locale", "en-US"),
            member={**member_payload, "permissions": str(permissions)},
            authorizing_integration_owners={"0": gid},
            context=0,
        )
    else:
        if user_payload is None:
            raise ValueError("a DM interaction needs user_payload")
        payload.update(user=user_payload, authorizing_integration_owners={"0": "0"}, context=1)
    payload["channel"] = channel_payload
    if message_payload is not None:
        payload["message"] = message_payload
    return payload


# --- gateway -----------------------------------------------------------------------------------------


def ready(
    *,
    bot_user: JSON,
    application_id: int,
    session_id: str,
    resume_gateway_url: str,
    guild_ids: Iterable[int],
    shard: Sequence[int] = (0, 1),
) -> JSON:
    """The READY event's data: guilds as unavailable stubs (their GUILD_CREATE follows)."""
    return {
        "v": 10,
        "user": bot_user,
        "user_settings": {},
        "guilds": [unavailable_guild(g) for g in guild_ids],
        "relationships": [],
        "private_channels": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_gateway_url,
        "shard": list(shard),
        "application": {"id": str(application_id), "flags": 0},
        "auth": {},
        "_trace": ["fakediscord"],
    }


def application_info(*, application_id: int, bot_user: JSON, owner: JSON) -> JSON:
    """GET /oauth2/applications/@me."""
    return {
        "id": str(application_id),
        "name": bot_user["username"],
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot": bot_user,
        "bot_public": False,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "owner": owner,
        "team": None,
        "flags": 0,
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": 1,
    }
