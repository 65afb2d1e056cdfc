"""/faq unanswered (grouped, turned into entries or aliases) and /faq stats (numbers and a PNG chart)."""

from __future__ import annotations

import copy
import sqlite3
import struct
import zlib

from bot import checks
from connectsbot.curation import KnowledgeEvent
from connectsbot.store import NotFound
from fakediscord.harness import FakeDiscord, Reply
from tests.bot.helpers import Clock, bot_of

PHOTO = [
    "how do I change my profile photo",
    "how to change profile photo?",
    "How do I change my profile photo!!",
]
WEATHER = "what's the weather in paris tomorrow"


async def _unanswered(fake: FakeDiscord) -> Reply:
    reply = await fake.slash("faq unanswered", user=fake.moderator_user)
    assert reply.ephemeral
    return reply


async def test_unanswered_questions_are_grouped_most_frequent_first(fake: FakeDiscord) -> None:
    for question in [*PHOTO, WEATHER]:
        await fake.slash("ask", question=question)
    reply = await _unanswered(fake)
    description = reply.embeds[0]["description"]
    first, second = description.split("\n**2.**")
    assert first.startswith("**1.** ×3 ") and "profile photo" in first
    assert "×1" in second and "weather" in second
    assert (
        reply.custom_ids[:2]
        == [c for c in reply.custom_ids if c.startswith(("cb:un:new:", "cb:un:alias:"))][:2]
    )


async def test_turn_a_group_into_a_new_entry(fake: FakeDiscord) -> None:
    for question in PHOTO:
        await fake.slash("ask", question=question)
    reply = await _unanswered(fake)
    new_button = next(c for c in reply.custom_ids if c.startswith("cb:un:new:"))
    modal = await fake.click(reply, new_button, user=fake.moderator_user)
    assert modal.type == 9
    assert modal.component("entry_id")["value"] == "change-profile-photo"
    assert "profile photo" in modal.component("question")["value"]
    saved = await fake.submit_modal(
        modal,
        {
            "question": "How do I change my profile photo?",
            "answer": "Go to **Settings → Profile** and upload a new photo.",
            "source": "upwork-connects-announcement: profile settings",
        },
    )
    assert "Added `change-profile-photo`" in (saved.content or "")
    bot = bot_of(fake)
    assert await bot.store.open_questions() == [], "the group's questions are marked as dealt with"
    (revision,) = await bot.store.history("change-profile-photo")
    assert revision.reason == "new entry for 3 unanswered questions (/faq unanswered)"
    log = await fake.wait_for_sent(fake.mod_log)
    assert log.embeds[0]["title"] == "Entry added: change-profile-photo (r1)"
    again = await _unanswered(fake)
    assert "Nothing waiting" in again.embeds[0]["description"]


PHOTO_ENTRY = {
    "question": "How do I change my profile photo?",
    "answer": "Go to **Settings → Profile** and upload a new photo.",
    "source": "upwork-connects-announcement: profile settings",
}


def _refuse_marking_questions(fake: FakeDiscord) -> None:
    """From now on the database refuses to mark questions as dealt with (a fault inside the write)."""
    with sqlite3.connect(bot_of(fake).settings.store.db) as db:
        db.execute(
            "CREATE TRIGGER refuse_marking BEFORE UPDATE ON questions "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )


async def test_a_new_entry_is_saved_with_its_questions_or_not_at_all(fake: FakeDiscord) -> None:
    """The entry used to be committed before its questions were marked; when marking failed the
    moderator read "nothing was saved" about a saved entry, and the mod-log never heard of it."""
    for question in PHOTO:
        await fake.slash("ask", question=question)
    reply = await _unanswered(fake)
    new_button = next(c for c in reply.custom_ids if c.startswith("cb:un:new:"))
    modal = await fake.click(reply, new_button, user=fake.moderator_user)
    _refuse_marking_questions(fake)
    fake.allow_errors("NewFromQuestionsModal failed")
    refused = await fake.submit_modal(modal, PHOTO_ENTRY)
    assert "nothing was saved" in (refused.content or "")
    bot = bot_of(fake)
    try:
        await bot.store.get("change-profile-photo", include_retired=True)
        raise AssertionError("the entry was saved without its questions")
    except NotFound:
        pass
    assert len(await bot.store.open_questions()) == 3
    assert fake.sent_to(fake.mod_log) == []


