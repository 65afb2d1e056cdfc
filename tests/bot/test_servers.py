"""Safe in more than one server (issue 14), through the fake Discord with two servers and DMs.

- Only home servers (`CONNECTSBOT_GUILDS`) change the knowledge base; with none listed nobody can.
- Every question, vote and count belongs to its server: moderators read their own server's, and the
  bot's direct messages when theirs is a home server (marked as DMs); DM questions are kept only when
  a home server is configured, and the member is told once who reads them.
- A server the bot is not in (a user-installed command there) is answered as a DM is.
- Joining a server is logged; a home server without a moderator role is a WARNING.
"""

from __future__ import annotations

import logging

import pytest

from bot import checks
from bot.exts.ask._cog import DIRECT_MESSAGE_NOTICE
from bot.exts.faq._views import ALREADY_DONE
from connectsbot.store import ServerScope
from fakediscord import payloads
from fakediscord.harness import FakeDiscord, Reply
from fakediscord.payloads import JSON
from tests.bot.helpers import Launcher, World, bot_of

HOME_QUESTION = "how do I change my profile photo"
OTHER_QUESTION = "what's the weather in paris tomorrow"
DM_QUESTION = "can I bake bread with connects"


def _both_home(world: World) -> dict[str, object]:
    """Both servers curate the knowledge base, each with its own Moderator role."""
    return {
        "guild_ids": [world.guild_id, int(world.other["id"])],
        "moderator_roles": {
            world.guild_id: [int(world.role("Moderator")["id"])],
            int(world.other["id"]): [int(world.role("Moderator", world.other)["id"])],
        },
    }


def _elsewhere(fake: FakeDiscord, world: World) -> JSON:
    return fake.channel("general", world.other)


def _dm(fake: FakeDiscord) -> JSON:
    return fake.server.dm_channel_for(fake.member_user)


async def _ask_elsewhere(fake: FakeDiscord, world: World, question: str) -> Reply:
    return await fake.slash(
        "ask", question=question, user="member-elsewhere", channel=_elsewhere(fake, world)
    )


async def _unanswered(fake: FakeDiscord, user: str, channel: JSON) -> str:
    reply = await fake.slash("faq unanswered", user=user, channel=channel)
    assert reply.ephemeral
    return str(reply.embeds[0]["description"])


async def test_moderators_read_only_their_own_servers_questions(launch: Launcher, world: World) -> None:
    fake = await launch(moderation=_both_home(world))
    await fake.slash("ask", question=HOME_QUESTION)
    await _ask_elsewhere(fake, world, OTHER_QUESTION)
    await fake.slash("ask", question=DM_QUESTION, channel=_dm(fake))
    here = await _unanswered(fake, "moderator", fake.general)
    there = await _unanswered(fake, "moderator-elsewhere", _elsewhere(fake, world))
    assert "profile photo" in here and "weather" not in here
    assert "weather" in there and "profile photo" not in there
    # Direct messages belong to the community that curates the knowledge base: every home server.
    for description in (here, there):
        assert "(1 in DMs)" in description and "bake bread" in description


async def test_stats_count_only_the_moderators_server(launch: Launcher, world: World) -> None:
    fake = await launch(moderation=_both_home(world))
    await fake.slash("ask", question="do unused connects roll over")
    for _ in range(3):
        await _ask_elsewhere(fake, world, OTHER_QUESTION)
    here = await fake.slash("faq stats", user="moderator", channel=fake.general)
    there = await fake.slash("faq stats", user="moderator-elsewhere", channel=_elsewhere(fake, world))
    assert here.embeds[0]["description"].startswith("**1** questions")
    assert there.embeds[0]["description"].startswith("**3** questions")


async def test_votes_count_in_the_server_they_were_cast(launch: Launcher, world: World) -> None:
    fake = await launch(moderation=_both_home(world))
    answer = await fake.slash("ask", question="do unused connects roll over")
    await fake.click(answer, "cb:fb:connects-rollover:1")
    store = bot_of(fake).store
    assert (await store.feedback(scope=ServerScope(str(world.guild_id))))["connects-rollover"].helpful == 1
    assert await store.feedback(scope=ServerScope(str(world.other["id"]))) == {}


async def test_a_forged_unanswered_button_cannot_reach_another_servers_questions(
    launch: Launcher, world: World
) -> None:
    fake = await launch(moderation=_both_home(world))
    await _ask_elsewhere(fake, world, OTHER_QUESTION)
    (theirs,) = await bot_of(fake).store.open_questions()
    # A home moderator clicks "New entry" forged with the other server's question id, on a bot message.
    host = (await fake.slash("ask", question="do unused connects roll over")).message
    assert host is not None
    custom_id = f"cb:un:new:{theirs.id}"
    button = {"type": 2, "style": 1, "label": "Forged", "custom_id": custom_id}
    host = {**host, "components": [{"type": 1, "components": [button]}]}
    moderator = fake.server.find_member(world.guild, int(fake.moderator_user["id"]))
    payload = payloads.interaction(
        payloads.MESSAGE_COMPONENT,
        application_id=fake.application_id,
        data=payloads.component_data(custom_id, 2, None),
        channel=fake.general,
        guild_payload=world.guild,
        member_payload=moderator,
        message_payload=host,
        app_permissions=fake.server.bot_permissions(world.guild),
    )
    refused = await (await fake.interact(payload, label="a forged unanswered button")).response()
    assert (refused.type, refused.ephemeral, refused.content) == (4, True, ALREADY_DONE), "no form"


