"""A fake Discord on 127.0.0.1: one aiohttp app serving the REST API under ``/api/v10`` and the gateway
websocket at ``/gateway`` (and ``/resume``, the ``resume_gateway_url``).

It keeps just enough state to answer the real discord.py client: the bot user and application, the
guilds (roles, channels, members, threads), the messages created so far, the interactions it
dispatched, the registered application commands and a gateway session per shard with its sequence
number and a replay buffer. Every REST call is recorded as a ``RecordedRequest``; an unknown route is answered
``404 {"message": "Unknown route", "code": 0}`` and reported through ``on_problem``.

Tests normally drive it through ``fakediscord.harness.FakeDiscord``; this module knows nothing
about pytest.

Shards: the fake has a shard count (``shard_count``, what ``GET /gateway/bot`` recommends). A client
IDENTIFYs with ``shard: [id, count]``; the count must be the fake's and only one connection may hold a
shard at a time (else close code 4010, as Discord's "Invalid shard"); a client without ``shard`` is
accepted only when the count is 1 (else 4011, "Sharding required"). Each session is told about, and
receives the events of, only the servers its shard owns (``payloads.shard_of``); direct messages go to
shard 0. Several sessions can be connected at once, from one process or several.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import fnmatch
import json
import re
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from fakediscord import payloads
from fakediscord.payloads import JSON

API_PREFIX = "/api/v10"
HEARTBEAT_INTERVAL_MS = 41_250

# Gateway intents the fake enforces (https://discord.com/developers/docs/events/gateway#gateway-intents).
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15

LOADING = 1 << 7  # message flag of a deferred ("thinking") response

# Discord's closing codes after which discord.py gives up (ConnectionClosed out of connect()).
FATAL_CLOSE_CODES = frozenset({4004, 4010, 4011, 4012, 4013, 4014})
# Dispatches about the connection itself: never part of a replay of events the client already had.
CONNECTION_EVENTS = frozenset({"READY", "RESUMED"})
# Events about a server itself: its id is `id`; every other server event names it in `guild_id`.
SERVER_EVENTS = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})
INVALID_SHARD = 4010
SHARDING_REQUIRED = 4011


def server_of_event(event: str, data: JSON) -> int | None:
    """The server a dispatch is about (None: a direct message, or nothing server-bound)."""
    guild_id = data.get("id") if event in SERVER_EVENTS else data.get("guild_id")
    return None if guild_id is None else int(guild_id)


class ApiError(Exception):
    """Raised by a route handler to answer a Discord JSON error."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass
class RecordedFile:
    """A file part of a multipart request (``name`` is the form field, e.g. ``files[0]``)."""

    name: str
    filename: str | None
    size: int
    content_type: str | None
    data: bytes = field(repr=False)


@dataclass
class RecordedRequest:
    """One REST call the client made and what the fake answered.

    ``path`` is relative to ``/api/v10``; ``json`` is the parsed body (for multipart requests, the
    ``payload_json`` part); ``route`` is the matched template such as
    ``/channels/{channel_id}/messages`` (None for an unknown route) and ``params`` its parameters.
    ``remote`` is the client's address (which process sent it, when each binds its own loopback
    address). ``status`` stays 0 until the fake has answered; ``consumed`` is set once the discord.py
    call that made it has returned to its caller (so the bot has, e.g., stored the view it sent).
    ``received_at`` is when the fake had read it (``time.monotonic()``, the clock of ``loop.time()``;
    for latencies).
    """

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]
    remote: str = ""
    route: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    status: int = 0
    response: Any = None
    claimed: bool = False
    consumed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    received_at: float = field(default_factory=time.monotonic, repr=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def describe(self, width: int = 160) -> str:
        body = "" if self.json is None else " " + json.dumps(self.json, separators=(",", ":"))
        if len(body) > width:
            body = body[: width - 3] + "..."
        files = f" files={[f.filename for f in self.files]}" if self.files else ""
        status = self.status or "(no answer yet)"
        return f"{self.method} {self.path} -> {status}{body}{files}"


@dataclass
class FailRule:
    """An injected failure: the next ``times`` requests whose ``"METHOD /path"`` matches the glob."""

    pattern: str
    status: int | None
    retry_after: float = 0.05
    global_: bool = False
    delay: float = 0.0
    times: int = 1
    body: JSON | None = None

    def matches(self, method: str, path: str) -> bool:
        return fnmatch.fnmatchcase(f"{method} {path}", self.pattern)


@dataclass
class InteractionRecord:
    """An interaction the fake dispatched, and how the bot acknowledged it."""

    payload: JSON
    dispatched_at: float
    response_type: int | None = None
    original_message_id: int | None = None

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def token(self) -> str:
        return str(self.payload["token"])

    @property
    def type(self) -> int:
        return int(self.payload["type"])


@dataclass
class GatewayConnection:
    """One websocket connection from a client."""

    ws: web.WebSocketResponse
    url_path: str
    remote: str = ""  # the client's address: which process it is, when each binds its own
    session: GatewaySession | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    acks_heartbeats: bool = True  # False once it is a zombie (see FakeDiscordServer.zombify)

    async def send(self, frame: JSON) -> bool:
        """Send a frame; False if the socket is already closing."""
        async with self.lock:
            if self.ws.closed:
                return False
            try:
                await self.ws.send_str(json.dumps(frame, separators=(",", ":")))
            except (ConnectionResetError, RuntimeError):
                return False
            return True


@dataclass
class GatewaySession:
    """A gateway session: its sequence number and every dispatch sent in it (for RESUME).

    ``redeliver_after``: the next RESUME replays from this sequence number even if the client had
    received more (events delivered twice), instead of from the client's own. ``shard`` is
    ``[shard_id, shard_count]`` (``[0, 1]`` for an unsharded client).
    """

    id: str
    intents: int
    shard: list[int]
    seq: int = 0
    buffer: list[JSON] = field(default_factory=list)
    connection: GatewayConnection | None = None
    resumable: bool = True
    redeliver_after: int | None = None


@dataclass
class _Watch:
    predicate: Callable[[JSON], bool]
    future: asyncio.Future[JSON]
    connection: GatewayConnection | None = None  # only frames on this connection
    shard_id: int | None = None  # only frames in a session of this shard

    def wants(self, frame: JSON, conn: GatewayConnection) -> bool:
        if self.connection is not None and conn is not self.connection:
            return False
        if self.shard_id is not None and (conn.session is None or conn.session.shard[0] != self.shard_id):
            return False
        return self.predicate(frame)


Handler = Callable[..., Awaitable[tuple[int, Any]]]


def _template_regex(template: str) -> re.Pattern[str]:
    """``/channels/{channel_id}/messages`` -> a regex with a named group per parameter."""
    parts = re.split(r"(\{\w+\})", template)
    pattern = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}$")


