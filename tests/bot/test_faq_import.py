"""/faq import while the bot runs: the knowledge folder read again and imported all or nothing. A broken
folder changes nothing (members are answered as before) and the moderator gets each file and field at
fault; a good one is live at once, reported to the moderator and once in the mod-log."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bot import checks
from connectsbot.kbfiles import parse_entry, render_entry
from fakediscord.harness import FakeDiscord, Reply
from tests.bot.helpers import bot_of
from tests.helpers import SHIPPED_KNOWLEDGE, build_entry

ANSWERED = "do unused connects roll over?"
ROLLOVER = Path("entries") / "connects-rollover.md"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped knowledge folder, which the bot's database was imported from."""
    return Path(shutil.copytree(SHIPPED_KNOWLEDGE, tmp_path / "knowledge"))


@pytest.fixture
async def fake(launch: Any, folder: Path) -> FakeDiscord:
    launched: FakeDiscord = await launch(store={"knowledge": folder})
    return launched


def rewrite(folder: Path, relative: Path, **changes: Any) -> None:
    path = folder / relative
    entry = parse_entry(path.read_text(encoding="utf-8"), str(path))
    path.write_text(render_entry(entry.model_copy(update=changes)), encoding="utf-8")


async def run_import(fake: FakeDiscord, **options: Any) -> list[Reply]:
    """/faq import as the moderator: the replies after the "thinking…" one."""
    pending = await fake.send_slash("faq import", options, user=fake.moderator_user)
    deferred = await pending.response()
    assert deferred.type == 5 and deferred.ephemeral
    await fake.settle()
    followups = f"/webhooks/{fake.application_id}/{pending.token}"
    count = sum(1 for r in fake.sent if r.method == "POST" and r.path == followups)
    return [await pending.followup() for _ in range(count)]


async def test_changed_files_are_live_at_once_and_reported(fake: FakeDiscord, folder: Path) -> None:
    bot = bot_of(fake)
    rewrite(folder, ROLLOVER, answer="**Yes**, up to 200 Connects roll over. Imported while running.")
    new = build_entry(
        "purchased-connects-expiry", question="Do purchased Connects expire?", as_of="2026-11-20"
    )
    (folder / "entries" / "purchased-connects-expiry.md").write_text(render_entry(new), encoding="utf-8")
    (folder / "entries" / "connects-refund-transfer.md").unlink()

    (reply,) = await run_import(fake)
    text = reply.content or ""
    assert reply.ephemeral and text.startswith(
        "Imported the knowledge files: 1 added, 1 updated, 1 retired, "
    )
    assert "Added: `purchased-connects-expiry`" in text and "Updated: `connects-rollover`" in text
    assert "Retired: `connects-refund-transfer`" in text

    answer = await fake.slash("ask", question=ANSWERED)
    assert "Imported while running." in answer.embeds[0]["description"]
    last = (await bot.store.history("connects-rollover"))[-1]
    assert (last.action, last.author) == ("import", f"moderator ({fake.moderator_user['id']})")

    log = await fake.wait_for_sent(fake.mod_log)
    (embed,) = log.embeds
    assert embed["title"] == "Knowledge files imported with /faq import"
    assert embed["description"] == f"By <@{fake.moderator_user['id']}>"
    assert embed["footer"]["text"] == "39 unchanged"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert (
        fields["Updated (1)"] == "`connects-rollover`"
        and fields["Added (1)"] == "`purchased-connects-expiry`"
    )
    assert log.allowed_mentions == {"parse": []}
    assert len(fake.sent_to(fake.mod_log)) == 1


