"""Nasty member and moderator text end to end, through the fake Discord: /ask, autocomplete, @mentions,
help channels, the /diagnose modal and the moderators' /faq add and edit modals.

Inputs are what Discord would deliver: slash options and modal fields within their declared lengths
(the fake refuses longer ones, as Discord does), autocomplete values and messages of any length.
Each test checks that everything the bot wrote is within Discord's limits (`limit_violations`); the
harness fails it on any ERROR log and on any message that could ping (allowed_mentions).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import discord
from hypothesis import HealthCheck, given, settings

from bot import replies
from fakediscord.harness import (
    CALLBACK_ROUTE,
    MESSAGE_WRITES,
    THREAD_ROUTES,
    FakeDiscord,
    Reply,
    walk_components,
)
from tests.bot.helpers import Ticks, World, bot_of
from tests.test_fuzz_member_text import MEMBER_TEXT

SEED = "upwork-connects-announcement"
# How the bot apologises when a handler fails (the tree, the modals).
CRASHED = "Something went wrong"
# An unbroken mass mention or role/user mention in text the bot wrote.
MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


# Discord's limits on what a bot writes


def _embed_problems(embed: Mapping[str, Any]) -> list[str]:
    fields = embed.get("fields") or []
    sizes = {
        "title": (len(embed.get("title") or ""), replies.EMBED_TITLE),
        "description": (len(embed.get("description") or ""), replies.EMBED_DESCRIPTION),
        "footer": (len((embed.get("footer") or {}).get("text") or ""), replies.FOOTER),
        "author": (len((embed.get("author") or {}).get("name") or ""), replies.AUTHOR_NAME),
        "fields": (len(fields), replies.EMBED_FIELDS),
    }
    problems = [f"embed {part} {size} > {limit}" for part, (size, limit) in sizes.items() if size > limit]
    for field in fields:
        name, value = field.get("name") or "", field.get("value") or ""
        if not name.strip() or len(name) > replies.FIELD_NAME:
            problems.append(f"field name {name[:40]!r} ({len(name)})")
        if not value.strip() or len(value) > replies.FIELD_VALUE:
            problems.append(f"field value {value[:40]!r} ({len(value)})")
    total = sum(size for part, (size, _) in sizes.items() if part != "fields")
    total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
    if total > replies.EMBED_TOTAL:
        problems.append(f"embed of {total} characters")
    return problems


def _component_problems(components: list[Any]) -> list[str]:
    problems = []
    for component in walk_components(components):
        if len(component.get("custom_id") or "") > replies.CUSTOM_ID:
            problems.append(f"custom_id {component['custom_id'][:40]!r}…")
        if component.get("type") == 2 and len(component.get("label") or "") > replies.BUTTON_LABEL:
            problems.append(f"button label {component['label'][:40]!r}…")
        options = component.get("options") or []
        if len(options) > replies.SELECT_OPTIONS:
            problems.append(f"{len(options)} select options")
        for option in options:
            if not 1 <= len(option["label"]) <= replies.SELECT_LABEL:
                problems.append(f"option label {option['label'][:40]!r}")
            if not 1 <= len(option["value"]) <= replies.SELECT_VALUE:
                problems.append(f"option value {option['value'][:40]!r}")
            if len(option.get("description") or "") > replies.SELECT_DESCRIPTION:
                problems.append(f"option description {option['description'][:40]!r}…")
    return problems


def _message_problems(data: Mapping[str, Any], *, creates: bool) -> list[str]:
    content = data.get("content") or ""
    embeds = data.get("embeds") or []
    problems = [f"content of {len(content)} characters"] if len(content) > replies.MESSAGE_LIMIT else []
    if creates and not content.strip() and not embeds and not data.get("attachments"):
        problems.append("an empty message")
    if len(embeds) > 10:
        problems.append(f"{len(embeds)} embeds")
    for embed in embeds:
        problems += _embed_problems(embed)
    return problems + _component_problems(data.get("components") or [])


def _choice_problems(choices: list[Mapping[str, Any]]) -> list[str]:
    problems = [f"{len(choices)} choices"] if len(choices) > replies.CHOICES else []
    for choice in choices:
        name, value = choice["name"], choice["value"]
        if not 1 <= len(name) <= replies.CHOICE_NAME:
            problems.append(f"choice name {name[:40]!r} ({len(name)})")
        if isinstance(value, str) and not 1 <= len(value) <= replies.CHOICE_VALUE:
            problems.append(f"choice value {value[:40]!r} ({len(value)})")
    return problems


def _modal_problems(modal: Mapping[str, Any]) -> list[str]:
    problems = (
        [f"modal title {modal['title']!r}"] if len(modal.get("title") or "") > replies.MODAL_TITLE else []
    )
    for component in walk_components(modal.get("components") or []):
        if component.get("type") != 4:
            continue
        for key, limit in (
            ("label", replies.INPUT_LABEL),
            ("value", replies.INPUT_VALUE),
            ("placeholder", replies.INPUT_PLACEHOLDER),
        ):
            if len(component.get(key) or "") > limit:
                problems.append(f"text input {component['custom_id']} {key} over {limit}")
        if len(component.get("value") or "") > (component.get("max_length") or replies.INPUT_VALUE):
            problems.append(f"text input {component['custom_id']} prefilled beyond its max_length")
    return problems


def limit_violations(fake: FakeDiscord) -> list[str]:
    """Everything the bot wrote (messages, edits, autocomplete choices, modals) that Discord would
    refuse with a 400."""
    problems = []
    for rec in fake.sent:
        if (rec.method, rec.route) not in MESSAGE_WRITES or not isinstance(rec.json, dict):
            continue
        found: list[str]
        if rec.route == CALLBACK_ROUTE:
            kind, data = rec.json.get("type"), rec.json.get("data") or {}
            if kind == 8:
                found = _choice_problems(data.get("choices") or [])
            elif kind == 9:
                found = _modal_problems(data)
            elif kind in (4, 7):
                found = _message_problems(data, creates=kind == 4)
            else:
                found = []
        elif rec.route in THREAD_ROUTES:
            found = _message_problems(rec.json.get("message") or {}, creates=True)
        else:
            found = _message_problems(rec.json, creates=rec.method == "POST")
        problems += [f"{rec.method} {rec.path}: {problem}" for problem in found]
    return problems


def assert_all_replies_valid(fake: FakeDiscord) -> None:
    assert limit_violations(fake) == []


def assert_answered(reply: Reply, what: str) -> None:
    """A real reply: text or an embed, and not the apology for a crash."""
    assert reply.type in (4, 7, None), what
    assert (reply.content or "").strip() or reply.embeds, what
    assert CRASHED not in reply.text, (what, reply.text[:200])


def _option_max_length(fake: FakeDiscord, command: str, option: str) -> int:
    group, _, sub = command.partition(" ")
    (registered,) = [c for c in fake.commands[None] if c["name"] == group]
    options = registered["options"]
    if sub:
        (subcommand,) = [o for o in options if o["name"] == sub]
        options = subcommand["options"]
    (found,) = [o for o in options if o["name"] == option]
    return int(found["max_length"])


def _long(text: str, length: int) -> str:
    return (text * (length // len(text) + 1))[:length]


async def test_the_limit_check_sees_what_discord_would_refuse(fake: FakeDiscord) -> None:
    channel = fake.bot.get_channel(int(fake.general["id"]))
    assert isinstance(channel, discord.TextChannel)
    await channel.send("x" * 2001, embed=discord.Embed(title="t" * 257))
    where = f"POST /channels/{fake.general['id']}/messages"
    assert limit_violations(fake) == [
        f"{where}: content of 2001 characters",
        f"{where}: embed title 257 > 256",
    ]


# What members type

ASK_MAX = 1000  # /ask's declared max_length: Discord delivers nothing longer (checked below)
QUESTIONS = {
    "invisible only": "\u200b\u200f\u202e\ufeff",
    "blank": "   ",
    "nul": "\x00" * ASK_MAX,
    "longest": _long("do unused connects roll over ", ASK_MAX),
    "zalgo": "r\u0351\u0300\u0336\u0489oll o\u035b\u0489ver c\u0351onnects" * 10,
    "rtl": "\u202e?revo llor stcennoc desunu od \u200f",
    "unclosed fence": "```py\ndo unused connects roll over",
    "mentions": "@everyone @here <@&{role}> <@{user}> do unused connects roll over?",
    "masked link": "[free connects](https://evil.example) how do i buy connects",
    "astral": "𝕕𝕠 𝕦𝕟𝕦𝕤𝕖𝕕 𝕔𝕠𝕟𝕟𝕖𝕔𝕥𝕤 🦕👍🏽\U0001f1fa\U0001f1f8",
}


def _filled(text: str, world: World) -> str:
    member = next(m for m in world.guild["members"] if m["user"]["username"] == "member")
    return text.format(role=world.role("Moderator")["id"], user=member["user"]["id"])


async def test_ask_answers_whatever_discord_delivers(fake: FakeDiscord, world: World, ticks: Ticks) -> None:
    # The declared length is what Discord lets a member submit; nothing longer reaches the bot.
    assert _option_max_length(fake, "ask", "question") == ASK_MAX
    for name, question in QUESTIONS.items():
        ticks.value += 60  # past the per-member question limit
        reply = await fake.slash("ask", question=_filled(question, world))
        assert_answered(reply, name)
    assert_all_replies_valid(fake)


AUTOCOMPLETE_VALUES = [*QUESTIONS.values(), "", "x" * 10_000, "\x00" * 10_000, "connects " * 1_100]


async def test_autocomplete_offers_valid_choices_whatever_is_typed(fake: FakeDiscord, world: World) -> None:
    """The focused value is whatever the member's client sends: any length, any characters."""
    for typed in AUTOCOMPLETE_VALUES:
        text = _filled(typed, world)
        await fake.autocomplete("ask", "question", text)
        await fake.autocomplete("faq show", "entry", text)
        await fake.autocomplete("faq edit", "entry", text, user=fake.moderator_user)
        await fake.autocomplete("faq history", "entry", text, user=fake.moderator_user)
        await fake.autocomplete(
            "faq alias remove", "alias", text, entry="connects-rollover", user=fake.moderator_user
        )
        await fake.autocomplete(
            "faq add", "category", text, entry_id="x-y", source=SEED, user=fake.moderator_user
        )
    assert_all_replies_valid(fake)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(typed=MEMBER_TEXT)
