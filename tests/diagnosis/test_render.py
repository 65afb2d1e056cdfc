"""The human rendering: marks, explanations, totals, errors, next steps, ticket, and the policy line."""

from __future__ import annotations

from connectsbot.diagnosis import advise, render_text
from connectsbot.kbfiles import load_sources
from tests.diagnosis.support import judge, timeline
from tests.helpers import PUBLIC_TIMELINES, SHIPPED_KNOWLEDGE

CONTRACT_EXAMPLE = timeline(
    "2026-11-02 proposal Logo design",
    "2026-11-03 09:10 interview Logo design",
    "2026-11-03 09:40 respond Logo design",
    "2026-11-04 invite Landing page",
    "2026-11-04 interview Landing page",
    "2026-11-04 respond Landing page",
    "2026-11-05 offer Data entry        # hired straight from my proposal",
    "2026-11-06 check",
)


def rendered(text: str) -> str:
    diagnosis = judge(text)
    return render_text(diagnosis, advise(diagnosis), load_sources(SHIPPED_KNOWLEDGE))


def test_contract_example_rendering() -> None:
    text = rendered(CONTRACT_EXAMPLE)
    lines = text.splitlines()
    assert lines[0] == "**Interview Connects check** (checked 6 Nov 2026 00:00 UTC, your check line)"
    assert "✅ Logo design: due, 10 Connects" in lines
    assert "❌ Landing page: not due (no proposal of yours came first)" in lines
    assert "❌ Data entry: not due (no interview request)" in lines
    assert "You responded on 3 Nov 09:40 UTC" in text and "(R1)" in text and "(R3)" in text
    assert "**Totals:** expected 10 (due and pending) · received 0 · missing 10" in lines
    assert "```text" in lines and "Subject: Missing interview Connects" in lines
    assert lines[-1].startswith(
        "Policy applied: rules as announced in the Upwork Community announcement of December 2020 "
        "(updated July 2021); Upwork may have changed them since: check Upwork's Help Center "
        "(support.upwork.com)."
    )
    assert "48 h wait" in lines[-1] and "project's default, not an official figure" in lines[-1]
    assert len(text) < 2500


def test_public_example_file_renders_the_same() -> None:
    example = PUBLIC_TIMELINES / "01-contract-example.txt"
    assert rendered(example.read_text(encoding="utf-8")) == rendered(CONTRACT_EXAMPLE)


def test_pending_mark_and_wait() -> None:
    text = rendered(
        timeline(
            "2026-11-02 proposal A", "2026-11-03 interview A", "2026-11-03 respond A", "2026-11-04 check"
        )
    )
    assert "⏳ A: pending, 10 Connects" in text
    assert "- Wait until 5 Nov 00:00 UTC" in text
    assert "```" not in text  # nothing missing: no ticket


def test_errors_are_listed_with_line_numbers() -> None:
    text = rendered(timeline("2026-11-02 proposal A", "2025-09-31 respond A", "2026-12-31 check"))
    lines = text.splitlines()
    warning = lines.index("⚠️ **1 line not understood**: the result below may be incomplete.")
    assert warning < lines.index("No interview request or offer could be read from this timeline.")
    assert warning < next(n for n, line in enumerate(lines) if line.startswith("**Totals:**"))
    assert (
        "line 2: ❓ not understood: `2025-09-31 respond A` — "
        "2025-09-31 is not a date: September 2025 has 30 days; for example “Nov 4 9:40am replied”" in lines
    )


def test_years_that_were_assumed_are_shown() -> None:
    lines = rendered(timeline("Nov 2 proposal A", "2026-11-06 check")).splitlines()
    assert lines[2:6] == [
        "**How I read your timeline:**",
        "line 1: 2 Nov 2026 · proposal · A",
        "line 2: 6 Nov 2026 · check",
        "(A date without a year is the latest such date not after the check.)",
    ]


def test_member_text_cannot_break_the_layout() -> None:
    text = rendered(
        timeline(
            "2026-11-02 proposal ```evil`` \x07job",
            "2026-11-03 interview ```evil`` \x07job",
            "2026-11-03 respond ```evil`` \x07job",
            "2026-11-30 check",
        )
    )
    assert text.count("```") == 2  # only the ticket's own fence
    assert "\x07" not in text


def test_long_lines_and_many_errors_are_cut_in_the_rendering_only() -> None:
    noise = "\n".join(f"2026-11-03 archived {'x' * 500} {n}" for n in range(40))
    diagnosis = judge(noise)
    text = render_text(diagnosis, advise(diagnosis), load_sources(SHIPPED_KNOWLEDGE))
    assert len(diagnosis.errors) == 40 and len(diagnosis.errors[0].text) > 500
    assert "… and 30 more." in text
    assert len(text) < 4000


def test_no_items() -> None:
    assert "No interview request or offer could be read" in rendered("2026-11-02 proposal A\n")
