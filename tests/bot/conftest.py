"""The real bot against the fake Discord on 127.0.0.1 (package fakediscord), over the shipped knowledge base.

- One database is imported from `knowledge/` per session and copied for each test (an import and a
  matcher build take about a second; copying takes milliseconds). Matchers are memoised per entry set.
- The default guild of the fake (member, moderator, admin; #general, #faq, forum `help`, #mod-log) is
  built here so the bot's settings can name its ids: #faq is a help channel, `help` a forum channel,
  the Moderator role the moderator role; a second server ("Elsewhere") is not configured.
- Time is fixed (`clock`, 2026-12-04 12:00 UTC) and the cooldown clock is a counter tests move.
- The harness fails a test on any ERROR log from discord/connectsbot/bot/asyncio, an unknown route, a
  dead gateway task; every test also checks allowed_mentions on every message the bot wrote (forced in
  `start_fake_discord`, whichever way a test starts the fake).
"""

from __future__ import annotations

import atexit
import sys
import tempfile

# commands.Bot.close() unloads the extensions and every test's bot imports them again; with
# PYTHONDONTWRITEBYTECODE set (as here) that recompiles them each time (~8 s over the suite). Keep
# bytecode for this session in a temporary folder (never next to the sources).
if sys.dont_write_bytecode and sys.pycache_prefix is None:
    sys.pycache_prefix = tempfile.mkdtemp(prefix="connectsbot-pycache-")
    sys.dont_write_bytecode = False
    atexit.register(__import__("shutil").rmtree, sys.pycache_prefix, True)

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.client import ConnectsBot
from connectsbot.answers import AnswerService, TrainingData
from connectsbot.curation import Curator
from connectsbot.kbfiles import load_policy, load_sources
from connectsbot.knowledge import Entry
from connectsbot.matching import Matcher, MatcherConfig
from connectsbot.semantic import load_encoder
from connectsbot.store import ImportFailed, ImportReport, KnowledgeStore
from fakediscord import payloads
from fakediscord.harness import FakeDiscord
from tests.bot.helpers import START, TOKEN, BotMaker, Clock, Launcher, Ticks, World, make_settings
from tests.helpers import SHIPPED_KNOWLEDGE, StartFakeDiscord

# Speed: one import per session, memoised matchers (the answer service's matcher factory).

_MATCHERS: dict[tuple[tuple[str, ...], MatcherConfig | None], Matcher] = {}


def cached_matcher(entries: list[Entry], config: MatcherConfig | None = None) -> Matcher:
    key = (tuple(entry.model_dump_json() for entry in entries), config)
    if key not in _MATCHERS:
        _MATCHERS[key] = Matcher(entries, config)
    return _MATCHERS[key]


async def _import(path: Path) -> None:
    async with await KnowledgeStore.open(path, clock=lambda: START) as store:
        await AnswerService.start(store, SHIPPED_KNOWLEDGE, matcher_factory=cached_matcher)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "kb.sqlite3"
    asyncio.run(_import(path))
    return path


# Time


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


# The world: users, guilds, channels


@pytest.fixture
def world() -> World:
    bot_user = payloads.user("ConnectsBot", bot=True)
    guild = payloads.default_guild(bot_user)
    # A helper bot that talks in the help channel (the bot must never answer it).
    helper_bot = payloads.user("helperbot", bot=True)
    guild["members"].append(payloads.member(helper_bot))
    other = payloads.default_guild(bot_user)
    other["name"] = "Elsewhere"
    for member in other["members"]:
        if member["user"]["username"] != bot_user["username"]:
            member["user"] = {**member["user"], "username": f"{member['user']['username']}-elsewhere"}
    return World(bot_user=bot_user, guild=guild, other=other)


@pytest.fixture
async def make_bot(
    tmp_path: Path, template_db: Path, world: World, clock: Clock, ticks: Ticks
) -> AsyncIterator[BotMaker]:
    """`await make_bot(channels={...}, ...)` -> a ConnectsBot over a fresh copy of the knowledge base
    (or over the database file `db=`, e.g. another bot's: two processes' stores on one file). Its store
    is closed at teardown, after the bot (this fixture is set up before the harness)."""
    stores: list[KnowledgeStore] = []

    async def make(
        startup_import: ImportReport | ImportFailed | None = None,
        *,
        db: Path | None = None,
        **changes: dict[str, Any],
    ) -> ConnectsBot:
        if db is None:
            db = tmp_path / f"bot{len(stores)}.sqlite3"
            shutil.copy(template_db, db)
        settings = make_settings(world, db, **changes)
        store = await KnowledgeStore.open(db, clock=clock)
        stores.append(store)
        # A loaded CI machine can take over the production 1 s to commit a question; tests of that
        # wait set it themselves.
        # The product's engine: semantic signal on, the model trained on the shipped labelled questions
        # (once per test process: the model is remembered by what it was trained on).
        answers = AnswerService(
            store,
            settings.answers.matcher_config(),
            record_wait=30,
            encoder=load_encoder(),
            training=TrainingData.load(SHIPPED_KNOWLEDGE),
            sources=load_sources(SHIPPED_KNOWLEDGE),
            matcher_factory=cached_matcher,
        )
        await answers.refresh()
        policy = load_policy(SHIPPED_KNOWLEDGE)
        curator = Curator(store, settings.store.knowledge, policy, followers=[answers.follow])
        return ConnectsBot(settings, store, answers, curator, startup_import, clock=clock, monotonic=ticks)

    yield make
    for store in stores:
        await store.close()


@pytest.fixture
async def start_fake_discord() -> AsyncIterator[StartFakeDiscord]:
    """`await start_fake_discord(bot, **options)` -> a started fake, stopped and checked at teardown.

    Replaces the fixture of tests/conftest.py for every test here: each fake checks at exit
    that no message the bot wrote could ping (`check_mentions`), and no test can turn that off."""
    async with AsyncExitStack() as stack:

        async def start(bot: discord.Client, **options: Any) -> FakeDiscord:
            checked = {**options, "check_mentions": True}
            return await stack.enter_async_context(FakeDiscord.start(bot, **checked))

        yield start


@pytest.fixture
async def launch(make_bot: BotMaker, start_fake_discord: StartFakeDiscord, world: World) -> Launcher:
    """`await launch(**settings_changes)` -> the bot connected to a fresh fake Discord."""

    async def go(**changes: Any) -> FakeDiscord:
        bot = await make_bot(**changes)
        return await start_fake_discord(bot, guilds=world.guilds, bot_user=world.bot_user, token=TOKEN)

    return go


@pytest.fixture
async def fake(launch: Launcher) -> FakeDiscord:
    """The bot with the default settings, connected."""
    return await launch()