async def test_a_broken_folder_changes_nothing_and_names_each_file_and_field(
    fake: FakeDiscord, folder: Path
) -> None:
    bot = bot_of(fake)
    before = await bot.store.live_entries()
    # A good change, then two broken files: the good change must not land either.
    rewrite(folder, ROLLOVER, answer="This change must not land.")
    rewrite(folder, Path("entries") / "connects-buy.md", related=["no-such-entry"])
    unreferenced = folder / "entries" / "connects-refund-transfer.md"  # no other entry relates to it
    unreferenced.write_text("---\nid: connects-refund-transfer\nquestion: [unclosed\n---\nx\n")

    (reply,) = await run_import(fake)
    text = reply.content or ""
    assert text.startswith("Nothing was imported: the knowledge files have 2 problems.")
    assert "Members still get the answers from before" in text
    assert "- `entries/connects-buy.md` · field `related`: unknown entry id 'no-such-entry'" in text
    assert "- `entries/connects-refund-transfer.md`" in text and "YAML" in text
    assert str(folder) not in text  # paths relative to the knowledge folder

    assert await bot.store.live_entries() == before
    answer = await fake.slash("ask", question=ANSWERED)
    assert answer.embeds[0]["description"].startswith(
        "**Upwork's Community announcement of December 2020 says unused Connects roll over"
    )
    await fake.settle()
    assert fake.sent_to(fake.mod_log) == []


async def test_many_problems_fit_in_discord_messages(fake: FakeDiscord, folder: Path) -> None:
    # The same long alias on 30 entries: 30 long problems, one per file (every entry still loads).
    shared = "how many connects do i get back when a client cancels the job " * 4
    for path in sorted((folder / "entries").glob("*.md"))[:30]:
        entry = parse_entry(path.read_text(encoding="utf-8"), str(path))
        path.write_text(render_entry(entry.model_copy(update={"aliases": [*entry.aliases, shared]})))
    replies = await run_import(fake)
    assert len(replies) > 1 and all(len(r.content or "") <= 2000 and r.ephemeral for r in replies)
    assert (replies[0].content or "").startswith(
        "Nothing was imported: the knowledge files have 30 problems."
    )
    assert (replies[-1].content or "").endswith("…and 10 more: `connectsbot kb validate` lists them all.")
    assert sum((r.content or "").count("· field `aliases`: ") for r in replies) == 20


async def test_moderator_edits_are_kept_unless_forced(fake: FakeDiscord, folder: Path) -> None:
    bot = bot_of(fake)
    added = await fake.slash(
        "faq alias add",
        entry="connects-rollover",
        alias="connects leftovers",
        reason="asked",
        user=fake.admin_user,
    )
    assert "Added the alias" in (added.content or "")
    rewrite(folder, ROLLOVER, answer="The file's own wording.")

    (kept,) = await run_import(fake)
    assert "0 updated" in (kept.content or "")
    assert (
        "Kept moderator edits (the file changed too; `/faq import force:True` overwrites them): "
        "`connects-rollover`"
    ) in (kept.content or "")
    assert "connects leftovers" in (await bot.store.get("connects-rollover")).entry.aliases

    (forced,) = await run_import(fake, force=True)
    assert "Updated: `connects-rollover`" in (forced.content or "")
    assert (await bot.store.get("connects-rollover")).entry.answer == "The file's own wording."


async def test_nothing_changed(fake: FakeDiscord) -> None:
    (reply,) = await run_import(fake)
    assert reply.content == "The entry files have not changed since the last import (41 unchanged)."
    await fake.settle()
    assert fake.sent_to(fake.mod_log) == []


async def test_a_changed_policy_is_used_by_diagnose_at_once(fake: FakeDiscord, folder: Path) -> None:
    policy = folder / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("    value: 50\n", "    value: 60\n", 1))
    (reply,) = await run_import(fake)
    assert "policy (`policy.yaml`) changed" in (reply.content or "")
    assert bot_of(fake).curator.policy.weekly_cap.values[0].value == 60


async def test_members_may_not_import(fake: FakeDiscord, folder: Path) -> None:
    rewrite(folder, ROLLOVER, answer="Not by a member.")
    reply = await fake.slash("faq import", user=fake.member_user)
    assert reply.ephemeral and reply.content == checks.NOT_A_MODERATOR
    assert "Not by a member." not in (await bot_of(fake).store.get("connects-rollover")).entry.answer
