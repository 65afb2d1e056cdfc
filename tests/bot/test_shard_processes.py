"""Shards across processes: two real bot processes (shards 0 and 1 of 2, the production launcher) on one
database (a SQLite file, and PostgreSQL), against the fake Discord running here (fakediscord.processes).
Each answers its own servers and only those; a direct message goes to shard 0's; a third one for a
shard already running is refused; one killed with SIGKILL leaves the other answering and loses no
acknowledged change, and once restarted it takes its shard back. On PostgreSQL, a moderator's edit
through one process is answered by the other (LISTEN/NOTIFY), and two moderators editing one entry
through the two processes at once: exactly one is saved.

Each process's connections leave from its own loopback address, so the fake tells them apart. Marked
`processes` (`pytest -m processes` runs only these; about 25 s: each process loads the answer model).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectsbot.store.transfer import copy_to_postgresql
from fakediscord import payloads
from fakediscord.harness import Reply
from fakediscord.payloads import JSON
from fakediscord.processes import BotProcess, ProcessHarness
from fakediscord.server import InteractionRecord
from tests.helpers import SHIPPED_KNOWLEDGE, OpenStore

pytestmark = pytest.mark.processes

ANSWERED = "do unused connects roll over?"
FIRST, SECOND, THIRD = "127.0.0.2", "127.0.0.3", "127.0.0.4"  # where each process connects from
ASKERS = 40  # members per server, each asking once
# SQLite has no notifications: the processes check the knowledge version this often (30 s by default).
SQLITE_CHECK_SECONDS = 0.5
# How long the edit may take to reach the other process before the test fails (it takes milliseconds
# to a second; a loaded CI machine gets room).
PROPAGATION_WAIT_SECONDS = 30.0


def general(guild: JSON) -> JSON:
    return next(c for c in guild["channels"] if c["name"] == "general")


def member_named(guild: JSON, name: str) -> JSON:
    user: JSON = next(m["user"] for m in guild["members"] if m["user"]["username"] == name)
    return user


def moderator_role(guild: JSON) -> int:
    return int(next(r["id"] for r in guild["roles"] if r["name"] == "Moderator"))


class Servers:
    """Two home servers, one on each shard of 2; the mod-log is in the first. Each has members who ask
    one question each (under the per-member question limit)."""

    def __init__(self) -> None:
        self.bot_user = payloads.user("ConnectsBot", bot=True)
        self.first = payloads.default_guild(self.bot_user, id=payloads.guild_id_on_shard(0, 2))
        self.second = payloads.default_guild(self.bot_user, id=payloads.guild_id_on_shard(1, 2))
        self.second["name"] = "Second"
        self._askers: dict[int, list[JSON]] = {}
        for guild in (self.first, self.second):
            askers = [payloads.user(f"asker{n}") for n in range(ASKERS)]
            guild["members"] += [payloads.member(user) for user in askers]
            self._askers[int(guild["id"])] = askers

    def asker(self, guild: JSON) -> JSON:
        """A member of `guild` who has not asked yet."""
        return self._askers[int(guild["id"])].pop()

    def environment(self, database: Path | str, salt: Path) -> dict[str, str]:
        """The bots' settings, as the environment variables production reads."""
        first, second = int(self.first["id"]), int(self.second["id"])
        mod_log = next(c for c in self.first["channels"] if c["name"] == "mod-log")
        if isinstance(database, Path):
            where = {
                "CONNECTSBOT_DB": str(database),
                "CONNECTSBOT_CHANGE_CHECK_SECONDS": str(SQLITE_CHECK_SECONDS),
            }
        else:
            where = {"CONNECTSBOT_DATABASE_URL": database}
        return {
            **where,
            "CONNECTSBOT_SALT_FILE": str(salt),
            "CONNECTSBOT_KNOWLEDGE": str(SHIPPED_KNOWLEDGE),
            "CONNECTSBOT_GUILDS": f"{first},{second}",
            "CONNECTSBOT_MODERATOR_ROLES": (
                f"{first}:{moderator_role(self.first)};{second}:{moderator_role(self.second)}"
            ),
            "CONNECTSBOT_MODLOG_CHANNEL": str(mod_log["id"]),
        }


@pytest.fixture
def servers() -> Servers:
    return Servers()


