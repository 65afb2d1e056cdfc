"""A member flooding the bot: told to slow down once, the flood costs nothing, others are answered."""

from __future__ import annotations

from fakediscord.harness import FakeDiscord
from tests.bot.helpers import Launcher, Ticks, World, bot_of

QUESTION = "do unused connects roll over?"
ENTRY = "connects-rollover"
SLOW_DOWN = "asking faster than I can answer"


async def _times_answered(fake: FakeDiscord) -> int:
    usage = await bot_of(fake).store.usage()
    return usage.get(ENTRY, 0)


async def test_fifty_mentions_in_ten_seconds_get_one_notice_and_others_are_answered(
    fake: FakeDiscord, world: World, ticks: Ticks
) -> None:
    bot_id = world.bot_user["id"]
    other_answers = []
    for i in range(50):
        await fake.message(fake.general, f"<@{bot_id}> {QUESTION} #{i}", author=fake.member_user)
        ticks.value += 0.2
        if i % 10 == 9:  # meanwhile another member asks every 2 seconds
            other_answers.append(await fake.slash("ask", question=QUESTION, user=fake.moderator_user))
    await fake.settle()

    replies = fake.sent_to(fake.general)
    notices = [r for r in replies if SLOW_DOWN in (r.content or "")]
    assert len(notices) == 1
    assert "wait 30 s" in (notices[0].content or "")  # the first of the 5 answered, 29.2 s to go
    answers = [r for r in replies if r.embeds]
    assert len(answers) == 5, "the first five of the flood are answered, the rest ignored"
    assert all(a.embeds and a.embeds[0]["title"] for a in other_answers)
    assert len(other_answers) == 5
    # The ignored 44 cost no match and no database write.
    assert await _times_answered(fake) == 10


async def test_after_the_window_the_member_is_answered_and_can_be_told_again(
    fake: FakeDiscord, world: World, ticks: Ticks
) -> None:
    bot_id = world.bot_user["id"]
    for _ in range(7):
        await fake.message(fake.general, f"<@{bot_id}> {QUESTION}", author=fake.member_user)
    await fake.settle()
    assert len(fake.sent_to(fake.general)) == 6  # five answers, one notice

    ticks.value += 30
    await fake.message(fake.general, f"<@{bot_id}> {QUESTION}", author=fake.member_user)
    await fake.settle()
    assert fake.sent_to(fake.general)[-1].embeds
    for _ in range(5):
        await fake.message(fake.general, f"<@{bot_id}> {QUESTION}", author=fake.member_user)
    await fake.settle()
    notices = [r for r in fake.sent_to(fake.general) if SLOW_DOWN in (r.content or "")]
    assert len(notices) == 2


async def test_a_flood_of_slash_asks_is_refused_privately(fake: FakeDiscord, ticks: Ticks) -> None:
    """Discord needs an answer to every slash command: over the limit each gets a private notice."""
    replies = []
    for _ in range(8):
        replies.append(await fake.slash("ask", question=QUESTION))
    assert [bool(r.embeds) for r in replies] == [True] * 5 + [False] * 3
    assert all(r.ephemeral and SLOW_DOWN in (r.content or "") for r in replies[5:])
    assert await _times_answered(fake) == 5


async def test_empty_mentions_count_too(fake: FakeDiscord, world: World) -> None:
    for _ in range(8):
        await fake.message(fake.general, f"<@{world.bot_user['id']}>", author=fake.member_user)
    await fake.settle()
    replies = [r.content or "" for r in fake.sent_to(fake.general)]
    assert sum("Ask me a question" in r for r in replies) == 5
    assert sum(SLOW_DOWN in r for r in replies) == 1


async def test_the_limit_is_configurable(launch: Launcher) -> None:
    fake = await launch(answers={"question_limit": 1, "question_window_seconds": 60})
    first = await fake.slash("ask", question=QUESTION)
    second = await fake.slash("ask", question=QUESTION)
    assert first.embeds and "wait 60 s" in (second.content or "")
