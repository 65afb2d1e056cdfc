"""Bot processes against a fake Discord running in this process: the multi-process tests and the load
bench.

``BotProcess`` is one real bot process (``python -m fakediscord.bot_process``, see that module): start
it, wait until it is ready, stop it with SIGTERM as a service manager does, or kill it (SIGKILL), and
start it again. ``ProcessHarness`` runs the fake Discord (``FakeDiscordServer``, with shards) and acts
as users without any bot in this process: it builds slash commands from the ones the bots registered
(``PUT /applications/{id}/commands``), dispatches them to the shard that owns the server, and waits
for the callback. Each process's connections leave from its own loopback address
(``source_address``), so ``Reply.request.remote`` and a gateway connection's ``remote`` say which
process it was.

Usage::

    async with ProcessHarness.start(tmp_path, guilds=[home, other], bot_user=bot, shard_count=2) as discord:
        first, second = await discord.launch_all(
            discord.bot_process("shard-0", environment=settings, shard_ids=[0], source_address="127.0.0.2"),
            discord.bot_process("shard-1", environment=settings, shard_ids=[1], source_address="127.0.0.3"),
        )
        reply = await discord.slash("ask", channel=general, user=member, question="...")
        assert reply.request.remote == "127.0.0.2"
        first.kill(); await first.wait_exited()
"""

# ruff: noqa: ASYNC109 - every wait takes ``timeout=`` and turns an expiry into a message listing what
# was recorded, which ``asyncio.timeout`` cannot do.

from __future__ import annotations

import asyncio
import fnmatch
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from fakediscord import payloads
from fakediscord.bot_process import DATABASE_VARIABLE, READY_LINE, BotProcessConfig
from fakediscord.harness import CALLBACK_ROUTE, Reply, WaitTimeout
from fakediscord.payloads import JSON
from fakediscord.server import FakeDiscordServer, InteractionRecord, RecordedRequest

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TOKEN = "fake-bot-token.for-bot-processes.only"
# A record line of the launcher's log format (bot/logging_setup.py): time, level, message.
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (\w+)\s+(.*)$")


class BotProcessFailed(AssertionError):
    """A bot process did not get ready, or exited."""


