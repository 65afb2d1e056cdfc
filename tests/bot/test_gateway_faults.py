"""Gateway faults against the real bot: after op 7 RECONNECT, op 9 INVALID SESSION, the socket closed
with resumable and non-resumable codes, or missed heartbeat ACKs, it answers /ask, a help-channel
question, a mention and the buttons of answers it gave before; events Discord delivers twice after a
RESUME get one reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from fakediscord.harness import CALLBACK_ROUTE, FakeDiscord
from tests.bot.helpers import bot_of

CONFIDENT = "do unused connects roll over to next month?"
TITLE = "Do unused Connects roll over to the next month?"
HELPFUL = "cb:fb:connects-rollover:1"

Fault = Callable[[FakeDiscord], Awaitable[object]]


async def _op7(fake: FakeDiscord) -> None:
    await fake.reconnect()


async def _op9_resumable(fake: FakeDiscord) -> None:
    await fake.invalidate_session(resumable=True)


async def _op9(fake: FakeDiscord) -> None:
    await fake.invalidate_session(resumable=False)


async def _close(fake: FakeDiscord, code: int, *, resumable: bool) -> None:
    came_back = await fake.close_gateway(code, resumable=resumable)
    assert came_back == ("RESUMED" if resumable else "READY")


async def _missed_acks(fake: FakeDiscord) -> None:
    assert await fake.miss_heartbeat_acks() == "RESUMED"


FAULTS = [
    pytest.param(_op7, True, id="op 7 RECONNECT"),
    pytest.param(_op9_resumable, True, id="op 9 INVALID SESSION, resumable"),
    pytest.param(_op9, False, id="op 9 INVALID SESSION"),
    pytest.param(lambda fake: _close(fake, 4000, resumable=True), True, id="closed 4000 unknown error"),
    pytest.param(lambda fake: _close(fake, 1001, resumable=True), True, id="closed 1001 going away"),
    pytest.param(lambda fake: _close(fake, 1000, resumable=True), True, id="closed 1000 by Discord"),
    pytest.param(lambda fake: _close(fake, 4009, resumable=False), False, id="closed 4009 session timed out"),
    pytest.param(_missed_acks, True, id="missed heartbeat ACKs"),
]


@pytest.mark.parametrize(("fault", "resumed"), FAULTS)
async def test_the_bot_comes_back_and_answers(fake: FakeDiscord, fault: Fault, resumed: bool) -> None:
    before = await fake.slash("ask", question=CONFIDENT, user=fake.admin_user)

    await fault(fake)
    assert (fake.server.resume_count, fake.server.identify_count) == ((1, 1) if resumed else (0, 2))

    asked = await fake.slash("ask", question=CONFIDENT, user=fake.member_user)
    assert asked.embeds[0]["title"] == TITLE
    await fake.message(fake.faq, CONFIDENT, author=fake.member_user)
    assert (await fake.wait_for_sent(fake.faq)).embeds[0]["title"] == TITLE
    await fake.message(fake.general, f"<@{fake.bot_user['id']}> {CONFIDENT}", author=fake.moderator_user)
    assert (await fake.wait_for_sent(fake.general)).embeds[0]["title"] == TITLE
    vote = await fake.click(before, HELPFUL, user=fake.admin_user)  # an answer from before the fault
    assert "Noted as helpful" in (vote.content or "")


def _deliveries(fake: FakeDiscord, event: str, id_: str) -> int:
    return sum(1 for f in fake.server.gateway_sent if f.get("t") == event and f["d"]["id"] == id_)


async def test_events_delivered_twice_get_one_reply(fake: FakeDiscord) -> None:
    mark = fake.gateway_seq()
    question = await fake.message(fake.faq, CONFIDENT, author=fake.member_user)
    await fake.wait_for_sent(fake.faq)
    mention = await fake.message(
        fake.general, f"<@{fake.bot_user['id']}> {CONFIDENT}", author=fake.moderator_user
    )
    await fake.wait_for_sent(fake.general)
    answer = await fake.slash("ask", question=CONFIDENT, user=fake.admin_user)
    vote = await fake.click(answer, HELPFUL, user=fake.admin_user)

    fake.redeliver_on_resume(mark)
    await fake.reconnect()
    await fake.settle()

    assert _deliveries(fake, "MESSAGE_CREATE", question["id"]) == 2
    assert _deliveries(fake, "MESSAGE_CREATE", mention["id"]) == 2
    for interaction in (answer.interaction, vote.interaction):
        assert interaction is not None
        assert _deliveries(fake, "INTERACTION_CREATE", str(interaction.id)) == 2
    assert len(fake.sent_to(fake.faq)) == 1
    assert len(fake.sent_to(fake.general)) == 1
    callbacks = [r for r in fake.sent if r.route == CALLBACK_ROUTE]
    assert [r.status for r in callbacks] == [200, 200], "a second callback would get 400 40060"
    counts = (await bot_of(fake).store.feedback())["connects-rollover"]
    assert (counts.helpful, counts.not_helpful) == (1, 0)

    await fake.message(fake.faq, "can I get a refund for connects?", author=fake.moderator_user)
    assert (await fake.wait_for_sent(fake.faq)).embeds, "new events are still handled"


async def test_events_of_an_outage_delivered_twice_get_one_reply(fake: FakeDiscord) -> None:
    mark = fake.gateway_seq()
    async with fake.outage():
        question = await fake.message(fake.faq, CONFIDENT, author=fake.member_user)
        pending = await fake.send_slash("ask", question=CONFIDENT, user=fake.admin_user)
    assert (await pending.response()).embeds
    await fake.wait_for_sent(fake.faq)

    fake.redeliver_on_resume(mark)
    assert await fake.miss_heartbeat_acks() == "RESUMED"
    await fake.settle()

    assert _deliveries(fake, "MESSAGE_CREATE", question["id"]) == 2
    assert _deliveries(fake, "INTERACTION_CREATE", str(pending.id)) == 2
    assert len(fake.sent_to(fake.faq)) == 1
    assert len([r for r in fake.sent if r.route == CALLBACK_ROUTE]) == 1
