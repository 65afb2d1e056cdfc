"""Run the real discord.py client against the fake Discord on 127.0.0.1, and drive it from a test.

Usage (the pytest fixtures ``fake_discord`` and ``start_fake_discord`` are in tests/conftest.py)::

    async with FakeDiscord.start(make_bot()) as discord:
        reply = await discord.slash("echo", text="hi", user=discord.member_user)
        assert reply.content == "hi" and reply.ephemeral
        msg = await discord.message(discord.general, "how do Connects work?")
        answer = await discord.wait_for_sent(discord.general)
        discord.assert_no_mass_mentions()

``start`` points discord.py at the fake (``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY``,
restored afterwards), logs the bot in, runs ``bot.connect()`` as a task and waits for ``on_ready``. On
exit it closes the bot, awaits the connect task and fails the test (``AssertionError``) if anything
went wrong meanwhile: an ERROR log record from ``discord.*``, ``connectsbot``, ``bot`` (discord.py
only *logs* exceptions raised in commands, views and listeners) or ``asyncio`` (a task's exception
never retrieved, an unclosed aiohttp session, an exception in a callback), a REST call to a route the
fake does not know, a connection to any host but 127.0.0.1, or the connect task ending. The same
problems also make every pending wait fail at once instead of timing out.

Shards: ``shard_count`` makes the fake run that many shards (see fakediscord.server); the bot (an
``AutoShardedClient``) connects one gateway session per shard it runs. ``other_bots`` connects more
clients to the same fake, e.g. two bots each running some of the shards: every event goes to the one
whose shard owns its server.

Every wait has a timeout (``timeout=``, default ``FakeDiscord.timeout``); on expiry it raises
``WaitTimeout`` listing what was recorded. Nothing here sleeps to synchronise: ``settle()`` is a
gateway round trip (the client answers a heartbeat request after processing everything before it)
followed by waiting for discord.py's handler tasks.
"""

# ruff: noqa: ASYNC109 - every wait takes ``timeout=``: it also races the failure signal and
# turns an expiry into a message listing what was recorded, which ``asyncio.timeout`` cannot do.

from __future__ import annotations

import asyncio
import copy
import fnmatch
import logging
import re
import threading
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import discord
import discord.gateway
import discord.http
import discord.webhook.async_
import yarl
from discord import app_commands

from bot.discord_internals import handler_tasks
from fakediscord import payloads
from fakediscord.payloads import JSON
from fakediscord.server import (
    FATAL_CLOSE_CODES,
    FakeDiscordServer,
    GatewaySession,
    InteractionRecord,
    LoopbackOnlyResolver,
    RecordedFile,
    RecordedRequest,
)

T = TypeVar("T")

# asyncio logs at ERROR what no one awaited: a task that died, a session left open, a failed callback.
DEFAULT_LOGGERS = ("discord", "connectsbot", "bot", "asyncio")
CALLBACK_ROUTE = "/interactions/{interaction_id}/{token}/callback"
FOLLOWUP_ROUTE = "/webhooks/{application_id}/{token}"
WEBHOOK_MESSAGE_ROUTE = "/webhooks/{application_id}/{token}/messages/{message_id}"
CHANNEL_MESSAGES_ROUTE = "/channels/{channel_id}/messages"
CHANNEL_MESSAGE_ROUTE = "/channels/{channel_id}/messages/{message_id}"
THREAD_ROUTES = ("/channels/{channel_id}/threads", "/channels/{channel_id}/messages/{message_id}/threads")
# (method, route) of every REST call that creates or edits a message.
MESSAGE_WRITES = {
    ("POST", CALLBACK_ROUTE),
    ("POST", FOLLOWUP_ROUTE),
    ("PATCH", WEBHOOK_MESSAGE_ROUTE),
    ("POST", CHANNEL_MESSAGES_ROUTE),
    ("PATCH", CHANNEL_MESSAGE_ROUTE),
    *(("POST", route) for route in THREAD_ROUTES),
}
MASS_MENTIONS = frozenset({"everyone", "roles", "users"})

ChannelRef = int | str | Mapping[str, Any]
UserRef = int | str | Mapping[str, Any]


class WaitTimeout(AssertionError):
    """A wait expired; the message lists what the fake recorded."""


class BotFailure(AssertionError):
    """The bot logged an error, hit an unknown route, or its connect task died."""


class CommandNotVisible(AssertionError):
    """Discord would not offer this command to this user (``default_permissions``)."""


def walk_components(components: Iterable[Mapping[str, Any]]) -> Iterator[JSON]:
    """Every component in a message or modal, rows, containers, sections and labels included."""
    for component in components:
        yield dict(component)
        yield from walk_components(component.get("components", []))
        for key in ("accessory", "component"):
            if isinstance(component.get(key), Mapping):
                yield from walk_components([component[key]])


@dataclass
class Reply:
    """What the bot sent in one REST call: an interaction callback, a followup, a channel message, an edit.

    ``data`` is the message part of the request body as sent (for a callback, its ``data``: message
    fields for types 4/7, the modal for 9, ``choices`` for 8); ``type`` is the callback type (None for
    other calls); ``message`` is a snapshot of the message object the fake stored, if any.
    """

    request: RecordedRequest
    data: JSON
    message: JSON | None = None
    type: int | None = None
    interaction: PendingInteraction | None = None

    @property
    def content(self) -> str | None:
        return self.data.get("content")

    @property
    def embeds(self) -> list[JSON]:
        return list(self.data.get("embeds") or [])

    @property
    def components(self) -> list[JSON]:
        return list(self.data.get("components") or [])

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & payloads.EPHEMERAL)

    @property
    def allowed_mentions(self) -> JSON | None:
        return self.data.get("allowed_mentions")

    @property
    def choices(self) -> list[JSON]:
        """Autocomplete choices (callback type 8)."""
        return list(self.data.get("choices") or [])

    @property
    def custom_id(self) -> str | None:
        """The modal's custom id (callback type 9)."""
        return self.data.get("custom_id")

    @property
    def files(self) -> list[RecordedFile]:
        """Files uploaded with it (multipart parts other than ``payload_json``)."""
        return list(self.request.files)

    @property
    def custom_ids(self) -> list[str]:
        """Custom ids of every component, in order."""
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def component(self, custom_id: str) -> JSON:
        """The component with this custom id (``KeyError`` listing the others if none)."""
        for c in walk_components(self.components):
            if c.get("custom_id") == custom_id:
                return c
        raise KeyError(f"no component {custom_id!r}; the reply has {self.custom_ids}")

    @property
    def text(self) -> str:
        """Content plus embed titles, descriptions and field texts: handy for ``in`` checks."""
        parts = [self.content or ""]
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            for f in embed.get("fields") or []:
                parts += [f.get("name") or "", f.get("value") or ""]
            parts.append((embed.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)


class PendingInteraction:
    """An INTERACTION_CREATE the fake dispatched; await what the bot does with it."""

    def __init__(self, fake: FakeDiscord, record: InteractionRecord, label: str) -> None:
        self._fake = fake
        self.record = record
        self.label = label

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def token(self) -> str:
        return self.record.token

    @property
    def payload(self) -> JSON:
        return self.record.payload

    def __repr__(self) -> str:
        return f"<PendingInteraction {self.label} id={self.id}>"

    async def response(self, *, timeout: float | None = None) -> Reply:
        """The interaction callback (``POST /interactions/{id}/{token}/callback``)."""
        path = f"/interactions/{self.id}/{self.token}/callback"
        rec = await self._fake._wait_request(
            lambda r: r.method == "POST" and r.path == path, f"the bot's response to {self.label}", timeout
        )
        return self._fake._reply(rec, self)

    async def followup(self, *, timeout: float | None = None) -> Reply:
        """The next followup message (``POST /webhooks/{app}/{token}``)."""
        path = f"/webhooks/{self._fake.application_id}/{self.token}"
        rec = await self._fake._wait_request(
            lambda r: r.method == "POST" and r.path == path, f"a followup to {self.label}", timeout
        )
        return self._fake._reply(rec, self)

    async def original_edit(self, *, timeout: float | None = None) -> Reply:
        """The next edit of the original response (``PATCH .../messages/@original``)."""
        path = f"/webhooks/{self._fake.application_id}/{self.token}/messages/@original"
        rec = await self._fake._wait_request(
            lambda r: r.method == "PATCH" and r.path == path,
            f"an edit of the response to {self.label}",
            timeout,
        )
        return self._fake._reply(rec, self)


@dataclass
class ForumPost:
    """A post a user made in a forum channel: the thread and its starter message (same id)."""

    thread: JSON
    message: JSON

    @property
    def id(self) -> int:
        return int(self.thread["id"])


class _ErrorLogCapture(logging.Handler):
    def __init__(self, fake: FakeDiscord) -> None:
        super().__init__(logging.ERROR)
        self._fake = fake
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self._fake._log_record(self.format(record))


class _ScaledSleeps:
    """Stands in for the ``asyncio`` module inside discord.py's HTTP client and webhook adapter: the
    same, but every ``sleep`` takes ``factor`` times as long (see ``FakeDiscord.speed_up_retries``)."""

    def __init__(self, factor: float) -> None:
        self._factor = factor

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, delay: float, result: Any = None) -> Any:
        return await asyncio.sleep(delay * self._factor, result)