class BotProcess:
    """One bot process; its config is written to ``work_dir/NAME.json`` and its log (stderr) appended
    to ``work_dir/NAME.log`` (a restart adds to it)."""

    def __init__(self, name: str, config: BotProcessConfig, work_dir: Path) -> None:
        self.name = name
        self.config = config
        self.config_path = work_dir / f"{name}.json"
        self.log_path = work_dir / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None
        self.ready_count = (
            0  # READY_LINEs printed by the current process (on_ready, again after a re-IDENTIFY)
        )
        self._ready = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        state = "not started" if self.process is None else f"pid {self.pid}, exit {self.returncode}"
        return f"<BotProcess {self.name} ({state})>"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.name} was not started")
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        """None while it runs (or before it started)."""
        return None if self.process is None else self.process.returncode

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        """Start it (again, after it exited); ``wait_ready`` for it to be connected."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        self.config_path.write_text(self.config.model_dump_json(indent=2), encoding="utf-8")
        # fakediscord is not installed with the project: the child imports it from this checkout.
        path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
        with self.log_path.open("ab") as log_file:  # the child keeps its own descriptor
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "fakediscord.bot_process",
                str(self.config_path),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=log_file,
                env={**os.environ, "PYTHONPATH": path},
            )
        self.ready_count = 0
        self._ready.clear()
        self._reader = asyncio.create_task(self._read_stdout(self.process), name=f"{self.name}: stdout")

    async def _read_stdout(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            if line.decode(errors="replace").strip() == READY_LINE:
                self.ready_count += 1
                self._ready.set()

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the bot is ready (all its shards connected and their servers received); raises
        ``BotProcessFailed`` with the end of its log if it exits or the timeout passes first."""
        process = self.process
        if process is None:
            raise RuntimeError(f"{self.name} was not started")
        ready = asyncio.ensure_future(self._ready.wait())
        exited = asyncio.ensure_future(process.wait())
        done, pending = await asyncio.wait(
            {ready, exited}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        for future in pending:
            future.cancel()
        if ready not in done:
            why = (
                f"exited with status {process.returncode}"
                if exited in done
                else f"not ready after {timeout:g} s"
            )
            raise BotProcessFailed(
                f"the bot process {self.name} {why}; the end of its log:\n{self.log_tail()}"
            )

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as when the machine or the OOM killer takes it."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def wait_exited(self, timeout: float = 15.0) -> int:
        process = self.process
        if process is None:
            raise RuntimeError(f"{self.name} was not started")
        try:
            async with asyncio.timeout(timeout):
                returncode = await process.wait()
        except TimeoutError:
            raise BotProcessFailed(f"{self.name} did not exit within {timeout:g} s") from None
        if self._reader is not None:
            await self._reader
        return returncode

    async def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (the launcher closes the client and the database), SIGKILL after ``timeout``.
        Returns the exit status (None if it was never started)."""
        process = self.process
        if process is None:
            return None
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(timeout):
                    await process.wait()
            except TimeoutError:
                process.kill()
        return await self.wait_exited(timeout)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def error_records(self) -> list[str]:
        """The ERROR and CRITICAL lines of its log (every run's)."""
        return [
            line
            for line in self.log_text().splitlines()
            if (matched := LOG_RECORD.match(line)) and matched.group(1) in ("ERROR", "CRITICAL")
        ]


class ProcessHarness:
    """The fake Discord for bot processes, and users acting in it. Create it with ``start``."""

    def __init__(
        self,
        work_dir: Path,
        *,
        guilds: Sequence[JSON],
        bot_user: JSON,
        token: str = DEFAULT_TOKEN,
        shard_count: int = 1,
        interaction_timeout: float = 3.0,
        timeout: float = 15.0,
    ) -> None:
        self.work_dir = work_dir
        self.token = token
        self.timeout = timeout
        self.bot_user = bot_user
        self.guilds = list(guilds)
        owner_id = int(self.guilds[0]["owner_id"]) if self.guilds else None
        owner = next(
            (m["user"] for g in self.guilds for m in g["members"] if int(m["user"]["id"]) == owner_id),
            payloads.user("owner"),
        )
        self.problems: list[str] = []
        self.server = FakeDiscordServer(
            bot_user=bot_user,
            application_id=int(bot_user["id"]),
            token=token,
            guilds=self.guilds,
            owner=owner,
            interaction_timeout=interaction_timeout,
            shard_count=shard_count,
            on_problem=self.problems.append,
            on_request=self._on_request,
        )
        self.processes: list[BotProcess] = []
        self._callbacks: dict[int, asyncio.Future[RecordedRequest]] = {}
        self._request_signal = asyncio.Event()

    @classmethod
    @asynccontextmanager
    async def start(cls, work_dir: Path, **options: Any) -> AsyncIterator[ProcessHarness]:
        """Start the fake on 127.0.0.1; on exit stop every bot process (SIGTERM) and the fake.
        ``options``: ``guilds``, ``bot_user``, ``token``, ``shard_count``, ``interaction_timeout``,
        ``timeout`` (default for every wait, 15 s)."""
        harness = cls(work_dir, **options)
        await harness.server.start()
        try:
            yield harness
        finally:
            await asyncio.gather(*(process.stop() for process in harness.processes))
            await harness.server.stop()

    # --- bot processes ---------------------------------------------------------------------------

    def bot_process(
        self,
        name: str,
        *,
        environment: Mapping[str, str],
        shard_ids: Iterable[int] | None = None,
        source_address: str = "127.0.0.1",
        cpu: int | None = None,
        trivial: bool = False,
    ) -> BotProcess:
        """A bot process (not started) for this fake: ``environment`` holds the bot's settings (with
        ``CONNECTSBOT_DATABASE_URL``, the database, as an opaque string); the token, the fake's shard
        count and ``shard_ids`` (None: every shard) are added."""
        if not trivial and DATABASE_VARIABLE not in environment:
            raise ValueError(f"the bot process {name} needs its database: {DATABASE_VARIABLE} in environment")
        shards = {"CONNECTSBOT_SHARD_COUNT": str(self.server.shard_count)}
        if shard_ids is not None:
            shards["CONNECTSBOT_SHARD_IDS"] = ",".join(str(shard_id) for shard_id in shard_ids)
        config = BotProcessConfig(
            port=self.server.port,
            environment={**environment, **shards, "DISCORD_TOKEN": self.token},
            source_address=source_address,
            cpu=cpu,
            trivial=trivial,
        )
        process = BotProcess(name, config, self.work_dir)
        self.processes.append(process)
        return process

    async def launch_all(self, *processes: BotProcess, timeout: float = 60.0) -> tuple[BotProcess, ...]:
        """Start them together and wait until each is ready."""
        for process in processes:
            await process.start()
        await asyncio.gather(*(process.wait_ready(timeout) for process in processes))
        return processes

    def error_records(self) -> dict[str, list[str]]:
        """Each bot process's ERROR log lines, for those that have any."""
        return {process.name: errors for process in self.processes if (errors := process.error_records())}

    # --- waiting ---------------------------------------------------------------------------------

    def describe(self) -> str:
        """What the fake and the processes did: for failure messages."""
        lines = [f"REST calls ({len(self.server.requests)}), the last ones:"]
        lines += [f"  {r.remote} {r.describe()}" for r in self.server.requests[-20:]]
        sessions = [
            f"shard {shard_id}: "
            + (f"connected from {s.connection.remote}" if s.connection else "not connected")
            for shard_id, s in sorted(self.server.sessions.items())
        ]
        lines.append(f"gateway sessions: {sessions}; refused IDENTIFYs: {self.server.refused_identifies}")
        if self.problems:
            lines += ["problems:", *(f"  {p}" for p in self.problems)]
        for process in self.processes:
            lines.append(f"{process!r}, the end of its log:")
            lines += [f"  {line}" for line in process.log_tail(10).splitlines()]
        return "\n".join(lines)

    async def _wait(self, awaitable: Awaitable[T], what: str, timeout: float | None) -> T:
        timeout = self.timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(timeout):
                return await awaitable
        except TimeoutError:
            raise WaitTimeout(
                f"timed out after {timeout:g} s waiting for {what}\n{self.describe()}"
            ) from None

    def _on_request(self, rec: RecordedRequest) -> None:
        self._request_signal.set()
        if rec.route == CALLBACK_ROUTE and rec.method == "POST":
            future = self._callback(int(rec.params["interaction_id"]))
            if not future.done():
                future.set_result(rec)

    async def wait_for_request(
        self, method: str, path_glob: str, *, timeout: float | None = None
    ) -> RecordedRequest:
        """The first answered REST call (from any process) matching ``method`` and an fnmatch glob on
        the path (relative to /api/v10), waiting for it if needed."""

        async def find() -> RecordedRequest:
            while True:
                self._request_signal.clear()
                for rec in self.server.requests:
                    if rec.status and rec.method == method and fnmatch.fnmatchcase(rec.path, path_glob):
                        return rec
                await self._request_signal.wait()

        return await self._wait(find(), f"{method} {path_glob}", timeout)

    def _callback(self, interaction_id: int) -> asyncio.Future[RecordedRequest]:
        if interaction_id not in self._callbacks:
            self._callbacks[interaction_id] = asyncio.get_running_loop().create_future()
        return self._callbacks[interaction_id]

    # --- acting as users -------------------------------------------------------------------------

    def _command_data(self, name: str, values: Mapping[str, Any]) -> JSON:
        """``data`` of ``/name`` (``"group sub"`` for subcommands) built from the commands the bots
        registered globally: option types from there, unknown or missing options refused."""
        root_name, *path = name.split()
        registered = {c["name"]: c for c in self.server.commands.get(None, []) if c.get("type", 1) == 1}
        if root_name not in registered:
            raise LookupError(f"/{root_name} is not registered; the bots registered {sorted(registered)}")
        command = registered[root_name]
        for part in path:
            found = next(
                (
                    option
                    for option in command.get("options") or []
                    if option["name"] == part
                    and option["type"] in (payloads.SUB_COMMAND, payloads.SUB_COMMAND_GROUP)
                ),
                None,
            )
            if found is None:
                raise LookupError(f"/{name}: {command['name']!r} has no subcommand {part!r}")
            command = found
        declared = {option["name"]: option for option in command.get("options") or []}
        options = []
        for key, value in values.items():
            if key not in declared:
                raise TypeError(f"/{name} has no option {key!r}; its options: {sorted(declared)}")
            options.append(payloads.option(key, int(declared[key]["type"]), value))
        missing = [key for key, option in declared.items() if option.get("required") and key not in values]
        if missing:
            raise TypeError(f"/{name} requires {missing}; Discord would not send it without them")
        return payloads.command_data(
            root_name,
            command_id=int(registered[root_name]["id"]),
            options=payloads.nest_options(path, options),
        )

    async def send_slash(
        self, name: str, /, *, channel: JSON, user: JSON, **values: Any
    ) -> InteractionRecord:
        """``user`` runs ``/name`` in ``channel`` (a server channel, or a DM channel from
        ``server.dm_channel_for``); dispatched to the shard that owns the server (DMs: shard 0)."""
        found = self.server.find_channel(int(channel["id"]))
        if found is None:
            raise KeyError(f"unknown channel {channel.get('name') or channel['id']}")
        ch, guild = found
        data = self._command_data(name, values)
        if guild is None:
            payload = payloads.interaction(
                payloads.APPLICATION_COMMAND,
                application_id=self.server.application_id,
                data=data,
                channel=ch,
                user_payload=user,
            )
        else:
            member = self.server.find_member(guild, int(user["id"]))
            if member is None:
                raise KeyError(f"{user['username']} is not a member of {guild['name']}")
            payload = payloads.interaction(
                payloads.APPLICATION_COMMAND,
                application_id=self.server.application_id,
                data=data,
                channel=ch,
                guild_payload=guild,
                member_payload=member,
                app_permissions=self.server.bot_permissions(guild),
            )
        record = self.server.register_interaction(payload)
        self._callback(record.id)
        await self.server.dispatch("INTERACTION_CREATE", payload)
        return record

    async def response(self, interaction: InteractionRecord, *, timeout: float | None = None) -> Reply:
        """The bot's callback to ``interaction``, once the fake has answered it."""
        rec = await self._wait(
            self._callback(interaction.id), f"the response to interaction {interaction.id}", timeout
        )
        body = rec.json if isinstance(rec.json, dict) else {}
        response = rec.response if isinstance(rec.response, dict) else {}
        message = (response.get("resource") or {}).get("message")
        return Reply(rec, dict(body.get("data") or {}), message, int(body.get("type", 0)))

    async def slash(
        self, name: str, /, *, channel: JSON, user: JSON, timeout: float | None = None, **values: Any
    ) -> Reply:
        """``send_slash`` and wait for the response."""
        return await self.response(
            await self.send_slash(name, channel=channel, user=user, **values), timeout=timeout
        )

    def answered(self, interaction: InteractionRecord) -> bool:
        """Whether the bot has answered it so far."""
        future = self._callbacks.get(interaction.id)
        return future is not None and future.done()
