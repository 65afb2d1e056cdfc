"""/ask end to end: the answer embed, Helpful / Not helpful, "Did you mean…", autocomplete, @mention."""

from __future__ import annotations

from bot.components import NOT_YOUR_ANSWER
from fakediscord import payloads
from fakediscord.harness import FakeDiscord
from tests.bot.helpers import Clock, Launcher, World, bot_of

ANSWERED = "do unused connects roll over?"
UNSURE = "connects plan"  # the matcher offers the Plus plan, the monthly allowance, ...
UNKNOWN = "what's the weather in paris tomorrow"
MISSING = "i didnt get my interview connects"


def _decision(fake: FakeDiscord, question: str) -> str:
    answers = bot_of(fake).answers
    (vector,) = (
        [None]
        if answers.encoder is None
        else answers.encoder.encode([answers.current_matcher.text_to_encode(question)])
    )
    return answers.current_matcher.match(question, vector).decision


async def test_ask_answers_with_an_embed_and_feedback_buttons(fake: FakeDiscord) -> None:
    reply = await fake.slash("ask", question=ANSWERED)
    assert reply.type == 4 and not reply.ephemeral
    (embed,) = reply.embeds
    assert embed["title"] == "Do unused Connects roll over to the next month?"
    assert "200 Connects" in embed["description"]
    footer = embed["footer"]["text"]
    assert footer.startswith("Sources: Upwork Community announcement (Dec 2020)")
    assert "more than two years old: Upwork may have changed it since" in footer and "as of" not in footer
    assert reply.custom_ids == ["cb:fb:connects-rollover:1", "cb:fb:connects-rollover:0"]
    assert reply.allowed_mentions == {"parse": []}


async def test_private_ask_is_ephemeral(fake: FakeDiscord) -> None:
    reply = await fake.slash("ask", question=ANSWERED, private=True)
    assert reply.ephemeral and reply.embeds


async def test_missing_interview_connects_points_to_diagnose(fake: FakeDiscord) -> None:
    reply = await fake.slash("ask", question=MISSING)
    (embed,) = reply.embeds
    assert any("/diagnose" in field["value"] for field in embed["fields"])


async def test_one_vote_per_member_per_answer(fake: FakeDiscord, clock: Clock) -> None:
    store = bot_of(fake).store
    answer = await fake.slash("ask", question=ANSWERED, user=fake.member_user)

    first = await fake.click(answer, "cb:fb:connects-rollover:1", user=fake.member_user)
    assert first.ephemeral and "Noted as helpful" in (first.content or "")
    again = await fake.click(answer, "cb:fb:connects-rollover:1", user=fake.member_user)
    assert "already said" in (again.content or "")
    theirs = await fake.slash("ask", question=ANSWERED, user=fake.moderator_user)
    other = await fake.click(theirs, "cb:fb:connects-rollover:0", user=fake.moderator_user)
    assert "not helpful" in (other.content or "")
    assert (await store.feedback())["connects-rollover"].helpful == 1
    assert (await store.feedback())["connects-rollover"].not_helpful == 1

    changed = await fake.click(answer, "cb:fb:connects-rollover:0", user=fake.member_user)
    assert "Changed your vote" in (changed.content or "")
    counts = (await store.feedback())["connects-rollover"]
    assert (counts.helpful, counts.not_helpful) == (0, 2)

    # A new answer of the same entry the same day changes the member's vote of the day...
    second = await fake.slash("ask", question=ANSWERED, user=fake.member_user)
    await fake.click(second, "cb:fb:connects-rollover:1", user=fake.member_user)
    counts = (await store.feedback())["connects-rollover"]
    assert (counts.helpful, counts.not_helpful) == (1, 1)
    # ... and on another day it is another vote.
    clock.advance(days=1)
    third = await fake.slash("ask", question=ANSWERED, user=fake.member_user)
    await fake.click(third, "cb:fb:connects-rollover:1", user=fake.member_user)
    counts = (await store.feedback())["connects-rollover"]
    assert (counts.helpful, counts.not_helpful) == (2, 1)


async def test_only_the_member_an_answer_was_for_rates_it(fake: FakeDiscord) -> None:
    answer = await fake.slash("ask", question=ANSWERED, user=fake.member_user)
    refused = await fake.click(answer, "cb:fb:connects-rollover:1", user=fake.moderator_user)
    assert refused.ephemeral and refused.content == NOT_YOUR_ANSWER
    assert await bot_of(fake).store.feedback() == {}


async def test_did_you_mean_then_the_asker_picks(fake: FakeDiscord) -> None:
    assert _decision(fake, UNSURE) == "suggest", "pick a question the matcher is unsure about"
    reply = await fake.slash("ask", question=UNSURE, user=fake.member_user)
    assert reply.content is not None and "Did you mean" in reply.content
    (custom_id,) = reply.custom_ids
    assert custom_id.startswith("cb:pick:")
    select = reply.component(custom_id)
    values = [option["value"] for option in select["options"]]
    assert 1 <= len(values) <= 3
    assert all(len(option["label"]) <= 100 for option in select["options"])

    picked = await fake.select(reply, custom_id, [values[0]], user=fake.member_user)
    assert picked.type == 7  # the suggestion message becomes the answer
    assert picked.embeds and picked.custom_ids == [f"cb:fb:{values[0]}:1", f"cb:fb:{values[0]}:0"]
    question_id = int(custom_id.removeprefix("cb:pick:"))
    assert (await bot_of(fake).store.question(question_id)).picked_entry_id == values[0]


