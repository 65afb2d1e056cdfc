"""REST faults against the real bot: 429 (per route and global), 500/502, slow answers. Every reply is
delivered once, after discord.py's rate limiter waited out the 429; when Discord keeps refusing, the
member is told (ephemeral) and the failure is a warning, not an error."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.failures import DISCORD_FAILED_TEXT, NO_PERMISSION_TEXT
from fakediscord.harness import CALLBACK_ROUTE, FOLLOWUP_ROUTE, FakeDiscord
from fakediscord.server import RecordedRequest
from tests.bot.helpers import bot_of

CONFIDENT = "do unused connects roll over to next month?"
TITLE = "Do unused Connects roll over to the next month?"
HELPFUL = "cb:fb:connects-rollover:1"
RETRY_AFTER = 0.3
WAITED = 0.25  # RETRY_AFTER, less some slack for clock granularity
# Long enough for three messages, the most a diagnosis is sent as (longer: one message with a file).
LONG_TIMELINE = "\n".join(
    [
        line
        for day in range(1, 11)
        for line in (
            f"2026-10-{day:02d} proposal Job number {day}",
            f"2026-10-{day:02d} 10:00 interview Job number {day}",
            f"2026-10-{day:02d} 11:00 respond Job number {day}",
        )
    ]
    + ["2026-11-06 check"]
)


def _calls(fake: FakeDiscord, method: str, route: str) -> list[RecordedRequest]:
    return [r for r in fake.sent if r.method == method and r.route == route]


def _posts_to(fake: FakeDiscord, channel: dict[str, object]) -> list[RecordedRequest]:
    path = f"/channels/{channel['id']}/messages"
    return [r for r in fake.sent if r.method == "POST" and r.path == path]


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "bot.failures" and r.levelno == logging.WARNING
    ]


# 429: waited out, delivered once


@pytest.mark.parametrize("global_", [False, True], ids=["per route", "global"])
async def test_an_ask_reply_rate_limited_is_delivered_once_after_retry_after(
    fake: FakeDiscord, global_: bool
) -> None:
    fake.fail_next("POST /interactions/*/callback", status=429, retry_after=RETRY_AFTER, global_=global_)
    reply = await fake.slash("ask", question=CONFIDENT)
    assert reply.embeds[0]["title"] == TITLE
    await fake.settle()
    limited, delivered = _calls(fake, "POST", CALLBACK_ROUTE)
    assert (limited.status, delivered.status) == (429, 200)
    assert delivered.received_at - limited.received_at >= WAITED


async def test_a_rate_limited_channel_holds_every_reply_there_until_retry_after(fake: FakeDiscord) -> None:
    fake.fail_next(f"POST /channels/{fake.faq['id']}/messages", status=429, retry_after=RETRY_AFTER)
    first = await fake.message(fake.faq, CONFIDENT, author=fake.member_user)
    second = await fake.message(fake.faq, "can I get a refund for connects?", author=fake.moderator_user)
    await fake.wait_for_sent(fake.faq)
    await fake.wait_for_sent(fake.faq)
    await fake.settle()
    limited, *delivered = _posts_to(fake, fake.faq)
    assert [r.status for r in (limited, *delivered)] == [429, 200, 200]
    assert all(r.received_at - limited.received_at >= WAITED for r in delivered)
    answered = sorted(str(r.json["message_reference"]["message_id"]) for r in delivered)
    assert answered == sorted([first["id"], second["id"]]), "one reply per question"


async def test_a_global_rate_limit_on_a_channel_reply_is_waited_out(fake: FakeDiscord) -> None:
    fake.fail_next("POST /channels/*/messages", status=429, retry_after=RETRY_AFTER, global_=True)
    await fake.message(fake.general, f"<@{fake.bot_user['id']}> {CONFIDENT}")
    assert (await fake.wait_for_sent(fake.general)).embeds[0]["title"] == TITLE
    await fake.settle()
    limited, delivered = _posts_to(fake, fake.general)
    assert (limited.status, delivered.status) == (429, 200)
    assert delivered.received_at - limited.received_at >= WAITED


async def test_rate_limited_followups_arrive_once_each_in_order(fake: FakeDiscord) -> None:
    async def diagnose() -> list[str]:
        modal = await fake.slash("diagnose")
        first = await fake.submit_modal(modal, {"timeline": LONG_TIMELINE})
        await fake.settle()
        assert first.interaction is not None
        path = f"/webhooks/{fake.application_id}/{first.interaction.token}"
        followups = [r for r in fake.sent if r.ok and r.method == "POST" and r.path == path]
        return [first.content or "", *(r.json["content"] for r in followups)]

    undisturbed = await diagnose()
    assert len(undisturbed) >= 3, "a result long enough for several followups"
    fake.fail_next("POST /webhooks/*", status=429, retry_after=0.05, times=2)
    assert await diagnose() == undisturbed
    assert [r.status for r in _calls(fake, "POST", FOLLOWUP_ROUTE)].count(429) == 2


# 5xx and slow answers: retried or waited for, delivered once


@pytest.mark.parametrize("status", [500, 502])
async def test_a_help_channel_answer_survives_a_server_error(fake: FakeDiscord, status: int) -> None:
    fake.speed_up_retries()
    fake.fail_next("POST /channels/*/messages", status=status)
    await fake.message(fake.faq, CONFIDENT)
    assert (await fake.wait_for_sent(fake.faq)).embeds[0]["title"] == TITLE
    await fake.settle()
    assert [r.status for r in _posts_to(fake, fake.faq)] == [status, 200]


async def test_a_vote_answered_502_is_retried_and_counted_once(fake: FakeDiscord) -> None:
    answer = await fake.slash("ask", question=CONFIDENT, user=fake.moderator_user)
    fake.speed_up_retries()
    fake.fail_next("POST /interactions/*/callback", status=502)
    vote = await fake.click(answer, HELPFUL, user=fake.moderator_user)
    assert "Noted as helpful" in (vote.content or "")
    await fake.settle()
    assert [r.status for r in _calls(fake, "POST", CALLBACK_ROUTE)] == [200, 502, 200]
    assert (await bot_of(fake).store.feedback())["connects-rollover"].helpful == 1


async def test_slow_answers_from_discord_do_not_duplicate_replies(fake: FakeDiscord) -> None:
    fake.fail_next("POST /interactions/*/callback", status=None, delay=0.5)
    fake.fail_next("POST /channels/*/messages", status=None, delay=0.5)
    pending = await fake.send_slash("ask", question=CONFIDENT)
    await fake.message(fake.faq, CONFIDENT)
    assert (await pending.response()).embeds
    assert (await fake.wait_for_sent(fake.faq)).embeds
    await fake.settle()
    assert len(_calls(fake, "POST", CALLBACK_ROUTE)) == 1
    assert len(_posts_to(fake, fake.faq)) == 1


# When it cannot be done: the member is told; a warning, not an error


async def test_an_ask_reply_discord_keeps_failing_is_explained_to_the_member(
    fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    fake.speed_up_retries()
    fake.fail_next("POST /interactions/*/callback", status=500, times=5)  # all of discord.py's tries
    told = await fake.slash("ask", question=CONFIDENT)
    assert told.ephemeral and told.content == DISCORD_FAILED_TEXT
    assert [r.status for r in _calls(fake, "POST", CALLBACK_ROUTE)] == [500] * 5 + [200]
    assert any("command /ask: Discord refused or failed: 500" in w for w in _warnings(caplog))


async def test_a_vote_discord_keeps_failing_is_explained_to_the_member(
    fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    answer = await fake.slash("ask", question=CONFIDENT, user=fake.moderator_user)
    fake.speed_up_retries()
    fake.fail_next("POST /interactions/*/callback", status=502, times=5)
    told = await fake.click(answer, HELPFUL, user=fake.moderator_user)
    assert told.ephemeral and told.content == DISCORD_FAILED_TEXT
    assert any("Helpful / Not helpful button: Discord refused or failed: 502" in w for w in _warnings(caplog))


async def test_a_reply_refused_for_missing_access_is_explained_to_the_member(fake: FakeDiscord) -> None:
    fake.fail_next(
        "POST /interactions/*/callback", status=403, body={"message": "Missing Access", "code": 50001}
    )
    told = await fake.slash("ask", question=CONFIDENT)
    assert told.ephemeral and told.content == NO_PERMISSION_TEXT


async def test_an_expired_interaction_is_a_warning_and_not_answered_again(
    fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(
        "POST /interactions/*/callback", status=404, body={"message": "Unknown interaction", "code": 10062}
    )
    await fake.send_slash("ask", question=CONFIDENT)
    await fake.settle()
    assert [r.status for r in _calls(fake, "POST", CALLBACK_ROUTE)] == [404], "no one to tell"
    assert any("Unknown interaction" in w for w in _warnings(caplog))


@pytest.mark.parametrize("where", ["faq", "general"], ids=["help channel", "mention"])
async def test_a_channel_the_bot_may_not_post_in_is_a_warning(fake: FakeDiscord, where: str) -> None:
    channel = fake.channel(where)
    fake.fail_next(
        "POST /channels/*/messages", status=403, body={"message": "Missing Permissions", "code": 50013}
    )
    await fake.message(channel, f"<@{fake.bot_user['id']}> {CONFIDENT}" if where == "general" else CONFIDENT)
    await fake.settle()
    assert [r.status for r in _posts_to(fake, channel)] == [403]
    await fake.message(channel, f"<@{fake.bot_user['id']}> {CONFIDENT}", author=fake.moderator_user)
    assert (await fake.wait_for_sent(channel)).embeds, "the next question is answered"


async def test_closing_lets_a_reply_in_flight_go_out(fake: FakeDiscord) -> None:
    """A SIGTERM under load: the launcher closes the bot while an answer is on its way."""
    fake.fail_next("POST /interactions/*/callback", status=None, delay=0.3)
    pending = await fake.send_slash("ask", question="do unused connects roll over?")
    await asyncio.sleep(0.1)  # the handler is waiting for Discord's answer
    fake._expect_connect_end = True  # closing ends the bot's connection: expected here
    await bot_of(fake).close()
    reply = await pending.response()
    assert reply.request.ok and reply.embeds
