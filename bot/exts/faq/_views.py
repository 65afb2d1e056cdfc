"""Persistent controls of the faq extension (custom_ids parsed and checked in the callbacks, which
refuse any control not on a message of this bot; see bot.components).

- `cb:page:{category|*}:{page}`      /faq list page buttons (anyone)
- `cb:un:new:{question_id}`          /faq unanswered: a new entry from this group (moderators)
- `cb:un:alias:{question_id}`        /faq unanswered: add this group's phrasing as an alias of… (moderators)
- `cb:un:pa:{question_id}:{entry}`   /faq unanswered: alias of the entry members picked (moderators)
- `cb:ut:{question_id}`           the entry select that follows "alias" (moderators)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot import checks
from bot.client import actor_of, client_of
from bot.components import (
    INVALID_CONTROL,
    PersistentControl,
    offered_values,
    on_own_message,
    options_or_placeholder,
    parse_number,
    suggestion_option,
)
from bot.exts.faq._modals import NewFromQuestionsModal
from bot.exts.faq._render import PAGE_FOOTER, entry_list_embed, list_title
from bot.failures import reports_failures
from bot.replies import BUTTON_LABEL, CUSTOM_ID, SELECT_OPTIONS, member_text, one_line, respond, update
from connectsbot.knowledge import Entry
from connectsbot.question_reports import QuestionGroup, group_questions
from connectsbot.store import AlreadyExists, InvalidEntry, NotFound, ServerScope, StoreError

if TYPE_CHECKING:
    from bot.client import ConnectsBot

log = logging.getLogger(__name__)

PER_PAGE = 10
GROUP_ROWS = 4  # groups with buttons under /faq unanswered (Discord allows 5 rows)
ALREADY_DONE = (
    "Those questions were dealt with already (or are no longer in the list). Run /faq unanswered again."
)
_CATEGORY = re.compile(r"\*|[a-z0-9]+(?:-[a-z0-9]+)*")


# /faq list pages


def list_page(
    entries: Sequence[Entry], category: str | None, page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    chosen = sorted(
        (e for e in entries if category is None or e.category == category),
        key=lambda e: (e.category, e.question.casefold()),
    )
    pages = max(1, -(-len(chosen) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    embed = entry_list_embed(chosen[page * PER_PAGE : (page + 1) * PER_PAGE], page, pages, category)
    if pages == 1:
        return embed, None
    view = discord.ui.View(timeout=None)
    key = category or "*"
    view.add_item(PageButton(f"{key}:{page - 1}", label="◀ Previous", disabled=page == 0))
    view.add_item(PageButton(f"{key}:{page + 1}", label="Next ▶", disabled=page >= pages - 1))
    return embed, view


class PageButton(PersistentControl[discord.ui.Button[Any]], prefix="page"):
    def __init__(self, rest: str, *, label: str = "Page", disabled: bool = False) -> None:
        style = discord.ButtonStyle.secondary
        super().__init__(
            rest,
            discord.ui.Button(
                label=label, style=style, custom_id=self.custom_id_for(rest), disabled=disabled
            ),
        )

    @reports_failures("/faq list page")
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        category, sep, page_text = self.rest.rpartition(":")
        page = parse_number(page_text) if len(page_text) <= 4 else None  # no list has 10,000 pages
        if not sep or page is None or not _CATEGORY.fullmatch(category) or not on_own_message(interaction):
            await respond(interaction, INVALID_CONTROL, ephemeral=True)
            return
        chosen = None if category == "*" else category
        if not _next_to_shown_page(interaction.message, chosen, page):
            await respond(interaction, INVALID_CONTROL, ephemeral=True)
            return
        entries = list((await client_of(interaction).answers.snapshot()).entries.values())
        # A category no entry has (forged, or all retired since) would page through nothing.
        if chosen is not None and all(entry.category != chosen for entry in entries):
            await respond(interaction, INVALID_CONTROL, ephemeral=True)
            return
        embed, view = list_page(entries, chosen, page)
        await update(interaction, embed=embed, view=view)


def _next_to_shown_page(message: discord.Message | None, category: str | None, page: int) -> bool:
    """Whether `message` is a /faq list page of `category` one page before or after `page` (0-based):
    the only pages its buttons lead to."""
    embed = message.embeds[0] if message is not None and message.embeds else None
    shown = PAGE_FOOTER.match(embed.footer.text or "") if embed is not None else None
    return (
        embed is not None
        and shown is not None
        and embed.title == list_title(category)
        and abs(int(shown["page"]) - 1 - page) == 1
    )


# /faq unanswered


async def open_groups(bot: ConnectsBot, scope: ServerScope) -> list[QuestionGroup]:
    return group_questions(await bot.store.open_questions(scope))


def unanswered_view(groups: Sequence[QuestionGroup]) -> discord.ui.View | None:
    if not groups:
        return None
    view = discord.ui.View(timeout=None)
    for number, group in enumerate(groups[:GROUP_ROWS], start=1):
        qid = group.questions[0].id
        view.add_item(UnansweredButton(f"new:{qid}", label=f"{number} · New entry", row=number - 1))
        view.add_item(UnansweredButton(f"alias:{qid}", label=f"{number} · Add as alias of…", row=number - 1))
        for entry_id, count in group.picked[:2]:
            label = one_line(f"{number} · Alias of {entry_id} (picked ×{count})", BUTTON_LABEL)
            if len(f"cb:un:pa:{qid}:{entry_id}") <= CUSTOM_ID:
                view.add_item(UnansweredButton(f"pa:{qid}:{entry_id}", label=label, row=number - 1))
    return view


async def _open_group(interaction: discord.Interaction[Any], question_id: int) -> QuestionGroup | None:
    """The open group the question is in, or None after telling the moderator it was dealt with."""
    groups = await open_groups(client_of(interaction), checks.moderator_scope(interaction))
    group = next((group for group in groups if question_id in group.ids), None)
    if group is None:
        await respond(interaction, ALREADY_DONE, ephemeral=True)
    return group


async def add_group_alias(interaction: discord.Interaction[Any], group: QuestionGroup, entry_id: str) -> None:
    """Add the group's phrasing as an alias of `entry_id`, its questions marked as dealt with in the
    same transaction."""
    bot = client_of(interaction)
    alias = one_line(group.text, 300)
    reason = (
        f"alias from {group.count} unanswered question{'s' if group.count != 1 else ''} (/faq unanswered)"
    )
    try:
        change = await bot.curator.add_alias(
            entry_id, alias, actor_of(interaction), reason, resolves=group.ids
        )
    except (NotFound, AlreadyExists, InvalidEntry) as error:
        await respond(interaction, f"Not added: {error}", ephemeral=True)
        return
    except StoreError as error:
        await respond(interaction, f"Not saved: {error}", ephemeral=True)
        return
    await respond(
        interaction,
        f"Added “{member_text(alias, 200)}” as an alias of `{entry_id}` "
        f"(revision {change.revision.revision}); "
        f"{group.count} question{'s' if group.count != 1 else ''} marked as dealt with.",
        ephemeral=True,
    )


class UnansweredButton(PersistentControl[discord.ui.Button[Any]], prefix="un"):
    def __init__(self, rest: str, *, label: str = "…", row: int | None = None) -> None:
        style = discord.ButtonStyle.primary
        super().__init__(
            rest, discord.ui.Button(label=label, style=style, custom_id=self.custom_id_for(rest)), row=row
        )

    @reports_failures("/faq unanswered button")
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if not await checks.require_moderator(interaction):
            return
        action, _, rest = self.rest.partition(":")
        qid_text, _, entry_id = rest.partition(":")
        question_id = parse_number(qid_text)
        well_formed = action in ("new", "alias", "pa") and bool(entry_id) == (action == "pa")
        if question_id is None or not well_formed or not on_own_message(interaction):
            await respond(interaction, INVALID_CONTROL, ephemeral=True)
            return
        group = await _open_group(interaction, question_id)
        if group is None:
            return
        bot = client_of(interaction)
        if action == "pa":
            # The button is offered only for entries members picked for this group.
            if entry_id not in dict(group.picked):
                await respond(interaction, INVALID_CONTROL, ephemeral=True)
                return
            await add_group_alias(interaction, group, entry_id)
        elif action == "new":
            best = (await bot.answers.snapshot()).entries.get(group.best_entry or "")
            await interaction.response.send_modal(
                NewFromQuestionsModal(group, category=best.category if best else "connects")
            )
        else:
            candidates = await alias_targets(bot, group)
            view = discord.ui.View(timeout=None)
            view.add_item(AliasTargetSelect(qid_text, [suggestion_option(e) for e in candidates]))
            await respond(
                interaction,
                f"Add “{member_text(group.text, 300)}” as an alias of which entry?",
                view=view,
                ephemeral=True,
            )


async def alias_targets(bot: ConnectsBot, group: QuestionGroup) -> list[Entry]:
    """Entries to offer: those members picked, then those suggested, then the best matches."""
    entries = (await bot.answers.snapshot()).entries
    ordered: dict[str, Entry] = {}
    for entry_id, _ in [*group.picked, *group.suggested]:
        if entry_id in entries:
            ordered.setdefault(entry_id, entries[entry_id])
    for entry in await bot.ranker.rank(group.text, SELECT_OPTIONS):
        ordered.setdefault(entry.id, entry)
    return list(ordered.values())[:SELECT_OPTIONS]


class AliasTargetSelect(PersistentControl[discord.ui.Select[Any]], prefix="ut"):
    def __init__(self, rest: str, options: Sequence[discord.SelectOption] = ()) -> None:
        select: discord.ui.Select[Any] = discord.ui.Select(
            placeholder="Choose the entry",
            custom_id=self.custom_id_for(rest),
            options=options_or_placeholder(options),
        )
        super().__init__(rest, select)

    @reports_failures("/faq unanswered alias")
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if not await checks.require_moderator(interaction):
            return
        values = self.item.values
        entry_id = str(values[0]) if len(values) == 1 else ""
        question_id = parse_number(self.rest)
        offered = offered_values(interaction, self.item.custom_id)
        if question_id is None or entry_id not in offered or not on_own_message(interaction):
            await respond(interaction, INVALID_CONTROL, ephemeral=True)
            return
        group = await _open_group(interaction, question_id)
        if group is None:
            return
        await add_group_alias(interaction, group, entry_id)


def register(bot: ConnectsBot) -> None:
    bot.add_dynamic_items(PageButton, UnansweredButton, AliasTargetSelect)
