"""The Discord client: holds the store, the answer service and the policy, loads one extension per feature."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks
from bot.render import NO_MENTIONS
from connectsbot.answers import AnswerService
from connectsbot.curation import Actor, Curator
from connectsbot.entry_ranking import EntryRanker
from connectsbot.question_limit import QuestionLimit
from connectsbot.store import ImportFailed, ImportReport, KnowledgeStore, StoreError

from .settings import BotSettings

if TYPE_CHECKING:
    from discord.ui.view import ViewStore

log = logging.getLogger(__name__)

SelfT = TypeVar("SelfT")
ItemCallback = Callable[
    [SelfT, discord.Interaction[Any]], Coroutine[Any, Any, None]
]  # a component's callback

# How discord.py names the tasks that run event listeners, slash commands, components and forms.
HANDLER_TASK_PREFIXES = (
    "discord.py: ",
    "CommandTree-invoker",
    "discord-ui-view-dispatch-",
    "discord-ui-modal-dispatch-",
    "discord-ui-dynamic-item-",
)
DRAIN_SECONDS = 5.0

EXTENSIONS: tuple[str, ...] = (
    "bot.exts.ask",
    "bot.exts.faq",
    "bot.exts.diagnose",
    "bot.exts.autoanswer",
    "bot.exts.answer_with_faq",
    "bot.exts.modlog",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def actor_of(interaction: discord.Interaction[Any]) -> Actor:
    """Who makes a change through Discord: named in the revision history by name and id; the ids
    let the mod-log mention them and name the server."""
    user = interaction.user
    return Actor(f"{user.name} ({user.id})", user.id, interaction.guild_id)


BUG_TEXT = "Something went wrong on my side; the moderators can find it in the logs."
DISCORD_FAILED_TEXT = "Discord did not accept my reply just now; please try again in a moment."
NO_PERMISSION_TEXT = "Discord did not let me do that here: I am missing a permission in this channel."
UNKNOWN_INTERACTION = 10062  # Discord's code for an interaction that expired (3 s) or never existed


def is_discord_failure(error: BaseException) -> bool:
    """Discord failed or refused, which is not a bug in the bot: a 5xx still there after discord.py's
    five tries, a 429 it does not retry (no `Via` header: Cloudflare), a missing permission or access
    (403), or the interaction, message or channel gone (404)."""
    return isinstance(error, discord.HTTPException) and (
        error.status >= 500 or error.status in (403, 404, 429)
    )


async def report_failure(
    interaction: discord.Interaction[Any], error: BaseException, what: str, bug_text: str = BUG_TEXT
) -> None:
    """After an exception while handling an interaction: log it and tell the member (ephemeral).

    What Discord failed or refused is logged at WARNING with its answer (an ERROR would page the
    operators over Discord's weather); anything else is a bug: ERROR with the traceback."""
    if not is_discord_failure(error):
        log.error("%s failed", what, exc_info=error)
        await send_safely(interaction, bug_text)
        return
    log.warning("%s: Discord refused or failed: %s", what, error)
    if isinstance(error, discord.NotFound) and error.code == UNKNOWN_INTERACTION:
        return  # the interaction is gone: there is no one to tell
    await send_safely(
        interaction, NO_PERMISSION_TEXT if isinstance(error, discord.Forbidden) else DISCORD_FAILED_TEXT
    )


def reports_failures(what: str) -> Callable[[ItemCallback[SelfT]], ItemCallback[SelfT]]:
    """For callbacks discord.py has no error hook for (a `DynamicItem`'s: it only logs them at ERROR):
    an exception goes to `report_failure` instead."""

    def decorate(callback: ItemCallback[SelfT]) -> ItemCallback[SelfT]:
        @functools.wraps(callback)
        async def reporting(self: SelfT, interaction: discord.Interaction[Any]) -> None:
            try:
                await callback(self, interaction)
            except Exception as error:
                await report_failure(interaction, error, what)

        return reporting

    return decorate


class ConnectsTree(app_commands.CommandTree["ConnectsBot"]):
    """The command tree: refusals and store errors become ephemeral replies; Discord's failures are
    warnings and bugs errors (see `report_failure`)."""

    async def on_error(
        self, interaction: discord.Interaction[ConnectsBot], error: app_commands.AppCommandError
    ) -> None:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(original, checks.NotAllowed):
            await send_safely(interaction, str(original))
        elif isinstance(original, StoreError):
            log.info("command %s refused by the store: %s", _name(interaction), type(original).__name__)
            await send_safely(interaction, str(original))
        else:
            await report_failure(interaction, original, f"command {_name(interaction)}")


def _name(interaction: discord.Interaction[Any]) -> str:
    command = interaction.command
    return f"/{command.qualified_name}" if command is not None else f"interaction {interaction.type.name}"


async def send_safely(interaction: discord.Interaction[Any], message: str) -> None:
    """An ephemeral reply whether or not the interaction was answered already; never raises."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message[:2000], ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(
                message[:2000], ephemeral=True, allowed_mentions=NO_MENTIONS
            )
    except discord.HTTPException as exc:
        log.warning("could not tell the member about an error: %s", exc)


class RecentIds:
    """The last `size` ids seen: recognises an event delivered again."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def seen_before(self, id_: int) -> bool:
        """True if `id_` was seen already; otherwise remember it (forgetting the oldest past `size`)."""
        if id_ in self._ids:
            return True
        self._ids[id_] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return False


_EXPIRED = "has expired (the bot restarted or too much time passed). Run the command again."
EXPIRED_FORM_TEXT = f"This form {_EXPIRED}"
EXPIRED_CONTROL_TEXT = f"This button or menu {_EXPIRED}"
COMPONENT = discord.InteractionType.component.value
MODAL_SUBMIT = discord.InteractionType.modal_submit.value


def ui_handles(store: ViewStore, data: Any) -> bool:
    """Whether discord.py has a handler for a component click or modal submit (INTERACTION_CREATE
    `data`): a waiting modal with its custom_id, a view item on its message (or on no message), or a
    DynamicItem whose template matches. The lookups of ViewStore.dispatch_modal / dispatch_view
    (discord.py 2.7), which drop everything else without a word."""
    custom_id = data["data"]["custom_id"]
    if data["type"] == MODAL_SUBMIT:
        return custom_id in store._modals
    if any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items):
        return True
    key = (data["data"]["component_type"], custom_id)
    message_id = int(data["message"]["id"]) if "message" in data else None
    return key in store._views.get(message_id, {}) or key in store._views.get(None, {})


