"""Moderator commands end to end: who may use them (the refusals, commands, buttons and modals alike, are
in test_permissions.py), every change through the revision history with who and why, stale edits
refused, and the mod-log."""

from __future__ import annotations

from typing import Any

from bot import checks
from connectsbot.curation import Actor
from connectsbot.kbfiles import Problem
from connectsbot.store import ImportFailed, ImportReport
from fakediscord.harness import FakeDiscord, Reply
from tests.bot.helpers import bot_of

SEED = "upwork-connects-announcement"


async def test_manage_server_permission_is_enough(fake: FakeDiscord) -> None:
    reply = await fake.slash("faq history", entry="connects-rollover", user=fake.admin_user)
    assert reply.embeds and reply.embeds[0]["title"] == "History of connects-rollover"


async def test_a_configured_role_is_enough(fake: FakeDiscord) -> None:
    reply = await fake.slash("faq history", entry="connects-rollover", user=fake.moderator_user)
    assert reply.embeds and "r1" in reply.embeds[0]["description"]


async def _open_edit(fake: FakeDiscord, user: Any) -> Reply:
    modal = await fake.slash("faq edit", entry="connects-rollover", user=user)
    assert modal.type == 9, modal.content
    return modal


async def test_edit_opens_a_prefilled_modal_and_saves_a_revision(fake: FakeDiscord) -> None:
    bot = bot_of(fake)
    before = await bot.store.get("connects-rollover")
    modal = await _open_edit(fake, fake.moderator_user)
    assert modal.component("question")["value"] == before.entry.question
    assert modal.component("answer")["value"] == before.entry.answer
    assert modal.component("aliases")["value"].splitlines() == before.entry.aliases
    assert modal.component("reason").get("value") is None

    new_answer = before.entry.answer + "\n\nUpdated by the moderators."
    saved = await fake.submit_modal(modal, {"answer": new_answer, "reason": "clarified the limit"})
    assert saved.ephemeral and f"revision {before.revision + 1}" in (saved.content or "")

    after = await bot.store.get("connects-rollover")
    assert after.entry.answer == new_answer.strip()
    (last,) = (await bot.store.history("connects-rollover"))[-1:]
    assert last.action == "edit" and last.reason == "clarified the limit"
    assert last.author == f"moderator ({fake.moderator_user['id']})"
    assert last.changed_fields == ["answer"]

    log = await fake.wait_for_sent(fake.mod_log)
    (embed,) = log.embeds
    assert embed["title"] == f"Entry edited: connects-rollover (r{before.revision + 1})"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert f"<@{fake.moderator_user['id']}>" in fields["Who"]
    assert fields["Why"] == "clarified the limit"
    assert "+ answer: Updated by the moderators." in fields["Change"]
    assert log.allowed_mentions == {"parse": []}

    # The answer members get is the new one.
    reply = await fake.slash("ask", question="do unused connects roll over?")
    assert "Updated by the moderators." in reply.embeds[0]["description"]


async def test_a_stale_edit_is_refused_with_a_clear_message(fake: FakeDiscord) -> None:
    bot = bot_of(fake)
    modal = await _open_edit(fake, fake.moderator_user)
    # Meanwhile the admin changes the same entry.
    meanwhile = await fake.slash(
        "faq alias add",
        entry="connects-rollover",
        alias="do connects expire",
        reason="asked",
        user=fake.admin_user,
    )
    assert "Added the alias" in (meanwhile.content or "")
    await fake.wait_for_sent(fake.mod_log)
    current = await bot.store.get("connects-rollover")

    refused = await fake.submit_modal(modal, {"answer": "My rewrite.", "reason": "rewrite"})
    text = refused.content or ""
    assert refused.ephemeral and text.startswith("Not saved:")
    assert "changed while you were editing" in text and f"revision {current.revision}" in text
    assert "admin" in text and "/faq edit again" in text
    assert [f.filename for f in refused.files] == ["draft.md"]
    assert b"My rewrite." in refused.files[0].data
    assert (await bot.store.get("connects-rollover")) == current


async def test_a_modal_submitted_after_losing_the_role_is_refused(fake: FakeDiscord) -> None:
    modal = await _open_edit(fake, fake.moderator_user)
    member = next(m for m in fake.guild["members"] if m["user"]["id"] == fake.moderator_user["id"])
    member["roles"] = []
    refused = await fake.submit_modal(modal, {"answer": "x" * 20, "reason": "should not save"})
    assert refused.content == checks.NOT_A_MODERATOR
    assert (await bot_of(fake).store.get("connects-rollover")).revision == 1