async def test_a_saved_change_is_reported_as_saved_whatever_follows_it(fake: FakeDiscord) -> None:
    """Once the change is committed, a failure in what follows it (here a follower of the curator's
    events) neither turns the moderator's reply into "not saved" nor stops the mod-log."""

    async def broken_follower(event: KnowledgeEvent) -> None:
        raise RuntimeError("a follower's bug")

    bot = bot_of(fake)
    bot.curator.subscribe(broken_follower)
    fake.allow_errors("a follower of knowledge changes failed")
    for question in PHOTO:
        await fake.slash("ask", question=question)
    reply = await _unanswered(fake)
    new_button = next(c for c in reply.custom_ids if c.startswith("cb:un:new:"))
    modal = await fake.click(reply, new_button, user=fake.moderator_user)
    saved = await fake.submit_modal(modal, PHOTO_ENTRY)
    assert "Added `change-profile-photo`" in (saved.content or "")
    assert await bot.store.open_questions() == []
    log = await fake.wait_for_sent(fake.mod_log)
    assert log.embeds[0]["title"] == "Entry added: change-profile-photo (r1)"
    assert "+ answers 3 unanswered questions" in log.embeds[0]["fields"][-1]["value"]
    answer = await fake.slash("ask", question="how do I change my profile photo")
    assert answer.embeds and answer.embeds[0]["title"] == "How do I change my profile photo?"


async def test_an_alias_from_questions_is_saved_with_them_or_not_at_all(fake: FakeDiscord) -> None:
    """The alias used to be committed first; when marking the questions failed the moderator read
    "Not saved" about a saved alias, and the mod-log never heard of it."""
    asked = await fake.slash("ask", question="connects plan", user=fake.member_user)
    (pick,) = asked.custom_ids
    entry_id = asked.component(pick)["options"][0]["value"]
    await fake.select(asked, pick, [entry_id], user=fake.member_user)
    reply = await _unanswered(fake)
    candidate = next(c for c in reply.custom_ids if c.startswith("cb:un:pa:"))
    _refuse_marking_questions(fake)
    fake.allow_errors("/faq unanswered button failed")
    refused = await fake.click(reply, candidate, user=fake.moderator_user)
    assert "as an alias" not in (refused.content or "")
    bot = bot_of(fake)
    assert "connects plan" not in (await bot.store.get(entry_id)).entry.aliases
    assert len(await bot.store.open_questions()) == 1
    assert fake.sent_to(fake.mod_log) == []


async def test_add_a_group_as_an_alias_of_an_entry(fake: FakeDiscord) -> None:
    await fake.slash("ask", question="connects roll into the new billing period?")
    bot = bot_of(fake)
    if not await bot.store.open_questions():
        await fake.slash("ask", question="do i keep connects that i dont use")
    reply = await _unanswered(fake)
    alias_button = next(c for c in reply.custom_ids if c.startswith("cb:un:alias:"))
    chooser = await fake.click(reply, alias_button, user=fake.moderator_user)
    assert chooser.ephemeral and "alias of which entry" in (chooser.content or "")
    (select_id,) = chooser.custom_ids
    options = [o["value"] for o in chooser.component(select_id)["options"]]
    assert "connects-rollover" in options and len(options) <= 25
    done = await fake.select(chooser, select_id, ["connects-rollover"], user=fake.moderator_user)
    assert "as an alias of `connects-rollover`" in (done.content or "")
    assert await bot.store.open_questions() == []
    log = await fake.wait_for_sent(fake.mod_log)
    assert log.embeds[0]["title"].startswith("Alias added: connects-rollover")


