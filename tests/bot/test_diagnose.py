"""/diagnose end to end: the modal, the verdicts (ephemeral by default), long results split, help."""

from __future__ import annotations

import pytest

from bot.expired_controls import EXPIRED_CONTROL_TEXT, EXPIRED_FORM_TEXT
from bot.exts.diagnose import ATTACHED_NOTE, MOST_MESSAGES, PUBLIC_LIMIT
from fakediscord.harness import FakeDiscord, Reply
from tests.bot.helpers import Ticks, bot_of

TIMELINE = """2026-11-02 proposal Logo design
2026-11-03 09:10 interview Logo design
2026-11-03 09:40 respond Logo design
2026-11-04 proposal Website fix
2026-11-05 10:00 interview Website fix
2026-11-06 check"""


async def _open(fake: FakeDiscord, **options: object) -> Reply:
    modal = await fake.slash("diagnose", **options)
    assert modal.type == 9
    return modal


async def test_the_modal_has_a_multiline_field_with_an_example(fake: FakeDiscord) -> None:
    modal = await _open(fake)
    assert modal.data["title"] == "Check missing interview Connects"
    field = modal.component("timeline")
    assert field["style"] == 2  # paragraph
    assert field["required"] is True and field["max_length"] == 4000
    assert "interview" in field["placeholder"] and len(field["placeholder"]) <= 100
    assert "\n" in field["placeholder"]


async def test_a_line_per_interview_totals_next_steps_and_ticket(fake: FakeDiscord) -> None:
    modal = await _open(fake)
    reply = await fake.submit_modal(modal, {"timeline": TIMELINE})
    assert reply.type == 4 and reply.ephemeral
    text = reply.content or ""
    assert "✅ Logo design: due, 10 Connects" in text
    assert "❌ Website fix: not due (no response to the request)" in text
    assert "**Totals:** expected 10 (due and pending) · received 0 · missing 10" in text
    assert "**What to do next:**" in text
    assert "**Support ticket**" in text and "```text" in text and text.count("```") % 2 == 0
    assert len(text) <= 2000
    assert reply.allowed_mentions == {"parse": []}


async def test_public_diagnosis_is_posted_in_the_channel(fake: FakeDiscord) -> None:
    modal = await _open(fake, public=True)
    reply = await fake.submit_modal(modal, {"timeline": TIMELINE})
    assert not reply.ephemeral and "Logo design" in (reply.content or "")


async def test_unreadable_lines_are_listed(fake: FakeDiscord) -> None:
    modal = await _open(fake)
    reply = await fake.submit_modal(
        modal, {"timeline": "yesterday I applied to a logo job\nstill waiting on support\n2026-11-06 check"}
    )
    text = reply.content or ""
    assert "line 1: 5 Nov 2026 · proposal · logo" in text
    assert "line 2: ❓ not understood: `still waiting on support`" in text
    assert "⚠️ **1 line not understood**: the result below may be incomplete." in text


def _jobs(count: int) -> str:
    """A timeline of `count` interviews, each answered (three lines each), then the check."""
    lines = []
    for day in range(1, count + 1):
        job = f"Job number {day}"
        lines += [
            f"2026-10-{day:02d} proposal {job}",
            f"2026-10-{day:02d} 10:00 interview {job}",
            f"2026-10-{day:02d} 11:00 respond {job}",
        ]
    lines.append("2026-11-06 check")
    return "\n".join(lines)


async def test_a_longer_result_is_split_into_messages_within_discords_limit(fake: FakeDiscord) -> None:
    modal = await _open(fake)
    first = await fake.submit_modal(modal, {"timeline": _jobs(10)})
    assert first.interaction is not None
    await fake.settle()
    parts = [first, *fake.followups_to(first.interaction)]
    assert 2 <= len(parts) <= MOST_MESSAGES
    for part in parts:
        text = part.content or ""
        assert 0 < len(text) <= 2000
        assert text.count("```") % 2 == 0, "a code block split across messages is closed and reopened"
        assert part.ephemeral and not part.files
    joined = "\n".join(part.content or "" for part in parts)
    assert "✅ Job number 1:" in joined and "Job number 10:" in joined
    assert "**Totals:**" in joined


@pytest.mark.parametrize("public", [False, True])
async def test_a_long_result_is_one_message_with_the_full_text_attached(
    fake: FakeDiscord, public: bool
) -> None:
    first = await fake.submit_modal(await _open(fake, public=public), {"timeline": _jobs(28)})
    assert first.interaction is not None
    await fake.settle()
    assert fake.followups_to(first.interaction) == []
    assert first.ephemeral is not public
    text = first.content or ""
    assert len(text) <= 2000 and text.startswith("**Interview Connects check**")
    assert "**Totals:** expected 200 (due and pending)" in text and "**What to do next:**" in text
    assert text.endswith(ATTACHED_NOTE)
    (attached,) = first.files
    full = attached.data.decode()
    assert attached.filename == "diagnosis.txt"
    assert "✅ Job number 1: due" in full and "Job number 28: not due" in full
    assert "**Support ticket**" in full
    assert [first.component(c)["label"] for c in first.custom_ids] == ["Edit and check again"]


async def test_diagnose_help(fake: FakeDiscord) -> None:
    reply = await fake.slash("diagnose-help")
    assert reply.ephemeral
    text = reply.content or ""
    for word in ("proposal", "interview", "respond", "offer", "bonus", "check", "/diagnose"):
        assert word in text
    assert len(text) <= 2000


MEMBER_TIMELINE = """Nov 3 applied to logo job

client messaged me nov 4
replied same dya
hired nov 10"""


