"""Modals for moderators: add an entry, edit one (prefilled, stale edits refused), or turn a group of
unanswered questions into a new entry. Every submit checks the moderator again on the bot's side.

They are not persistent: discord.py gives each a random custom_id and routes the submission to the form
that was opened (gone after a restart). Anyone holding that custom_id could submit it, hence the check;
a submission overtaken by another change is refused with the moderator's text attached as a draft."""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import discord
from pydantic import ValidationError

from bot import checks
from bot.client import actor_of, client_of
from bot.failures import report_failure
from bot.replies import (
    INPUT_LABEL,
    INPUT_PLACEHOLDER,
    INPUT_VALUE,
    MODAL_TITLE,
    member_text,
    one_line,
    respond,
    truncate,
)
from connectsbot.curation import propose_entry_id
from connectsbot.field_errors import field_errors
from connectsbot.knowledge import Entry, SourceRecord
from connectsbot.question_reports import QuestionGroup
from connectsbot.store import LiveEntry, StaleRevision, StoreError

if TYPE_CHECKING:
    from bot.client import ConnectsBot

log = logging.getLogger(__name__)

MODAL_TIMEOUT = 30 * 60
DEALT_WITH_MEANWHILE = "those questions were dealt with meanwhile. Run /faq unanswered again."


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def build_entry(data: dict[str, Any]) -> Entry | list[str]:
    """The entry, or what is wrong with it (field: problem)."""
    try:
        return Entry.model_validate(data)
    except ValidationError as error:
        return [f"{item.field or 'entry'}: {item.message}" for item in field_errors(error)]


def draft_file(title: str, fields: dict[str, str]) -> discord.File:
    body = f"# {title}\n\n" + "\n\n".join(f"## {name}\n{value}" for name, value in fields.items())
    return discord.File(io.BytesIO(body.encode("utf-8")), filename="draft.md")


def _input(
    custom_id: str,
    label: str,
    *,
    default: str | None = None,
    paragraph: bool = False,
    required: bool = True,
    max_length: int = 300,
    placeholder: str | None = None,
) -> discord.ui.TextInput[Any]:
    return discord.ui.TextInput(
        custom_id=custom_id,
        label=one_line(label, INPUT_LABEL),
        style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
        default=truncate(default, max_length) if default else None,
        required=required,
        max_length=max_length,
        placeholder=one_line(placeholder, INPUT_PLACEHOLDER) if placeholder else None,
    )


class _ModeratorModal(discord.ui.Modal):
    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await checks.require_moderator(interaction)

    async def on_error(  # type: ignore[override]  # Modal.on_error takes no item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await report_failure(
            interaction, error, type(self).__name__, "Something went wrong; nothing was saved."
        )

    async def refused(self, interaction: discord.Interaction[Any], message: str) -> None:
        fields = {
            child.custom_id: str(child.value)
            for child in self.children
            if isinstance(child, discord.ui.TextInput)
        }
        await respond(
            interaction,
            f"{message}\nYour text is attached as draft.md.",
            files=[draft_file(self.title, fields)],
            ephemeral=True,
        )


KEYWORDS_MAX = 1000
# Where to change a field the edit form cannot show in full (see `form_text`).
ELSEWHERE = {
    "aliases": "/faq alias add and /faq alias remove",
    "keywords": "the entry's file in the knowledge folder, then /faq import",
}


def form_text(values: list[str], max_length: int) -> str | None:
    """A list field as the form shows it (one item per line), or None when the form cannot show it as
    it is: too long for the input, or an item that spans lines. Such a field is left out of the form
    and kept as stored, never saved from a cut copy."""
    text = "\n".join(values)
    return text if len(text) <= max_length and lines(text) == values else None


