"""A real bot process against a fake Discord on 127.0.0.1: ``python -m fakediscord.bot_process CONFIG.json``.

Started by fakediscord.processes (the multi-process tests) and bench/bench_load.py. The process runs
the production launcher (``bot.launcher.run_bot``: opens the store, imports the knowledge files,
connects, serves until SIGTERM) with its settings read from the environment as in production, the
variables of ``BotProcessConfig.environment`` set first (over what it inherited). Only what the fake
needs differs: discord.py's REST base and gateway point at ``127.0.0.1:port``, only ``localhost``
resolves, every connection leaves from ``source_address`` (a loopback address of its own, so the
fake can tell which process sent what), no 5-second wait before IDENTIFY and a short wait for the
servers at connect. Each time the bot is ready (``on_ready``) it prints ``READY_LINE`` on stdout.

The database is ``CONNECTSBOT_DATABASE_URL`` in that environment: a PostgreSQL address is passed on as
it is; the path of a SQLite file is given to the store as ``CONNECTSBOT_DB`` instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord.ext import commands
from pydantic import BaseModel, ConfigDict, Field

from bot import launcher, logging_setup
from bot.client import ConnectsBot
from bot.settings import BotSettings, SettingsError, ShardSettings, load_settings
from connectsbot.answers import AnswerService
from connectsbot.curation import Curator
from connectsbot.store import ImportFailed, ImportReport, KnowledgeStore
from connectsbot.store.postgresql import is_database_url
from fakediscord.server import API_PREFIX, LoopbackOnlyResolver

READY_LINE = "fakediscord: bot ready"
DATABASE_VARIABLE = "CONNECTSBOT_DATABASE_URL"
GUILD_READY_TIMEOUT = 0.05

B = TypeVar("B", bound=commands.AutoShardedBot)

log = logging.getLogger("fakediscord.bot_process")


class BotProcessConfig(BaseModel):
    """What a bot process needs (written as JSON for it): where the fake listens and the bot's settings."""

    model_config = ConfigDict(frozen=True)

    port: int = Field(description="the fake Discord's port on 127.0.0.1")
    environment: dict[str, str] = Field(
        description="the bot's settings as environment variables (DISCORD_TOKEN, CONNECTSBOT_DATABASE_URL, "
        "CONNECTSBOT_SHARD_COUNT, ...), set over the inherited environment"
    )
    source_address: str = Field(
        default="127.0.0.1", description="the loopback address the bot's connections leave from"
    )
    cpu: int | None = Field(default=None, description="pin the process to this CPU")
    trivial: bool = Field(
        default=False,
        description="a bot that answers /ask with a constant (no store, no extensions): the cost of the "
        "loopback path alone",
    )


def on_loopback(bot: B, source_address: str) -> B:
    """Prepare a client for the fake Discord before it logs in, and announce each on_ready on stdout."""
    bot.http.connector = aiohttp.TCPConnector(
        limit=0,
        local_addr=(source_address, 0),
        resolver=LoopbackOnlyResolver(lambda host: log.error("refused a connection to %s", host)),
    )
    bot._connection.guild_ready_timeout = GUILD_READY_TIMEOUT

    async def no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
        return None  # discord.py's default waits 5 s before every IDENTIFY but the first

    async def announce_ready() -> None:
        print(READY_LINE, flush=True)

    bot.before_identify_hook = no_identify_delay  # type: ignore[method-assign]
    bot.add_listener(announce_ready, "on_ready")
    return bot


def trivial_bot(shards: ShardSettings) -> commands.AutoShardedBot:
    """Answers /ask with "ok", on the configured shards."""
    bot = commands.AutoShardedBot(
        command_prefix=commands.when_mentioned,
        intents=discord.Intents(guilds=True),
        shard_count=shards.count,
        shard_ids=shards.ids,  # type: ignore[arg-type]  # None: every shard (discord.py's default)
    )

    @bot.tree.command(name="ask", description="Answers with a constant")
    async def ask(interaction: discord.Interaction, question: str) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    return bot


def point_discord_at(port: int) -> None:
    """discord.py's REST base and default gateway, for every client of this process."""
    discord.http.Route.BASE = f"http://127.0.0.1:{port}{API_PREFIX}"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gateway")


async def serve(config: BotProcessConfig) -> int:
    point_discord_at(config.port)
    database = os.environ.get(DATABASE_VARIABLE)
    store: dict[str, object] = {}
    if database and not is_database_url(database):
        del os.environ[DATABASE_VARIABLE]  # a SQLite file, not an address the store's settings accept
        store["db"] = Path(database)
    try:
        settings = load_settings(env_file=None, store=store)
    except SettingsError as error:
        print(f"fakediscord.bot_process: {error}", file=sys.stderr)
        return launcher.EXIT_CONFIG
    token = settings.discord.token.get_secret_value()
    logging_setup.configure_logging(token, settings.logs)
    if config.trivial:
        return await launcher.serve(
            lambda: on_loopback(trivial_bot(settings.shards), config.source_address), token
        )

    def make_bot(
        settings: BotSettings,
        store: KnowledgeStore,
        answers: AnswerService,
        curator: Curator,
        startup: ImportReport | ImportFailed,
    ) -> ConnectsBot:
        return on_loopback(ConnectsBot(settings, store, answers, curator, startup), config.source_address)

    return await launcher.run_bot(settings, make_bot=make_bot)


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print("usage: python -m fakediscord.bot_process CONFIG.json", file=sys.stderr)
        return launcher.EXIT_CONFIG
    config = BotProcessConfig.model_validate_json(Path(args[0]).read_text(encoding="utf-8"))
    if config.cpu is not None:
        os.sched_setaffinity(0, {config.cpu})  # before the store's thread starts: it inherits this
    os.environ.update(config.environment)
    return asyncio.run(serve(config))


if __name__ == "__main__":
    sys.exit(main())
