"""Who may change the knowledge base, end to end, with payloads a modified client could send.

- Every moderator command (found in the bot's command tree) is refused for a member without the role, in
  a DM and from another server, even when Discord would not have shown the command to them.
- Every persistent control (`cb:` custom_ids) is refused when forged: ids that do not exist, malformed,
  overlong or unicode tails, values never offered, moderator controls clicked by a member or placed on a
  member's message. One row per form in FORGED; a new control without a row fails the suite.
- Moderator modals and the "Answer with FAQ" preview refuse the wrong person and stale submissions.

Every refusal is a polite ephemeral reply (the harness fails a test on an ERROR log) and changes
nothing: revisions, open questions, votes, the mod-log.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from discord import app_commands

from bot import checks
from bot.client import ConnectsBot
from bot.components import INVALID_CONTROL
from bot.exts.faq import _modals
from bot.exts.faq._views import ALREADY_DONE
from fakediscord import payloads
from fakediscord.harness import FakeDiscord, PendingInteraction, Reply
from fakediscord.payloads import JSON
from tests.bot.helpers import TOKEN, BotMaker, Launcher, World, bot_of
from tests.helpers import StartFakeDiscord

SEED = "upwork-connects-announcement"
UNSURE = "connects plan"  # recorded as an open question with a few suggestions
MENU = "Answer with FAQ"

# Every chat-input command either is for members (listed here) or carries the moderator check: a new
# command missing from both lists, or a moderator command that lost its check, fails the guard below.
MEMBER_COMMANDS = {"ask", "diagnose", "diagnose-help", "faq list", "faq show", "help"}
MODERATOR_COMMANDS = {
    "faq add",
    "faq alias add",
    "faq alias remove",
    "faq edit",
    "faq history",
    "faq import",
    "faq retire",
    "faq revert",
    "faq stats",
    "faq unanswered",
}
# Valid-looking values for required options, by parameter name; others get one by type (see _sample).
SAMPLE_VALUES: dict[str, Any] = {
    "entry_id": "purchased-connects-expiry",
    "entry": "connects-rollover",
    "category": "connects",
    "source": SEED,
    "alias": "do connects expire",
    "reason": "asked three times",
    "revision": 1,
}

Snapshot = tuple[object, ...]


# Helpers: state, interactions sent as raw payloads


async def _state(fake: FakeDiscord) -> Snapshot:
    """What a refused action must leave alone: entries, open questions, votes, mod-log posts."""
    await fake.settle()
    store = bot_of(fake).store
    entries = [(live.entry, live.revision, live.retired) for live in await store.all_entries()]
    questions = [(q.id, q.picked_entry_id) for q in await store.open_questions()]
    return entries, questions, await store.feedback(), len(fake.sent_to(fake.mod_log))


async def _send(
    fake: FakeDiscord, kind: int, data: JSON, user: JSON, channel: JSON, message: JSON | None = None
) -> PendingInteraction:
    """An INTERACTION_CREATE built here rather than by `fake.slash`/`click`: those refuse what the
    Discord client would not send (hidden commands, components not on the message, values not offered)."""
    found = fake.server.find_channel(int(channel["id"]))
    assert found is not None, channel
    where, guild = found
    common: dict[str, Any] = {
        "application_id": fake.application_id,
        "data": data,
        "channel": where,
        "message_payload": message,
    }
    if guild is None:
        payload = payloads.interaction(kind, user_payload=user, **common)
    else:
        member = fake.server.find_member(guild, int(user["id"]))
        assert member is not None, f"{user['username']} is not in {guild['name']}"
        payload = payloads.interaction(
            kind,
            guild_payload=guild,
            member_payload=member,
            app_permissions=fake.server.bot_permissions(guild),
            **common,
        )
    return await fake.interact(payload, label=f"a forged {data.get('name') or data.get('custom_id')!r}")


def _commands(bot: ConnectsBot) -> dict[str, app_commands.Command[Any, ..., Any]]:
    """Every global chat-input command and subcommand, by qualified name."""
    return {
        command.qualified_name: command
        for command in bot.tree.walk_commands()
        if isinstance(command, app_commands.Command)
    }


def _for_moderators(command: app_commands.Command[Any, ..., Any]) -> bool:
    root = command.root_parent or command
    return checks.moderator_check in command.checks or root.default_permissions is not None


def _sample(param: app_commands.Parameter, resolved: JSON) -> Any:
    if param.name in SAMPLE_VALUES:
        return SAMPLE_VALUES[param.name]
    kind = param.type
    if kind is discord.AppCommandOptionType.string:
        longest = int(param.max_value) if param.max_value is not None else None
        return "connects-rollover"[:longest]
    if kind in (discord.AppCommandOptionType.integer, discord.AppCommandOptionType.number):
        return param.min_value if param.min_value is not None else 1
    if kind is discord.AppCommandOptionType.boolean:
        return False
    if kind is discord.AppCommandOptionType.attachment:
        attachment = payloads.attachment("knowledge.zip", 2048)
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        return attachment["id"]
    raise TypeError(f"option {param.name!r} ({kind.name}): add a sample value to SAMPLE_VALUES")


async def _send_command(fake: FakeDiscord, name: str, user: JSON, channel: JSON) -> PendingInteraction:
    """/name with valid-looking values for its required options, whether or not Discord shows it."""
    command = _commands(bot_of(fake))[name]
    resolved: JSON = {}
    options = [
        payloads.option(p.display_name, p.type.value, _sample(p, resolved))
        for p in command.parameters
        if p.required
    ]
    root, *path = name.split()
    command_id = next(int(c["id"]) for c in fake.commands[None] if c["name"] == root)
    data = payloads.command_data(
        root, command_id=command_id, options=payloads.nest_options(path, options), resolved=resolved
    )
    return await _send(fake, payloads.APPLICATION_COMMAND, data, user, channel)


# Moderator commands


async def test_every_command_is_for_members_or_checks_the_moderator(fake: FakeDiscord) -> None:
    commands = _commands(bot_of(fake))
    checked = {name for name, command in commands.items() if _for_moderators(command)}
    assert checked >= MODERATOR_COMMANDS, "these moderator commands lost their check"
    assert set(commands) - checked <= MEMBER_COMMANDS, "new commands: add the moderator check or list them"
    assert set(commands) >= MEMBER_COMMANDS


def _elsewhere(fake: FakeDiscord, world: World) -> tuple[JSON, JSON]:
    """The owner of the other server (every permission there) in its #general."""
    return fake.user("admin-elsewhere"), fake.channel("general", world.other)


