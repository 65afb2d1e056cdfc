"""Auto-answer in help and forum channels: confident -> answer, close -> suggestions, else silence; one
reply per question; never to bots or itself; per-member cooldown; survives a gateway reconnect."""

from __future__ import annotations

from fakediscord.harness import FakeDiscord
from tests.bot.helpers import Ticks, World, bot_of

CONFIDENT = "do unused connects roll over to next month?"
CLOSE = "connects plan"
OFF_TOPIC = "anyone watching the football tonight?"


async def test_confident_question_in_a_help_channel_gets_an_answer(fake: FakeDiscord) -> None:
    asked = await fake.message(fake.faq, CONFIDENT)
    reply = await fake.wait_for_sent(fake.faq)
    assert reply.embeds[0]["title"] == "Do unused Connects roll over to the next month?"
    assert str(reply.data["message_reference"]["message_id"]) == asked["id"]
    assert reply.custom_ids == ["cb:fb:connects-rollover:1", "cb:fb:connects-rollover:0"]
    assert reply.allowed_mentions == {"parse": [], "replied_user": False}
    await fake.settle()
    assert len(fake.sent_to(fake.faq)) == 1, "its own (echoed) answer is not a question"


async def test_close_question_gets_suggestions(fake: FakeDiscord) -> None:
    await fake.message(fake.faq, CLOSE)
    reply = await fake.wait_for_sent(fake.faq)
    assert "Did you mean" in (reply.content or "")
    (custom_id,) = reply.custom_ids
    values = [o["value"] for o in reply.component(custom_id)["options"]]
    picked = await fake.select(reply, custom_id, [values[0]], user=fake.member_user)
    assert picked.type == 7 and picked.embeds


async def test_off_topic_gets_silence_but_is_noted(fake: FakeDiscord) -> None:
    await fake.message(fake.faq, OFF_TOPIC)
    await fake.settle()
    assert fake.sent_to(fake.faq) == []
    assert [q.question for q in await bot_of(fake).store.open_questions()] == [OFF_TOPIC]


async def test_other_channels_are_left_alone(fake: FakeDiscord) -> None:
    await fake.message(fake.general, CONFIDENT)
    await fake.settle()
    assert fake.sent_to(fake.general) == []


async def test_bots_are_never_answered(fake: FakeDiscord) -> None:
    await fake.message(fake.faq, CONFIDENT, author=fake.user("helperbot"))
    await fake.settle()
    assert fake.sent_to(fake.faq) == []


async def test_at_most_one_reply_per_question(fake: FakeDiscord) -> None:
    asked = await fake.message(fake.faq, CONFIDENT)
    await fake.wait_for_sent(fake.faq)
    await fake.server.dispatch("MESSAGE_CREATE", asked)  # delivered twice
    await fake.settle()
    assert len(fake.sent_to(fake.faq)) == 1


async def test_per_member_cooldown(fake: FakeDiscord, ticks: Ticks) -> None:
    await fake.message(fake.faq, CONFIDENT, author=fake.member_user)
    await fake.wait_for_sent(fake.faq)
    await fake.message(fake.faq, "how do I buy more connects?", author=fake.member_user)
    await fake.settle()
    assert len(fake.sent_to(fake.faq)) == 1, "the same member, within the cooldown"

    await fake.message(fake.faq, "how do I buy more connects?", author=fake.moderator_user)
    await fake.wait_for_sent(fake.faq)  # someone else is not slowed down

    ticks.value += 61
    await fake.message(fake.faq, "can I get a refund for connects?", author=fake.member_user)
    reply = await fake.wait_for_sent(fake.faq)
    assert reply.embeds


async def test_silence_does_not_start_a_cooldown(fake: FakeDiscord) -> None:
    await fake.message(fake.faq, OFF_TOPIC, author=fake.member_user)
    await fake.message(fake.faq, CONFIDENT, author=fake.member_user)
    reply = await fake.wait_for_sent(fake.faq)
    assert reply.embeds


async def test_a_new_forum_post_is_answered_once(fake: FakeDiscord) -> None:
    post = await fake.forum_post(
        fake.forum, "Do connects roll over?", "I have 50 left at month end", tags=["connects"]
    )
    reply = await fake.wait_for_sent(post.id)
    assert reply.embeds[0]["title"] == "Do unused Connects roll over to the next month?"
    assert str(reply.data["message_reference"]["message_id"]) == post.message["id"]

    await fake.message(post.id, "thanks! and what about interview connects?", author=post.message["author"])
    await fake.settle()
    assert len(fake.sent_to(post.id)) == 1, "replies inside the post are a conversation, not new posts"


async def test_mentioning_the_bot_in_a_help_channel_gets_one_reply(fake: FakeDiscord, world: World) -> None:
    await fake.message(fake.faq, f"<@{world.bot_user['id']}> {CONFIDENT}")
    await fake.wait_for_sent(fake.faq)
    await fake.settle()
    assert len(fake.sent_to(fake.faq)) == 1


async def test_keeps_answering_after_a_gateway_reconnect(fake: FakeDiscord) -> None:
    await fake.message(fake.faq, CONFIDENT, author=fake.member_user)
    await fake.wait_for_sent(fake.faq)
    await fake.reconnect()  # op 7 RECONNECT: the client RESUMEs on a new connection
    assert fake.server.resume_count == 1
    await fake.message(fake.faq, "can I get a refund for connects?", author=fake.moderator_user)
    assert (await fake.wait_for_sent(fake.faq)).embeds
    reply = await fake.slash("ask", question=CONFIDENT)
    assert reply.embeds


async def test_questions_sent_during_an_outage_are_answered_after_resume(fake: FakeDiscord) -> None:
    async with fake.outage():
        await fake.message(fake.faq, CONFIDENT)
    assert (await fake.wait_for_sent(fake.faq)).embeds


async def test_a_channel_without_permission_is_not_an_error(fake: FakeDiscord) -> None:
    fake.fail_next(
        "POST /channels/*/messages", status=403, body={"message": "Missing Permissions", "code": 50013}
    )
    await fake.message(fake.faq, CONFIDENT, author=fake.member_user)
    await fake.settle()
    assert fake.sent_to(fake.faq) == []  # refused, logged as a warning (an ERROR would fail the test)
    await fake.message(fake.faq, "can I get a refund for connects?", author=fake.moderator_user)
    assert (await fake.wait_for_sent(fake.faq)).embeds


async def test_a_forum_post_that_mentions_the_bot_is_answered_once(fake: FakeDiscord, world: World) -> None:
    mention = f"<@{world.bot_user['id']}>"
    post = await fake.forum_post(fake.forum, "Rollover?", f"{mention} do unused connects roll over?")
    reply = await fake.wait_for_sent(post.id)
    assert reply.embeds
    await fake.message(post.id, "and do they expire?", author=post.message["author"])
    await fake.settle()
    assert len(fake.sent_to(post.id)) == 1


async def test_thanks_in_a_help_channel_gets_no_reply(fake: FakeDiscord) -> None:
    await fake.message(fake.faq, "thanks everyone!! 🙏")
    await fake.settle()
    assert fake.sent_to(fake.faq) == []
    assert await bot_of(fake).store.open_questions() == []
