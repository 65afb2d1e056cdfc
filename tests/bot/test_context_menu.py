"""The "Answer with FAQ" message command: an ephemeral preview, Post as reply, Pick another."""

from __future__ import annotations

from typing import Any

import discord

from bot import checks
from bot.exts.answer_with_faq import MEMBER_MAY_NOT_SEND, POST_LIMIT
from fakediscord.harness import FakeDiscord, Reply
from fakediscord.payloads import JSON
from tests.bot.helpers import Ticks

MENU = "Answer with FAQ"


async def test_preview_then_post_as_reply(fake: FakeDiscord) -> None:
    question = await fake.message(fake.general, "hey do unused connects roll over to next month?")
    preview = await fake.message_command(MENU, question, user=fake.moderator_user)
    assert preview.ephemeral and "Preview" in (preview.content or "")
    assert preview.embeds[0]["title"] == "Do unused Connects roll over to the next month?"
    post, other = preview.custom_ids
    assert [c["label"] for c in (preview.component(post), preview.component(other))] == [
        "Post as reply",
        "Pick another",
    ]

    done = await fake.click(preview, post, user=fake.moderator_user)
    assert done.type == 7 and "Posted `connects-rollover`" in (done.content or "") and done.components == []
    reply = await fake.wait_for_sent(fake.general)
    assert str(reply.data["message_reference"]["message_id"]) == question["id"]
    assert reply.embeds[0]["title"] == "Do unused Connects roll over to the next month?"
    assert reply.custom_ids == ["cb:fb:connects-rollover:1", "cb:fb:connects-rollover:0"]


async def test_pick_another_entry(fake: FakeDiscord) -> None:
    question = await fake.message(fake.general, "do unused connects roll over?")
    preview = await fake.message_command(MENU, question)
    _, other = preview.custom_ids
    chooser = await fake.click(preview, other)
    assert chooser.type == 7
    (select,) = chooser.custom_ids
    options = [o["value"] for o in chooser.component(select)["options"]]
    assert "connects-rollover" not in options and "connects-buy" in options and len(options) <= 25
    chosen = await fake.select(chooser, select, ["connects-buy"])
    assert chosen.embeds[0]["footer"]["text"].startswith("Sources:")
    post, _ = chosen.custom_ids
    await fake.click(chosen, post)
    reply = await fake.wait_for_sent(fake.general)
    assert reply.custom_ids == ["cb:fb:connects-buy:1", "cb:fb:connects-buy:0"]


async def test_no_good_match_offers_the_list(fake: FakeDiscord) -> None:
    question = await fake.message(fake.general, "lol that's wild")
    preview = await fake.message_command(MENU, question)
    assert "Pick one" in (preview.content or "") and not preview.embeds
    (select,) = preview.custom_ids
    assert len(preview.component(select)["options"]) == 25


async def test_only_the_opener_can_use_the_preview(fake: FakeDiscord) -> None:
    question = await fake.message(fake.general, "do unused connects roll over?")
    preview = await fake.message_command(MENU, question, user=fake.member_user)
    post, _ = preview.custom_ids
    refused = await fake.click(preview, post, user=fake.moderator_user)
    assert "belongs to someone else" in (refused.content or "")
    await fake.settle()
    assert fake.sent_to(fake.general) == []


async def test_moderators_only_when_configured(launch: Any) -> None:
    fake: FakeDiscord = await launch(moderation={"context_menu_moderators_only": True})
    question = await fake.message(fake.general, "do unused connects roll over?")
    refused = await fake.message_command(MENU, question, user=fake.member_user)
    assert refused.ephemeral and refused.content == checks.NOT_A_MODERATOR

    preview = await fake.message_command(MENU, question, user=fake.moderator_user)
    post, _ = preview.custom_ids
    member = next(m for m in fake.guild["members"] if m["user"]["id"] == fake.moderator_user["id"])
    member["roles"] = []  # lost the role since: the button checks again
    again = await fake.click(preview, post, user=fake.moderator_user)
    assert again.content == checks.NOT_A_MODERATOR
    await fake.settle()
    assert fake.sent_to(fake.general) == []


async def test_posting_where_the_bot_may_not_is_explained(fake: FakeDiscord) -> None:
    question = await fake.message(fake.general, "do unused connects roll over?")
    preview = await fake.message_command(MENU, question)
    post, _ = preview.custom_ids
    fake.fail_next(
        "POST /channels/*/messages", status=403, body={"message": "Missing Permissions", "code": 50013}
    )
    refused = await fake.click(preview, post)
    assert refused.ephemeral and "could not post" in (refused.content or "")


def _members_may_not_send(fake: FakeDiscord) -> None:
    """@everyone loses Send Messages (the member has no other role)."""
    everyone = next(role for role in fake.guild["roles"] if role["id"] == fake.guild["id"])
    everyone["permissions"] = str(
        int(everyone["permissions"]) & ~discord.Permissions(send_messages=True).value
    )


async def test_a_member_who_may_not_send_messages_cannot_post_through_the_bot(fake: FakeDiscord) -> None:
    question = await fake.message(fake.general, "do unused connects roll over?")
    preview = await fake.message_command(MENU, question, user=fake.member_user)
    post, _ = preview.custom_ids
    _members_may_not_send(fake)
    refused = await fake.click(preview, post, user=fake.member_user)
    assert refused.ephemeral and refused.content == MEMBER_MAY_NOT_SEND
    again = await fake.message_command(MENU, question, user=fake.member_user)
    assert again.ephemeral and again.content == MEMBER_MAY_NOT_SEND
    await fake.settle()
    assert fake.sent_to(fake.general) == []


async def test_answers_posted_through_the_menu_are_limited_per_member(
    fake: FakeDiscord, ticks: Ticks
) -> None:
    question = await fake.message(fake.general, "do unused connects roll over?")

    async def post(user: JSON) -> Reply:
        preview = await fake.message_command(MENU, question, user=user)
        return await fake.click(preview, preview.custom_ids[0], user=user)

    for _ in range(POST_LIMIT):
        assert "Posted" in ((await post(fake.member_user)).content or "")
    refused = await post(fake.member_user)
    assert refused.ephemeral and (refused.content or "").startswith(f"You posted {POST_LIMIT} answers")
    assert "Posted" in ((await post(fake.moderator_user)).content or "")  # per member
    await fake.settle()
    assert len(fake.sent_to(fake.general)) == POST_LIMIT + 1
    ticks.value += 10 * 60
    assert "Posted" in ((await post(fake.member_user)).content or "")
