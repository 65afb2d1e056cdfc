"""/diagnose end to end: the modal, the verdicts (ephemeral by default), long results split, help."""

from __future__ import annotations

from tests.fakediscord.harness import FakeDiscord, Reply

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
        modal, {"timeline": "yesterday I applied to a logo job\n2026-11-06 check"}
    )
    assert "Lines not understood" in (reply.content or "")


async def test_a_long_result_is_split_into_messages_within_discords_limit(fake: FakeDiscord) -> None:
    lines = []
    for day in range(1, 29):
        job = f"Job number {day}"
        lines += [
            f"2026-10-{day:02d} proposal {job}",
            f"2026-10-{day:02d} 10:00 interview {job}",
            f"2026-10-{day:02d} 11:00 respond {job}",
        ]
    lines.append("2026-11-06 check")
    modal = await _open(fake)
    first = await fake.submit_modal(modal, {"timeline": "\n".join(lines)})
    assert first.interaction is not None
    await fake.settle()
    followups = [
        r
        for r in fake.sent
        if r.method == "POST" and r.path == f"/webhooks/{fake.application_id}/{first.interaction.token}"
    ]
    parts = [first, *(fake._reply(r) for r in followups)]
    assert len(parts) >= 2
    for part in parts:
        text = part.content or ""
        assert 0 < len(text) <= 2000
        assert text.count("```") % 2 == 0, "a code block split across messages is closed and reopened"
        assert part.ephemeral
    joined = "\n".join(part.content or "" for part in parts)
    assert "✅ Job number 1:" in joined and "Job number 28:" in joined
    assert "**Totals:**" in joined


async def test_diagnose_help(fake: FakeDiscord) -> None:
    reply = await fake.slash("diagnose-help")
    assert reply.ephemeral
    text = reply.content or ""
    for word in ("proposal", "interview", "respond", "offer", "bonus", "check", "/diagnose"):
        assert word in text
    assert len(text) <= 2000
