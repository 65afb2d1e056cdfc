"""The bot when its database cannot be written, end to end through the fake Discord: another connection
holding the write lock, a full disk, a read-only database. Members keep getting answers from the live
knowledge base; votes and moderators' changes get a clear message (what happened, nothing changed, what
to do), never SQLite's own words; nothing is logged as an error. And a database that cannot be opened
stops the start with a clear error."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from bot import launcher
from fakediscord.harness import FakeDiscord, Reply
from tests.bot.helpers import World, bot_of, make_settings
from tests.store_faults import BIG_ANSWER, fill_disk, make_read_only, write_lock_held

ANSWERED = "do unused connects roll over?"
TITLE = "Do unused Connects roll over to the next month?"
HELPFUL = "cb:fb:connects-rollover:1"
SEED = "upwork-connects-announcement"


def assert_told_plainly(reply: Reply, problem: str) -> None:
    text = reply.content or ""
    assert reply.ephemeral and f"({problem})" in text, text
    assert "nothing was changed" in text and "tell the bot's operator" in text
    assert "locked" not in text and "Error" not in text and "sqlite" not in text.casefold()


async def test_members_are_answered_while_another_connection_holds_the_write_lock(fake: FakeDiscord) -> None:
    bot = bot_of(fake)
    bot.store.write_patience = 0.4
    bot.answers.record_wait = 0.2
    earlier = await fake.slash("ask", question=ANSWERED)
    async with write_lock_held(bot.settings.store.db, 1.5):
        answer, vote, retire = await asyncio.gather(
            fake.slash("ask", question=ANSWERED),
            fake.click(earlier, HELPFUL, user=fake.member_user),
            fake.slash("faq retire", entry="connects-rollover", reason="merged", user=fake.moderator_user),
        )
    assert answer.embeds[0]["title"] == TITLE and answer.custom_ids[0] == HELPFUL
    busy = "the database is busy: another program has been writing to it for too long"
    assert (vote.content or "").startswith("Your vote could not be saved")
    assert_told_plainly(vote, busy)
    assert_told_plainly(retire, busy)
    assert not (await bot.store.get("connects-rollover")).retired
    # Once the other program is done, everything works again.
    again = await fake.click(earlier, HELPFUL, user=fake.member_user)
    assert "Noted as helpful" in (again.content or "")
    await fake.settle()
    assert fake.sent_to(fake.mod_log) == []


async def test_a_full_disk_refuses_moderators_changes_and_members_are_still_answered(
    fake: FakeDiscord,
) -> None:
    bot = bot_of(fake)
    before = await bot.store.get("connects-rollover")
    edit_form = await fake.slash("faq edit", entry="connects-rollover", user=fake.moderator_user)
    add_form = await fake.slash(
        "faq add",
        entry_id="purchased-connects-expiry",
        category="connects",
        source=SEED,
        user=fake.moderator_user,
    )
    await fill_disk(bot.store)

    edited = await fake.submit_modal(edit_form, {"answer": BIG_ANSWER, "reason": "a fuller answer"})
    assert (edited.content or "").startswith("Not saved: ")
    assert_told_plainly(edited, "the disk is full")
    assert [f.filename for f in edited.files] == ["draft.md"]  # the moderator's text is not lost
    added = await fake.submit_modal(
        add_form,
        {
            "question": "Do purchased Connects expire?",
            "answer": BIG_ANSWER,
            "supports": "Purchased Connects expire after one year",
            "reason": "asked often",
        },
    )
    assert (added.content or "").startswith("Not added: ")
    assert_told_plainly(added, "the disk is full")

    assert await bot.store.get("connects-rollover") == before
    assert "purchased-connects-expiry" not in {live.entry.id for live in await bot.store.all_entries()}
    answer = await fake.slash("ask", question=ANSWERED)
    assert answer.embeds[0]["title"] == TITLE and answer.embeds[0]["description"].startswith(
        "**Upwork's Community announcement"
    )
    await fake.settle()
    assert fake.sent_to(fake.mod_log) == []


async def test_a_read_only_database_refuses_votes_and_changes_and_members_are_still_answered(
    fake: FakeDiscord,
) -> None:
    bot = bot_of(fake)
    earlier = await fake.slash("ask", question=ANSWERED)
    await make_read_only(bot.store)

    vote = await fake.click(earlier, HELPFUL, user=fake.member_user)
    assert (vote.content or "").startswith("Your vote could not be saved")
    assert_told_plainly(vote, "the database is read-only")
    alias = await fake.slash(
        "faq alias add",
        entry="connects-rollover",
        alias="connects leftovers",
        reason="asked",
        user=fake.admin_user,
    )
    assert_told_plainly(alias, "the database is read-only")
    importing = await fake.send_slash("faq import", user=fake.moderator_user)
    assert (await importing.response()).type == 5
    assert_told_plainly(await importing.followup(), "the database is read-only")

    answer = await fake.slash("ask", question=ANSWERED)
    assert answer.embeds[0]["title"] == TITLE
    assert await bot.store.feedback() == {}
    assert "connects leftovers" not in (await bot.store.get("connects-rollover")).entry.aliases


class NeverBuilt:
    def __init__(self, *args: Any) -> None:
        raise AssertionError("the bot must not start without its database")


async def test_a_database_that_cannot_be_opened_stops_the_start_clearly(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "kb.sqlite3"
    db.write_text("these are not the pages of a database\n" * 200)
    settings = make_settings(world, db)
    assert await launcher.run_bot(settings, make_bot=NeverBuilt, signals=()) == launcher.EXIT_FAILED
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        f"cannot open the database: {db}: the file is not a database, or it is damaged "
        "(DatabaseError: file is not a database)"
    ]
