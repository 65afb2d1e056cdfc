"""Forms and controls nothing handles any more (a modal or preview from before a restart or past its
timeout, a `cb:` control of a kind this version lacks) get an ephemeral "expired" reply instead of
Discord's "This interaction failed"; those something handles still get exactly one answer.

The bot tells them apart with discord.py's private view store (`bot.discord_internals.ui_will_handle`):
these tests fail if discord.py routes differently (a double answer, or none)."""

from __future__ import annotations

import asyncio

import pytest

from bot.expired_controls import EXPIRED_CONTROL_TEXT, EXPIRED_FORM_TEXT
from fakediscord.harness import CALLBACK_ROUTE, FOLLOWUP_ROUTE, FakeDiscord, Reply
from fakediscord.payloads import JSON
from tests.bot.helpers import bot_of
from tests.bot.test_diagnose import TIMELINE

ANSWERED = "do unused connects roll over?"
HELPFUL = "cb:fb:connects-rollover:1"
STALE_ID = "5f0c6a3e9b7d4e21a8c3f6b2d9e1a470"  # how discord.py names a modal or view item (uuid4 hex)


async def _answers(fake: FakeDiscord, reply: Reply) -> list[Reply]:
    """Everything the bot sent on the interaction `reply` answered: callbacks and followups."""
    await fake.settle()
    assert reply.interaction is not None
    return [
        fake._reply(request)
        for request in fake.sent
        if request.method == "POST"
        and request.route in (CALLBACK_ROUTE, FOLLOWUP_ROUTE)
        and request.params["token"] == reply.interaction.token
    ]


def _only_expired_reply(answers: list[Reply], text: str) -> None:
    assert [(a.type, a.ephemeral, a.content) for a in answers] == [(4, True, text)]
    assert answers[0].allowed_mentions == {"parse": []}


async def _answer_with(fake: FakeDiscord, custom_id: str) -> JSON:
    """The bot's answer to /ask, its Helpful button's custom_id changed to `custom_id` (the message as
    an older version of the bot would have sent it)."""
    answer = await fake.slash("ask", question=ANSWERED)
    assert answer.message is not None
    message = fake.messages[int(answer.message["id"])]
    message["components"][0]["components"][0]["custom_id"] = custom_id
    return message


async def test_a_form_the_bot_does_not_know_is_answered(fake: FakeDiscord) -> None:
    reply = await fake.submit_modal(STALE_ID, {"timeline": TIMELINE})
    _only_expired_reply(await _answers(fake, reply), EXPIRED_FORM_TEXT)


@pytest.mark.parametrize(
    "custom_id",
    [
        pytest.param(STALE_ID, id="view-item-of-another-run"),
        pytest.param("cb:vote:connects-rollover:1", id="cb-kind-without-template"),
    ],
)
async def test_a_control_the_bot_does_not_know_is_answered(fake: FakeDiscord, custom_id: str) -> None:
    message = await _answer_with(fake, custom_id)
    reply = await fake.click(message, custom_id)
    _only_expired_reply(await _answers(fake, reply), EXPIRED_CONTROL_TEXT)


async def test_a_preview_past_its_timeout_is_answered(
    fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bot loads its extensions afresh: patch the module it runs.
    monkeypatch.setattr(bot_of(fake).extensions["bot.exts.answer_with_faq"], "PREVIEW_TIMEOUT", 0.01)
    question = await fake.message(fake.general, ANSWERED)
    preview = await fake.message_command("Answer with FAQ", question)
    await fake.settle()  # the preview's view is stored and its timeout running
    await asyncio.sleep(0.05)
    post, _ = preview.custom_ids
    reply = await fake.click(preview, post)
    _only_expired_reply(await _answers(fake, reply), EXPIRED_CONTROL_TEXT)
    assert fake.sent_to(fake.general) == []


async def test_the_diagnose_form_is_answered_once(fake: FakeDiscord) -> None:
    modal = await fake.slash("diagnose")
    reply = await fake.submit_modal(modal, {"timeline": TIMELINE})
    answers = await _answers(fake, reply)
    assert len(answers) == 1 and "Logo design" in (answers[0].content or "")


async def test_a_persistent_button_is_answered_once(fake: FakeDiscord) -> None:
    answer = await fake.slash("ask", question=ANSWERED)
    reply = await fake.click(answer, HELPFUL)
    answers = await _answers(fake, reply)
    assert len(answers) == 1 and "Noted as helpful" in (answers[0].content or "")


async def test_a_preview_button_is_answered_once(fake: FakeDiscord) -> None:
    question = await fake.message(fake.general, ANSWERED)
    preview = await fake.message_command("Answer with FAQ", question)
    _, other = preview.custom_ids
    reply = await fake.click(preview, other)
    answers = await _answers(fake, reply)
    assert [a.type for a in answers] == [7] and "Pick the entry" in (answers[0].content or "")