async def test_autocomplete_of_any_text(fake: FakeDiscord, typed: str) -> None:
    """Hypothesis through one running bot: each example is one autocomplete interaction."""
    choices = await fake.autocomplete("ask", "question", typed)
    choices += await fake.autocomplete("faq show", "entry", typed)
    assert all(1 <= len(c["name"]) <= 100 and 1 <= len(c["value"]) <= 100 for c in choices)
    assert_all_replies_valid(fake)


async def test_entries_shown_by_any_text_never_offered(fake: FakeDiscord, world: World) -> None:
    """A member may submit /faq show with text the autocomplete never offered."""
    limit = _option_max_length(fake, "faq show", "entry")
    for name, typed in QUESTIONS.items():
        reply = await fake.slash("faq show", entry=_filled(typed, world)[:limit])
        assert_answered(reply, name)
    assert_all_replies_valid(fake)


MESSAGES = {
    "nitro length": _long("do unused connects roll over? ", 4000),
    "beyond any client": _long("@everyone how do i buy connects ", 6000),
    "invisible": "\u200b\u200f",
    "nul": "\x00" * 2000,
    "fence": "```\n" + "connects\n" * 200,
    "zalgo": "c\u0351\u0300\u0336\u0489" * 400,
}


async def test_mentions_of_any_length_get_a_reply_within_limits(
    fake: FakeDiscord, world: World, ticks: Ticks
) -> None:
    bot_id = world.bot_user["id"]
    for name, text in MESSAGES.items():
        ticks.value += 60
        await fake.message(fake.general, f"<@{bot_id}> {text}")
        reply = await fake.wait_for_sent(fake.general)
        assert_answered(reply, name)
    assert_all_replies_valid(fake)