class LoopbackOnlyResolver(AbstractResolver):
    """DNS resolver for the bot's aiohttp session: ``localhost`` only, any other name is refused.

    aiohttp does not resolve IP literals, so ``127.0.0.1`` passes; ``discord.com``,
    ``gateway.discord.gg`` or ``cdn.discordapp.com`` raise (and are reported) instead of leaving the
    machine.
    """

    def __init__(self, on_blocked: Callable[[str], None]) -> None:
        self._on_blocked = on_blocked

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host == "localhost":
            return [
                ResolveResult(
                    hostname=host,
                    host="127.0.0.1",
                    port=port,
                    family=socket.AF_INET,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            ]
        self._on_blocked(host)
        raise OSError(f"fakediscord: blocked a connection to {host!r}; only 127.0.0.1 is reachable in tests")

    async def close(self) -> None:
        return None


class FakeDiscordServer:
    """The fake Discord's state and protocol. See the module docstring."""

    def __init__(
        self,
        *,
        bot_user: JSON,
        application_id: int,
        token: str,
        guilds: Iterable[JSON],
        owner: JSON,
        interaction_timeout: float = 3.0,
        echo_bot_messages: bool = True,
        shard_count: int = 1,
        on_problem: Callable[[str], None] = lambda problem: None,
        on_request: Callable[[RecordedRequest], None] = lambda request: None,
    ) -> None:
        self.bot_user = bot_user
        self.application_id = application_id
        self.token = token
        self.owner = owner
        self.guilds: dict[int, JSON] = {int(g["id"]): g for g in guilds}
        self.interaction_timeout = interaction_timeout
        self.echo_bot_messages = echo_bot_messages
        if shard_count < 1:
            raise ValueError(f"shard_count must be at least 1, not {shard_count}")
        self.shard_count = shard_count
        self.on_problem = on_problem
        self.on_request = on_request

        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.messages: dict[int, JSON] = {}
        self.message_sources: dict[int, RecordedRequest] = {}  # message id -> last request that wrote it
        self.interactions: dict[int, InteractionRecord] = {}
        self.commands: dict[int | None, list[JSON]] = {}
        self.dm_channels: dict[int, JSON] = {}
        self.attachments: dict[int, bytes] = {}
        self.gateway_received: list[JSON] = []
        self.gateway_sent: list[JSON] = []
        self.dropped_events: list[str] = []
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[int, GatewaySession] = {}  # the current session of each shard id
        self.all_sessions: list[GatewaySession] = []  # every session IDENTIFY opened, in order
        self.identify_count = 0
        self.refused_identifies: list[str] = []  # why each refused IDENTIFY was refused
        self.resume_count = 0
        self.gateway_open = asyncio.Event()
        self.gateway_open.set()

        self._fail_rules: list[FailRule] = []
        self._sent_watches: list[_Watch] = []
        self._received_watches: list[_Watch] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        self._register_routes()

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/resume", self._gateway)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        app.router.add_route("*", "/{tail:.*}", self._outside_api)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Close the gateway connections and stop listening."""
        self.gateway_open.set()
        for conn in self.connections:
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rest_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/resume"

    # --- world lookups ---------------------------------------------------------------------------

    def find_channel(self, channel_id: int) -> tuple[JSON, JSON | None] | None:
        """The channel (guild channel, thread or DM channel) and its guild."""
        for g in self.guilds.values():
            for ch in [*g["channels"], *g["threads"]]:
                if int(ch["id"]) == channel_id:
                    return ch, g
        for dm in self.dm_channels.values():
            if int(dm["id"]) == channel_id:
                return dm, None
        return None

    def find_member(self, guild: JSON, user_id: int) -> JSON | None:
        members: list[JSON] = guild["members"]
        for m in members:
            if int(m["user"]["id"]) == user_id:
                return m
        return None

    def find_user(self, user_id: int) -> JSON | None:
        if int(self.bot_user["id"]) == user_id:
            return self.bot_user
        for g in self.guilds.values():
            if (m := self.find_member(g, user_id)) is not None:
                user: JSON = m["user"]
                return user
        return None

    def bot_permissions(self, guild: JSON) -> int:
        me = self.find_member(guild, int(self.bot_user["id"]))
        return payloads.member_permissions(guild, me) if me is not None else 0

    def store_message(self, message: JSON, source: RecordedRequest | None = None) -> None:
        self.messages[int(message["id"])] = message
        if source is not None:
            self.message_sources[int(message["id"])] = source

    def add_thread(self, thread: JSON) -> None:
        guild = self.guilds[int(thread["guild_id"])]
        guild["threads"].append(thread)

    def dm_channel_for(self, user: JSON) -> JSON:
        uid = int(user["id"])
        if uid not in self.dm_channels:
            self.dm_channels[uid] = payloads.dm_channel(user)
        return self.dm_channels[uid]

    def register_interaction(self, payload: JSON) -> InteractionRecord:
        record = InteractionRecord(payload=payload, dispatched_at=asyncio.get_running_loop().time())
        self.interactions[record.id] = record
        return record

    # --- failure injection -----------------------------------------------------------------------

    def fail_next(
        self,
        pattern: str,
        *,
        status: int | None = 429,
        retry_after: float = 0.05,
        global_: bool = False,
        delay: float = 0.0,
        times: int = 1,
        body: JSON | None = None,
    ) -> None:
        """Answer the next ``times`` requests matching the ``"METHOD /path"`` glob with ``status``
        (after ``delay`` seconds). ``status=None`` only delays them. See FakeDiscord.fail_next."""
        self._fail_rules.append(FailRule(pattern, status, retry_after, global_, delay, times, body))

    def _take_rule(self, method: str, path: str) -> FailRule | None:
        for rule in self._fail_rules:
            if rule.matches(method, path):
                rule.times -= 1
                if rule.times <= 0:
                    self._fail_rules.remove(rule)
                return rule
        return None

    # --- gateway ---------------------------------------------------------------------------------

    def watch_sent(
        self,
        predicate: Callable[[JSON], bool],
        *,
        connection: GatewayConnection | None = None,
        shard_id: int | None = None,
    ) -> asyncio.Future[JSON]:
        """A future for the next gateway frame the fake sends that matches (only on ``connection``,
        or in a session of ``shard_id``, when given)."""
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._sent_watches.append(_Watch(predicate, future, connection, shard_id))
        return future

    def watch_received(
        self, predicate: Callable[[JSON], bool], *, connection: GatewayConnection | None = None
    ) -> asyncio.Future[JSON]:
        """A future for the next gateway frame a client sends (on ``connection``, or on any) that matches."""
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._received_watches.append(_Watch(predicate, future, connection))
        return future

    @staticmethod
    def _fire(watches: list[_Watch], frame: JSON, conn: GatewayConnection) -> None:
        for watch in list(watches):
            if watch.future.done():
                watches.remove(watch)
            elif watch.wants(frame, conn):
                watch.future.set_result(frame)
                watches.remove(watch)

    async def _send(self, conn: GatewayConnection, frame: JSON) -> None:
        if await conn.send(frame):
            self.gateway_sent.append(frame)
            self._fire(self._sent_watches, frame, conn)

    def shard_of(self, guild_id: int) -> int:
        """The shard that receives this server's events."""
        return payloads.shard_of(guild_id, self.shard_count)

    def shard_for(self, event: str, data: JSON) -> int:
        """The shard a dispatch goes to: the one owning its server; shard 0 for the rest (direct
        messages), as Discord does."""
        guild_id = server_of_event(event, data)
        return 0 if guild_id is None else self.shard_of(guild_id)

    def session_of(self, shard_id: int = 0) -> GatewaySession | None:
        """The current session of a shard (None before its first IDENTIFY)."""
        return self.sessions.get(shard_id)

    def live_connection(self, shard_id: int = 0) -> GatewayConnection | None:
        """The connection of a shard's current session, if it is open."""
        session = self.sessions.get(shard_id)
        if session is None or session.connection is None or session.connection.ws.closed:
            return None
        return session.connection

    def live_connections(self) -> dict[int, GatewayConnection]:
        """Every shard's open connection, by shard id."""
        return {shard_id: conn for shard_id in self.sessions if (conn := self.live_connection(shard_id))}

    def shards_that_got(self, event: str, object_id: int) -> list[int]:
        """The shard ids of the sessions the fake sent the dispatch ``event`` about ``object_id`` (its
        ``d.id``) in, e.g. an INTERACTION_CREATE: one, when routing works."""
        return [
            session.shard[0]
            for session in self.all_sessions
            for frame in session.buffer
            if frame["t"] == event and int(frame["d"].get("id", 0)) == object_id
        ]

    async def dispatch(self, event: str, data: JSON) -> bool:
        """Send a DISPATCH in the session of the shard owning its server (shard 0 without one);
        buffered for RESUME if the socket is down.

        Returns False, and records it in ``dropped_events``, when the session's intents exclude it.
        Without the MESSAGE_CONTENT intent, message content is blanked as Discord does.
        """
        shard_id = self.shard_for(event, data)
        session = self.sessions.get(shard_id)
        if session is None:
            raise RuntimeError(
                f"fakediscord: no gateway session for shard {shard_id} of {self.shard_count}: "
                "no client has IDENTIFYed for it"
            )
        return await self._dispatch_in(session, event, data)

    async def _dispatch_in(self, session: GatewaySession, event: str, data: JSON) -> bool:
        filtered = self._filter_for_intents(session.intents, event, data)
        if filtered is None:
            self.dropped_events.append(f"{event} (intents {session.intents} exclude it)")
            return False
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": filtered}
        session.buffer.append(frame)
        conn = session.connection
        if conn is not None:
            await self._send(conn, frame)
        return True

    def _filter_for_intents(self, intents: int, event: str, data: JSON) -> JSON | None:
        if event.startswith("MESSAGE_") and event != "MESSAGE_DELETE_BULK":
            in_guild = "guild_id" in data
            if not intents & (INTENT_GUILD_MESSAGES if in_guild else INTENT_DIRECT_MESSAGES):
                return None
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not intents & INTENT_MESSAGE_CONTENT:
                bot_id = str(self.bot_user["id"])
                mentioned = any(str(u["id"]) == bot_id for u in data.get("mentions", []))
                own = str(data.get("author", {}).get("id")) == bot_id
                if in_guild and not mentioned and not own:
                    data = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
                    data.pop("poll", None)
        elif (event.startswith(("THREAD_", "CHANNEL_", "GUILD_ROLE_"))) and not intents & INTENT_GUILDS:
            return None
        return data

    def _live_or_raise(self, shard_id: int) -> GatewayConnection:
        conn = self.live_connection(shard_id)
        if conn is None:
            raise RuntimeError(f"fakediscord: shard {shard_id}'s gateway is not connected")
        return conn

    async def send_op(self, op: int, d: Any = None, *, shard_id: int = 0) -> None:
        """Send a raw non-dispatch opcode on a shard's live connection (e.g. 7 RECONNECT, 9 INVALID
        SESSION)."""
        await self.send_op_on(self._live_or_raise(shard_id), op, d)

    async def send_op_on(self, conn: GatewayConnection, op: int, d: Any = None) -> None:
        """Send a raw non-dispatch opcode on ``conn``."""
        await self._send(conn, {"op": op, "d": d, "s": None, "t": None})

    async def close_connection(self, code: int, *, shard_id: int = 0) -> None:
        """Close a shard's live gateway connection with ``code``."""
        conn = self._live_or_raise(shard_id)
        await conn.ws.close(code=code, message=b"fakediscord closed the connection")

    async def zombify(self, *, shard_id: int = 0) -> None:
        """Leave a shard's live connection open but dead, as when Discord's end of it is gone: send one
        HEARTBEAT request (op 1) on it, then answer nothing more there (no HEARTBEAT_ACK, no
        dispatches: they are buffered for the client's RESUME)."""
        conn = self._live_or_raise(shard_id)
        conn.acks_heartbeats = False
        self.sessions[shard_id].connection = None
        await self._send(conn, {"op": 1, "d": None, "s": None, "t": None})

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(ws=ws, url_path=request.path, remote=request.remote or "")
        self.connections.append(conn)
        try:
            await self.gateway_open.wait()
            await self._send(
                conn, {"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None, "t": None}
            )
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    await self._on_client_frame(conn, json.loads(msg.data))
                elif msg.type is aiohttp.WSMsgType.ERROR:
                    break
        finally:
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
        return ws

    async def _on_client_frame(self, conn: GatewayConnection, frame: JSON) -> None:
        op = frame.get("op")
        d: Any = frame.get("d")
        recorded = copy.deepcopy(frame)
        if isinstance(recorded.get("d"), dict) and "token" in recorded["d"]:
            recorded["d"]["token"] = "<redacted>"
        self.gateway_received.append(recorded)
        if op == 1:  # HEARTBEAT
            if conn.acks_heartbeats:
                await self._send(conn, {"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:  # IDENTIFY
            await self._identify(conn, d)
        elif op == 6:  # RESUME
            await self._resume(conn, d)
        elif op == 8:  # REQUEST GUILD MEMBERS
            await self._request_members(conn, d)
        self._fire(self._received_watches, recorded, conn)

    def _shard_refusal(self, shard: Any) -> tuple[int, str] | None:
        """Why Discord would refuse an IDENTIFY's ``shard`` (a close code and reason), or None."""
        if shard is None:
            if self.shard_count > 1:
                return SHARDING_REQUIRED, f"Sharding required: this fake runs {self.shard_count} shards."
            return None
        if not (isinstance(shard, list) and len(shard) == 2 and all(isinstance(n, int) for n in shard)):
            return INVALID_SHARD, f"Invalid shard: {shard!r} is not [shard_id, shard_count]."
        shard_id, count = shard
        if count != self.shard_count:
            return (
                INVALID_SHARD,
                f"Invalid shard: shard count {count}, but this fake runs {self.shard_count}.",
            )
        if not 0 <= shard_id < count:
            return INVALID_SHARD, f"Invalid shard: shard id {shard_id} is not below the count {count}."
        if self.live_connection(shard_id) is not None:
            return INVALID_SHARD, f"Invalid shard: shard {shard_id} is already connected."
        return None

    async def _identify(self, conn: GatewayConnection, d: JSON) -> None:
        if d.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        refusal = self._shard_refusal(d.get("shard"))
        if refusal is not None:
            code, reason = refusal
            self.refused_identifies.append(reason)
            await conn.ws.close(code=code, message=reason.encode())
            return
        self.identify_count += 1
        shard = list(d.get("shard") or [0, 1])
        session = GatewaySession(id=secrets.token_hex(16), intents=int(d.get("intents", 0)), shard=shard)
        self.sessions[shard[0]] = session
        self.all_sessions.append(session)
        session.connection = conn
        conn.session = session
        owned = [guild for guild_id, guild in self.guilds.items() if self.shard_of(guild_id) == shard[0]]
        await self._dispatch_in(
            session,
            "READY",
            payloads.ready(
                bot_user=self.bot_user,
                application_id=self.application_id,
                session_id=session.id,
                resume_gateway_url=self.resume_gateway_url,
                guild_ids=[int(guild["id"]) for guild in owned],
                shard=session.shard,
            ),
        )
        for guild in owned:
            await self._dispatch_in(session, "GUILD_CREATE", self._guild_create(guild, session.intents))

    async def join_guild(self, guild: JSON) -> None:
        """The bot is added to ``guild`` while connected: a GUILD_CREATE for a new server
        (``on_guild_join``), to the shard that owns it."""
        shard_id = self.shard_of(int(guild["id"]))
        session = self.sessions.get(shard_id)
        if session is None:
            raise RuntimeError(f"fakediscord: no gateway session for shard {shard_id}")
        self.guilds[int(guild["id"])] = guild
        # Discord marks a server coming back after an outage `unavailable: false`; a new one has no mark.
        created = {key: value for key, value in guild.items() if key != "unavailable"}
        await self._dispatch_in(session, "GUILD_CREATE", self._guild_create(created, session.intents))

    def _guild_create(self, guild: JSON, intents: int) -> JSON:
        """Without the GUILD_MEMBERS intent Discord lists only the bot itself in ``members``."""
        if intents & INTENT_GUILD_MEMBERS:
            return guild
        bot_id = str(self.bot_user["id"])
        return {**guild, "members": [m for m in guild["members"] if str(m["user"]["id"]) == bot_id]}

    async def _resume(self, conn: GatewayConnection, d: JSON) -> None:
        session = next((s for s in self.sessions.values() if s.id == d.get("session_id")), None)
        if session is None or not session.resumable or d.get("token") != self.token:
            await self._send(conn, {"op": 9, "d": False, "s": None, "t": None})
            return
        self.resume_count += 1
        old = session.connection
        session.connection = None
        if old is not None and old is not conn and not old.ws.closed:
            await old.ws.close(code=4000)
        # Replay everything after the client's seq (or after redeliver_after: events the client had
        # already, READY and RESUMED excepted), including what is dispatched meanwhile; attach the
        # connection only once caught up so that the order is kept.
        client_seq = int(d.get("seq") or 0)
        sent_up_to = client_seq
        if session.redeliver_after is not None:
            sent_up_to = min(client_seq, session.redeliver_after)
            session.redeliver_after = None
        while pending := [f for f in session.buffer if f["s"] > sent_up_to]:
            for frame in pending:
                if frame["s"] > client_seq or frame["t"] not in CONNECTION_EVENTS:
                    await self._send(conn, frame)
                sent_up_to = frame["s"]
        session.connection = conn
        conn.session = session
        await self._dispatch_in(session, "RESUMED", {"_trace": ["fakediscord"]})

    async def _request_members(self, conn: GatewayConnection, d: JSON) -> None:
        guild = self.guilds.get(int(d["guild_id"]))
        if guild is None:
            return
        members = guild["members"]
        if d.get("user_ids"):
            wanted = {int(u) for u in (d["user_ids"] if isinstance(d["user_ids"], list) else [d["user_ids"]])}
            members = [m for m in members if int(m["user"]["id"]) in wanted]
        elif d.get("query"):
            members = [
                m for m in members if m["user"]["username"].lower().startswith(str(d["query"]).lower())
            ]
        if d.get("limit"):
            members = members[: int(d["limit"])]
        chunk: JSON = {
            "guild_id": str(guild["id"]),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if d.get("nonce") is not None:
            chunk["nonce"] = d["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # --- REST plumbing ---------------------------------------------------------------------------

    def _route(self, method: str, template: str, handler: Handler) -> None:
        self._routes.append((method, _template_regex(template), template, handler))

    def _match(self, method: str, path: str) -> tuple[str, dict[str, str], Handler] | None:
        for route_method, regex, template, handler in self._routes:
            if route_method == method and (m := regex.match(path)):
                return template, m.groupdict(), handler
        return None

    @staticmethod
    def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
        if body is None and status == 204:
            return web.Response(status=204, headers=headers)
        # Exactly 'application/json': discord.py parses nothing else (json_response adds a charset).
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, list[RecordedFile]]:
        files: list[RecordedFile] = []
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                assert isinstance(part, aiohttp.BodyPartReader)
                data = await part.read()
                if part.name == "payload_json":
                    payload = json.loads(data)
                else:
                    files.append(
                        RecordedFile(
                            name=part.name or "",
                            filename=part.filename,
                            size=len(data),
                            content_type=part.headers.get("Content-Type"),
                            data=bytes(data),
                        )
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw), files
        except ValueError:
            return raw.decode(errors="replace"), files

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        rec = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            json=body,
            files=files,
            remote=request.remote or "",
        )
        self.requests.append(rec)
        matched = self._match(request.method, path)
        if matched is not None:
            rec.route, rec.params, _ = matched
        status, answer, headers = await self._answer(rec, matched)
        rec.status, rec.response = status, answer
        self.on_request(rec)
        return self._json_response(status, answer, headers)

    async def _answer(
        self, rec: RecordedRequest, matched: tuple[str, dict[str, str], Handler] | None
    ) -> tuple[int, Any, dict[str, str] | None]:
        rule = self._take_rule(rec.method, rec.path)
        if rule is not None:
            if rule.delay:
                await asyncio.sleep(rule.delay)  # simulated slowness, not synchronisation
            if rule.status == 429:
                scope = "global" if rule.global_ else "user"
                headers = {
                    "Via": "1.1 google",
                    "Retry-After": str(max(1, round(rule.retry_after))),
                    "X-RateLimit-Scope": scope,
                }
                if rule.global_:
                    headers["X-RateLimit-Global"] = "true"
                answer = rule.body or {
                    "message": "You are being rate limited.",
                    "retry_after": rule.retry_after,
                    "global": rule.global_,
                    "code": 0,
                }
                return 429, answer, headers
            if rule.status is not None:
                return (
                    rule.status,
                    rule.body or {"message": f"{rule.status}: injected by fakediscord", "code": 0},
                    None,
                )
        if matched is None:
            self.unknown_routes.append(rec)
            self.on_problem(f"unknown REST route: {rec.method} {rec.path} (add it to fakediscord/server.py)")
            return 404, {"message": "Unknown route", "code": 0}, None
        _, params, handler = matched
        try:
            status, answer = await handler(rec, **params)
        except ApiError as exc:
            return exc.status, {"message": exc.message, "code": exc.code}, None
        return status, answer, None

    async def _outside_api(self, request: web.Request) -> web.Response:
        rec = RecordedRequest(
            method=request.method, path=request.path, query=dict(request.query), json=None, files=[]
        )
        self.requests.append(rec)
        self.unknown_routes.append(rec)
        self.on_problem(f"request outside {API_PREFIX}: {request.method} {request.path}")
        rec.status, rec.response = 404, {"message": "Unknown route", "code": 0}
        self.on_request(rec)
        return self._json_response(404, rec.response)

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.attachments.get(int(request.match_info["attachment_id"]))
        if data is None:
            return self._json_response(404, {"message": "Unknown attachment", "code": 0})
        return web.Response(body=data, content_type="application/octet-stream")

    def mark_consumed(self, method: str, path: str) -> None:
        """The discord.py call for ``method path`` returned to its caller: mark the oldest answered
        success (and any answered failures before it, i.e. retries) with that method and path."""
        for rec in self.requests:
            if rec.method == method and rec.path == path and rec.status and not rec.consumed.is_set():
                rec.consumed.set()
                if rec.ok:
                    return

    # --- REST routes -----------------------------------------------------------------------------

    def _register_routes(self) -> None:
        r = self._route
        r("GET", "/gateway", self._get_gateway)
        r("GET", "/gateway/bot", self._get_gateway_bot)
        r("GET", "/users/@me", self._get_me)
        r("GET", "/users/{user_id}", self._get_user)
        r("POST", "/users/@me/channels", self._create_dm)
        r("GET", "/oauth2/applications/@me", self._get_application)
        r("GET", "/applications/@me", self._get_application)
        r("GET", "/applications/{application_id}/commands", self._get_commands)
        r("PUT", "/applications/{application_id}/commands", self._put_commands)
        r("POST", "/applications/{application_id}/commands", self._post_command)
        r("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self._get_commands)
        r("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands)
        r("POST", "/applications/{application_id}/guilds/{guild_id}/commands", self._post_command)
        r("POST", "/interactions/{interaction_id}/{token}/callback", self._interaction_callback)
        r("POST", "/webhooks/{application_id}/{token}", self._followup)
        r("GET", "/webhooks/{application_id}/{token}/messages/{message_id}", self._get_webhook_message)
        r("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}", self._edit_webhook_message)
        r("DELETE", "/webhooks/{application_id}/{token}/messages/{message_id}", self._delete_webhook_message)
        r("GET", "/channels/{channel_id}", self._get_channel)
        r("PATCH", "/channels/{channel_id}", self._edit_channel)
        r("GET", "/channels/{channel_id}/messages", self._get_messages)
        r("POST", "/channels/{channel_id}/messages", self._create_channel_message)
        r("GET", "/channels/{channel_id}/messages/{message_id}", self._get_channel_message)
        r("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_channel_message)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_channel_message)
        r("POST", "/channels/{channel_id}/typing", self._no_content)
        r("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._no_content)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._no_content)
        r("POST", "/channels/{channel_id}/threads", self._create_thread)
        r("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._create_thread)
        r("PUT", "/channels/{channel_id}/thread-members/@me", self._no_content)
        r("GET", "/guilds/{guild_id}", self._get_guild)
        r("GET", "/guilds/{guild_id}/channels", self._get_guild_channels)
        r("GET", "/guilds/{guild_id}/roles", self._get_guild_roles)
        r("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member)

    async def _no_content(self, rec: RecordedRequest, **_: str) -> tuple[int, Any]:
        return 204, None

    async def _get_gateway(self, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _get_gateway_bot(self, rec: RecordedRequest) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": self.shard_count, "session_start_limit": limit}

    async def _get_me(self, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, self.bot_user

    async def _get_user(self, rec: RecordedRequest, user_id: str) -> tuple[int, Any]:
        found = self.find_user(int(user_id))
        if found is None:
            raise ApiError(404, 10013, "Unknown User")
        return 200, found

    async def _create_dm(self, rec: RecordedRequest) -> tuple[int, Any]:
        found = self.find_user(int((rec.json or {}).get("recipient_id", 0)))
        if found is None:
            raise ApiError(400, 50035, "Invalid Form Body")
        return 200, self.dm_channel_for(found)

    async def _get_application(self, rec: RecordedRequest) -> tuple[int, Any]:
        return 200, payloads.application_info(
            application_id=self.application_id, bot_user=self.bot_user, owner=self.owner
        )

    def _check_application(self, application_id: str) -> None:
        if int(application_id) != self.application_id:
            raise ApiError(404, 10002, "Unknown Application")

    def _command_payload(self, body: JSON, guild_id: str | None, previous: list[JSON]) -> JSON:
        old = next(
            (c for c in previous if c["name"] == body["name"] and c.get("type", 1) == body.get("type", 1)),
            None,
        )
        command: JSON = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            "contexts": None,
            "integration_types": [0],
            **body,
            "id": old["id"] if old else str(payloads.snowflake()),
            "application_id": str(self.application_id),
            "version": str(payloads.snowflake()),
        }
        if guild_id is not None:
            command["guild_id"] = guild_id
        return command

    async def _get_commands(
        self, rec: RecordedRequest, application_id: str, guild_id: str | None = None
    ) -> tuple[int, Any]:
        self._check_application(application_id)
        return 200, self.commands.get(int(guild_id) if guild_id else None, [])

    async def _put_commands(
        self, rec: RecordedRequest, application_id: str, guild_id: str | None = None
    ) -> tuple[int, Any]:
        self._check_application(application_id)
        key = int(guild_id) if guild_id else None
        previous = self.commands.get(key, [])
        self.commands[key] = [self._command_payload(c, guild_id, previous) for c in rec.json or []]
        return 200, self.commands[key]

    async def _post_command(
        self, rec: RecordedRequest, application_id: str, guild_id: str | None = None
    ) -> tuple[int, Any]:
        self._check_application(application_id)
        key = int(guild_id) if guild_id else None
        previous = self.commands.get(key, [])
        command = self._command_payload(rec.json, guild_id, previous)
        self.commands[key] = [c for c in previous if c["id"] != command["id"]] + [command]
        return 201, command

    # messages

    def _channel_or_404(self, channel_id: str) -> tuple[JSON, JSON | None]:
        found = self.find_channel(int(channel_id))
        if found is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return found

    def _message_or_404(self, message_id: int) -> JSON:
        found = self.messages.get(message_id)
        if found is None:
            raise ApiError(404, 10008, "Unknown Message")
        return found

    def _attachments_for(self, rec: RecordedRequest) -> list[JSON]:
        out = []
        for f in rec.files:
            aid = payloads.snowflake()
            self.attachments[aid] = f.data
            url = f"{self.base_url}/attachments/{aid}/{f.filename}"
            out.append(
                payloads.attachment(
                    f.filename or "file", f.size, id=aid, url=url, content_type=f.content_type
                )
            )
        return out

    def _new_message(
        self,
        channel_id: int,
        body: JSON,
        rec: RecordedRequest,
        *,
        type: int = 0,
        webhook: bool = False,
        interaction: InteractionRecord | None = None,
        id: int | None = None,
    ) -> JSON:
        found = self.find_channel(channel_id)
        guild = found[1] if found else None
        extra: JSON = {}
        if webhook:
            extra["webhook_id"] = str(self.application_id)
            extra["application_id"] = str(self.application_id)
        if interaction is not None:
            user = interaction.payload.get("member", {}).get("user") or interaction.payload.get("user")
            extra["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": user,
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}
                ),
            }
        reference = body.get("message_reference")
        referenced = None
        if reference:
            ref_id = int(reference["message_id"])
            referenced = self.messages.get(ref_id)
            if referenced is None and reference.get("fail_if_not_exists", True):
                raise ApiError(400, 50035, "Invalid Form Body (message_reference: Unknown message)")
            reference = {
                "type": 0,
                "channel_id": str(reference.get("channel_id", channel_id)),
                "message_id": str(ref_id),
            }
            if guild is not None:
                reference["guild_id"] = str(guild["id"])
            type = 19
        message = payloads.message(
            channel_id,
            body.get("content") or "",
            id=id,
            author=self.bot_user,
            guild_id=int(guild["id"]) if guild else None,
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            attachments=self._attachments_for(rec),
            flags=int(body.get("flags") or 0),
            type=type,
            message_reference=reference or None,
            referenced_message=referenced,
            tts=bool(body.get("tts", False)),
            **extra,
        )
        self.store_message(message, rec)
        return message

    def _apply_edit(self, message: JSON, body: JSON, rec: RecordedRequest) -> JSON:
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if rec.files or "attachments" in body:
            kept_ids = {str(a.get("id")) for a in body.get("attachments", [])}
            kept = [a for a in message["attachments"] if str(a["id"]) in kept_ids]
            message["attachments"] = kept + self._attachments_for(rec)
        message["flags"] = int(message.get("flags") or 0) & ~LOADING
        message["edited_timestamp"] = payloads.timestamp()
        self.store_message(message, rec)
        return message

    async def _echo(self, event: str, message: JSON) -> None:
        """Discord also sends the bot its own (non-ephemeral) messages over the gateway."""
        if (
            not self.echo_bot_messages
            or self.shard_for(event, message) not in self.sessions
            or int(message.get("flags") or 0) & payloads.EPHEMERAL
        ):
            return
        if event == "MESSAGE_DELETE":
            data = {"id": message["id"], "channel_id": message["channel_id"]}
            if "guild_id" in message:
                data["guild_id"] = message["guild_id"]
            await self.dispatch(event, data)
        else:
            await self.dispatch(event, message)

    async def _create_channel_message(self, rec: RecordedRequest, channel_id: str) -> tuple[int, Any]:
        channel, _ = self._channel_or_404(channel_id)
        if channel["type"] in (payloads.GUILD_FORUM, payloads.GUILD_CATEGORY):
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        message = self._new_message(int(channel_id), rec.json or {}, rec)
        await self._echo("MESSAGE_CREATE", message)
        return 200, message

    async def _get_channel_message(
        self, rec: RecordedRequest, channel_id: str, message_id: str
    ) -> tuple[int, Any]:
        self._channel_or_404(channel_id)
        message = self._message_or_404(int(message_id))
        if message["channel_id"] != channel_id:
            raise ApiError(404, 10008, "Unknown Message")
        return 200, message

    async def _get_messages(self, rec: RecordedRequest, channel_id: str) -> tuple[int, Any]:
        self._channel_or_404(channel_id)
        found = sorted(
            (m for m in self.messages.values() if m["channel_id"] == channel_id), key=lambda m: -int(m["id"])
        )
        if "before" in rec.query:
            found = [m for m in found if int(m["id"]) < int(rec.query["before"])]
        if "after" in rec.query:
            found = [m for m in found if int(m["id"]) > int(rec.query["after"])]
        return 200, found[: int(rec.query.get("limit", 50))]

    async def _edit_channel_message(
        self, rec: RecordedRequest, channel_id: str, message_id: str
    ) -> tuple[int, Any]:
        self._channel_or_404(channel_id)
        message = self._message_or_404(int(message_id))
        if str(message["author"]["id"]) != str(self.bot_user["id"]) and set(rec.json or {}) - {"flags"}:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        edited = self._apply_edit(message, rec.json or {}, rec)
        await self._echo("MESSAGE_UPDATE", edited)
        return 200, edited

    async def _delete_channel_message(
        self, rec: RecordedRequest, channel_id: str, message_id: str
    ) -> tuple[int, Any]:
        self._channel_or_404(channel_id)
        message = self._message_or_404(int(message_id))
        del self.messages[int(message_id)]
        await self._echo("MESSAGE_DELETE", message)
        return 204, None

    # channels, threads, guilds

    async def _get_channel(self, rec: RecordedRequest, channel_id: str) -> tuple[int, Any]:
        return 200, self._channel_or_404(channel_id)[0]

    async def _edit_channel(self, rec: RecordedRequest, channel_id: str) -> tuple[int, Any]:
        channel, guild = self._channel_or_404(channel_id)
        body = dict(rec.json or {})
        if channel["type"] == payloads.PUBLIC_THREAD:
            meta = channel["thread_metadata"]
            for key in ("archived", "locked", "auto_archive_duration"):
                if key in body:
                    meta[key] = body.pop(key)
        for key, value in body.items():
            channel[key] = [str(v) for v in value] if key == "applied_tags" else value
        if guild is not None:
            event = "THREAD_UPDATE" if channel["type"] == payloads.PUBLIC_THREAD else "CHANNEL_UPDATE"
            await self.dispatch(event, channel)
        return 200, channel

    async def _create_thread(
        self, rec: RecordedRequest, channel_id: str, message_id: str | None = None
    ) -> tuple[int, Any]:
        parent, guild = self._channel_or_404(channel_id)
        if guild is None:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        body = rec.json or {}
        is_forum = parent["type"] == payloads.GUILD_FORUM
        if is_forum and "message" not in body:
            raise ApiError(400, 50035, "Invalid Form Body (message is required in a forum channel)")
        thread = payloads.thread_channel(
            body.get("name", "thread"),
            id=int(message_id) if message_id else None,
            guild_id=int(guild["id"]),
            parent_id=int(channel_id),
            owner_id=int(self.bot_user["id"]),
            applied_tags=[int(t) for t in body.get("applied_tags", [])],
        )
        self.add_thread(thread)
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        answer = dict(thread)
        if is_forum:
            starter = self._new_message(int(thread["id"]), body["message"], rec, id=int(thread["id"]))
            answer["message"] = starter
            await self._echo("MESSAGE_CREATE", starter)
        return 201, answer

    async def _get_guild(self, rec: RecordedRequest, guild_id: str) -> tuple[int, Any]:
        guild = self._guild_or_404(guild_id)
        return 200, {
            k: v
            for k, v in guild.items()
            if k not in ("channels", "threads", "members", "presences", "voice_states")
        }

    def _guild_or_404(self, guild_id: str) -> JSON:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    async def _get_guild_channels(self, rec: RecordedRequest, guild_id: str) -> tuple[int, Any]:
        return 200, self._guild_or_404(guild_id)["channels"]

    async def _get_guild_roles(self, rec: RecordedRequest, guild_id: str) -> tuple[int, Any]:
        return 200, self._guild_or_404(guild_id)["roles"]

    async def _get_member(self, rec: RecordedRequest, guild_id: str, user_id: str) -> tuple[int, Any]:
        found = self.find_member(self._guild_or_404(guild_id), int(user_id))
        if found is None:
            raise ApiError(404, 10007, "Unknown Member")
        return 200, found

    # interactions

    def _interaction_by_token(self, application_id: str, token: str) -> InteractionRecord:
        self._check_application(application_id)
        for record in self.interactions.values():
            if record.token == token:
                if record.response_type is None:
                    raise ApiError(404, 10015, "Unknown Webhook (the interaction was not acknowledged yet)")
                return record
        raise ApiError(404, 10015, "Unknown Webhook")

    async def _interaction_callback(
        self, rec: RecordedRequest, interaction_id: str, token: str
    ) -> tuple[int, Any]:
        inter = self.interactions.get(int(interaction_id))
        if inter is None or inter.token != token:
            raise ApiError(404, 10062, "Unknown interaction")
        if asyncio.get_running_loop().time() - inter.dispatched_at > self.interaction_timeout:
            raise ApiError(404, 10062, "Unknown interaction (answered after the 3 s limit)")
        if inter.response_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body = rec.json or {}
        rtype = int(body.get("type", 0))
        data = body.get("data") or {}
        allowed = {
            payloads.APPLICATION_COMMAND: {4, 5, 9},
            payloads.MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
            payloads.APPLICATION_COMMAND_AUTOCOMPLETE: {8},
            payloads.MODAL_SUBMIT: {4, 5, 6, 7} if "message" in inter.payload else {4, 5},
        }.get(inter.type, set())
        if rtype not in allowed:
            raise ApiError(
                400,
                50035,
                f"Invalid Form Body (callback type {rtype} is not valid for interaction type {inter.type})",
            )
        inter.response_type = rtype
        info: JSON = {"id": str(inter.id), "type": inter.type}
        resource: JSON = {"type": rtype}
        channel_id = int(inter.payload["channel_id"])
        command_type = 20 if inter.type == payloads.APPLICATION_COMMAND else 0
        if rtype in (4, 5):
            if rtype == 5:
                data = {"content": "", "flags": int(data.get("flags") or 0) | LOADING}
            message = self._new_message(
                channel_id, data, rec, type=command_type, webhook=True, interaction=inter
            )
            inter.original_message_id = int(message["id"])
            resource["message"] = message
            info.update(
                response_message_id=message["id"],
                response_message_loading=rtype == 5,
                response_message_ephemeral=bool(message["flags"] & payloads.EPHEMERAL),
            )
            await self._echo("MESSAGE_CREATE", message)
        elif rtype in (6, 7):
            target = inter.payload["message"]
            stored = self.messages.setdefault(int(target["id"]), copy.deepcopy(target))
            inter.original_message_id = int(stored["id"])
            if rtype == 7:
                resource["message"] = self._apply_edit(stored, data, rec)
                info.update(
                    response_message_id=stored["id"],
                    response_message_ephemeral=bool(stored["flags"] & payloads.EPHEMERAL),
                )
                await self._echo("MESSAGE_UPDATE", stored)
        return 200, {"interaction": info, "resource": resource}

    async def _followup(self, rec: RecordedRequest, application_id: str, token: str) -> tuple[int, Any]:
        inter = self._interaction_by_token(application_id, token)
        message = self._new_message(
            int(inter.payload["channel_id"]), rec.json or {}, rec, webhook=True, interaction=inter
        )
        await self._echo("MESSAGE_CREATE", message)
        return 200, message

    def _webhook_message(
        self, application_id: str, token: str, message_id: str
    ) -> tuple[InteractionRecord, JSON]:
        inter = self._interaction_by_token(application_id, token)
        if message_id == "@original":
            if inter.original_message_id is None:
                raise ApiError(404, 10008, "Unknown Message")
            return inter, self._message_or_404(inter.original_message_id)
        return inter, self._message_or_404(int(message_id))

    async def _get_webhook_message(
        self, rec: RecordedRequest, application_id: str, token: str, message_id: str
    ) -> tuple[int, Any]:
        return 200, self._webhook_message(application_id, token, message_id)[1]

    async def _edit_webhook_message(
        self, rec: RecordedRequest, application_id: str, token: str, message_id: str
    ) -> tuple[int, Any]:
        _, message = self._webhook_message(application_id, token, message_id)
        edited = self._apply_edit(message, rec.json or {}, rec)
        await self._echo("MESSAGE_UPDATE", edited)
        return 200, edited

    async def _delete_webhook_message(
        self, rec: RecordedRequest, application_id: str, token: str, message_id: str
    ) -> tuple[int, Any]:
        _, message = self._webhook_message(application_id, token, message_id)
        self.messages.pop(int(message["id"]), None)
        await self._echo("MESSAGE_DELETE", message)
        return 204, None