# Gateway events that make the bot answer: each is handled once per id (message or interaction id).
ANSWERED_EVENTS = ("MESSAGE_CREATE", "INTERACTION_CREATE")
REMEMBERED_EVENTS = 10_000  # ids kept; a replay after a RESUME covers seconds to minutes of events


class ConnectsBot(commands.Bot):
    """The bot. Every message it sends mentions nobody (`allowed_mentions` default and explicit);
    every message and interaction is handled once even if Discord delivers it twice."""

    def __init__(
        self,
        settings: BotSettings,
        store: KnowledgeStore,
        answers: AnswerService,
        curator: Curator,
        startup_import: ImportReport | ImportFailed | None = None,
        *,
        extensions: Sequence[str] = EXTENSIONS,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        # Only auto-answer reads messages that do not mention the bot: ask for message content
        # (a privileged intent) only when it is on.
        intents.message_content = settings.channels.auto_answer
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            tree_cls=ConnectsTree,
            max_messages=200,
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
        )
        self.settings = settings
        self.store = store
        self.answers = answers
        self.curator = curator
        self.ranker = EntryRanker(answers)
        self.question_throttle = QuestionLimit(
            settings.answers.question_limit, settings.answers.question_window_seconds
        )
        # What the import of the knowledge files did at start; the mod-log reports it once connected.
        self.startup_import = startup_import
        self.extension_names = tuple(extensions)
        self.clock = clock
        self.monotonic = monotonic
        self._seen_events = RecentIds(REMEMBERED_EVENTS)
        parsers = self._connection.parsers
        # Modals and the preview's controls live in memory only, and a `cb:` control of a kind this
        # version lacks has no template: after a restart or a timeout discord.py drops their interactions
        # without a word and the member sees "This interaction failed". Only its (private) view store
        # knows what it will route, and only before the handlers run, so the parser notes what it will
        # drop and `on_interaction` answers that.
        self._expired_controls: set[int] = set()
        parsers["INTERACTION_CREATE"] = self._noting_expired_controls(parsers["INTERACTION_CREATE"])
        # After a RESUME Discord replays from the sequence number it believes we had, which can repeat
        # events we handled: a message would be answered twice, an interaction answered again (Discord
        # refuses that: 400 40060). Dropping repeats where discord.py parses gateway events (its state's
        # parser table, which every connection uses) covers every listener, command and component at
        # once, instead of each keeping its own memory.
        for event in ANSWERED_EVENTS:
            parsers[event] = self._once_per_id(event, parsers[event])

    def _once_per_id(self, event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
        def parse_once(data: Any) -> None:
            if self._seen_events.seen_before(int(data["id"])):
                log.info("%s %s delivered again: ignored", event, data["id"])
                return
            parse(data)

        return parse_once

    def _noting_expired_controls(self, parse: Callable[[Any], None]) -> Callable[[Any], None]:
        def parse_noting_expired(data: Any) -> None:
            store = self._connection._view_store  # replaced when the client is cleared: look it up
            if data["type"] in (COMPONENT, MODAL_SUBMIT) and not ui_handles(store, data):
                self._expired_controls.add(int(data["id"]))
            parse(data)

        return parse_noting_expired

    async def on_interaction(self, interaction: discord.Interaction[ConnectsBot], /) -> None:
        """Answer a form or control nothing handles (see `_noting_expired_controls`)."""
        if interaction.id not in self._expired_controls:
            return
        self._expired_controls.discard(interaction.id)
        modal = interaction.type is discord.InteractionType.modal_submit
        log.info("%s with an unknown custom_id: told the member it expired", interaction.type.name)
        await send_safely(interaction, EXPIRED_FORM_TEXT if modal else EXPIRED_CONTROL_TEXT)

    async def setup_hook(self) -> None:
        from bot import components

        components.register(self)
        for name in self.extension_names:
            await self.load_extension(name)
        if self.settings.discord.sync_commands:
            await self.sync_commands()

    async def sync_commands(self) -> list[app_commands.AppCommand]:
        """To DEV_GUILD_ID when set (instant), else globally (Discord may take a while to show them)."""
        guild_id = self.settings.discord.dev_guild_id
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to the development server %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d commands globally", len(synced))
        return synced

    async def close(self) -> None:
        """Let the replies in flight go out (up to DRAIN_SECONDS) before the connection closes: a
        SIGTERM under load should not drop answers or log errors from handlers cut off mid-reply."""
        current = asyncio.current_task()
        in_flight = [
            task
            for task in asyncio.all_tasks()
            if task is not current and task.get_name().startswith(HANDLER_TASK_PREFIXES)
        ]
        if in_flight:
            log.info("closing: waiting for %d handler(s) in flight", len(in_flight))
            await asyncio.wait(in_flight, timeout=DRAIN_SECONDS)
        await super().close()

    async def on_ready(self) -> None:
        user = self.user
        log.info("connected as %s (%s) to %d servers", user, user.id if user else "?", len(self.guilds))
        self._warn_if_any_server_manages_the_knowledge_base()

    def _warn_if_any_server_manages_the_knowledge_base(self) -> None:
        """CONNECTSBOT_GUILDS empty means any server: fine for one, but in several a moderator of any
        of them (Manage Server is enough) can change the knowledge base all of them share."""
        if self.settings.moderation.guild_ids or len(self.guilds) < 2:
            return
        log.warning(
            "CONNECTSBOT_GUILDS is empty, so a moderator of any server the bot is in can change the shared "
            "knowledge base; it is in %d servers: %s. Set CONNECTSBOT_GUILDS to those that manage it.",
            len(self.guilds),
            ", ".join(f"{guild.name} ({guild.id})" for guild in self.guilds),
        )

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: the ask and autoanswer extensions listen to messages themselves."""
        return None
