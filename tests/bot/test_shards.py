"""Shards in one test process: the fake Discord runs two shards; one bot runs both, or two bots (on one
database file) run one each. Each server's events reach only the shard that owns it, direct messages
shard 0; the multi-process set-up is in test_shard_processes.py."""

from __future__ import annotations

import logging

import discord
import pytest

from bot.client import ConnectsBot
from fakediscord import payloads
from fakediscord.harness import FakeDiscord
from tests.bot.helpers import TOKEN, BotMaker, World
from tests.helpers import StartFakeDiscord

ANSWERED = "do unused connects roll over?"


@pytest.fixture
def world() -> World:
    """The default world with its home server on shard 0 of 2 and the other server on shard 1."""
    bot_user = payloads.user("ConnectsBot", bot=True)
    guild = payloads.default_guild(bot_user, id=payloads.guild_id_on_shard(0, 2))
    other = payloads.default_guild(bot_user, id=payloads.guild_id_on_shard(1, 2))
    other["name"] = "Elsewhere"
    return World(bot_user=bot_user, guild=guild, other=other)


async def ask_everywhere(fake: FakeDiscord, world: World) -> dict[str, int]:
    """/ask in #general of both servers and in a direct message; each answered. Returns the
    interaction ids by place."""
    places = {
        "home": world.channel("general")["id"],
        "other": world.channel("general", world.other)["id"],
        "dm": fake.server.dm_channel_for(fake.member_user)["id"],
    }
    asked = {}
    for place, channel in places.items():
        pending = await fake.send_slash("ask", question=ANSWERED, channel=channel)
        reply = await pending.response()
        assert reply.embeds, f"/ask in {place}: {reply.data}"
        asked[place] = pending.id
    return asked


def test_guild_ids_for_tests_land_on_the_shard_asked_for() -> None:
    for count in (1, 2, 3, 12):
        for shard_id in range(count):
            assert payloads.shard_of(payloads.guild_id_on_shard(shard_id, count), count) == shard_id
    ids = [payloads.guild_id_on_shard(0, 2) for _ in range(3)]
    assert len(set(ids)) == 3 and ids == sorted(ids)


async def test_one_bot_runs_both_shards_and_answers_in_every_server_and_dms(
    make_bot: BotMaker, start_fake_discord: StartFakeDiscord, world: World
) -> None:
    bot = await make_bot(shards={"count": 2})
    fake = await start_fake_discord(
        bot, guilds=world.guilds, bot_user=world.bot_user, token=TOKEN, shard_count=2
    )

    assert sorted(session.shard for session in fake.server.all_sessions) == [[0, 2], [1, 2]]
    assert sorted(bot.shards) == [0, 1] and bot.shard_count == 2 and bot.runs_every_shard
    assert {guild.id: guild.shard_id for guild in bot.guilds} == {
        world.guild_id: 0,
        int(world.other["id"]): 1,
    }
    asked = await ask_everywhere(fake, world)
    routes = {
        place: fake.server.shards_that_got("INTERACTION_CREATE", interaction)
        for place, interaction in asked.items()
    }
    assert routes == {"home": [0], "other": [1], "dm": [0]}

    # Each shard resumes (or identifies again) on its own; the other shard's session is untouched.
    sessions = dict(fake.server.sessions)
    assert await fake.close_gateway(shard_id=1) == "RESUMED"
    await fake.invalidate_session(shard_id=1)
    assert fake.server.sessions[0] is sessions[0] and fake.server.sessions[1] is not sessions[1]
    assert [session.shard for session in fake.server.all_sessions[2:]] == [[1, 2]]
    asked = await ask_everywhere(fake, world)
    assert fake.server.shards_that_got("INTERACTION_CREATE", asked["other"]) == [1]