class EditModal(_ModeratorModal):
    def __init__(self, live: LiveEntry) -> None:
        super().__init__(
            title=one_line(f"Edit {live.entry.id}", MODAL_TITLE),
            timeout=MODAL_TIMEOUT,
        )
        entry = live.entry
        self.entry = entry
        self.revision = live.revision
        self.question: discord.ui.TextInput[Any] = _input(
            "question", "Question (the title)", default=entry.question
        )
        self.answer: discord.ui.TextInput[Any] = _input(
            "answer",
            "Answer (Discord markdown)",
            default=entry.answer,
            paragraph=True,
            max_length=INPUT_VALUE,
        )
        # The list fields the form shows, by field name; those it cannot show in full are kept.
        self.lists: dict[str, discord.ui.TextInput[Any]] = {}
        for name, label, values, max_length in (
            ("aliases", "Aliases, one per line", entry.aliases, INPUT_VALUE),
            ("keywords", "Keywords, one per line", entry.keywords, KEYWORDS_MAX),
        ):
            text = form_text(values, max_length)
            if text is not None:
                self.lists[name] = _input(
                    name, label, default=text, paragraph=True, required=False, max_length=max_length
                )
        self.reason: discord.ui.TextInput[Any] = _input(
            "reason", "Why this change?", placeholder="e.g. the fee changed on 1 December"
        )
        for item in (self.question, self.answer, *self.lists.values(), self.reason):
            self.add_item(item)

    def kept_note(self) -> str:
        """What the moderator could not change here, and where to change it."""
        kept = [name for name in ELSEWHERE if name not in self.lists]
        return "".join(
            f" The {name} are too long to show in the form and were kept as they are: change them with "
            f"{ELSEWHERE[name]}."
            for name in kept
        )

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        bot = client_of(interaction)
        data = {
            **self.entry.model_dump(),
            "question": self.question.value,
            "answer": self.answer.value,
            **{name: lines(field.value) for name, field in self.lists.items()},
        }
        built = build_entry(data)
        if isinstance(built, list):
            await self.refused(interaction, "Not saved, the entry would be invalid:\n- " + "\n- ".join(built))
            return
        if built == self.entry:
            await respond(
                interaction, f"Nothing changed in `{self.entry.id}`.{self.kept_note()}", ephemeral=True
            )
            return
        try:
            change = await bot.curator.edit(built, self.revision, actor_of(interaction), self.reason.value)
        except StaleRevision as error:
            await self.refused(
                interaction, f"Not saved: {error} Run /faq edit again to start from the current version."
            )
            return
        except StoreError as error:
            await self.refused(interaction, f"Not saved: {error}")
            return
        await respond(
            interaction,
            f"Saved `{built.id}` as revision {change.revision.revision}.{self.kept_note()}",
            ephemeral=True,
        )


async def _add(
    interaction: discord.Interaction[Any],
    modal: _ModeratorModal,
    data: dict[str, Any],
    reason: str,
    resolves: Sequence[int] = (),
) -> Entry | None:
    """Validate and add a new entry (marking the `resolves` questions as dealt with in the same
    transaction); tell the moderator what happened. The entry if it was added."""
    bot: ConnectsBot = client_of(interaction)
    built = build_entry(data)
    if isinstance(built, list):
        await modal.refused(interaction, "Not added, the entry would be invalid:\n- " + "\n- ".join(built))
        return None
    try:
        await bot.curator.add(built, actor_of(interaction), reason, resolves=resolves)
    except StoreError as error:
        await modal.refused(interaction, f"Not added: {error}")
        return None
    await respond(
        interaction,
        f"Added `{built.id}` ({built.category}). Members can find it now: /faq show entry:{built.id}",
        ephemeral=True,
    )
    return built


def unknown_source(source: str, sources: Mapping[str, SourceRecord]) -> str:
    """Why a source id was refused, with the ids that would do."""
    known = ", ".join(f"`{key}`" for key in sorted(sources)) or "none: the registry could not be read"
    return (
        f"Not added: “{member_text(source, 64)}” is not in the sources registry (sources.yaml). "
        f"Known sources: {known}."
    )