async def test_an_invalid_edit_is_explained(fake: FakeDiscord) -> None:
    modal = await _open_edit(fake, fake.moderator_user)
    aliases = "do connects expire\nDo connects  EXPIRE"
    refused = await fake.submit_modal(modal, {"aliases": aliases, "reason": "duplicate aliases"})
    assert "would be invalid" in (refused.content or "") and "aliases" in (refused.content or "")


async def test_nothing_changed(fake: FakeDiscord) -> None:
    modal = await _open_edit(fake, fake.moderator_user)
    reply = await fake.submit_modal(modal, {"reason": "just looking"})
    assert "Nothing changed" in (reply.content or "")


async def test_add_an_entry(fake: FakeDiscord) -> None:
    modal = await fake.slash(
        "faq add",
        entry_id="purchased-connects-expiry",
        category="connects",
        source=SEED,
        user=fake.moderator_user,
    )
    assert modal.type == 9
    added = await fake.submit_modal(
        modal,
        {
            "question": "Do purchased Connects expire?",
            "answer": "**Yes**, purchased Connects expire one year after purchase.",
            "aliases": "when do bought connects expire\nconnects expiry date",
            "supports": "Purchased Connects expire after one year",
            "reason": "asked three times this week",
        },
    )
    assert "Added `purchased-connects-expiry`" in (added.content or "")
    bot = bot_of(fake)
    live = await bot.store.get("purchased-connects-expiry")
    assert live.entry.aliases == ["when do bought connects expire", "connects expiry date"]
    assert live.entry.sources[0].source == SEED
    log = await fake.wait_for_sent(fake.mod_log)
    assert log.embeds[0]["title"] == "Entry added: purchased-connects-expiry (r1)"
    shown = await fake.slash("faq show", entry="purchased-connects-expiry")
    assert shown.embeds[0]["title"] == "Do purchased Connects expire?"


async def test_add_refuses_an_existing_or_malformed_id_before_the_form(fake: FakeDiscord) -> None:
    exists = await fake.slash(
        "faq add", entry_id="connects-rollover", category="connects", source=SEED, user=fake.moderator_user
    )
    assert exists.type == 4 and "already exists" in (exists.content or "")
    malformed = await fake.slash(
        "faq add", entry_id="Bad Id!", category="connects", source=SEED, user=fake.moderator_user
    )
    assert "lower-case words with dashes" in (malformed.content or "")


async def test_add_refuses_a_source_the_registry_does_not_hold(fake: FakeDiscord) -> None:
    choices = await fake.autocomplete("faq add", "source", "announce")
    assert [choice["value"] for choice in choices] == [SEED]
    refused = await fake.slash(
        "faq add",
        entry_id="connects-gifts",
        category="connects",
        source="002_199d9790c2e26437.txt",
        user=fake.moderator_user,
    )
    assert refused.type == 4 and "is not in the sources registry" in (refused.content or "")
    assert "connects-gifts" not in (await bot_of(fake).answers.snapshot()).entries


async def test_retire_then_revert(fake: FakeDiscord) -> None:
    bot = bot_of(fake)
    retired = await fake.slash(
        "faq retire", entry="connects-rollover", reason="merged elsewhere", user=fake.moderator_user
    )
    assert "Retired `connects-rollover`" in (retired.content or "")
    log = await fake.wait_for_sent(fake.mod_log)
    assert log.embeds[0]["title"] == "Entry retired: connects-rollover (r2)"
    gone = await fake.slash("ask", question="do unused connects roll over?")
    assert not gone.embeds or gone.embeds[0]["title"] != "Do unused Connects roll over to the next month?"

    choices = await fake.autocomplete(
        "faq revert", "revision", "", user=fake.moderator_user, entry="connects-rollover"
    )
    assert [c["value"] for c in choices] == [2, 1]
    assert (
        await fake.autocomplete(
            "faq revert", "revision", "", user=fake.member_user, entry="connects-rollover"
        )
        == []
    )

    reverted = await fake.slash(
        "faq revert",
        entry="connects-rollover",
        revision=1,
        reason="retired by mistake",
        user=fake.moderator_user,
    )
    assert "back to revision 1" in (reverted.content or "")
    assert not (await bot.store.get("connects-rollover")).retired
    log = await fake.wait_for_sent(fake.mod_log)
    assert log.embeds[0]["title"] == "Entry reverted: connects-rollover (r3)"
    history = await fake.slash("faq history", entry="connects-rollover", user=fake.moderator_user)
    description = history.embeds[0]["description"]
    assert description.index("**r3**") < description.index("**r2**") < description.index("**r1**")
    assert "retired by mistake" in description