async def test_without_a_shard_count_the_bot_runs_as_many_as_discord_recommends(
    make_bot: BotMaker, start_fake_discord: StartFakeDiscord, world: World
) -> None:
    bot = await make_bot()
    fake = await start_fake_discord(
        bot, guilds=world.guilds, bot_user=world.bot_user, token=TOKEN, shard_count=2
    )
    assert any(request.path == "/gateway/bot" for request in fake.sent)
    assert sorted(bot.shards) == [0, 1] and bot.shard_count == 2
    assert len(bot.guilds) == 2


async def test_two_bots_on_one_database_each_get_only_their_shards_events(
    make_bot: BotMaker, start_fake_discord: StartFakeDiscord, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    first = await make_bot(shards={"count": 2, "ids": [0]})
    second = await make_bot(db=first.settings.store.db, shards={"count": 2, "ids": [1]})
    received: dict[ConnectsBot, list[int | None]] = {first: [], second: []}
    for bot in (first, second):

        async def note(interaction: discord.Interaction[ConnectsBot], bot: ConnectsBot = bot) -> None:
            received[bot].append(interaction.guild_id)

        bot.add_listener(note, "on_interaction")
    fake = await start_fake_discord(
        first, other_bots=[second], guilds=world.guilds, bot_user=world.bot_user, token=TOKEN, shard_count=2
    )

    assert [guild.id for guild in first.guilds] == [world.guild_id]
    assert [guild.id for guild in second.guilds] == [int(world.other["id"])]
    assert not first.runs_every_shard and not second.runs_every_shard
    # The configured channels are all in the first bot's server: the second only notes it cannot see
    # them (the first checks them), it does not warn.
    notes = [r for r in caplog.records if r.name == "bot.permissions"]
    assert notes and all(
        r.levelno == logging.INFO and "another process checks it" in r.message for r in notes
    )
    asked = await ask_everywhere(fake, world)
    await fake.settle()
    assert received == {first: [world.guild_id, None], second: [int(world.other["id"])]}
    routes = {
        place: fake.server.shards_that_got("INTERACTION_CREATE", interaction)
        for place, interaction in asked.items()
    }
    assert routes == {"home": [0], "other": [1], "dm": [0]}

    # A moderator change through the first bot is in the database the second one reads.
    reply = await fake.slash(
        "faq alias add",
        entry="connects-rollover",
        alias="do my connects carry over",
        reason="members ask it this way",
        user=fake.moderator_user,
        channel=world.channel("general")["id"],
    )
    assert "Added the alias" in (reply.content or "")
    live = await second.store.get("connects-rollover")
    assert "do my connects carry over" in live.entry.aliases


async def test_the_fake_refuses_a_shard_it_does_not_run_one_already_connected_or_no_shard(
    make_bot: BotMaker, start_fake_discord: StartFakeDiscord, world: World
) -> None:
    first = await make_bot(shards={"count": 2, "ids": [0]})
    fake = await start_fake_discord(
        first, guilds=world.guilds, bot_user=world.bot_user, token=TOKEN, shard_count=2
    )
    wrong_count = await make_bot(db=first.settings.store.db, shards={"count": 3, "ids": [1]})
    same_shard = await make_bot(db=first.settings.store.db, shards={"count": 2, "ids": [0]})
    unsharded = discord.Client(intents=discord.Intents.none())
    for intruder, code, expected in (
        (wrong_count, 4010, "shard count 3, but this fake runs 2"),
        (same_shard, 4010, "shard 0 is already connected"),
        (unsharded, 4011, "Sharding required"),
    ):
        fake._prepare_bot(intruder)
        await intruder.login(TOKEN)
        with pytest.raises(discord.ConnectionClosed) as closed:
            await intruder.connect(reconnect=True)
        await intruder.close()
        assert closed.value.code == code
        assert expected in fake.server.refused_identifies[-1]
    # The first bot is still connected and answering.
    reply = await fake.slash("ask", question=ANSWERED, channel=world.channel("general")["id"])
    assert reply.embeds