async def test_picked_suggestions_are_offered_as_alias_candidates(fake: FakeDiscord) -> None:
    asked = await fake.slash("ask", question="connects plan", user=fake.member_user)
    (pick,) = asked.custom_ids
    entry_id = asked.component(pick)["options"][0]["value"]
    await fake.select(asked, pick, [entry_id], user=fake.member_user)

    reply = await _unanswered(fake)
    assert f"picked: `{entry_id}` ×1" in reply.embeds[0]["description"]
    candidate = next(c for c in reply.custom_ids if c.startswith("cb:un:pa:"))
    assert candidate.endswith(f":{entry_id}")
    done = await fake.click(reply, candidate, user=fake.moderator_user)
    assert f"as an alias of `{entry_id}`" in (done.content or "")
    assert "connects plan" in (await bot_of(fake).store.get(entry_id)).entry.aliases
    log = await fake.wait_for_sent(fake.mod_log)
    assert log.embeds[0]["title"].startswith(f"Alias added: {entry_id}")
    stale = await fake.click(reply, candidate, user=fake.moderator_user)
    assert "dealt with already" in (stale.content or "")


async def test_unanswered_buttons_check_the_moderator_on_every_click(fake: FakeDiscord) -> None:
    await fake.slash("ask", question=PHOTO[0])
    reply = await _unanswered(fake)
    assert reply.message is not None
    message = copy.deepcopy(reply.message)  # the same buttons, shown to a member (e.g. a forged payload)
    fake.messages[int(message["id"])] = message
    for custom_id in reply.custom_ids:
        refused = await fake.click(message, custom_id, user=fake.member_user)
        assert refused.content == checks.NOT_A_MODERATOR, custom_id
    forged = next(c for c in reply.custom_ids if c.startswith("cb:un:new:")).replace("new", "zap")
    message["components"][0]["components"][0]["custom_id"] = forged
    invalid = await fake.click(message, forged, user=fake.moderator_user)
    assert "not valid" in (invalid.content or "")
    assert len(await bot_of(fake).store.open_questions()) == 1


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    assert zlib.crc32(data[12:29]) == struct.unpack(">I", data[29:33])[0]
    return width, height


async def test_stats_with_a_png_chart(fake: FakeDiscord, clock: Clock) -> None:
    clock.advance(days=-2)
    earlier = await fake.slash("ask", question="do unused connects roll over?", user=fake.moderator_user)
    await fake.slash("ask", question=WEATHER)
    clock.advance(days=2)
    answer = await fake.slash("ask", question="do unused connects roll over?", user=fake.member_user)
    await fake.slash("ask", question="can I get a refund for connects?")
    await fake.click(answer, "cb:fb:connects-rollover:1", user=fake.member_user)
    await fake.click(earlier, "cb:fb:connects-rollover:0", user=fake.moderator_user)

    reply = await fake.slash("faq stats", days=7, user=fake.moderator_user)
    assert reply.ephemeral
    (embed,) = reply.embeds
    assert embed["title"] == "FAQ statistics — last 7 days"
    assert "**4** questions" in embed["description"] and "answered **3** (75%)" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "`connects-rollover` ×2 · 👍 1 · 👎 1" in fields["Top entries"]
    assert "`connects-rollover`: 👍 1 · 👎 1" in fields["Helpful / not helpful"]
    assert "12-02:2" in fields["Questions per day"] and "12-04:2" in fields["Questions per day"]
    assert embed["image"]["url"] == "attachment://stats.png"
    (chart,) = reply.files
    assert chart.filename == "stats.png" and chart.size > 100
    width, height = _png_size(chart.data)
    assert 100 < width < 2000 and 100 < height < 1000