async def test_alias_add_and_remove(fake: FakeDiscord) -> None:
    bot = bot_of(fake)
    added = await fake.slash(
        "faq alias add",
        entry="connects-rollover",
        alias="do my connects carry over",
        reason="asked",
        user=fake.moderator_user,
    )
    assert "Added the alias" in (added.content or "")
    assert "do my connects carry over" in (await bot.store.get("connects-rollover")).entry.aliases
    log = await fake.wait_for_sent(fake.mod_log)
    assert "+ alias: do my connects carry over" in log.embeds[0]["fields"][2]["value"]

    duplicate = await fake.slash(
        "faq alias add",
        entry="connects-rollover",
        alias="Do my connects  carry over",
        reason="xyz",
        user=fake.moderator_user,
    )
    assert duplicate.ephemeral and "already an alias" in (duplicate.content or "")

    choices = await fake.autocomplete(
        "faq alias remove", "alias", "carry", user=fake.moderator_user, entry="connects-rollover"
    )
    assert "do my connects carry over" in [c["value"] for c in choices]
    removed = await fake.slash(
        "faq alias remove",
        entry="connects-rollover",
        alias="do my connects carry over",
        reason="too vague",
        user=fake.moderator_user,
    )
    assert "Removed the alias" in (removed.content or "")
    log = await fake.wait_for_sent(fake.mod_log)
    assert "- alias: do my connects carry over" in log.embeds[0]["fields"][2]["value"]
    missing = await fake.slash(
        "faq alias remove",
        entry="connects-rollover",
        alias="never there",
        reason="xyz",
        user=fake.moderator_user,
    )
    assert "has no alias" in (missing.content or "")


async def test_unknown_entries_are_explained(fake: FakeDiscord) -> None:
    for command, options in [
        ("faq edit", {"entry": "no-such-entry"}),
        ("faq retire", {"entry": "no-such-entry", "reason": "xyz"}),
        ("faq history", {"entry": "no-such-entry"}),
        ("faq revert", {"entry": "connects-rollover", "revision": 99, "reason": "xyz"}),
    ]:
        reply = await fake.slash(command, options, user=fake.moderator_user)
        assert reply.ephemeral and "no entry" in (reply.content or ""), command


async def test_no_mod_log_channel_configured(launch: Any) -> None:
    fake = await launch(channels={"mod_log_channel_id": None})
    await fake.slash("faq retire", entry="connects-rollover", reason="merged", user=fake.moderator_user)
    await fake.settle()
    assert fake.sent_to(fake.mod_log) == []


async def test_the_start_import_is_reported_once(launch: Any) -> None:
    report = ImportReport(updated=["connects-rollover"], conflicts=["connects-buy"], unchanged=32)
    fake: FakeDiscord = await launch(startup_import=report)
    log = await fake.wait_for_sent(fake.mod_log)
    (embed,) = log.embeds
    assert embed["title"] == "Knowledge files imported at start"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Updated (1)"] == "`connects-rollover`"
    assert fields["Kept moderator edits (the file changed too) (1)"] == "`connects-buy`"
    await fake.invalidate_session()  # a new READY: on_ready runs again
    await fake.settle()
    assert len(fake.sent_to(fake.mod_log)) == 1


async def test_a_failed_start_import_is_reported(launch: Any) -> None:
    failed = ImportFailed([Problem("entries/x.md", "answer", "is empty")])
    fake: FakeDiscord = await launch(startup_import=failed)
    log = await fake.wait_for_sent(fake.mod_log)
    assert log.embeds[0]["title"] == "Knowledge files not imported"
    assert "is empty" in log.embeds[0]["description"]


async def test_an_unchanged_start_import_is_not_reported(launch: Any) -> None:
    fake: FakeDiscord = await launch(startup_import=ImportReport(unchanged=34))
    await fake.settle()
    assert fake.sent_to(fake.mod_log) == []


async def test_an_edit_never_saves_a_field_cut_to_fit_the_form(fake: FakeDiscord) -> None:
    bot = bot_of(fake)
    live = await bot.store.get("connects-rollover")
    aliases = [
        f"do my unused connects roll over, asked the {n}th way:" + " and so on" * 17 for n in range(28)
    ]
    assert len("\n".join(aliases)) > 4000
    await bot.curator.edit(
        live.entry.model_copy(update={"aliases": aliases}), live.revision, Actor("admin"), "many ways"
    )
    modal = await _open_edit(fake, fake.moderator_user)
    assert "aliases" not in modal.custom_ids  # it could not be shown in full
    assert modal.component("keywords")["value"].splitlines() == live.entry.keywords

    new_answer = live.entry.answer + "\n\nOnly the answer changed."
    saved = await fake.submit_modal(modal, {"answer": new_answer, "reason": "answer only"})
    text = saved.content or ""
    assert "Saved" in text and "/faq alias add and /faq alias remove" in text
    after = (await bot.store.get("connects-rollover")).entry
    assert after.aliases == aliases and after.answer == new_answer.strip()