# The modules whose waits speed_up_retries scales (each does `import asyncio`).
RETRYING_MODULES = (discord.http, discord.webhook.async_)


@dataclass
class _Saved:
    route_base: str
    default_gateway: yarl.URL
    adapter: Any
    adapter_patched: bool = False
    sleeps_scaled: bool = False
    handlers: list[tuple[logging.Logger, logging.Handler]] = field(default_factory=list)


class FakeDiscord:
    """The test's handle on the fake Discord and the running bot. Create it with ``FakeDiscord.start``.

    Act as users: ``slash``, ``send_slash``, ``autocomplete``, ``message_command``, ``user_command``,
    ``click``, ``select``, ``submit_modal``, ``message``, ``dm``, ``forum_post``, ``interact`` (raw).
    Wait for the bot: ``PendingInteraction.response/followup/original_edit``, ``wait_for_sent``,
    ``wait_for_request``, ``settle``. Inspect: ``sent`` (every REST call), ``sent_to``, ``messages``,
    ``commands``, ``server`` (gateway traffic, interactions), ``guild``/``user``/``channel``/``role``.
    Faults: ``fail_next``, ``speed_up_retries``, ``reconnect``, ``close_gateway``,
    ``close_gateway_fatally``, ``invalidate_session``, ``outage``, ``miss_heartbeat_acks``,
    ``redeliver_on_resume``. Checks: ``assert_no_mass_mentions``, ``allow_errors``, ``check`` (run at
    exit).
    """

    def __init__(
        self,
        bot: discord.Client,
        *,
        other_bots: Sequence[discord.Client] = (),
        shard_count: int = 1,
        guilds: Sequence[JSON] | None = None,
        bot_user: JSON | None = None,
        token: str = "fake-bot-token.for-tests.only",
        timeout: float = 5.0,
        interaction_timeout: float = 3.0,
        guild_ready_timeout: float = 0.05,
        loggers: Iterable[str] = DEFAULT_LOGGERS,
        echo_bot_messages: bool = True,
        check_mentions: bool = False,
    ) -> None:
        self.bot = bot
        self.bots = [bot, *other_bots]
        self.bot_user = bot_user or payloads.user("ConnectsBot", bot=True)
        self.application_id = int(self.bot_user["id"])
        self.token = token
        self.timeout = timeout
        self.guild_ready_timeout = guild_ready_timeout
        self.check_mentions = check_mentions
        self._loggers = tuple(loggers)
        guild_list = (
            [copy.deepcopy(g) for g in guilds]
            if guilds is not None
            else [payloads.default_guild(self.bot_user)]
        )
        for g in guild_list:
            g.setdefault("threads", [])
            if not any(str(m["user"]["id"]) == str(self.bot_user["id"]) for m in g["members"]):
                g["members"].append(payloads.member(self.bot_user))
        self.guilds = guild_list
        owner_id = int(guild_list[0]["owner_id"]) if guild_list else None
        owner = next(
            (m["user"] for g in guild_list for m in g["members"] if int(m["user"]["id"]) == owner_id), None
        )
        self.server = FakeDiscordServer(
            bot_user=self.bot_user,
            application_id=self.application_id,
            token=token,
            guilds=guild_list,
            owner=owner or payloads.user("owner"),
            interaction_timeout=interaction_timeout,
            echo_bot_messages=echo_bot_messages,
            shard_count=shard_count,
            on_problem=self._problem,
            on_request=self._on_request,
        )
        self.problems: list[str] = []
        self.allowed_errors: list[str] = []
        self._allowed_patterns: list[re.Pattern[str]] = []
        self._connect_tasks: dict[discord.Client, asyncio.Task[None]] = {}
        self._expect_connect_end = False
        self._closing = False
        self._command_ids: dict[tuple[str, int | None], int] = {}
        self._saved: _Saved | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread_id = threading.get_ident()
        self._failure: asyncio.Future[None] | None = None
        self._request_signal: asyncio.Future[None] | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def start(cls, bot: discord.Client, **options: Any) -> AsyncIterator[FakeDiscord]:
        """Start the fake, log ``bot`` in and connect it; on exit close it and check for problems.

        ``options``: ``other_bots`` (more clients to connect, e.g. other shards), ``shard_count`` (the
        fake's, default 1), ``guilds`` (GUILD_CREATE payloads; default ``payloads.default_guild``; the bot's
        member is added when missing), ``bot_user``, ``token``, ``timeout`` (default for every wait,
        5 s), ``interaction_timeout`` (Discord's 3 s to answer an interaction), ``guild_ready_timeout``,
        ``loggers`` whose ERROR records fail the test, ``echo_bot_messages`` (send the bot its own
        messages over the gateway, as Discord does), ``check_mentions`` (run
        ``assert_no_mass_mentions`` at exit).
        """
        fake = cls(bot, **options)
        await fake._start()
        try:
            yield fake
        except BaseException:
            await fake._stop()
            raise
        await fake._stop()
        if fake.check_mentions:
            fake.assert_no_mass_mentions()
        fake.check()

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._thread_id = threading.get_ident()
        self._failure = loop.create_future()
        self._request_signal = loop.create_future()
        adapter = discord.webhook.async_.async_context.get()
        self._saved = _Saved(
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, adapter
        )
        for name in self._loggers:
            handler = _ErrorLogCapture(self)
            logger = logging.getLogger(name)
            logger.addHandler(handler)
            self._saved.handlers.append((logger, handler))
        try:
            await self.server.start()
            discord.http.Route.BASE = self.server.rest_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.server.gateway_url)
            self._patch_webhook_adapter()
            for bot in self.bots:
                self._prepare_bot(bot)
                await self._wait(
                    bot.login(self.token), "login (GET /users/@me, GET /oauth2/applications/@me)"
                )
                task = asyncio.create_task(bot.connect(reconnect=True), name="fakediscord: bot.connect()")
                task.add_done_callback(self._on_connect_done)
                self._connect_tasks[bot] = task
            for bot in self.bots:
                await self._wait(
                    bot.wait_until_ready(), "the client to be ready (IDENTIFY, READY, GUILD_CREATE)"
                )
            await self.settle()
        except BaseException:
            await self._stop()
            raise

    def _prepare_bot(self, bot: discord.Client) -> None:
        bot._connection.guild_ready_timeout = self.guild_ready_timeout

        async def no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
            return None  # discord.py's default sleeps 5 s before every IDENTIFY but the first

        bot.before_identify_hook = no_identify_delay  # type: ignore[method-assign]
        if bot.http.connector is discord.utils.MISSING:
            resolver = LoopbackOnlyResolver(lambda host: self._problem(f"the bot tried to connect to {host}"))
            bot.http.connector = aiohttp.TCPConnector(limit=0, resolver=resolver)

        # Mark each recorded request "consumed" when the discord.py call that made it returns, so that
        # e.g. a click is dispatched only after the bot stored the view of the message it sent.
        original_request = bot.http.request

        async def request(route: discord.http.Route, **kwargs: Any) -> Any:
            try:
                return await original_request(route, **kwargs)
            finally:
                self.server.mark_consumed(route.method, self._api_path(route.url))

        bot.http.request = request  # type: ignore[method-assign]

    def _patch_webhook_adapter(self) -> None:
        """Interaction responses go through discord.py's webhook adapter (one per process), not
        ``bot.http``: mark those requests consumed too."""
        assert self._saved is not None
        adapter = self._saved.adapter
        original_adapter_request = adapter.request

        async def adapter_request(route: discord.http.Route, *args: Any, **kwargs: Any) -> Any:
            try:
                return await original_adapter_request(route, *args, **kwargs)
            finally:
                self.server.mark_consumed(route.method, self._api_path(route.url))

        adapter.request = adapter_request
        self._saved.adapter_patched = True

    def _api_path(self, url: str) -> str:
        path = yarl.URL(url).path
        prefix = yarl.URL(self.server.rest_base).path
        return path[len(prefix) :] if path.startswith(prefix) else path

    def _on_connect_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            if not self._closing:
                self._problem("the bot's connect() task was cancelled")
            return
        exc = task.exception()
        if self._expect_connect_end:
            return
        if exc is not None:
            text = "".join(traceback.format_exception(exc))
            self._problem(f"the bot's connect() task died: {exc!r}\n{text}")
        elif not self._closing:
            self._problem("the bot's connect() task returned while the test was running")

    async def _stop(self) -> None:
        """Close the bot, await its connect task, stop the server and undo every patch."""
        self._closing = True
        try:
            for bot in self.bots:
                await self._stop_bot(bot)
            await self.server.stop()
        finally:
            saved = self._saved
            if saved is not None:
                discord.http.Route.BASE = saved.route_base
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved.default_gateway
                if saved.adapter_patched:
                    del saved.adapter.request
                if saved.sleeps_scaled:
                    for module in RETRYING_MODULES:
                        module.asyncio = asyncio  # type: ignore[attr-defined]
                for logger, handler in saved.handlers:
                    logger.removeHandler(handler)
                self._saved = None

    async def _stop_bot(self, bot: discord.Client) -> None:
        if not bot.is_closed():
            try:
                await asyncio.wait_for(bot.close(), self.timeout)
            except Exception as exc:
                self._problem(f"bot.close() failed: {exc!r}")
        # Stopped before it was ready (a failure while starting), the client still waits for more
        # GUILD_CREATEs; bot.close() leaves that task running, and it would then dispatch on_ready
        # to the closed client and die in a task nobody awaits (asyncio: "Task exception was never
        # retrieved", whenever it is collected).
        ready_tasks = self._ready_tasks(bot)
        if ready_tasks:
            for ready_task in ready_tasks:
                ready_task.cancel()
            await asyncio.wait(ready_tasks, timeout=self.timeout)
        task = self._connect_tasks.get(bot)
        if task is not None:
            done, _ = await asyncio.wait({task}, timeout=self.timeout)
            if not done:
                task.cancel()
                self._problem("the bot's connect() task did not end after bot.close()")

    @staticmethod
    def _ready_tasks(bot: discord.Client) -> list[asyncio.Task[None]]:
        """The client's pending on_ready task and, sharded, each shard's (``on_shard_ready``)."""
        state = bot._connection
        ready_task: asyncio.Task[None] | None = state._ready_task
        per_shard: dict[int, asyncio.Task[None]] = getattr(state, "_ready_tasks", {})
        tasks = [*([ready_task] if ready_task is not None else []), *per_shard.values()]
        return [task for task in tasks if not task.done()]

    def _bot_running(self, shard_id: int) -> discord.Client:
        """The client that runs ``shard_id`` (an unsharded client runs shard 0)."""
        for bot in self.bots:
            shards = bot.shards if isinstance(bot, discord.AutoShardedClient) else {0: None}
            if shard_id in shards:
                return bot
        raise LookupError(f"no client runs shard {shard_id}")

    # --- problems --------------------------------------------------------------------------------

    def _problem(self, text: str) -> None:
        loop = self._loop
        if loop is not None and threading.get_ident() != self._thread_id:
            loop.call_soon_threadsafe(self._problem, text)
            return
        self.problems.append(text)
        if self._failure is not None and not self._failure.done():
            self._failure.set_result(None)

    def _log_record(self, text: str) -> None:
        if any(p.search(text) for p in self._allowed_patterns):
            self.allowed_errors.append(text)
        else:
            self._problem(f"ERROR log record: {text}")

    def allow_errors(self, *patterns: str) -> None:
        """Let ERROR log records matching any regex through (they go to ``allowed_errors`` instead);
        for tests of error handling."""
        self._allowed_patterns += [re.compile(p, re.S) for p in patterns]

    def check(self) -> None:
        """Raise ``BotFailure`` if anything went wrong so far (run automatically at exit)."""
        if self.problems:
            raise BotFailure("the fake Discord saw problems:\n" + "\n".join(f"- {p}" for p in self.problems))

    def describe(self) -> str:
        """What the fake recorded: REST calls, gateway traffic, problems. Used in timeout messages."""
        lines = [f"REST calls ({len(self.server.requests)}):"]
        lines += [f"  {r.describe()}" for r in self.server.requests[-40:]]
        events = [f.get("t") or f"op {f.get('op')}" for f in self.server.gateway_sent[-15:]]
        counts = f"identified {self.server.identify_count}x, resumed {self.server.resume_count}x"
        lines.append(f"gateway: last sent {events}; {counts}")
        live = sorted(self.server.live_connections())
        lines.append(f"shards: {self.server.shard_count}, connected: {live}")
        if self.server.refused_identifies:
            lines.append(f"refused IDENTIFYs: {self.server.refused_identifies}")
        if self.server.dropped_events:
            lines.append(f"dropped by intents: {self.server.dropped_events}")
        if self.problems:
            lines += ["problems:", *(f"  {p}" for p in self.problems)]
        if self.allowed_errors:
            lines.append(f"allowed errors: {len(self.allowed_errors)}")
        return "\n".join(lines)

    # --- waiting ---------------------------------------------------------------------------------

    async def _wait(self, awaitable: Awaitable[T], what: str, timeout: float | None = None) -> T:
        """Await ``awaitable`` unless a problem occurs first or ``timeout`` expires."""
        assert self._failure is not None
        timeout = self.timeout if timeout is None else timeout
        future = asyncio.ensure_future(awaitable)
        racing: set[asyncio.Future[Any]] = {future, self._failure}
        done, _ = await asyncio.wait(racing, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if future in done:
            return future.result()
        future.cancel()
        if self._failure in done:
            raise BotFailure(f"while waiting for {what}:\n{self.describe()}")
        raise WaitTimeout(f"timed out after {timeout:g} s waiting for {what}\n{self.describe()}")

    def _on_request(self, rec: RecordedRequest) -> None:
        signal, self._request_signal = self._request_signal, asyncio.get_running_loop().create_future()
        if signal is not None and not signal.done():
            signal.set_result(None)

    async def _wait_request(
        self, match: Callable[[RecordedRequest], bool], what: str, timeout: float | None = None
    ) -> RecordedRequest:
        """The first unclaimed successful request that matches (waiting for it if needed), once the
        bot's call that made it has returned. Each request is returned by at most one wait."""

        async def find() -> RecordedRequest:
            while True:
                signal = self._request_signal
                assert signal is not None
                for rec in self.server.requests:
                    if rec.ok and not rec.claimed and match(rec):
                        rec.claimed = True
                        await rec.consumed.wait()
                        return rec
                await signal

        return await self._wait(find(), what, timeout)

    async def wait_for_request(
        self, method: str, path_glob: str, *, timeout: float | None = None
    ) -> RecordedRequest:
        """The next successful REST call matching ``method`` and an fnmatch glob on the path
        (relative to /api/v10), e.g. ``wait_for_request("PUT", "/applications/*/commands")``."""
        return await self._wait_request(
            lambda r: r.method == method and fnmatch.fnmatchcase(r.path, path_glob),
            f"{method} {path_glob}",
            timeout,
        )

    async def wait_for_sent(self, channel: ChannelRef, *, timeout: float | None = None) -> Reply:
        """The next message the bot posted with ``POST /channels/{id}/messages`` in ``channel``."""
        path = f"/channels/{self.channel_id(channel)}/messages"
        rec = await self._wait_request(
            lambda r: r.method == "POST" and r.path == path, f"a message in {path}", timeout
        )
        return self._reply(rec)

    def sent_to(self, channel: ChannelRef) -> list[Reply]:
        """Every message the bot posted in ``channel`` so far (claimed or not). Call ``settle()`` first."""
        path = f"/channels/{self.channel_id(channel)}/messages"
        return [
            self._reply(r) for r in self.server.requests if r.ok and r.method == "POST" and r.path == path
        ]

    def followups_to(self, interaction: PendingInteraction) -> list[Reply]:
        """Every followup message the bot sent for ``interaction`` so far. Call ``settle()`` first."""
        path = FOLLOWUP_ROUTE.format(application_id=self.application_id, token=interaction.token)
        return [
            self._reply(r, interaction)
            for r in self.server.requests
            if r.ok and r.method == "POST" and r.path == path
        ]

    async def _barrier(self, timeout: float | None = None) -> None:
        """Return once the clients have processed every gateway frame sent so far: a client answers
        a server-sent HEARTBEAT (op 1) only after the frames before it (one on every shard's
        connection)."""
        connections = self.server.live_connections()
        if not connections:
            raise RuntimeError("fakediscord: the gateway is not connected")
        for shard_id, conn in connections.items():
            answered = self.server.watch_received(lambda frame: frame.get("op") == 1, connection=conn)
            await self.server.send_op_on(conn, 1, None)
            await self._wait(answered, f"shard {shard_id} to answer a heartbeat request", timeout)

    async def settle(self, *, timeout: float | None = None) -> None:
        """Wait until the bot has processed every event sent so far and its listeners, app commands,
        view callbacks and modal callbacks have finished (tasks the bot creates itself are not
        tracked). Use it before asserting that the bot did *not* do something."""
        assert self._loop is not None
        deadline = self._loop.time() + (self.timeout if timeout is None else timeout)
        while True:
            await self._barrier(max(0.0, deadline - self._loop.time()))
            tasks = handler_tasks()
            if not tasks:
                return
            names = sorted({t.get_name() for t in tasks})
            await self._wait(
                asyncio.wait(tasks),
                f"the bot's handlers to finish: {names}",
                max(0.0, deadline - self._loop.time()),
            )

    # --- replies ---------------------------------------------------------------------------------

    def _reply(self, rec: RecordedRequest, interaction: PendingInteraction | None = None) -> Reply:
        body = rec.json if isinstance(rec.json, dict) else {}
        response = rec.response if isinstance(rec.response, dict) else {}
        if rec.route == CALLBACK_ROUTE:
            message = (response.get("resource") or {}).get("message")
            return Reply(
                rec,
                dict(body.get("data") or {}),
                copy.deepcopy(message),
                int(body.get("type", 0)),
                interaction,
            )
        if rec.route in THREAD_ROUTES:
            return Reply(
                rec, dict(body.get("message") or body), copy.deepcopy(response.get("message") or response)
            )
        return Reply(
            rec, dict(body), copy.deepcopy(response) if "id" in response else None, None, interaction
        )

    # --- world lookups ---------------------------------------------------------------------------

    @property
    def guild(self) -> JSON:
        """The first guild."""
        return self.guilds[0]

    @property
    def sent(self) -> list[RecordedRequest]:
        """Every REST call the bot made, in order (failed and injected-failure ones included)."""
        return self.server.requests

    @property
    def unknown_routes(self) -> list[RecordedRequest]:
        return self.server.unknown_routes

    @property
    def messages(self) -> dict[int, JSON]:
        """Every message the fake knows (users' and the bot's), by id, as currently stored."""
        return self.server.messages

    @property
    def commands(self) -> dict[int | None, list[JSON]]:
        """Application commands the bot registered, by guild id (None: global)."""
        return self.server.commands

    def user(self, name: str) -> JSON:
        """The user named ``name`` in any guild."""
        for g in self.guilds:
            members: list[JSON] = g["members"]
            for m in members:
                if m["user"]["username"] == name:
                    user: JSON = m["user"]
                    return user
        raise KeyError(f"no user named {name!r}")

    def channel(self, name: str, guild: Mapping[str, Any] | None = None) -> JSON:
        """The channel or thread named ``name`` (in ``guild`` or any guild)."""
        for g in [guild] if guild is not None else self.guilds:
            channels: list[JSON] = [*g["channels"], *g["threads"]]
            for ch in channels:
                if ch.get("name") == name:
                    return ch
        raise KeyError(f"no channel named {name!r}")

    def role(self, name: str, guild: Mapping[str, Any] | None = None) -> JSON:
        roles: list[JSON] = (guild or self.guild)["roles"]
        for r in roles:
            if r["name"] == name:
                return r
        raise KeyError(f"no role named {name!r}")

    # Users and channels of the default guild (``payloads.default_guild``).

    @property
    def member_user(self) -> JSON:
        """``member``: no role."""
        return self.user("member")

    @property
    def moderator_user(self) -> JSON:
        """``moderator``: the Moderator role (manage messages and threads)."""
        return self.user("moderator")

    @property
    def admin_user(self) -> JSON:
        """``admin``: the Admin role (administrator); also the guild and application owner."""
        return self.user("admin")

    @property
    def general(self) -> JSON:
        return self.channel("general")

    @property
    def faq(self) -> JSON:
        return self.channel("faq")

    @property
    def forum(self) -> JSON:
        """The forum channel ``help`` (tags ``connects``, ``account``, ``solved``)."""
        return self.channel("help")

    @property
    def mod_log(self) -> JSON:
        return self.channel("mod-log")

    def channel_id(self, channel: ChannelRef) -> int:
        if isinstance(channel, str) and not channel.isdigit():
            return int(self.channel(channel)["id"])
        return payloads.id_of(channel)

    def _channel(self, channel: ChannelRef | None) -> tuple[JSON, JSON | None]:
        if channel is None:
            text = [c for c in self.guild["channels"] if c["type"] == payloads.GUILD_TEXT]
            return (self.general if any(c["name"] == "general" for c in text) else text[0]), self.guild
        found = self.server.find_channel(self.channel_id(channel))
        if found is None:
            raise KeyError(f"unknown channel {channel!r}")
        return found

    def _user(self, user: UserRef | None, guild: JSON | None) -> JSON:
        if user is None:
            candidates: list[JSON] = [
                m["user"] for m in (guild or self.guild)["members"] if not m["user"].get("bot")
            ]
            named = [u for u in candidates if u["username"] == "member"]
            return (named or candidates)[0]
        if isinstance(user, Mapping):
            return dict(user.get("user", user))
        if isinstance(user, str) and not user.isdigit():
            return self.user(user)
        found = self.server.find_user(int(user))
        if found is None:
            raise KeyError(f"unknown user {user!r}")
        return found

    def _member(self, user: JSON, guild: JSON) -> JSON:
        found = self.server.find_member(guild, int(user["id"]))
        if found is None:
            raise KeyError(f"{user['username']} is not a member of {guild['name']}")
        return found

    # --- interactions ----------------------------------------------------------------------------

    async def interact(self, payload: JSON, *, label: str = "the interaction") -> PendingInteraction:
        """Dispatch a ready-made INTERACTION_CREATE payload (see ``payloads.interaction``)."""
        record = self.server.register_interaction(payload)
        await self.server.dispatch("INTERACTION_CREATE", payload)
        return PendingInteraction(self, record, label)

    def _interaction_payload(
        self,
        type: int,
        data: JSON | None,
        *,
        user: UserRef | None,
        channel: ChannelRef | None,
        message: JSON | None = None,
        locale: str = "en-US",
    ) -> JSON:
        ch, guild = self._channel(channel)
        who = self._user(user, guild)
        if guild is None:
            return payloads.interaction(
                type,
                application_id=self.application_id,
                data=data,
                channel=ch,
                user_payload=who,
                message_payload=message,
                locale=locale,
            )
        return payloads.interaction(
            type,
            application_id=self.application_id,
            data=data,
            channel=ch,
            guild_payload=guild,
            member_payload=self._member(who, guild),
            message_payload=message,
            app_permissions=self.server.bot_permissions(guild),
            locale=locale,
        )

    def _find_command(
        self, name: str, guild: JSON | None, kind: discord.AppCommandType = discord.AppCommandType.chat_input
    ) -> tuple[Any, int | None]:
        """The root command (or context menu) in ``bot.tree`` and the guild id it is registered for."""
        tree: app_commands.CommandTree[Any] | None = getattr(self.bot, "tree", None)
        if tree is None:
            raise TypeError("the bot has no app command tree (use discord.ext.commands.Bot or set bot.tree)")
        if guild is not None:
            found = tree.get_command(name, guild=discord.Object(int(guild["id"])), type=kind)
            if found is not None:
                return found, int(guild["id"])
        found = tree.get_command(name, type=kind)
        if found is None:
            raise LookupError(f"no {kind.name} command {name!r} in bot.tree (global or for this guild)")
        return found, None

    def _command_id(self, name: str, guild_id: int | None, kind: int = payloads.CHAT_INPUT) -> int:
        for c in self.server.commands.get(guild_id, []):
            if c["name"] == name and int(c.get("type", 1)) == kind:
                return int(c["id"])
        return self._command_ids.setdefault((name, guild_id), payloads.snowflake())

    def _check_visible(self, command: Any, label: str, user: JSON, guild: JSON | None) -> None:
        needed: discord.Permissions | None = getattr(command, "default_permissions", None)
        if needed is None or guild is None:
            return
        have = payloads.member_permissions(guild, self._member(user, guild))
        if have & needed.value != needed.value:
            raise CommandNotVisible(
                f"{label} needs {needed!r}; Discord does not offer it to {user['username']}"
            )

    def _command_payload(
        self,
        type: int,
        name: str,
        values: Mapping[str, Any],
        *,
        user: UserRef | None,
        channel: ChannelRef | None,
        focused: str | None = None,
        locale: str = "en-US",
    ) -> tuple[JSON, str]:
        ch, guild = self._channel(channel)
        who = self._user(user, guild)
        root_name, *path = name.split()
        root, guild_id = self._find_command(root_name, guild)
        label = f"/{name}"
        self._check_visible(root, label, who, guild)
        command = root
        for part in path:
            sub = command.get_command(part) if isinstance(command, app_commands.Group) else None
            if sub is None:
                raise LookupError(f"{label}: {command.qualified_name!r} has no subcommand {part!r}")
            command = sub
        if isinstance(command, app_commands.Group):
            raise LookupError(
                f"{label} is a group; name one of its subcommands: {[c.name for c in command.commands]}"
            )
        resolved: JSON = {}
        options = self._options(command, values, guild, who, resolved, focused=focused, label=label)
        data = payloads.command_data(
            root_name,
            command_id=self._command_id(root_name, guild_id),
            options=payloads.nest_options(path, options),
            guild_id=guild_id,
            resolved=resolved,
        )
        payload = self._interaction_payload(type, data, user=who, channel=ch, locale=locale)
        return payload, label

    def _options(
        self,
        command: app_commands.Command[Any, ..., Any],
        values: Mapping[str, Any],
        guild: JSON | None,
        who: JSON,
        resolved: JSON,
        *,
        focused: str | None,
        label: str,
    ) -> list[JSON]:
        params = {p.display_name: p for p in command.parameters}
        by_python_name = {p.name: p for p in command.parameters}
        options: list[JSON] = []
        given: set[str] = set()
        for key, value in values.items():
            param = params.get(key) or by_python_name.get(key)
            if param is None:
                raise TypeError(f"{label} has no option {key!r}; its options: {sorted(params)}")
            if value is None:
                continue
            name, kind = param.display_name, param.type.value
            given.add(name)
            if name == focused:
                options.append(payloads.option(name, kind, str(value), focused=True))
                continue
            options.append(
                payloads.option(name, kind, self._option_value(param, value, guild, who, resolved, label))
            )
        if focused is None:
            missing = [
                p.display_name for p in command.parameters if p.required and p.display_name not in given
            ]
            if missing:
                raise TypeError(f"{label} requires {missing}; Discord would not send it without them")
        return options

    def _option_value(
        self,
        param: app_commands.Parameter,
        value: Any,
        guild: JSON | None,
        who: JSON,
        resolved: JSON,
        label: str,
    ) -> Any:
        kind = param.type
        where = f"{label} option {param.display_name!r}"
        if param.choices and value not in [c.value for c in param.choices]:
            raise ValueError(f"{where} only accepts {[c.value for c in param.choices]}, not {value!r}")
        if kind in (
            discord.AppCommandOptionType.string,
            discord.AppCommandOptionType.integer,
            discord.AppCommandOptionType.number,
        ):
            converted = str(value) if kind is discord.AppCommandOptionType.string else value
            if kind is discord.AppCommandOptionType.integer:
                converted = int(value)
            elif kind is discord.AppCommandOptionType.number:
                converted = float(value)
            measure = len(converted) if isinstance(converted, str) else converted
            if param.min_value is not None and measure < param.min_value:
                raise ValueError(f"{where}: {value!r} is below the minimum {param.min_value}")
            if param.max_value is not None and measure > param.max_value:
                raise ValueError(f"{where}: {value!r} is above the maximum {param.max_value}")
            return converted
        if kind is discord.AppCommandOptionType.boolean:
            return bool(value)
        if kind is discord.AppCommandOptionType.attachment:
            resolved.setdefault("attachments", {})[str(value["id"])] = value
            return str(value["id"])
        if kind is discord.AppCommandOptionType.channel:
            ch, _ = self._channel(value)
            perms = payloads.member_permissions(guild, self._member(who, guild)) if guild else 0
            resolved.setdefault("channels", {})[str(ch["id"])] = {**ch, "permissions": str(perms)}
            return str(ch["id"])
        is_role = isinstance(value, Mapping) and "permissions" in value and "position" in value
        if kind is discord.AppCommandOptionType.role or (
            kind is discord.AppCommandOptionType.mentionable and is_role
        ):
            role = value if isinstance(value, Mapping) else self._role_by_id(int(value), guild)
            resolved.setdefault("roles", {})[str(role["id"])] = dict(role)
            return str(role["id"])
        # user, or a mentionable that is a user
        target = self._user(value, guild)
        resolved.setdefault("users", {})[str(target["id"])] = target
        if guild is not None and (m := self.server.find_member(guild, int(target["id"]))) is not None:
            perms = payloads.member_permissions(guild, m)
            member = {k: v for k, v in m.items() if k != "user"}
            resolved.setdefault("members", {})[str(target["id"])] = {**member, "permissions": str(perms)}
        return str(target["id"])

    def _role_by_id(self, role_id: int, guild: JSON | None) -> JSON:
        roles: list[JSON] = (guild or self.guild)["roles"]
        for r in roles:
            if int(r["id"]) == role_id:
                return r
        raise KeyError(f"unknown role {role_id}")

    async def send_slash(
        self,
        name: str,
        /,
        options: Mapping[str, Any] | None = None,
        *,
        user: UserRef | None = None,
        channel: ChannelRef | None = None,
        locale: str = "en-US",
        **values: Any,
    ) -> PendingInteraction:
        """Dispatch a slash command without waiting for the bot (see ``slash``)."""
        payload, label = self._command_payload(
            payloads.APPLICATION_COMMAND,
            name,
            {**(options or {}), **values},
            user=user,
            channel=channel,
            locale=locale,
        )
        return await self.interact(payload, label=label)

    async def slash(
        self,
        name: str,
        /,
        options: Mapping[str, Any] | None = None,
        *,
        user: UserRef | None = None,
        channel: ChannelRef | None = None,
        locale: str = "en-US",
        timeout: float | None = None,
        **values: Any,
    ) -> Reply:
        """Run ``/name`` (``"group sub"`` for subcommands) as ``user`` in ``channel`` and return the
        interaction callback.

        Option values come as keyword arguments (or in ``options`` for names such as ``user`` that
        clash with the parameters here); their types come from the command in ``bot.tree``: users,
        members, channels, roles as payload dicts or ids (with ``resolved`` data built), attachments as
        ``payloads.attachment`` dicts. Like the Discord client, it refuses unknown options, missing
        required ones, values outside ``choices`` or min/max, and commands whose
        ``default_permissions`` the user lacks (``CommandNotVisible``).
        """
        pending = await self.send_slash(name, options, user=user, channel=channel, locale=locale, **values)
        return await pending.response(timeout=timeout)

    async def autocomplete(
        self,
        name: str,
        focused: str,
        value: str,
        /,
        options: Mapping[str, Any] | None = None,
        *,
        user: UserRef | None = None,
        channel: ChannelRef | None = None,
        timeout: float | None = None,
        **values: Any,
    ) -> list[JSON]:
        """Type ``value`` into option ``focused`` of ``/name`` (other options as in ``slash``) and
        return the choices the bot offered (callback type 8)."""
        payload, label = self._command_payload(
            payloads.APPLICATION_COMMAND_AUTOCOMPLETE,
            name,
            {**(options or {}), **values, focused: value},
            user=user,
            channel=channel,
            focused=focused,
        )
        pending = await self.interact(payload, label=f"autocomplete of {label} {focused}={value!r}")
        reply = await pending.response(timeout=timeout)
        return reply.choices

    async def message_command(
        self,
        name: str,
        target: Reply | Mapping[str, Any],
        *,
        user: UserRef | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """Run the message context-menu command ``name`` on ``target`` (a message or a Reply)."""
        message = self._message(target)
        ch, guild = self._channel(int(message["channel_id"]))
        who = self._user(user, guild)
        command, guild_id = self._find_command(name, guild, discord.AppCommandType.message)
        label = f"message command {name!r}"
        self._check_visible(command, label, who, guild)
        data = payloads.message_command_data(
            name,
            message,
            command_id=self._command_id(name, guild_id, payloads.MESSAGE_COMMAND),
            guild_id=guild_id,
        )
        payload = self._interaction_payload(payloads.APPLICATION_COMMAND, data, user=who, channel=ch)
        pending = await self.interact(payload, label=label)
        return await pending.response(timeout=timeout)

    async def user_command(
        self,
        name: str,
        target: UserRef,
        *,
        user: UserRef | None = None,
        channel: ChannelRef | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """Run the user context-menu command ``name`` on ``target``."""
        ch, guild = self._channel(channel)
        who = self._user(user, guild)
        target_user = self._user(target, guild)
        command, guild_id = self._find_command(name, guild, discord.AppCommandType.user)
        label = f"user command {name!r}"
        self._check_visible(command, label, who, guild)
        member = self.server.find_member(guild, int(target_user["id"])) if guild else None
        data = payloads.user_command_data(
            name,
            target_user,
            command_id=self._command_id(name, guild_id, payloads.USER_COMMAND),
            member_payload=member,
            guild_id=guild_id,
        )
        pending = await self.interact(
            self._interaction_payload(payloads.APPLICATION_COMMAND, data, user=who, channel=ch), label=label
        )
        return await pending.response(timeout=timeout)

    def _message(self, message: Reply | Mapping[str, Any] | int) -> JSON:
        """The fake's current copy of a message given as a Reply, a message dict or an id."""
        if isinstance(message, Reply):
            if message.message is None:
                raise ValueError(f"this reply created no message (callback type {message.type})")
            message = message.message
        mid = payloads.id_of(message)
        if mid in self.server.messages:
            return self.server.messages[mid]
        if isinstance(message, Mapping):
            return dict(message)
        raise KeyError(f"unknown message {mid}")

    async def _written(self, message: JSON) -> None:
        """Wait until the bot's call that last wrote ``message`` has returned (its view is stored)."""
        source = self.server.message_sources.get(int(message["id"]))
        if source is not None:
            await self._wait(source.consumed.wait(), f"the bot to finish {source.method} {source.path}")

    def _component_on(self, message: JSON, custom_id: str) -> JSON:
        for c in walk_components(message.get("components", [])):
            if c.get("custom_id") == custom_id:
                if c.get("disabled"):
                    raise ValueError(f"component {custom_id!r} is disabled; Discord would not send the click")
                return c
        ids = [c["custom_id"] for c in walk_components(message.get("components", [])) if "custom_id" in c]
        raise KeyError(f"message {message['id']} has no component {custom_id!r}; it has {ids}")

    async def _component(
        self,
        message: Reply | Mapping[str, Any] | int,
        custom_id: str,
        values: Sequence[str] | None,
        user: UserRef | None,
        timeout: float | None,
    ) -> Reply:
        msg = self._message(message)
        component = self._component_on(msg, custom_id)
        kind = int(component["type"])
        resolved: JSON = {}
        if values is None:
            if kind != 2:
                raise TypeError(f"{custom_id!r} is a select (type {kind}): use select()")
            label = f"a click on {custom_id!r}"
        else:
            if kind not in (3, 5, 6, 7, 8):
                raise TypeError(f"{custom_id!r} is not a select (type {kind}): use click()")
            low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
            if not low <= len(values) <= high:
                raise ValueError(f"select {custom_id!r} takes {low}..{high} values, not {len(values)}")
            if kind == 3:
                offered = [o["value"] for o in component.get("options", [])]
                if not set(values) <= set(offered):
                    raise ValueError(f"select {custom_id!r} offers {offered}, not {list(values)}")
            label = f"a choice of {list(values)} in {custom_id!r}"
        await self._written(msg)
        ch, guild = self._channel(int(msg["channel_id"]))
        who = self._user(user, guild)
        if values is not None and kind in (5, 6, 7, 8):
            for v in values:
                if kind == 8:
                    c, _ = self._channel(int(v))
                    resolved.setdefault("channels", {})[str(v)] = {**c, "permissions": "0"}
                elif kind == 6 or (
                    kind == 7 and guild is not None and any(str(r["id"]) == str(v) for r in guild["roles"])
                ):
                    resolved.setdefault("roles", {})[str(v)] = self._role_by_id(int(v), guild)
                else:
                    u = self._user(int(v), guild)
                    resolved.setdefault("users", {})[str(v)] = u
        data = payloads.component_data(custom_id, kind, values, resolved)
        payload = self._interaction_payload(
            payloads.MESSAGE_COMPONENT, data, user=who, channel=ch, message=copy.deepcopy(msg)
        )
        pending = await self.interact(payload, label=label)
        return await pending.response(timeout=timeout)

    async def click(
        self,
        message: Reply | Mapping[str, Any] | int,
        custom_id: str,
        *,
        user: UserRef | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """Click the button ``custom_id`` on ``message`` (a Reply, a message dict or id) and return
        the bot's callback. The message's current components are used; disabled buttons refuse."""
        return await self._component(message, custom_id, None, user, timeout)

    async def select(
        self,
        message: Reply | Mapping[str, Any] | int,
        custom_id: str,
        values: Sequence[str],
        *,
        user: UserRef | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """Choose ``values`` in the select ``custom_id`` on ``message`` and return the bot's callback.
        For a string select the values must be among its options; counts obey min/max_values."""
        return await self._component(message, custom_id, list(values), user, timeout)

    async def submit_modal(
        self,
        modal: Reply | Mapping[str, Any] | str,
        values: Mapping[str, str | Sequence[str]],
        *,
        user: UserRef | None = None,
        channel: ChannelRef | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """Submit a modal with ``values`` by input custom id, and return the bot's callback.

        ``modal`` is best the Reply that opened it (callback type 9): the submission then follows the
        modal's layout (rows or labels), checks required inputs and lengths, and carries the message
        when the modal was opened from a component. A bare custom id sends text inputs in rows.
        """
        message = None
        if isinstance(modal, Reply):
            if modal.type != 9:
                raise ValueError(f"this reply is not a modal (callback type {modal.type})")
            if modal.interaction is not None:
                message = modal.interaction.payload.get("message")
                channel = channel if channel is not None else int(modal.interaction.payload["channel_id"])
                if user is None:
                    origin = modal.interaction.payload
                    user = (origin.get("member") or {}).get("user") or origin.get("user")
            definition: Mapping[str, Any] = modal.data
        elif isinstance(modal, Mapping):
            definition = modal
        else:
            definition = {
                "custom_id": modal,
                "components": [
                    {"type": 1, "components": [{"type": 4, "custom_id": k, "required": False}]}
                    for k in values
                ],
            }
        components = payloads.modal_components(definition, values)
        data = payloads.modal_submit_data(definition["custom_id"], components)
        payload = self._interaction_payload(
            payloads.MODAL_SUBMIT, data, user=user, channel=channel, message=message
        )
        pending = await self.interact(payload, label=f"the modal {definition['custom_id']!r}")
        return await pending.response(timeout=timeout)

    # --- messages from users ---------------------------------------------------------------------

    async def message(
        self,
        channel: ChannelRef,
        content: str = "",
        *,
        author: UserRef | None = None,
        reply_to: Reply | Mapping[str, Any] | int | None = None,
        embeds: Sequence[JSON] = (),
        attachments: Sequence[JSON] = (),
    ) -> JSON:
        """A user posts ``content`` in ``channel`` (MESSAGE_CREATE, with mentions parsed from the text
        as Discord does). Returns the message. The bot's answer: ``await wait_for_sent(channel)``."""
        ch, guild = self._channel(channel)
        who = self._user(author, guild)
        reference = referenced = None
        if reply_to is not None:
            referenced = self._message(reply_to)
            reference = {
                "type": 0,
                "message_id": str(referenced["id"]),
                "channel_id": str(referenced["channel_id"]),
            }
            if guild is not None:
                reference["guild_id"] = str(guild["id"])
        msg = payloads.message(
            int(ch["id"]),
            content,
            author=who,
            guild_id=int(guild["id"]) if guild else None,
            member_payload=self._member(who, guild) if guild else None,
            embeds=embeds,
            attachments=attachments,
            type=19 if reference else 0,
            message_reference=reference,
            referenced_message=copy.deepcopy(referenced),
            **payloads.mentions_in(content, guild),
        )
        self.server.store_message(msg)
        await self.server.dispatch("MESSAGE_CREATE", msg)
        return msg

    async def join_guild(self, guild: JSON) -> None:
        """Add the bot to ``guild`` (a ``payloads.default_guild``-like payload) and wait for the bot."""
        await self.server.join_guild(guild)
        await self.settle()

    async def dm(self, content: str, *, author: UserRef | None = None) -> JSON:
        """``author`` sends the bot a direct message."""
        who = self._user(author, None)
        return await self.message(self.server.dm_channel_for(who)["id"], content, author=who)

    async def forum_post(
        self,
        forum: ChannelRef,
        title: str,
        content: str,
        *,
        author: UserRef | None = None,
        tags: Iterable[str | Mapping[str, Any]] = (),
    ) -> ForumPost:
        """A user opens a post in a forum channel: THREAD_CREATE then the starter MESSAGE_CREATE."""
        ch, guild = self._channel(forum)
        if ch["type"] != payloads.GUILD_FORUM or guild is None:
            raise ValueError(f"{ch.get('name')!r} is not a forum channel")
        who = self._user(author, guild)
        by_name = {t["name"]: t for t in ch.get("available_tags", [])}
        tag_ids = [int(by_name[t]["id"]) if isinstance(t, str) else payloads.id_of(t) for t in tags]
        thread = payloads.thread_channel(
            title,
            guild_id=int(guild["id"]),
            parent_id=int(ch["id"]),
            owner_id=int(who["id"]),
            applied_tags=tag_ids,
        )
        self.server.add_thread(thread)
        await self.server.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        msg = await self.message(int(thread["id"]), content, author=who)
        return ForumPost(thread, msg)

    # --- faults ----------------------------------------------------------------------------------

    def fail_next(
        self,
        route_pattern: str,
        *,
        status: int | None = 429,
        retry_after: float = 0.05,
        global_: bool = False,
        delay: float = 0.0,
        times: int = 1,
        body: JSON | None = None,
    ) -> None:
        """Make the next ``times`` REST calls whose ``"METHOD /path"`` matches the fnmatch glob
        (e.g. ``"POST /channels/*/messages"``, ``"POST /interactions/*"``) fail.

        429 comes with ``Via`` and ``retry_after`` so discord.py retries after ``retry_after`` s
        (``global_`` for a global limit); 500/502/504 are retried by discord.py after 1 s, 3 s, ...;
        other statuses raise in the bot (``body`` sets the JSON, e.g. ``{"message": "Missing
        Permissions", "code": 50013}``). ``delay`` answers late; with ``status=None`` it only delays.
        """
        self.server.fail_next(
            route_pattern,
            status=status,
            retry_after=retry_after,
            global_=global_,
            delay=delay,
            times=times,
            body=body,
        )

    def speed_up_retries(self, factor: float = 0.01) -> None:
        """For the rest of the test, every wait of discord.py's HTTP client and webhook adapter takes
        ``factor`` times as long: the 1, 3, 5, 7, 9 s back-off between the five tries of a request
        answered 5xx (about 25 s before ``DiscordServerError``), and 429 ``retry_after`` waits alike
        (so leave it off in tests that time those)."""
        assert self._saved is not None
        scaled = _ScaledSleeps(factor)
        for module in RETRYING_MODULES:
            module.asyncio = scaled  # type: ignore[attr-defined]
        self._saved.sleeps_scaled = True

    async def _reconnected(self, watch: asyncio.Future[JSON], what: str, timeout: float | None) -> str:
        frame = await self._wait(watch, what, timeout)
        await self._barrier(timeout)
        # After a new READY discord.py dispatches on_ready (and, sharded, on_shard_ready) from a task
        # once the GUILD_CREATEs are through (guild_ready_timeout). Wait for it: left pending, it would
        # fire after bot.close() (discord.py does not cancel it) and fail there.
        for bot in self.bots:
            ready_tasks = self._ready_tasks(bot)
            if ready_tasks:
                await self._wait(asyncio.wait(ready_tasks), f"on_ready after {what}", timeout)
        return str(frame["t"])

    def _comeback(self, shard_id: int) -> asyncio.Future[JSON]:
        """The next RESUMED or READY in a session of ``shard_id``."""
        return self.server.watch_sent(lambda frame: frame.get("t") in ("RESUMED", "READY"), shard_id=shard_id)

    def _session(self, shard_id: int) -> GatewaySession:
        session = self.server.session_of(shard_id)
        if session is None:
            raise RuntimeError(f"fakediscord: no gateway session for shard {shard_id}")
        return session

    async def reconnect(self, *, shard_id: int = 0, timeout: float | None = None) -> None:
        """Send op 7 RECONNECT (on ``shard_id``'s connection); return once the client has RESUMEd on
        a new connection."""
        watch = self._comeback(shard_id)
        await self.server.send_op(7, None, shard_id=shard_id)
        event = await self._reconnected(watch, "the client to RESUME after op 7 RECONNECT", timeout)
        if event != "RESUMED":
            raise AssertionError(f"the client sent IDENTIFY instead of RESUME after op 7 ({event})")

    async def close_gateway(
        self, code: int = 4000, *, resumable: bool = True, shard_id: int = 0, timeout: float | None = None
    ) -> str:
        """Close the gateway socket (of ``shard_id``) with ``code`` (not a fatal one); return
        ``"RESUMED"`` or ``"READY"`` according to how the client came back. With ``resumable=False``
        the fake forgets the session first: the client's RESUME gets op 9 and it IDENTIFYs again."""
        if code in FATAL_CLOSE_CODES:
            raise ValueError(f"{code} is fatal for discord.py: use close_gateway_fatally")
        if not resumable:
            self._session(shard_id).resumable = False
        watch = self._comeback(shard_id)
        await self.server.close_connection(code, shard_id=shard_id)
        return await self._reconnected(watch, f"the client to come back after close code {code}", timeout)

    async def close_gateway_fatally(
        self, code: int = 4004, *, shard_id: int = 0, timeout: float | None = None
    ) -> BaseException | None:
        """Close (the socket of ``shard_id``) with a code discord.py does not recover from (4004,
        4010-4014); return what the client's ``connect()`` raised. The connect task ending is expected
        then and not reported."""
        self._expect_connect_end = True
        task = self._connect_tasks[self._bot_running(shard_id)]
        await self.server.close_connection(code, shard_id=shard_id)
        done, _ = await asyncio.wait({task}, timeout=self.timeout if timeout is None else timeout)
        if not done:
            raise WaitTimeout(f"connect() did not end after close code {code}\n{self.describe()}")
        return None if task.cancelled() else task.exception()

    async def invalidate_session(
        self, *, resumable: bool = False, shard_id: int = 0, timeout: float | None = None
    ) -> None:
        """Send op 9 INVALID SESSION (on ``shard_id``'s connection); the client RESUMEs
        (``resumable``) or IDENTIFYs again (new READY and GUILD_CREATEs, ``on_ready`` again)."""
        watch = self._comeback(shard_id)
        await self.server.send_op(9, resumable, shard_id=shard_id)
        event = await self._reconnected(watch, "the client to come back after op 9 INVALID SESSION", timeout)
        expected = "RESUMED" if resumable else "READY"
        if event != expected:
            raise AssertionError(f"expected {expected} after op 9 d={resumable}, got {event}")

    async def miss_heartbeat_acks(
        self, *, heartbeat_timeout: float = 0.2, shard_id: int = 0, timeout: float | None = None
    ) -> str:
        """A zombie connection (``shard_id``'s): the fake sends a HEARTBEAT request, then neither
        acknowledges the client's heartbeats (op 11) nor sends anything else on that connection; events
        dispatched meanwhile are buffered. Returns ``"RESUMED"`` or ``"READY"`` once the client came
        back.

        discord.py 2.x gives up on a connection that received nothing at all for its
        ``heartbeat_timeout`` (60 s unless the client sets it): its ``poll_event`` receive times out (or
        its KeepAliveHandler notices), it closes the socket with 4000 and RESUMEs. That timeout is cut
        to ``heartbeat_timeout`` for the current connection only; the next one gets the client's own.
        """
        # The client's websocket of that shard (an unsharded client has one, whatever the shard id).
        ws: discord.gateway.DiscordWebSocket | None = self._bot_running(shard_id)._connection._get_websocket(
            shard_id=shard_id
        )
        conn = self.server.live_connection(shard_id)
        if ws is None or conn is None:
            raise RuntimeError(f"shard {shard_id} is not connected")
        # Read by each poll_event; the pending receive (with the old timeout) ends with our op 1.
        ws._max_heartbeat_timeout = heartbeat_timeout
        watch = self._comeback(shard_id)
        heartbeat = self.server.watch_received(lambda frame: frame.get("op") == 1, connection=conn)
        await self.server.zombify(shard_id=shard_id)
        await self._wait(heartbeat, "the client to heartbeat on the zombie connection", timeout)
        return await self._reconnected(
            watch, "the client to give up the zombie connection and come back", timeout
        )

    def gateway_seq(self, shard_id: int = 0) -> int:
        """The sequence number of the last dispatch of a shard's current gateway session (a mark for
        ``redeliver_on_resume``)."""
        return self._session(shard_id).seq

    def redeliver_on_resume(self, after: int, *, shard_id: int = 0) -> None:
        """Make the next RESUME (of ``shard_id``) replay every dispatch after sequence number ``after``
        (a ``gateway_seq()`` taken earlier), those the client had already processed included: events
        delivered twice. READY and RESUMED are not sent again. Then cause the RESUME with
        ``reconnect``, ``close_gateway``, ``outage``, ``miss_heartbeat_acks``, ..."""
        self._session(shard_id).redeliver_after = after

    @asynccontextmanager
    async def outage(
        self, *, code: int = 4000, shard_id: int = 0, timeout: float | None = None
    ) -> AsyncIterator[None]:
        """Inside the block the gateway is down: the socket (of ``shard_id``) is closed with ``code``
        and the client's reconnection waits for its HELLO (every new connection does). Events
        dispatched meanwhile (``message``, ``send_slash``, ...) are buffered; on exit the client
        RESUMEs and they are replayed."""
        self.server.gateway_open.clear()
        watch = self._comeback(shard_id)
        try:
            await self.server.close_connection(code, shard_id=shard_id)
            yield
        finally:
            self.server.gateway_open.set()
        await self._reconnected(watch, "the client to RESUME after the outage", timeout)

    # --- checks ----------------------------------------------------------------------------------

    def mass_mention_violations(self) -> list[str]:
        """Message writes whose ``allowed_mentions`` is missing or parses everyone/roles/users."""
        bad = []
        for rec in self.server.requests:
            if (rec.method, rec.route) not in MESSAGE_WRITES or not isinstance(rec.json, dict):
                continue
            body: JSON = rec.json
            if rec.route == CALLBACK_ROUTE:
                if body.get("type") not in (4, 7):
                    continue
                body = body.get("data") or {}
            elif rec.route in THREAD_ROUTES:
                if "message" not in body:
                    continue
                body = body["message"]
            mentions = body.get("allowed_mentions")
            snippet = repr((body.get("content") or "")[:60])
            if mentions is None:
                bad.append(
                    f"{rec.method} {rec.path} {snippet}: no allowed_mentions (Discord then pings everything)"
                )
            elif MASS_MENTIONS & set(mentions.get("parse") or []):
                bad.append(f"{rec.method} {rec.path} {snippet}: allowed_mentions parses {mentions['parse']}")
        return bad

    def assert_no_mass_mentions(self) -> None:
        """Every message the bot created or edited (callback types 4/7, followups, channel
        messages, forum posts, edits) carried ``allowed_mentions`` parsing none of everyone, roles
        or users. Set ``allowed_mentions=discord.AllowedMentions.none()`` on the bot to get this."""
        bad = self.mass_mention_violations()
        if bad:
            raise AssertionError("messages that could ping people:\n" + "\n".join(f"- {b}" for b in bad))