async def test_help_channel_messages_of_any_kind_are_answered_or_left_alone(
    fake: FakeDiscord, ticks: Ticks
) -> None:
    for text in [*MESSAGES.values(), *QUESTIONS.values()]:
        ticks.value += 120  # past the auto-answer cooldown
        await fake.message(fake.faq, text)
        await fake.settle()
    assert fake.sent_to(fake.faq), "the on-topic ones are answered"
    for reply in fake.sent_to(fake.faq):
        assert_answered(reply, reply.text[:40])
    ticks.value += 120
    title = "@everyone ```" + "c\u0351\u0300\u0336" * 30  # a forum post title: at most 100 characters
    post = await fake.forum_post(fake.forum, title[:100], MESSAGES["nitro length"])
    assert_answered(await fake.wait_for_sent(post.id), "forum post")
    assert_all_replies_valid(fake)


# /diagnose

TIMELINE_MAX = 4000  # the modal's max_length (checked below)


def _story(*jobs: str) -> str:
    lines = []
    for day, job in enumerate(jobs, start=1):
        lines += [
            f"2026-11-{day:02d} proposal {job}",
            f"2026-11-{day:02d} 09:10 interview {job}",
            f"2026-11-{day:02d} 09:40 respond {job}",
        ]
    return "\n".join([*lines, "2026-11-20 check"])


TIMELINES = {
    "nul": "\x00" * TIMELINE_MAX,
    "newlines": "\n" * TIMELINE_MAX,
    "zalgo": "2026-11-03 interview L\u0351\u0300\u0336\u0489ogo\n" * 80,
    "rtl": "\u202e2026-11-03 09:10 interview Logo\u200f\n2026-11-06 check",
    "many interviews": "\n".join(
        f"2026-10-{day:02d} {hour:02d}:00 {kind} Job {day}-{hour}"
        for day in range(1, 29)
        for hour in (9, 10)
        for kind in ("interview", "respond")
    )[:TIMELINE_MAX],
    "unreadable": _long("yesterday I applied ``` to a logo job\n", TIMELINE_MAX),
}
INJECTED_JOBS = (
    "[free Connects](https://evil.example)",
    "@everyone",
    "<@&123456789012345678>",
    "```py",
    "||https://evil.example||",
)