async def test_edit_and_check_again_reopens_the_form_with_the_members_text(fake: FakeDiscord) -> None:
    first = await fake.submit_modal(await _open(fake), {"timeline": MEMBER_TIMELINE})
    text = first.content or ""
    assert "**How I read your timeline:**" in text
    assert "line 1: 3 Nov 2026 · proposal · logo" in text
    assert "line 4: ❓ not understood: `replied same dya`" in text
    assert text.index("⚠️ **1 line not understood**") < text.index("**Totals:**")
    (edit,) = first.custom_ids
    assert first.component(edit)["label"] == "Edit and check again"

    reopened = await fake.click(first, edit)
    assert reopened.type == 9 and reopened.data["title"] == "Check missing interview Connects"
    assert reopened.component("timeline")["value"] == MEMBER_TIMELINE  # the member's text, blank line kept

    fixed = MEMBER_TIMELINE.replace("same dya", "same day")
    second = await fake.submit_modal(reopened, {"timeline": fixed})
    text = second.content or ""
    assert second.ephemeral and "not understood" not in text
    assert "line 4: 4 Nov 2026 · respond · logo (not named; the only job it can be)" in text
    assert "✅ logo: due, 10 Connects" in text
    assert second.custom_ids  # the new reply can be edited again


async def test_only_the_author_can_reopen_a_public_timeline(fake: FakeDiscord) -> None:
    reply = await fake.submit_modal(await _open(fake, public=True), {"timeline": MEMBER_TIMELINE})
    (edit,) = reply.custom_ids
    refused = await fake.click(reply, edit, user=fake.moderator_user)
    assert (refused.type, refused.ephemeral) == (4, True)
    assert "belongs to someone else" in (refused.content or "")


async def test_the_button_is_under_the_last_part_of_a_long_result(fake: FakeDiscord) -> None:
    lines = [f"2026-10-{day:02d} proposal Job number {day}" for day in range(1, 11)]
    lines += [f"2026-10-{day:02d} 10:00 interview Job number {day}" for day in range(1, 11)]
    first = await fake.submit_modal(await _open(fake), {"timeline": "\n".join(lines)})
    assert first.custom_ids == []
    assert first.interaction is not None
    await fake.settle()
    followups = fake.followups_to(first.interaction)
    assert followups and [len(part.custom_ids) for part in followups] == [0] * (len(followups) - 1) + [1]


async def test_public_diagnoses_per_member_are_limited(fake: FakeDiscord, ticks: Ticks) -> None:
    for _ in range(PUBLIC_LIMIT):
        posted = await fake.submit_modal(await _open(fake, public=True), {"timeline": TIMELINE})
        assert not posted.ephemeral
    over = await fake.submit_modal(await _open(fake, public=True), {"timeline": TIMELINE})
    text = over.content or ""
    assert over.ephemeral and text.startswith("Shown to you only: you posted 3 public diagnoses")
    assert "✅ Logo design: due, 10 Connects" in text
    other = await fake.submit_modal(
        await _open(fake, public=True, user=fake.moderator_user), {"timeline": TIMELINE}
    )
    assert not other.ephemeral  # the limit is per member
    ticks.value += 10 * 60
    again = await fake.submit_modal(await _open(fake, public=True), {"timeline": TIMELINE})
    assert not again.ephemeral


MARKUP_JOB = "-# https://evil.example/x </ask:1> <#1> <t:1:R> <id:customize>"


async def test_a_public_diagnosis_carries_no_live_markup_from_the_member(fake: FakeDiscord) -> None:
    timeline = f"2026-11-02 proposal {MARKUP_JOB}\n2026-11-03 09:10 interview {MARKUP_JOB}"
    public = await fake.submit_modal(await _open(fake, public=True), {"timeline": timeline})
    text = public.content or ""
    assert "https://evil.example" in text
    for live in ("<#1>", "</ask:1>", "<t:1:R>", "<id:customize>"):
        assert live in text and f"\\{live}" in text and text.count(live) == text.count(f"\\{live}")
    assert text.count("https://evil.example/x") == text.count("`https://evil.example/x`")
    assert all(not line.lstrip("- ").startswith("-#") for line in text.splitlines())
    private = await fake.submit_modal(await _open(fake), {"timeline": timeline})
    assert "\\<#1>" not in (private.content or "")  # the member's own view is as they wrote it


async def test_open_forms_and_kept_timelines_are_bounded(fake: FakeDiscord) -> None:
    # The bot loads its extensions afresh: the cog and its module are those it runs.
    bot = bot_of(fake)
    cog = bot.get_cog("DiagnoseCog")
    assert cog is not None
    cog.kept = bot.extensions["bot.exts.diagnose"].KeptForms(2)
    forms = [await _open(fake) for _ in range(3)]
    store = fake.bot._connection._view_store
    await fake.settle()
    assert len(store._modals) == 2
    expired = await fake.submit_modal(forms[0], {"timeline": TIMELINE})
    assert (expired.ephemeral, expired.content) == (True, EXPIRED_FORM_TEXT)
    answered = [await fake.submit_modal(form, {"timeline": TIMELINE}) for form in forms[1:]]
    third = await fake.submit_modal(await _open(fake), {"timeline": TIMELINE})
    await fake.settle()
    # Two diagnoses, then a form and a third diagnosis: the first diagnosis's timeline was dropped.
    dropped = await fake.click(answered[0], answered[0].custom_ids[0])
    assert (dropped.ephemeral, dropped.content) == (True, EXPIRED_CONTROL_TEXT)
    reopened = await fake.click(third, third.custom_ids[0])
    assert reopened.type == 9 and reopened.component("timeline")["value"] == TIMELINE