# Direct messages


async def test_dm_questions_are_not_kept_without_a_home_server(launch: Launcher) -> None:
    fake = await launch(moderation={"guild_ids": [], "moderator_roles": {}})
    pending = await fake.send_slash("ask", question=DM_QUESTION, channel=_dm(fake))
    await pending.response()
    await fake.settle()
    assert await bot_of(fake).store.unanswered() == []
    assert fake.followups_to(pending) == [], "nothing kept, so nothing to tell"


async def test_dm_members_are_told_once_that_moderators_read_their_questions(fake: FakeDiscord) -> None:
    told = []
    for question in (DM_QUESTION, "can I knit a scarf with connects"):
        pending = await fake.send_slash("ask", question=question, channel=_dm(fake))
        await pending.response()
        await fake.settle()
        told.append([reply.content for reply in fake.followups_to(pending)])
    assert told == [[DIRECT_MESSAGE_NOTICE], []]
    recorded = await bot_of(fake).store.unanswered()
    assert (DM_QUESTION, None) in {(question.question, question.guild_id) for question in recorded}


# A server the bot is not in (a user-installed command there)


def _stranger(world: World) -> JSON:
    stranger = payloads.default_guild(world.bot_user)
    stranger["name"] = "Stranger"
    return stranger


async def _from_stranger(fake: FakeDiscord, world: World, name: str, options: list[JSON]) -> Reply:
    stranger = _stranger(world)
    admin = next(member for member in stranger["members"] if member["user"]["username"] == "admin")
    root, *path = name.split()
    command_id = next(int(c["id"]) for c in fake.commands[None] if c["name"] == root)
    data = payloads.command_data(root, command_id=command_id, options=payloads.nest_options(path, options))
    payload = payloads.interaction(
        payloads.APPLICATION_COMMAND,
        application_id=fake.application_id,
        data=data,
        channel=next(c for c in stranger["channels"] if c["name"] == "general"),
        guild_payload=stranger,
        member_payload=admin,
    )
    return await (await fake.interact(payload, label=f"/{name} from a server the bot is not in")).response()


async def test_a_server_the_bot_is_not_in_is_answered_as_a_dm(fake: FakeDiscord, world: World) -> None:
    refused = await _from_stranger(fake, world, "faq unanswered", [])
    assert (refused.ephemeral, refused.content) == (True, checks.NOT_IN_DMS)
    await _from_stranger(fake, world, "ask", [payloads.option("question", 3, DM_QUESTION)])
    await fake.settle()
    (recorded,) = await bot_of(fake).store.unanswered()
    assert (recorded.question, recorded.guild_id) == (DM_QUESTION, None)


# Home servers


async def test_with_no_home_server_nobody_can_change_the_knowledge_base(
    launch: Launcher, caplog: pytest.LogCaptureFixture
) -> None:
    fake = await launch(moderation={"guild_ids": []})
    for user in ("admin", "moderator"):
        reply = await fake.slash("faq history", user=user, entry="connects-rollover")
        assert (reply.ephemeral, reply.content) == (True, checks.NO_HOME_SERVER)
    assert "CONNECTSBOT_GUILDS" in checks.NO_HOME_SERVER
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any("CONNECTSBOT_GUILDS is empty" in text for text in warnings)


def _client_log(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(record.levelno, record.getMessage()) for record in caplog.records if record.name == "bot.client"]


async def test_joining_a_home_server_without_a_moderator_role_is_warned_about(
    launch: Launcher, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    joined = _stranger(world)
    fake = await launch(moderation={"guild_ids": [world.guild_id, int(joined["id"])]})
    caplog.clear()
    caplog.set_level(logging.INFO, logger="bot.client")
    await fake.join_guild(joined)
    joining = f"joined the server Stranger ({joined['id']}): a home server (its moderators curate the "
    logged = _client_log(caplog)
    assert (logging.INFO, joining + "knowledge base)") in logged
    (warning,) = [text for level, text in logged if level == logging.WARNING]
    assert f"Stranger ({joined['id']}) has no moderator role" in warning


async def test_joining_another_server_is_logged_without_a_warning(
    fake: FakeDiscord, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    caplog.set_level(logging.INFO, logger="bot.client")
    joined = _stranger(world)
    await fake.join_guild(joined)
    assert _client_log(caplog) == [
        (logging.INFO, f"joined the server Stranger ({joined['id']}): answers only")
    ]