class AddModal(_ModeratorModal):
    def __init__(self, entry_id: str, category: str, source: str, today: date) -> None:
        super().__init__(
            title=one_line(f"New entry {entry_id}", MODAL_TITLE),
            timeout=MODAL_TIMEOUT,
        )
        self.entry_id, self.category, self.source, self.today = entry_id, category, source, today
        self.question: discord.ui.TextInput[Any] = _input("question", "Question (the title)")
        self.answer: discord.ui.TextInput[Any] = _input(
            "answer", "Answer (Discord markdown)", paragraph=True, max_length=INPUT_VALUE
        )
        self.aliases: discord.ui.TextInput[Any] = _input(
            "aliases",
            "Other ways members ask it, one per line",
            paragraph=True,
            required=False,
            max_length=INPUT_VALUE,
        )
        self.supports: discord.ui.TextInput[Any] = _input(
            "supports",
            f"What {source} supports",
            placeholder="the sentence or figure of the source this answer rests on",
        )
        self.reason: discord.ui.TextInput[Any] = _input(
            "reason", "Why add it?", placeholder="e.g. asked 5 times this week"
        )
        for item in (self.question, self.answer, self.aliases, self.supports, self.reason):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        data = {
            "id": self.entry_id,
            "question": self.question.value,
            "category": self.category,
            "as_of": self.today,
            "aliases": lines(self.aliases.value),
            "sources": [{"source": self.source, "supports": self.supports.value}],
            "answer": self.answer.value,
        }
        await _add(interaction, self, data, self.reason.value)


class NewFromQuestionsModal(_ModeratorModal):
    """A new entry from a group of unanswered questions; the questions are then marked as dealt with."""

    def __init__(self, group: QuestionGroup, category: str) -> None:
        super().__init__(title="New entry from unanswered questions", timeout=MODAL_TIMEOUT)
        self.group = group
        self.entry_id: discord.ui.TextInput[Any] = _input(
            "entry_id",
            "Entry id (lower-case-with-dashes)",
            default=propose_entry_id(group.text),
            max_length=64,
        )
        self.category: discord.ui.TextInput[Any] = _input(
            "category", "Category", default=category, max_length=40
        )
        self.question: discord.ui.TextInput[Any] = _input(
            "question", "Question (the title)", default=group.text
        )
        self.answer: discord.ui.TextInput[Any] = _input(
            "answer", "Answer (Discord markdown)", paragraph=True, max_length=INPUT_VALUE
        )
        self.source: discord.ui.TextInput[Any] = _input(
            "source",
            "Source: its id (sources.yaml), colon, what it supports",
            placeholder="upwork-connects-announcement: the Basic plan gets 10 Connects a month",
        )
        for item in (self.entry_id, self.category, self.question, self.answer, self.source):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        source, sep, supports = self.source.value.partition(":")
        if not sep or not source.strip() or not supports.strip():
            await self.refused(interaction, "Not added: write the source as `source id: what it supports`.")
            return
        bot = client_of(interaction)
        if source.strip() not in bot.answers.sources:
            await self.refused(interaction, unknown_source(source.strip(), bot.answers.sources))
            return
        # Another moderator may have answered these questions while this form was open (an alias, an
        # entry): a second entry for them would most likely duplicate that answer.
        still_open = {q.id for q in await bot.store.open_questions(checks.moderator_scope(interaction))}
        if still_open.isdisjoint(self.group.ids):
            await self.refused(interaction, f"Not added: {DEALT_WITH_MEANWHILE}")
            return
        data = {
            "id": self.entry_id.value.strip(),
            "question": self.question.value,
            "category": self.category.value.strip(),
            "as_of": bot.clock().date(),
            "sources": [{"source": source.strip(), "supports": supports.strip()}],
            "answer": self.answer.value,
        }
        count = self.group.count
        reason = f"new entry for {count} unanswered question{'s' if count != 1 else ''} (/faq unanswered)"
        await _add(interaction, self, data, reason, resolves=self.group.ids)