# (who, where) for each way of not being a moderator here, and the reason they are told.
WHERE: dict[str, tuple[Callable[[FakeDiscord, World], tuple[JSON, JSON]], str]] = {
    "member": (lambda fake, world: (fake.member_user, fake.general), checks.NOT_A_MODERATOR),
    "dm": (
        lambda fake, world: (fake.admin_user, fake.server.dm_channel_for(fake.admin_user)),
        checks.NOT_IN_DMS,
    ),
    "other-server": (_elsewhere, checks.OTHER_SERVER),
}


@pytest.mark.parametrize("where", list(WHERE))
async def test_every_moderator_command_is_refused(fake: FakeDiscord, world: World, where: str) -> None:
    bot = bot_of(fake)
    place, refusal = WHERE[where]
    user, channel = place(fake, world)
    before = await _state(fake)
    names = sorted(name for name, command in _commands(bot).items() if _for_moderators(command))
    replies = {}
    for name in names:
        reply = await (await _send_command(fake, name, user, channel)).response()
        replies[name] = (reply.type, reply.ephemeral, reply.content)
    assert replies == dict.fromkeys(names, (4, True, refusal))  # type 4: a message, not a modal
    assert await _state(fake) == before


async def test_the_manage_server_permission_alone_is_enough(fake: FakeDiscord) -> None:
    manage_server = discord.Permissions(manage_guild=True).value
    managers = payloads.role("Managers", guild_id=int(fake.guild["id"]), permissions=manage_server)
    fake.guild["roles"].append(managers)
    member = fake.server.find_member(fake.guild, int(fake.member_user["id"]))
    assert member is not None
    member["roles"] = [managers["id"]]
    # Built like the refused payloads above: what decides is who sends it.
    reply = await (await _send_command(fake, "faq history", fake.member_user, fake.general)).response()
    assert reply.embeds and reply.embeds[0]["title"] == "History of connects-rollover"


