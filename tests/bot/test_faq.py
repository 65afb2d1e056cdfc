"""/faq show and /faq list, for everyone."""

from __future__ import annotations

from fakediscord.harness import FakeDiscord
from tests.bot.helpers import bot_of


async def test_show_an_entry_picked_from_autocomplete(fake: FakeDiscord) -> None:
    choices = await fake.autocomplete("faq show", "entry", "rollover")
    assert choices and choices[0]["value"] == "connects-rollover"
    assert all(len(c["name"]) <= 100 for c in choices) and len(choices) <= 25
    reply = await fake.slash("faq show", entry="connects-rollover")
    assert not reply.ephemeral
    assert reply.embeds[0]["title"] == "Do unused Connects roll over to the next month?"
    assert reply.custom_ids == ["cb:fb:connects-rollover:1", "cb:fb:connects-rollover:0"]


async def test_show_accepts_a_typed_title(fake: FakeDiscord) -> None:
    reply = await fake.slash("faq show", entry="Do unused Connects roll over")
    assert reply.embeds[0]["title"].startswith("Do unused Connects roll over")


async def test_show_unknown_entry(fake: FakeDiscord) -> None:
    reply = await fake.slash("faq show", entry="zzzz qqqq")
    assert reply.ephemeral and "No such entry" in (reply.content or "")


async def test_list_is_paginated_with_buttons(fake: FakeDiscord) -> None:
    entries = bot_of(fake).answers.entries
    assert len(entries) > 10
    first = await fake.slash("faq list")
    assert first.ephemeral
    assert "Page 1 of" in first.embeds[0]["footer"]["text"]
    previous, _ = first.custom_ids
    assert first.component(previous)["disabled"] is True

    seen = set(_ids(first))
    page = first
    pages = 1
    while not page.component(page.custom_ids[1]).get("disabled"):
        page = await fake.click(page, page.custom_ids[1])
        assert page.type == 7
        seen |= set(_ids(page))
        pages += 1
        assert pages < 10
    assert seen == set(entries)
    back = await fake.click(page, page.custom_ids[0])
    assert f"Page {pages - 1} of {pages}" in back.embeds[0]["footer"]["text"]


def _ids(reply: object) -> list[str]:
    description = reply.embeds[0]["description"]  # type: ignore[attr-defined]
    return [line.split("`")[1] for line in description.splitlines() if line.startswith("`")]


async def test_list_one_category(fake: FakeDiscord) -> None:
    choices = await fake.autocomplete("faq list", "category", "")
    categories = [c["value"] for c in choices]
    assert "connects" in categories
    reply = await fake.slash(
        "faq list", category="communication" if "communication" in categories else categories[0]
    )
    entries = bot_of(fake).answers.entries
    assert all(entries[entry_id].category in categories for entry_id in _ids(reply))
    unknown = await fake.slash("faq list", category="no-such-category")
    assert "No category" in (unknown.content or "")


async def test_forged_page_buttons_are_refused(fake: FakeDiscord) -> None:
    first = await fake.slash("faq list")
    message = fake.messages[int(first.message["id"])]  # type: ignore[index]
    message["components"][0]["components"][1]["custom_id"] = "cb:page:*:99999999"
    refused = await fake.click(message, "cb:page:*:99999999")
    assert refused.ephemeral and "not valid" in (refused.content or "")