async def test_someone_else_picking_sees_the_answer_privately(fake: FakeDiscord) -> None:
    reply = await fake.slash("ask", question=UNSURE, user=fake.member_user)
    (custom_id,) = reply.custom_ids
    value = reply.component(custom_id)["options"][0]["value"]
    seen = await fake.select(reply, custom_id, [value], user=fake.moderator_user)
    assert seen.type == 4 and seen.ephemeral and seen.embeds
    question_id = int(custom_id.removeprefix("cb:pick:"))
    assert (await bot_of(fake).store.question(question_id)).picked_entry_id is None


async def test_unknown_question_is_noted_for_moderators(fake: FakeDiscord) -> None:
    reply = await fake.slash("ask", question=UNKNOWN)
    assert reply.ephemeral and "noted your question" in (reply.content or "")
    (recorded,) = await bot_of(fake).store.open_questions()
    assert recorded.question == UNKNOWN and recorded.decision == "none"


async def test_autocomplete_offers_entry_titles(fake: FakeDiscord) -> None:
    choices = await fake.autocomplete("ask", "question", "")
    assert 1 <= len(choices) <= 25
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)

    choices = await fake.autocomplete("ask", "question", "roll")
    assert choices[0]["value"] == "Do unused Connects roll over to the next month?"
    typo = await fake.autocomplete("ask", "question", "rollovr")
    assert any("roll over" in c["value"] for c in typo)


async def test_autocomplete_answers_well_within_discords_three_seconds(fake: FakeDiscord) -> None:
    loop_time = __import__("asyncio").get_running_loop().time
    start = loop_time()
    for prefix in ("c", "con", "connects ro", "intervi", "zzzz"):
        await fake.autocomplete("ask", "question", prefix)
    assert (loop_time() - start) / 5 < 0.5


async def test_a_picked_title_is_answered(fake: FakeDiscord) -> None:
    (choice, *_) = await fake.autocomplete("ask", "question", "roll")
    reply = await fake.slash("ask", question=choice["value"])
    assert reply.embeds[0]["title"] == choice["value"]


async def test_mentioning_the_bot_works_like_ask(fake: FakeDiscord, world: World) -> None:
    bot_id = world.bot_user["id"]
    await fake.message(fake.general, f"<@{bot_id}> {ANSWERED}")
    answer = await fake.wait_for_sent(fake.general)
    assert answer.embeds[0]["title"] == "Do unused Connects roll over to the next month?"
    assert answer.data["message_reference"]["message_id"]
    assert answer.allowed_mentions == {"parse": [], "replied_user": False}

    await fake.message(fake.general, f"<@!{bot_id}> {UNKNOWN}")
    unknown = await fake.wait_for_sent(fake.general)
    assert "don't know" in (unknown.content or "")

    await fake.message(fake.general, f"<@{bot_id}>")
    hint = await fake.wait_for_sent(fake.general)
    assert "Ask me a question" in (hint.content or "")


async def test_text_in_answers_cannot_ping(fake: FakeDiscord, world: World) -> None:
    """Member text the bot repeats (/ask suggestions, mentions) never pings anyone."""
    bot_id = world.bot_user["id"]
    await fake.message(
        fake.general, f"<@{bot_id}> @everyone <@&{world.role('Moderator')['id']}> connects plan"
    )
    reply = await fake.wait_for_sent(fake.general)
    assert reply.allowed_mentions is not None and reply.allowed_mentions["parse"] == []
    fake.assert_no_mass_mentions()


async def test_ask_in_a_dm_works(fake: FakeDiscord) -> None:
    dm = fake.server.dm_channel_for(fake.member_user)
    reply = await fake.slash("ask", question=ANSWERED, channel=dm["id"])
    assert reply.embeds


def test_payload_helpers_are_what_the_tests_think() -> None:
    assert payloads.EPHEMERAL == 64


async def test_without_auto_answer_the_bot_needs_no_message_content_and_mentions_still_work(
    launch: Launcher, world: World
) -> None:
    fake = await launch(channels={"help_channel_ids": [], "forum_channel_ids": []})
    assert not bot_of(fake).intents.message_content
    await fake.message(fake.general, f"<@{world.bot_user['id']}> {ANSWERED}")
    answer = await fake.wait_for_sent(fake.general)
    assert answer.embeds[0]["title"] == "Do unused Connects roll over to the next month?"


async def test_greetings_get_what_the_bot_can_do_and_are_not_recorded(fake: FakeDiscord) -> None:
    reply = await fake.slash("ask", question="hi!")
    assert "I answer questions about Upwork Connects" in (reply.content or "") and not reply.embeds
    assert reply.custom_ids == []
    assert await bot_of(fake).store.unanswered() == []