async def test_a_role_counts_only_in_the_server_it_is_configured_for(launch: Launcher, world: World) -> None:
    elsewhere = int(world.other["id"])
    fake = await launch(
        moderation={"moderator_roles": {elsewhere: [int(world.role("Moderator", world.other)["id"])]}}
    )
    refused = await fake.slash("faq unanswered", user=fake.moderator_user)
    assert (refused.ephemeral, refused.content) == (True, checks.NOT_A_MODERATOR)


# CONNECTSBOT_GUILDS empty: no home server, so nobody changes the knowledge base


def _home_server_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    return [text for text in warnings if "CONNECTSBOT_GUILDS" in text]


async def test_without_a_home_server_every_moderator_command_is_refused_with_how_to_configure(
    launch: Launcher, caplog: pytest.LogCaptureFixture
) -> None:
    fake = await launch(moderation={"guild_ids": []})
    (warning,) = _home_server_warnings(caplog)
    assert "nobody can change the knowledge base" in warning
    before = await _state(fake)
    names = sorted(name for name, command in _commands(bot_of(fake)).items() if _for_moderators(command))
    replies = {}
    for name in names:  # the server's owner: every permission there
        reply = await (await _send_command(fake, name, fake.admin_user, fake.general)).response()
        replies[name] = (reply.type, reply.ephemeral, reply.content)
    assert replies == dict.fromkeys(names, (4, True, checks.NO_HOME_SERVER))
    assert await _state(fake) == before