@pytest.fixture
async def discord(tmp_path: Path, servers: Servers, database: Path | str) -> AsyncIterator[ProcessHarness]:
    """The fake Discord with two shards; at teardown every bot process is stopped (before their
    `database` goes) and none may have logged an error, nor the fake seen an unknown route."""
    async with ProcessHarness.start(
        tmp_path, guilds=[servers.first, servers.second], bot_user=servers.bot_user, shard_count=2
    ) as harness:
        yield harness
    assert harness.error_records() == {}, harness.describe()
    assert harness.problems == [], harness.describe()


@pytest.fixture
async def database(store_location: Path | str, template_db: Path) -> Path | str:
    """The processes' database, holding the imported knowledge base (and its cached vectors): a copy of
    the SQLite file, or the file moved into a new PostgreSQL schema as `db migrate-to` does."""
    if isinstance(store_location, Path):
        shutil.copy(template_db, store_location)
    else:
        await copy_to_postgresql(template_db, store_location)
    return store_location


@pytest.fixture
def environment(servers: Servers, database: Path | str, tmp_path: Path) -> dict[str, str]:
    return servers.environment(database, tmp_path / "asker.salt")


async def launch_both(discord: ProcessHarness, environment: dict[str, str]) -> tuple[BotProcess, BotProcess]:
    first = discord.bot_process("shard-0", environment=environment, shard_ids=[0], source_address=FIRST)
    second = discord.bot_process("shard-1", environment=environment, shard_ids=[1], source_address=SECOND)
    await discord.launch_all(first, second)
    return first, second


def answered(reply: Reply) -> bool:
    """An answer or a "Did you mean…" (the bot's reply also when a question could not be recorded in
    time, as when many come at once on a loaded machine; the routing is what these tests are about)."""
    return reply.type == 4 and bool(reply.embeds or "Did you mean" in (reply.content or ""))


def connected_from(discord: ProcessHarness) -> dict[int, str]:
    """Each shard's live gateway connection, by the address it comes from."""
    return {shard_id: conn.remote for shard_id, conn in discord.server.live_connections().items()}


async def ask(discord: ProcessHarness, servers: Servers, guild: JSON) -> InteractionRecord:
    return await discord.send_slash(
        "ask", channel=general(guild), user=servers.asker(guild), question=ANSWERED
    )


async def test_each_process_answers_its_own_servers_and_only_those_and_a_shard_runs_once(
    discord: ProcessHarness, servers: Servers, environment: dict[str, str]
) -> None:
    await launch_both(discord, environment)
    assert connected_from(discord) == {0: FIRST, 1: SECOND}
    assert sorted(s.shard for s in discord.server.all_sessions) == [[0, 2], [1, 2]]

    asked = {
        "first": await ask(discord, servers, servers.first),
        "second": await ask(discord, servers, servers.second),
        "dm": await discord.send_slash(
            "ask",
            channel=discord.server.dm_channel_for(member_named(servers.first, "member")),
            user=member_named(servers.first, "member"),
            question=ANSWERED,
        ),
    }
    origins = {}
    for place, interaction in asked.items():
        reply = await discord.response(interaction)
        assert answered(reply), f"/ask in {place}: {reply.data}"
        origins[place] = (
            discord.server.shards_that_got("INTERACTION_CREATE", interaction.id),
            reply.request.remote,
        )
    assert origins == {"first": ([0], FIRST), "second": ([1], SECOND), "dm": ([0], FIRST)}

    # A third process configured for shard 0 as well: Discord refuses its IDENTIFY (4010) and it stops
    # with an error saying what to change, instead of taking the first process's servers over.
    twin = discord.bot_process("twin", environment=environment, shard_ids=[0], source_address=THIRD)
    await twin.start()
    assert await twin.wait_exited(60) == 1
    assert "shard 0 is already connected" in discord.server.refused_identifies[-1]
    assert any("close code 4010" in line for line in twin.error_records()), twin.log_tail()
    discord.processes.remove(twin)  # its error log is what this test expects
    assert connected_from(discord) == {0: FIRST, 1: SECOND}
    reply = await discord.response(await ask(discord, servers, servers.first))
    assert answered(reply) and reply.request.remote == FIRST


