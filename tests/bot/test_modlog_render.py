"""The mod-log's embeds within Discord's limits, however long the reason or the diff."""

from __future__ import annotations

from bot import replies
from bot.exts.modlog._render import modlog_embed
from tests.bot.helpers import edit_revision


def test_a_long_change_fits_the_mod_log() -> None:
    log = modlog_embed(edit_revision(2, "```" + "r" * 2000), 1, ["+ answer: " + "x" * 3000] * 20)
    assert replies.embed_size(log) <= 6000 and all(len(f.value or "") <= 1024 for f in log.fields)


def test_the_diff_applies_no_invisible_or_reordering_character() -> None:
    diff = ["+ alias: https://\u202eelpmaxe.live", "~ question: Connects\u200b → Connects"]
    log = modlog_embed(edit_revision(2, "why"), 1, diff)
    change = next(field.value or "" for field in log.fields if field.name == "Change")
    assert "+ alias: https://elpmaxe.live" in change and "~ question: Connects → Connects" in change