async def test_no_warning_when_home_servers_are_listed(
    make_bot: BotMaker, start_fake_discord: StartFakeDiscord, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot()
    await start_fake_discord(bot, guilds=world.guilds, bot_user=world.bot_user, token=TOKEN)
    assert len(bot.guilds) == 2
    assert _home_server_warnings(caplog) == []


# Persistent controls (`cb:` custom_ids)


@dataclass(frozen=True)
class Forged:
    """A control someone sends with a custom_id (and select values) of their making. `{question}` is an
    open question's id, `{suggested}` the first entry suggested for it (also what a forged select
    offers), `{unoffered}` a live entry not suggested for it."""

    custom_id: str
    values: tuple[str, ...] | None = None  # a select's values; None for a button
    user: str = "member"
    on: str = "bot"  # whose message the control sits on: the bot's answer, or a member's message
    refusal: str = INVALID_CONTROL


LONG = "9" * 120  # Discord caps custom_ids at 100 characters; a forged payload need not
FORGED = [
    # Helpful / Not helpful: anyone.
    pytest.param(Forged("cb:fb:no-such-entry:1"), id="fb-unknown-entry"),
    pytest.param(Forged("cb:fb:connects-rollover:7"), id="fb-bad-vote"),
    pytest.param(Forged("cb:fb:../../etc:1"), id="fb-malformed"),
    pytest.param(Forged(f"cb:fb:{'a' * 120}:1"), id="fb-overlong"),
    pytest.param(Forged("cb:fb:connects-rollöver:1"), id="fb-unicode"),
    pytest.param(Forged("cb:fb:connects-rollover\n:1"), id="fb-newline"),
    pytest.param(Forged("cb:fb:connects-rollover:1", on="member"), id="fb-on-members-message"),
    # "Did you mean…": anyone; the value must be one the question was offered.
    pytest.param(Forged("cb:pick:999999", ("connects-rollover",)), id="pick-unknown-question"),
    pytest.param(Forged("cb:pick:12x", ("connects-rollover",)), id="pick-malformed"),
    pytest.param(Forged(f"cb:pick:{LONG}", ("connects-rollover",)), id="pick-overlong"),
    pytest.param(Forged("cb:pick:²", ("connects-rollover",)), id="pick-unicode-digit"),
    pytest.param(Forged("cb:pick:{question}", ("{unoffered}",)), id="pick-value-not-offered"),
    pytest.param(Forged("cb:pick:{question}", ()), id="pick-no-value"),
    pytest.param(Forged("cb:pick:{question}", ("{suggested}",), on="member"), id="pick-on-members-message"),
    # /faq list pages: anyone.
    pytest.param(Forged("cb:page:connects"), id="page-malformed"),
    pytest.param(Forged("cb:page:no-such-category:0"), id="page-unknown-category"),
    pytest.param(Forged(f"cb:page:*:{LONG}"), id="page-overlong"),
    pytest.param(Forged("cb:page:*:¹"), id="page-unicode-digit"),
    pytest.param(Forged("cb:page:*:1", on="member"), id="page-on-members-message"),
    # /faq unanswered buttons: moderators.
    pytest.param(Forged("cb:un:new:{question}", refusal=checks.NOT_A_MODERATOR), id="un-new-by-member"),
    pytest.param(Forged("cb:un:alias:{question}", refusal=checks.NOT_A_MODERATOR), id="un-alias-by-member"),
    pytest.param(
        Forged("cb:un:pa:{question}:{suggested}", refusal=checks.NOT_A_MODERATOR), id="un-pa-by-member"
    ),
    pytest.param(
        Forged("cb:un:new:999999", user="moderator", refusal=ALREADY_DONE), id="un-unknown-question"
    ),
    pytest.param(Forged("cb:un:zap:{question}", user="moderator"), id="un-unknown-action"),
    pytest.param(Forged("cb:un:new:²", user="moderator"), id="un-unicode-digit"),
    pytest.param(Forged(f"cb:un:new:{LONG}", user="moderator"), id="un-overlong"),
    pytest.param(Forged("cb:un:pa:{question}:no-such-entry", user="moderator"), id="un-pa-unknown-entry"),
    pytest.param(Forged("cb:un:pa:{question}:{suggested}", user="moderator"), id="un-pa-entry-not-picked"),
    pytest.param(Forged("cb:un:new:{question}", user="moderator", on="member"), id="un-on-members-message"),
    # The entry select after "Add as alias of…": moderators.
    pytest.param(
        Forged("cb:ut:{question}", ("{suggested}",), refusal=checks.NOT_A_MODERATOR), id="ut-by-member"
    ),
    pytest.param(
        Forged("cb:ut:999999", ("{suggested}",), user="moderator", refusal=ALREADY_DONE),
        id="ut-unknown-question",
    ),
    pytest.param(Forged("cb:ut:{question}", ("{unoffered}",), user="moderator"), id="ut-value-not-offered"),
    pytest.param(Forged("cb:ut:{question}", ("../x",), user="moderator"), id="ut-malformed-value"),
    pytest.param(Forged("cb:ut:²", ("{suggested}",), user="moderator"), id="ut-unicode-digit"),
    pytest.param(
        Forged("cb:ut:{question}", ("{suggested}",), user="moderator", on="member"),
        id="ut-on-members-message",
    ),
]


def _forged_rows() -> list[Forged]:
    return [row for param in FORGED for row in param.values if isinstance(row, Forged)]


async def test_every_persistent_control_has_forged_rows(fake: FakeDiscord) -> None:
    # discord.py keeps the registered DynamicItem classes in its view store only.
    registered = fake.bot._connection._view_store._dynamic_items
    assert len(registered) >= 5  # cb:fb, cb:pick, cb:page, cb:un, cb:ut at least
    for pattern in registered:
        rows = [row for row in _forged_rows() if pattern.fullmatch(row.custom_id)]
        assert rows, f"no forged-input row in FORGED for {pattern.pattern}"
        assert any(row.on == "member" for row in rows), f"{pattern.pattern}: none on a member's message"


def _component(custom_id: str, values: tuple[str, ...] | None, offered: str) -> JSON:
    if values is None:
        return {"type": 2, "style": 1, "label": "Forged", "custom_id": custom_id}
    options = [{"label": offered, "value": offered}]
    return {"type": 3, "custom_id": custom_id, "options": options, "min_values": 0, "max_values": 1}


@pytest.mark.parametrize("forged", FORGED)
async def test_forged_controls_are_refused(fake: FakeDiscord, forged: Forged) -> None:
    bot = bot_of(fake)
    asked = await fake.slash("ask", question=UNSURE, user=fake.member_user)
    (pick,) = asked.custom_ids
    question_id = int(pick.removeprefix("cb:pick:"))
    suggestions = (await bot.store.question(question_id)).suggestions
    unoffered = next(
        entry_id for entry_id in sorted((await bot.answers.snapshot()).entries) if entry_id not in suggestions
    )
    fields = {"question": str(question_id), "suggested": suggestions[0], "unoffered": unoffered}

    custom_id = forged.custom_id.format(**fields)
    values = None if forged.values is None else tuple(v.format(**fields) for v in forged.values)
    if forged.on == "bot":
        host = asked.message
    else:
        host = await fake.message(fake.general, "do unused connects roll over?", author=fake.member_user)
    assert host is not None
    message = copy.deepcopy(host)
    message["components"] = [{"type": 1, "components": [_component(custom_id, values, fields["suggested"])]}]
    user = fake.member_user if forged.user == "member" else fake.moderator_user
    before = await _state(fake)

    data = payloads.component_data(custom_id, 2 if values is None else 3, values)
    reply = await (
        await _send(fake, payloads.MESSAGE_COMPONENT, data, user, fake.general, message)
    ).response()
    assert (reply.type, reply.ephemeral, reply.content) == (4, True, forged.refusal)
    assert await _state(fake) == before


# Forged controls on answers the bot really sent: a control acts only for what its message shows


ANSWERED = "do unused connects roll over?"  # answered with connects-rollover


async def _forge(
    fake: FakeDiscord, on: Reply, custom_id: str, values: tuple[str, ...] | None, user: JSON
) -> Reply:
    """`custom_id` (a button, or a select choosing `values`) sent on the message `on`, as if that message
    carried it (discord.py routes a control only from a message that has it)."""
    assert on.message is not None
    message = copy.deepcopy(fake.messages[int(on.message["id"])])
    offered = values[0] if values else "-"
    message["components"] = [{"type": 1, "components": [_component(custom_id, values, offered)]}]
    data = payloads.component_data(custom_id, 2 if values is None else 3, values)
    channel = {"id": message["channel_id"]}
    return await (await _send(fake, payloads.MESSAGE_COMPONENT, data, user, channel, message)).response()


async def _suggestion_of_own_question(fake: FakeDiscord, user: JSON) -> tuple[str, str]:
    """The "Did you mean…" custom_id of a question `user` asks, and its first suggestion."""
    asked = await fake.slash("ask", question=UNSURE, user=user)
    (pick,) = asked.custom_ids
    return pick, asked.component(pick)["options"][0]["value"]


async def test_a_forged_pick_cannot_rewrite_another_members_answer(fake: FakeDiscord) -> None:
    theirs = await fake.slash("ask", question=ANSWERED, user=fake.member_user)
    pick, suggested = await _suggestion_of_own_question(fake, fake.moderator_user)
    before = await _state(fake)
    reply = await _forge(fake, theirs, pick, (suggested,), fake.moderator_user)
    assert (reply.type, reply.ephemeral, reply.content) == (4, True, INVALID_CONTROL)
    assert theirs.message is not None
    assert fake.messages[int(theirs.message["id"])]["embeds"] == theirs.embeds
    assert await _state(fake) == before


async def test_a_pick_of_ones_own_question_leaves_another_members_suggestions_alone(
    fake: FakeDiscord,
) -> None:
    theirs = await fake.slash("ask", question=UNSURE, user=fake.member_user)
    pick, suggested = await _suggestion_of_own_question(fake, fake.moderator_user)
    before = await _state(fake)
    reply = await _forge(fake, theirs, pick, (suggested,), fake.moderator_user)
    # Shown to the moderator privately, as to anyone curious; the member's message stays as it was.
    assert (reply.type, reply.ephemeral) == (4, True) and reply.embeds
    assert theirs.message is not None
    assert fake.messages[int(theirs.message["id"])]["content"] == theirs.content
    assert await _state(fake) == before


async def test_a_forged_page_button_cannot_rewrite_an_answer(fake: FakeDiscord) -> None:
    theirs = await fake.slash("ask", question=ANSWERED, user=fake.member_user)
    before = await _state(fake)
    reply = await _forge(fake, theirs, "cb:page:*:1", None, fake.moderator_user)
    assert (reply.type, reply.ephemeral, reply.content) == (4, True, INVALID_CONTROL)
    assert theirs.message is not None
    assert fake.messages[int(theirs.message["id"])]["embeds"] == theirs.embeds
    listing = await fake.slash("faq list", user=fake.member_user)
    far = await _forge(fake, listing, "cb:page:*:5", None, fake.member_user)  # not next to page 1
    assert (far.type, far.content) == (4, INVALID_CONTROL)
    assert await _state(fake) == before


async def test_a_forged_feedback_button_votes_only_on_the_entry_shown(fake: FakeDiscord) -> None:
    mine = await fake.slash("ask", question=ANSWERED, user=fake.member_user)
    before = await _state(fake)
    reply = await _forge(fake, mine, "cb:fb:connects-buy:1", None, fake.member_user)
    assert (reply.type, reply.ephemeral, reply.content) == (4, True, INVALID_CONTROL)
    assert await _state(fake) == before


async def test_a_retired_entry_takes_no_votes(fake: FakeDiscord) -> None:
    mine = await fake.slash("ask", question=ANSWERED, user=fake.member_user)
    await fake.slash("faq retire", entry="connects-rollover", reason="merged", user=fake.admin_user)
    before = await _state(fake)
    reply = await fake.click(mine, "cb:fb:connects-rollover:1", user=fake.member_user)
    assert (reply.type, reply.ephemeral, reply.content) == (4, True, INVALID_CONTROL)
    assert await _state(fake) == before


async def test_private_answers_of_one_entry_are_one_vote_a_day(fake: FakeDiscord) -> None:
    for _ in range(25):
        shown = await fake.slash("faq show", entry="connects-rollover", private=True, user=fake.member_user)
        assert shown.ephemeral
        await fake.click(shown, "cb:fb:connects-rollover:1", user=fake.member_user)
    counts = (await bot_of(fake).store.feedback())["connects-rollover"]
    assert (counts.helpful, counts.not_helpful) == (1, 0)


# Moderator modals (random custom_ids, routed by discord.py to the form that was opened)


async def _open_edit(fake: FakeDiscord) -> Reply:
    return await fake.slash("faq edit", entry="connects-rollover", user=fake.moderator_user)


async def _open_add(fake: FakeDiscord) -> Reply:
    return await fake.slash(
        "faq add",
        entry_id="purchased-connects-expiry",
        category="connects",
        source=SEED,
        user=fake.moderator_user,
    )


async def _open_new_from_questions(fake: FakeDiscord) -> Reply:
    await fake.slash("ask", question="how do I change my profile photo", user=fake.member_user)
    listing = await fake.slash("faq unanswered", user=fake.moderator_user)
    new = next(c for c in listing.custom_ids if c.startswith("cb:un:new:"))
    return await fake.click(listing, new, user=fake.moderator_user)


async def _retire_meanwhile(fake: FakeDiscord) -> None:
    await fake.slash("faq retire", entry="connects-rollover", reason="merged", user=fake.admin_user)


async def _add_meanwhile(fake: FakeDiscord) -> None:
    modal = await fake.slash(
        "faq add",
        entry_id="purchased-connects-expiry",
        category="connects",
        source=SEED,
        user=fake.admin_user,
    )
    await fake.submit_modal(modal, FORM_VALUES["AddModal"])


async def _deal_with_the_questions_meanwhile(fake: FakeDiscord) -> None:
    listing = await fake.slash("faq unanswered", user=fake.admin_user)
    alias = next(c for c in listing.custom_ids if c.startswith("cb:un:alias:"))
    chooser = await fake.click(listing, alias, user=fake.admin_user)
    (select,) = chooser.custom_ids
    value = chooser.component(select)["options"][0]["value"]
    await fake.select(chooser, select, [value], user=fake.admin_user)


@dataclass(frozen=True)
class StaleModal:
    open: Callable[[FakeDiscord], Awaitable[Reply]]
    meanwhile: Callable[[FakeDiscord], Awaitable[None]]
    refusal: str  # part of the reply


OPENERS: dict[str, Callable[[FakeDiscord], Awaitable[Reply]]] = {
    "EditModal": _open_edit,
    "AddModal": _open_add,
    "NewFromQuestionsModal": _open_new_from_questions,
}
FORM_VALUES: dict[str, dict[str, str]] = {
    "EditModal": {"answer": "A rewrite that should not be saved.", "reason": "rewrite"},
    "AddModal": {
        "question": "Do purchased Connects expire?",
        "answer": "Purchased Connects expire one year after purchase.",
        "supports": "Purchased Connects expire after one year",
        "reason": "asked three times",
    },
    "NewFromQuestionsModal": {
        "question": "How do I change my profile photo?",
        "answer": "Go to **Settings → Profile** and upload a new photo.",
        "source": f"{SEED}: profile settings",
    },
}
STALE: dict[str, StaleModal] = {
    "EditModal": StaleModal(_open_edit, _retire_meanwhile, "changed while you were editing"),
    "AddModal": StaleModal(_open_add, _add_meanwhile, "already exists"),
    "NewFromQuestionsModal": StaleModal(
        _open_new_from_questions, _deal_with_the_questions_meanwhile, "dealt with meanwhile"
    ),
}


def test_every_moderator_modal_has_forged_rows() -> None:
    modals = {cls.__name__ for cls in _modals._ModeratorModal.__subclasses__()}
    assert modals == set(OPENERS) == set(FORM_VALUES) == set(STALE)


@pytest.mark.parametrize("modal_name", sorted(OPENERS))
async def test_a_moderators_form_submitted_by_a_member_is_refused(fake: FakeDiscord, modal_name: str) -> None:
    modal = await OPENERS[modal_name](fake)
    assert modal.type == 9, modal.content
    before = await _state(fake)
    refused = await fake.submit_modal(modal, FORM_VALUES[modal_name], user=fake.member_user)
    assert (refused.ephemeral, refused.content) == (True, checks.NOT_A_MODERATOR)
    assert await _state(fake) == before


@pytest.mark.parametrize("modal_name", sorted(STALE))
async def test_a_form_overtaken_by_another_change_is_refused(fake: FakeDiscord, modal_name: str) -> None:
    stale = STALE[modal_name]
    modal = await stale.open(fake)
    assert modal.type == 9, modal.content
    await stale.meanwhile(fake)
    await fake.wait_for_sent(fake.mod_log)
    before = await _state(fake)
    refused = await fake.submit_modal(modal, FORM_VALUES[modal_name], user=fake.moderator_user)
    assert refused.ephemeral and stale.refusal in (refused.content or ""), refused.content
    assert [f.filename for f in refused.files] == ["draft.md"]  # the moderator's text is not lost
    assert await _state(fake) == before


# "Answer with FAQ" preview (random custom_ids, routed to the opener's preview)


async def test_the_preview_select_refuses_others_and_values_it_never_offered(fake: FakeDiscord) -> None:
    question = await fake.message(fake.general, "do unused connects roll over?", author=fake.member_user)
    preview = await fake.message_command(MENU, question, user=fake.moderator_user)
    _, other = preview.custom_ids
    chooser = await fake.click(preview, other, user=fake.moderator_user)
    (select,) = chooser.custom_ids
    offered = {o["value"] for o in chooser.component(select)["options"]}
    assert chooser.message is not None and "connects-rollover" not in offered
    before = await _state(fake)

    for user, value, refusal in [
        (fake.member_user, sorted(offered)[0], "This preview belongs to someone else."),
        (fake.moderator_user, "connects-rollover", "That entry was not offered here."),
    ]:
        data = payloads.component_data(select, 3, [value])
        pending = await _send(fake, payloads.MESSAGE_COMPONENT, data, user, fake.general, chooser.message)
        reply = await pending.response()
        assert (reply.type, reply.ephemeral, reply.content) == (4, True, refusal)
    assert await _state(fake) == before
    assert fake.sent_to(fake.general) == []