async def test_diagnose_replies_within_limits_whatever_the_timeline(fake: FakeDiscord) -> None:
    for name, timeline in {**TIMELINES, "injection": _story(*INJECTED_JOBS)}.items():
        assert len(timeline) <= TIMELINE_MAX, name
        modal = await fake.slash("diagnose")
        assert modal.component("timeline")["max_length"] == TIMELINE_MAX
        first = await fake.submit_modal(modal, {"timeline": timeline})
        assert_answered(first, name)
    await fake.settle()
    assert_all_replies_valid(fake)


async def test_a_public_diagnosis_cannot_carry_a_members_link_or_mention(fake: FakeDiscord) -> None:
    modal = await fake.slash("diagnose", public=True)
    reply = await fake.submit_modal(modal, {"timeline": _story(*INJECTED_JOBS)})
    assert reply.interaction is not None
    await fake.settle()
    # The reading comes first, so the result runs over two messages: the checks hold for both.
    followups = fake.followups_to(reply.interaction)
    text = "\n".join(part.content or "" for part in [reply, *followups])
    assert not reply.ephemeral and "missing 50" in text
    assert "free Connects (https://evil.example)" in text and "](" not in text
    assert "@\u200beveryone" in text and not MENTION.search(text)
    assert text.count("```") % 2 == 0


# Moderators' modals

NASTY_ANSWER = (
    "# Free Connects!\n## Really\n```py\nprint('never closed')\n"
    + " ".join(f"[upwork.com/{i}](https://evil{i}.example)" for i in range(30))
    + "\n||[https://upwork.com](https://evil.example)|| @everyone <@&123456789012345678>\n"
)


async def test_a_moderators_nasty_entry_renders_safely(fake: FakeDiscord, ticks: Ticks) -> None:
    modal = await fake.slash(
        "faq add", entry_id="free-connects", category="connects", source=SEED, user=fake.moderator_user
    )
    fields = {
        "question": "@everyone [Free Connects](https://evil.example)\u202e now?",
        "answer": NASTY_ANSWER + "x" * (replies.INPUT_VALUE - len(NASTY_ANSWER)),
        "aliases": "@here where are my free connects\n<@&123456789012345678> free connects please",
        "supports": "@everyone",
        "reason": "@everyone ||asked|| ```",
    }
    added = await fake.submit_modal(modal, fields)
    assert "Added `free-connects`" in (added.content or "")
    log = await fake.wait_for_sent(fake.mod_log)
    why = {field["name"]: field["value"] for field in log.embeds[0]["fields"]}["Why"]
    assert why.startswith("@\u200beveryone") and not MENTION.search(why)

    shown = await fake.slash("faq show", entry="free-connects")
    (embed,) = shown.embeds
    assert embed["title"] == "@everyone Free Connects (https://evil.example) now?"
    description = embed["description"]
    assert "](" not in description and "https://evil.example" in description
    assert all(f"https://evil{i}.example" in description for i in range(30))
    assert embed["footer"]["text"].startswith(
        "Sources: Upwork Community announcement (Dec 2020, updated Jul 2021)"
    )

    ticks.value += 60
    asked = await fake.slash("ask", question="where are my free connects")
    assert asked.embeds and asked.embeds[0]["title"] == embed["title"]
    choices = await fake.autocomplete("faq show", "entry", "free")
    assert "free-connects" in [c["value"] for c in choices]
    assert_all_replies_valid(fake)


async def test_a_moderators_nasty_edit_renders_safely(fake: FakeDiscord) -> None:
    modal = await fake.slash("faq edit", entry="connects-rollover", user=fake.moderator_user)
    answer = "x" * 3900 + " [see here](https://evil.example) ```"
    saved = await fake.submit_modal(
        modal, {"answer": answer, "aliases": "@everyone\n<@&1234567890123456789>", "reason": "@here"}
    )
    assert "Saved" in (saved.content or ""), saved.content
    await fake.wait_for_sent(fake.mod_log)
    shown = await fake.slash("faq show", entry="connects-rollover")
    description = shown.embeds[0]["description"]
    assert description.endswith("see here (https://evil.example) ```")
    assert_all_replies_valid(fake)
    assert (await bot_of(fake).answers.snapshot()).entries["connects-rollover"].aliases == [
        "@everyone",
        "<@&1234567890123456789>",
    ]