async def test_a_killed_process_leaves_the_other_answering_loses_no_change_and_comes_back(
    discord: ProcessHarness, servers: Servers, environment: dict[str, str], open_store: OpenStore
) -> None:
    first, second = await launch_both(discord, environment)

    # A moderator change in the second server, acknowledged by the second process.
    reply = await discord.slash(
        "faq alias add",
        channel=general(servers.second),
        user=member_named(servers.second, "moderator"),
        entry="connects-rollover",
        alias="do my connects carry over",
        reason="members ask it this way",
    )
    assert "Added the alias" in (reply.content or "") and reply.request.remote == SECOND
    # Its mod-log post goes to the first server's channel, which only the first process sees.
    mod_log = next(c for c in servers.first["channels"] if c["name"] == "mod-log")
    post = await discord.wait_for_request("POST", f"/channels/{mod_log['id']}/messages")
    assert post.remote == SECOND and "connects-rollover" in str(post.json)

    # Questions flow to both servers; the second process is killed in the middle of them.
    before = [await ask(discord, servers, guild) for guild in (servers.first, servers.second) * 5]
    second.kill()
    after = [await ask(discord, servers, servers.first) for _ in range(5)]
    assert await second.wait_exited() == -9
    after += [await ask(discord, servers, servers.first) for _ in range(5)]
    for interaction in [*before[::2], *after]:  # every question in the first server
        reply = await discord.response(interaction)
        assert answered(reply) and reply.request.remote == FIRST, reply.data

    # What the second process acknowledged is in the database.
    async with await open_store() as store:
        assert "do my connects carry over" in (await store.get("connects-rollover")).entry.aliases

    # Restarted, it IDENTIFYs for its shard again and answers its server.
    identified = discord.server.identify_count
    await second.start()
    await second.wait_ready()
    assert discord.server.identify_count == identified + 1 and connected_from(discord) == {
        0: FIRST,
        1: SECOND,
    }
    reply = await discord.response(await ask(discord, servers, servers.second))
    assert answered(reply) and reply.request.remote == SECOND
    assert first.running and first.ready_count == 1


def with_marker(reply: Reply, marker: str) -> bool:
    return any(marker in str(embed.get("description", "")) for embed in reply.embeds)


async def open_edit_form(discord: ProcessHarness, servers: Servers, guild: JSON) -> Reply:
    form = await discord.slash(
        "faq edit", channel=general(guild), user=member_named(guild, "moderator"), entry="connects-rollover"
    )
    assert form.type == 9, form.data  # the edit form, filled in with the entry's current revision
    return form


async def submit_edit(
    discord: ProcessHarness, servers: Servers, guild: JSON, form: Reply, answer: str
) -> InteractionRecord:
    return await discord.send_modal_submit(
        form,
        {"answer": answer, "reason": "clearer"},
        channel=general(guild),
        user=member_named(guild, "moderator"),
    )


async def test_an_edit_through_one_process_is_answered_by_the_other(
    discord: ProcessHarness, servers: Servers, environment: dict[str, str]
) -> None:
    await launch_both(discord, environment)
    form = await open_edit_form(discord, servers, servers.first)
    marker = "Unused Connects roll over (edited through the first process)."
    saved = await discord.response(await submit_edit(discord, servers, servers.first, form, marker))
    assert "Saved `connects-rollover`" in (saved.content or "") and saved.request.remote == FIRST
    # The second process answers its server with the new text (a bounded wait; the bench measures it).
    deadline = asyncio.get_running_loop().time() + PROPAGATION_WAIT_SECONDS
    while True:
        reply = await discord.response(await ask(discord, servers, servers.second))
        assert reply.request.remote == SECOND
        if with_marker(reply, marker):
            break
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the second process never answered with the edit:\n{discord.describe()}")
        await asyncio.sleep(1.0)


async def test_two_moderators_in_two_processes_edit_one_entry_exactly_one_is_saved(
    discord: ProcessHarness, servers: Servers, environment: dict[str, str], open_store: OpenStore
) -> None:
    await launch_both(discord, environment)
    forms = [await open_edit_form(discord, servers, guild) for guild in (servers.first, servers.second)]
    submitted = await asyncio.gather(
        *(
            submit_edit(discord, servers, guild, form, f"Edited in the {name} server.")
            for guild, form, name in zip(
                (servers.first, servers.second), forms, ("first", "second"), strict=True
            )
        )
    )
    replies = [await discord.response(interaction) for interaction in submitted]
    outcomes = sorted(
        "saved" if "Saved `connects-rollover`" in (r.content or "") else (r.content or "") for r in replies
    )
    assert outcomes[1] == "saved" and outcomes[0].startswith("Not saved:"), outcomes
    assert [r.request.remote for r in replies] == [FIRST, SECOND]
    async with await open_store() as store:
        history = await store.history("connects-rollover")
    edits = [revision for revision in history if revision.action == "edit"]
    assert len(edits) == 1 and edits[0].entry.answer.startswith("Edited in the")
