"""Run the bot (`connectsbot run` with DISCORD_TOKEN set, or `python -m bot.launcher`).

Opens the store, brings it up to date with the knowledge files, starts the client and serves until
SIGINT or SIGTERM; then closes the Discord connection and the database cleanly (the WAL is
checkpointed when the last connection closes). Logs go to stderr at INFO: ids, decisions and counts,
never message contents; the token is masked should any library ever print it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import aiohttp
import discord
from pydantic import BaseModel, ConfigDict, Field

from bot import logging_setup
from bot.client import ConnectsBot
from bot.discord_internals import discord_version_problem
from bot.settings import DEFAULT_ENV_FILE, BotSettings, SettingsError, load_settings
from connectsbot.answers import BOT_ENCODE_WAIT_SECONDS, AnswerService
from connectsbot.coordination import ChangeFeed, SingleRunJobs, clean_up_jobs
from connectsbot.curation import Curator
from connectsbot.kbfiles import EntryFileError, load_policy
from connectsbot.store import ImportFailed, ImportReport, KnowledgeStore, StoreError

log = logging.getLogger("bot.launcher")

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Runnable(Protocol):
    async def __aenter__(self) -> Any: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def start(self, token: str, *, reconnect: bool = True) -> None: ...
    async def close(self) -> None: ...


BotFactory = Callable[
    [BotSettings, KnowledgeStore, AnswerService, Curator, ImportReport | ImportFailed], _Runnable
]

# What a failed login raises when Discord cannot be reached (no network, DNS, a refused connection, a
# timeout, Discord's servers failing). Once connected, discord.py reconnects by itself.
UNREACHABLE = (OSError, aiohttp.ClientError, discord.GatewayNotFound, discord.DiscordServerError)

# Discord's close codes for shards it will not run, and what to change.
SHARD_REFUSALS = {
    4010: "Discord refused a shard (close code 4010, invalid shard): every process must use the same "
    "CONNECTSBOT_SHARD_COUNT and run different CONNECTSBOT_SHARD_IDS, each below the count",
    4011: "Discord requires more shards for this many servers (close code 4011): raise "
    "CONNECTSBOT_SHARD_COUNT, or unset it for the number Discord recommends",
}


class Reconnect(BaseModel):
    """How often to try reaching Discord at start, and how long to wait in between (doubling up to the
    longest pause). After the last attempt the launcher gives up: a service manager restarts it."""

    model_config = ConfigDict(frozen=True)

    attempts: int = Field(default=6, ge=1)
    first_pause_seconds: float = Field(default=5.0, ge=0)
    longest_pause_seconds: float = Field(default=60.0, ge=0)

    def pauses(self) -> Iterator[float]:
        """The pause before each attempt after the first."""
        pause = self.first_pause_seconds
        for _ in range(self.attempts - 1):
            yield min(pause, self.longest_pause_seconds)
            pause *= 2


RECONNECT = Reconnect()


async def run_bot(
    settings: BotSettings,
    *,
    make_bot: BotFactory = ConnectsBot,
    signals: Sequence[signal.Signals] = SHUTDOWN_SIGNALS,
    reconnect: Reconnect = RECONNECT,
) -> int:
    """Serve until a shutdown signal (or a fatal error); the database is closed in every case."""
    try:
        store = await KnowledgeStore.open(settings.store.location, salt=settings.store.asker_salt)
    except StoreError as error:
        log.error("cannot open the database: %s", error)
        return EXIT_FAILED
    jobs = SingleRunJobs(store)
    feed: ChangeFeed | None = None
    answers: AnswerService | None = None
    try:
        await jobs.start()
        # Read before building: a change another process commits meanwhile is followed after.
        built_from = await store.knowledge_version()
        answers, outcome = await AnswerService.start(
            store,
            settings.store.knowledge,
            settings.answers.matcher_config(),
            encode_wait=BOT_ENCODE_WAIT_SECONDS,
            trains_here=jobs.holding.is_set,
        )
        if isinstance(outcome, ImportFailed):
            log.warning(
                "knowledge files not imported (%d problems); serving the last good import",
                len(outcome.problems),
            )
        else:
            log.info("%s", outcome.summary().replace("\n", "; "))
        if not (await answers.snapshot()).entries:
            log.error("the knowledge base is empty: run `connectsbot kb validate` and fix the files")
            return EXIT_FAILED
        try:
            policy = load_policy(settings.store.knowledge)
        except EntryFileError as error:
            log.error("the interview-Connects policy cannot be read: %s", error)
            return EXIT_FAILED
        curator = Curator(store, settings.store.knowledge, policy, followers=[answers.follow])
        jobs.add(*clean_up_jobs(store, answers.encoder))
        # Changes other processes sharing the database make reach this one's answers and policy.
        feed = ChangeFeed(store, curator.changed_elsewhere, settings.store.change_check_seconds)
        await feed.start(seen=built_from)
        started = answers
        return await serve(
            lambda: make_bot(settings, store, started, curator, outcome),
            settings.discord.token.get_secret_value(),
            signals,
            reconnect,
        )
    finally:
        # What uses the store stops first: nothing may be rebuilding from it when it closes.
        if feed is not None:
            await feed.close()
        await jobs.close()
        if answers is not None:
            await answers.close()
        await store.close()
        log.info("database closed")


class _Unreachable(Exception):
    """Discord could not be reached to log in."""


async def serve(
    make_bot: Callable[[], _Runnable],
    token: str,
    signals: Sequence[signal.Signals] = SHUTDOWN_SIGNALS,
    reconnect: Reconnect = RECONNECT,
) -> int:
    """Run a bot from `make_bot` until it stops or one of `signals` arrives, then close it. While Discord
    cannot be reached, try again as `reconnect` says, each time with a new bot (a closed discord.py
    client cannot start again)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    installed = []
    for sig in signals:
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            pass
    try:
        pauses = reconnect.pauses()
        attempt = 1
        while True:
            try:
                return await _serve_once(make_bot(), token, stop)
            except _Unreachable as unreachable:
                pause = next(pauses, None)
                if pause is None:
                    log.error("cannot reach Discord (%s); gave up after %d attempts", unreachable, attempt)
                    return EXIT_FAILED
                attempt += 1
                log.warning(
                    "cannot reach Discord (%s); trying again in %g s (attempt %d of %d)",
                    unreachable,
                    pause,
                    attempt,
                    reconnect.attempts,
                )
            try:
                await asyncio.wait_for(stop.wait(), pause)
            except TimeoutError:
                continue
            log.info("shutdown signal received while waiting to reach Discord")
            return EXIT_OK
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def _serve_once(bot: _Runnable, token: str, stop: asyncio.Event) -> int:
    async with bot:
        runner = asyncio.create_task(bot.start(token), name="connectsbot: bot.start()")
        stopper = asyncio.create_task(stop.wait(), name="connectsbot: shutdown signal")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("shutdown signal received: closing the Discord connection")
            await bot.close()
        else:
            stopper.cancel()
        try:
            await runner
        except discord.LoginFailure:
            log.error("Discord refused the token: check DISCORD_TOKEN")
            return EXIT_FAILED
        except discord.PrivilegedIntentsRequired:
            log.error("enable the Message Content intent for the bot in the Discord developer portal")
            return EXIT_FAILED
        except discord.ConnectionClosed as closed:
            if closed.code not in SHARD_REFUSALS:
                raise
            log.error("%s", SHARD_REFUSALS[closed.code])
            return EXIT_FAILED
        except UNREACHABLE as error:
            raise _Unreachable(str(error) or type(error).__name__) from error
    return EXIT_OK


async def run_from_cli(
    db: Path | None = None, knowledge: Path | None = None, env_file: Path | None = DEFAULT_ENV_FILE
) -> int:
    """What `connectsbot run` calls when DISCORD_TOKEN is set (`--db` / `--knowledge` win over the env).
    Refuses to start on a discord.py other than the one the bot is written for."""
    problem = discord_version_problem()
    if problem is not None:
        print(f"connectsbot: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    store = {name: value for name, value in (("db", db), ("knowledge", knowledge)) if value is not None}
    try:
        settings = load_settings(env_file, store=store)
    except SettingsError as error:
        print(f"connectsbot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    logging_setup.configure_logging(settings.discord.token.get_secret_value(), settings.logs)
    return await run_bot(settings, reconnect=RECONNECT)


def main() -> int:
    return asyncio.run(run_from_cli())


if __name__ == "__main__":
    sys.exit(main())
