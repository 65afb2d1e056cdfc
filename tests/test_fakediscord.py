"""The fake Discord harness itself, driven with a tiny discord.py bot defined here.

Each test runs the real discord.py client over real sockets against the fake on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from fakediscord import payloads
from fakediscord.harness import BotFailure, CommandNotVisible, FakeDiscord, WaitTimeout

QUESTIONS = ["connects refund", "connects price", "account verification", "profile visibility"]


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Your feedback", custom_id="feedback_text", max_length=50
    )
    contact: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Contact", custom_id="contact", required=False
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"Thanks: {self.text.value} ({self.contact.value or 'anonymous'})", ephemeral=True
        )


class ConfirmView(discord.ui.View):
    @discord.ui.button(label="Yes", custom_id="confirm_yes", style=discord.ButtonStyle.success)
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]) -> None:
        await interaction.response.edit_message(content="Confirmed", view=None)

    @discord.ui.button(label="Later", custom_id="confirm_later")
    async def later(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]) -> None:
        await interaction.response.defer()  # type 6, then edit the message the button is on
        await interaction.edit_original_response(content="Later then", view=None)

    @discord.ui.button(label="Off", custom_id="confirm_off", disabled=True)
    async def off(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]) -> None:
        raise AssertionError("disabled")

    @discord.ui.select(
        custom_id="confirm_pick", options=[discord.SelectOption(label=x, value=x) for x in "abc"]
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[ConfirmView]) -> None:
        await interaction.response.send_message(f"picked {select.values}")


class TinyBot(commands.Bot):
    """One of each thing the real bot will do."""

    def __init__(self, *, message_content: bool = True) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(command_prefix="!", intents=intents, allowed_mentions=discord.AllowedMentions.none())

    async def setup_hook(self) -> None:
        tree = self.tree

        @tree.command(description="Repeat the text")
        @app_commands.choices(
            style=[
                app_commands.Choice(name="plain", value="plain"),
                app_commands.Choice(name="loud", value="loud"),
            ]
        )
        async def echo(
            interaction: discord.Interaction,
            text: str,
            times: app_commands.Range[int, 1, 3] = 1,
            style: str = "plain",
        ) -> None:
            said = " ".join([text] * times)
            await interaction.response.send_message(said.upper() if style == "loud" else said, ephemeral=True)

        async def question_choices(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=q, value=q) for q in QUESTIONS if current.lower() in q][:25]

        @tree.command(description="Ask a question")
        @app_commands.autocomplete(question=question_choices)
        async def ask(interaction: discord.Interaction, question: str) -> None:
            await interaction.response.send_message(f"You asked: {question}")

        @tree.command(description="Give feedback")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(FeedbackModal())

        @tree.command(description="Confirm something")
        async def confirm(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Sure?", view=ConfirmView())

        @tree.command(description="Think first")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("done thinking")
            await interaction.edit_original_response(content="edited")

        @tree.command(description="Who is it")
        async def whois(
            interaction: discord.Interaction, member: discord.Member, where: discord.TextChannel | None = None
        ) -> None:
            roles = ",".join(r.name for r in member.roles if not r.is_default())
            await interaction.response.send_message(
                f"{member.name} [{roles}] in {where.name if where else '-'}"
            )

        @tree.command(description="Post, edit, react to and delete a channel message")
        async def notice(interaction: discord.Interaction) -> None:
            channel = interaction.channel
            assert isinstance(channel, discord.TextChannel)
            async with channel.typing():
                posted = await channel.send("draft")
            posted = await posted.edit(content="final")
            await posted.add_reaction("\N{WHITE HEAVY CHECK MARK}")
            fetched = await channel.fetch_message(posted.id)
            await fetched.delete()
            await interaction.response.send_message(f"was {fetched.content}", ephemeral=True)

        @tree.command(description="Upload a file")
        async def upload(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                "here", file=discord.File(io.BytesIO(b"x" * 1234), filename="report.txt")
            )

        @tree.command(description="Ping everybody (a bug)")
        async def ping_all(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                "@everyone look", allowed_mentions=discord.AllowedMentions.all()
            )

        @tree.command(description="Raise")
        async def boom(interaction: discord.Interaction) -> None:
            raise RuntimeError("kaboom")

        @tree.command(description="Never answers")
        async def silent(interaction: discord.Interaction) -> None:
            return None

        @tree.command(description="Call a route the fake does not know")
        async def unknown(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            await interaction.client.http.request(discord.http.Route("GET", "/not/a/discord/route"))

        kb = app_commands.Group(name="kb", description="Knowledge base")
        admin = app_commands.Group(name="admin", description="Admin", parent=kb)

        @kb.command(name="show", description="Show an entry")
        async def kb_show(interaction: discord.Interaction, entry_id: str) -> None:
            await interaction.response.send_message(f"entry {entry_id}")

        @admin.command(name="reload", description="Reload")
        async def kb_reload(interaction: discord.Interaction, force: bool = False) -> None:
            await interaction.response.send_message(f"reloaded force={force}", ephemeral=True)

        kb.default_permissions = discord.Permissions(manage_messages=True)
        tree.add_command(kb)

        @tree.context_menu(name="Quote")
        async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message(f"> {message.content} ({message.author.name})")

        await tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        if "connects" in message.content.lower():
            await message.reply(f"About Connects, {message.author.name}", mention_author=False)


@pytest.fixture
def discord_bot_factory() -> Callable[[], discord.Client]:
    return TinyBot


# --- interactions ---------------------------------------------------------------------------------


async def test_slash_command_reply_and_sync(fake_discord: FakeDiscord) -> None:
    reply = await fake_discord.slash("echo", text="hi", times=2, user=fake_discord.member_user)
    assert reply.type == 4
    assert reply.data["content"] == reply.content == "hi hi"
    assert reply.ephemeral and reply.embeds == [] and reply.components == []
    assert reply.allowed_mentions == {"parse": []}
    assert reply.message is not None and reply.message["author"]["id"] == fake_discord.bot_user["id"]
    loud = await fake_discord.slash("echo", text="hi", style="loud")
    assert loud.content == "HI"
    assert {c["name"] for c in fake_discord.commands[None]} >= {"echo", "ask", "kb", "Quote"}
    fake_discord.assert_no_mass_mentions()


async def test_options_are_checked_like_the_discord_client(fake_discord: FakeDiscord) -> None:
    with pytest.raises(TypeError, match="requires"):
        await fake_discord.slash("echo")
    with pytest.raises(TypeError, match="no option 'txt'"):
        await fake_discord.slash("echo", txt="hi")
    with pytest.raises(ValueError, match="only accepts"):
        await fake_discord.slash("echo", text="hi", style="whisper")
    with pytest.raises(ValueError, match="maximum"):
        await fake_discord.slash("echo", text="hi", times=4)
    with pytest.raises(LookupError, match="no chat_input command"):
        await fake_discord.slash("nope")


async def test_subcommands_groups_and_default_permissions(fake_discord: FakeDiscord) -> None:
    shown = await fake_discord.slash("kb show", entry_id="connects-refund", user=fake_discord.moderator_user)
    assert shown.content == "entry connects-refund"
    with pytest.raises(CommandNotVisible):
        await fake_discord.slash("kb show", entry_id="x", user=fake_discord.member_user)
    reloaded = await fake_discord.slash("kb admin reload", force=True, user=fake_discord.admin_user)
    assert reloaded.content == "reloaded force=True" and reloaded.ephemeral
    options = reloaded.interaction.payload["data"]["options"] if reloaded.interaction else []
    assert (
        options[0]["type"] == payloads.SUB_COMMAND_GROUP
        and options[0]["options"][0]["type"] == payloads.SUB_COMMAND
    )


async def test_user_and_channel_options_are_resolved(fake_discord: FakeDiscord) -> None:
    reply = await fake_discord.slash("whois", member=fake_discord.moderator_user, where=fake_discord.faq)
    assert reply.content == "moderator [Moderator] in faq"


async def test_autocomplete_returns_the_offered_choices(fake_discord: FakeDiscord) -> None:
    choices = await fake_discord.autocomplete("ask", "question", "conn")
    assert [c["value"] for c in choices] == ["connects refund", "connects price"]
    answer = await fake_discord.slash("ask", question=choices[0]["value"])
    assert answer.content == "You asked: connects refund" and not answer.ephemeral


async def test_modal_is_opened_and_submitted(fake_discord: FakeDiscord) -> None:
    modal = await fake_discord.slash("feedback")
    assert modal.type == 9 and modal.custom_id and modal.data["title"] == "Feedback"
    with pytest.raises(ValueError, match="requires a value"):
        await fake_discord.submit_modal(modal, {"contact": "me"})
    with pytest.raises(ValueError, match=r"takes 0\.\.50 characters"):
        await fake_discord.submit_modal(modal, {"feedback_text": "x" * 51})
    with pytest.raises(ValueError, match="no input"):
        await fake_discord.submit_modal(modal, {"feedback_text": "x", "nope": "y"})
    thanks = await fake_discord.submit_modal(modal, {"feedback_text": "great bot"})
    assert thanks.content == "Thanks: great bot (anonymous)" and thanks.ephemeral


async def test_buttons_and_selects(fake_discord: FakeDiscord) -> None:
    asked = await fake_discord.slash("confirm")
    assert asked.custom_ids == ["confirm_yes", "confirm_later", "confirm_off", "confirm_pick"]
    picked = await fake_discord.select(asked, "confirm_pick", ["b"])
    assert picked.content == "picked ['b']"
    with pytest.raises(ValueError, match="offers"):
        await fake_discord.select(asked, "confirm_pick", ["z"])
    with pytest.raises(ValueError, match="disabled"):
        await fake_discord.click(asked, "confirm_off")
    clicked = await fake_discord.click(asked, "confirm_yes", user=fake_discord.moderator_user)
    assert clicked.type == 7 and clicked.content == "Confirmed" and clicked.components == []
    assert asked.message is not None
    assert fake_discord.messages[int(asked.message["id"])]["content"] == "Confirmed"
    with pytest.raises(KeyError, match="no component"):
        await fake_discord.click(asked, "confirm_yes")


async def test_deferred_update_then_edit_of_the_component_message(fake_discord: FakeDiscord) -> None:
    asked = await fake_discord.slash("confirm")
    later = await fake_discord.click(asked, "confirm_later")
    assert later.type == 6 and later.interaction is not None
    edit = await later.interaction.original_edit()
    assert edit.content == "Later then" and edit.message is not None
    assert asked.message is not None and edit.message["id"] == asked.message["id"]


async def test_deferred_reply_then_followup_and_edit(fake_discord: FakeDiscord) -> None:
    deferred = await fake_discord.slash("slow")
    assert deferred.type == 5 and deferred.interaction is not None
    followup = await deferred.interaction.followup()
    assert followup.content == "done thinking" and followup.allowed_mentions == {"parse": []}
    edit = await deferred.interaction.original_edit()
    assert edit.content == "edited"


async def test_message_context_menu(fake_discord: FakeDiscord) -> None:
    said = await fake_discord.message(fake_discord.general, "quote me", author=fake_discord.moderator_user)
    reply = await fake_discord.message_command("Quote", said)
    assert reply.content == "> quote me (moderator)"
    data = reply.interaction.payload["data"] if reply.interaction else {}
    assert data["type"] == payloads.MESSAGE_COMMAND and data["target_id"] == said["id"]


async def test_channel_message_writes(fake_discord: FakeDiscord) -> None:
    reply = await fake_discord.slash("notice")
    assert reply.content == "was final"
    channel = fake_discord.general["id"]
    writes = [f"{r.method} {r.route}" for r in fake_discord.sent if r.path.startswith(f"/channels/{channel}")]
    assert writes == [
        "POST /channels/{channel_id}/typing",
        "POST /channels/{channel_id}/messages",
        "PATCH /channels/{channel_id}/messages/{message_id}",
        "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
        "GET /channels/{channel_id}/messages/{message_id}",
        "DELETE /channels/{channel_id}/messages/{message_id}",
    ]
    assert (await fake_discord.wait_for_sent(fake_discord.general)).content == "draft"
    fake_discord.assert_no_mass_mentions()


async def test_files_are_recorded_from_multipart(fake_discord: FakeDiscord) -> None:
    reply = await fake_discord.slash("upload")
    assert reply.content == "here"
    (sent,) = reply.files
    assert (sent.filename, sent.size) == ("report.txt", 1234)
    assert reply.message is not None and reply.message["attachments"][0]["filename"] == "report.txt"


# --- messages -------------------------------------------------------------------------------------


async def test_on_message_reply_in_channel(fake_discord: FakeDiscord) -> None:
    asked = await fake_discord.message(fake_discord.general, "How do Connects work?")
    answer = await fake_discord.wait_for_sent(fake_discord.general)
    assert answer.content == "About Connects, member"
    assert str(answer.data["message_reference"]["message_id"]) == asked["id"]  # ids are sent as ints
    assert answer.allowed_mentions == {"parse": [], "replied_user": False}
    await fake_discord.message(fake_discord.general, "nothing to see")
    await fake_discord.settle()  # the bot also received its own reply (echo) and ignored it
    assert len(fake_discord.sent_to(fake_discord.general)) == 1
    fake_discord.assert_no_mass_mentions()


async def test_forum_post_and_dm(fake_discord: FakeDiscord) -> None:
    post = await fake_discord.forum_post(
        fake_discord.forum, "Refund?", "Are connects refunded?", tags=["connects"]
    )
    answer = await fake_discord.wait_for_sent(post.id)
    assert answer.content == "About Connects, member"
    thread = fake_discord.bot.get_channel(post.id)
    assert isinstance(thread, discord.Thread) and thread.parent_id == int(fake_discord.forum["id"])
    await fake_discord.dm("connects in a DM?", author=fake_discord.moderator_user)
    await fake_discord.settle()
    dm = [r for r in fake_discord.sent if r.route == "/channels/{channel_id}/messages" and r.method == "POST"]
    assert dm[-1].json["content"] == "About Connects, moderator"


async def test_message_content_intent_is_enforced(start_fake_discord: Callable[..., object]) -> None:
    fake = await start_fake_discord(TinyBot(message_content=False))  # type: ignore[misc]
    assert isinstance(fake, FakeDiscord)
    await fake.message(fake.general, "connects?")
    await fake.settle()
    assert fake.sent_to(fake.general) == []
    await fake.message(fake.general, f"<@{fake.bot_user['id']}> connects?")
    assert (await fake.wait_for_sent(fake.general)).content == "About Connects, member"


# --- gateway faults -------------------------------------------------------------------------------


async def test_op7_reconnect_resumes(fake_discord: FakeDiscord) -> None:
    await fake_discord.reconnect()
    assert fake_discord.server.resume_count == 1 and fake_discord.server.identify_count == 1
    resume = [f for f in fake_discord.server.gateway_received if f["op"] == 6]
    assert resume and resume[0]["d"]["token"] == "<redacted>"
    assert (await fake_discord.slash("echo", text="still here")).content == "still here"


async def test_events_during_an_outage_are_replayed(fake_discord: FakeDiscord) -> None:
    async with fake_discord.outage():
        await fake_discord.message(fake_discord.general, "connects during the outage")
        pending = await fake_discord.send_slash("echo", text="queued")
    assert (await pending.response()).content == "queued"
    assert (await fake_discord.wait_for_sent(fake_discord.general)).content == "About Connects, member"
    assert fake_discord.server.resume_count == 1


async def test_close_codes_and_invalid_session(fake_discord: FakeDiscord) -> None:
    assert await fake_discord.close_gateway(4000) == "RESUMED"
    assert await fake_discord.close_gateway(1000) == "RESUMED"
    await fake_discord.invalidate_session(resumable=True)
    await fake_discord.invalidate_session()
    assert fake_discord.server.identify_count == 2
    assert (await fake_discord.slash("echo", text="after identify")).content == "after identify"
    assert await fake_discord.close_gateway(4000, resumable=False) == "READY"
    invalid = [f for f in fake_discord.server.gateway_sent if f["op"] == 9]
    assert [f["d"] for f in invalid] == [True, False, False]
    error = await fake_discord.close_gateway_fatally(4004)
    assert isinstance(error, discord.ConnectionClosed) and error.code == 4004


async def test_missed_heartbeat_acks_make_the_client_resume(fake_discord: FakeDiscord) -> None:
    sent_before = len(fake_discord.server.gateway_sent)
    assert await fake_discord.miss_heartbeat_acks() == "RESUMED"
    ops = [f["op"] for f in fake_discord.server.gateway_sent[sent_before:]]
    assert ops[0] == 1 and 11 not in ops[: ops.index(10)], "no ACK on the zombie, then a new HELLO"
    assert fake_discord.server.resume_count == 1
    assert (await fake_discord.slash("echo", text="alive")).content == "alive"


async def test_events_can_be_delivered_twice(fake_discord: FakeDiscord) -> None:
    fake_discord.allow_errors(r"(?s)Ignoring exception in command 'echo'.*40060")
    mark = fake_discord.gateway_seq()
    await fake_discord.message(fake_discord.general, "connects?")
    await fake_discord.wait_for_sent(fake_discord.general)
    await fake_discord.slash("echo", text="once")
    fake_discord.redeliver_on_resume(mark)
    await fake_discord.reconnect()
    await fake_discord.settle()
    assert len(fake_discord.sent_to(fake_discord.general)) == 2, "TinyBot answers a repeated message again"
    callbacks = [r for r in fake_discord.sent if r.route == "/interactions/{interaction_id}/{token}/callback"]
    assert [(r.status, r.response.get("code")) for r in callbacks] == [(200, None), (400, 40060)]
    replayed = [f.get("t") for f in fake_discord.server.gateway_sent if f.get("op") == 0]
    assert replayed.count("READY") == 1 and replayed.count("RESUMED") == 1
    assert len(fake_discord.allowed_errors) == 1


# --- REST faults ----------------------------------------------------------------------------------


async def test_rate_limits_are_retried(fake_discord: FakeDiscord) -> None:
    fake_discord.fail_next("POST /channels/*/messages", status=429, retry_after=0.01)
    fake_discord.fail_next("POST /interactions/*/callback", status=429, retry_after=0.01, global_=True)
    await fake_discord.message(fake_discord.general, "connects?")
    assert (await fake_discord.wait_for_sent(fake_discord.general)).content == "About Connects, member"
    assert (await fake_discord.slash("echo", text="hi")).content == "hi"
    statuses = [
        r.status
        for r in fake_discord.sent
        if r.method == "POST" and r.path.startswith(("/channels", "/interactions"))
    ]
    assert statuses == [429, 200, 429, 200]


async def test_server_errors_are_retried(fake_discord: FakeDiscord) -> None:
    fake_discord.fail_next("POST /channels/*/messages", status=502)  # discord.py waits 1 s, then retries
    await fake_discord.message(fake_discord.faq, "connects?")
    assert (await fake_discord.wait_for_sent(fake_discord.faq)).request.status == 200


async def test_retries_can_be_sped_up(fake_discord: FakeDiscord) -> None:
    fake_discord.allow_errors(r"(?s)Ignoring exception in command 'echo'.*DiscordServerError.*503")
    fake_discord.speed_up_retries()  # else five tries take 25 s (and the interaction expires)
    fake_discord.fail_next("POST /interactions/*/callback", status=503, times=5)
    await fake_discord.send_slash("echo", text="never")
    await fake_discord.settle()
    assert [r.status for r in fake_discord.sent if r.path.startswith("/interactions/")] == [503] * 5
    assert len(fake_discord.allowed_errors) == 1


# --- the harness's own checks ---------------------------------------------------------------------


async def test_a_command_exception_fails_fast_and_at_exit() -> None:
    with pytest.raises(BotFailure, match="kaboom") as at_exit:
        async with FakeDiscord.start(TinyBot()) as fake:
            with pytest.raises(BotFailure, match="kaboom"):
                await fake.slash("boom")
    assert "Ignoring exception in command 'boom'" in str(at_exit.value)


async def test_an_asyncio_error_fails_fast_unless_allowed() -> None:
    def broken_callback() -> None:
        raise RuntimeError("lost in a callback")

    with pytest.raises(BotFailure, match="asyncio ERROR: Exception in callback"):
        async with FakeDiscord.start(TinyBot()) as fake:
            asyncio.get_running_loop().call_soon(broken_callback)
            with pytest.raises(BotFailure, match="lost in a callback"):
                await fake.settle()

    async with FakeDiscord.start(TinyBot()) as fake:
        fake.allow_errors("Exception in callback")
        asyncio.get_running_loop().call_soon(broken_callback)
        await fake.settle()
    assert len(fake.allowed_errors) == 1


async def test_a_failure_while_starting_leaves_nothing_of_the_bot_running() -> None:
    bot = TinyBot()

    async def on_guild_available(guild: discord.Guild) -> None:
        logging.getLogger("discord").error("broken guild %s", guild.id)

    bot.add_listener(on_guild_available)
    with pytest.raises(BotFailure, match="broken guild"):
        # Still waiting for more guilds when the failure stops it.
        async with FakeDiscord.start(bot, guild_ready_timeout=5.0):
            pass
    assert bot._connection._ready_task is None


async def test_a_late_interaction_response_is_rejected() -> None:
    async with FakeDiscord.start(TinyBot(), interaction_timeout=0.05) as fake:
        fake.allow_errors(r"Unknown interaction")
        fake.fail_next("POST /interactions/*/callback", status=None, delay=0.1)  # answered too late
        await fake.send_slash("echo", text="late")
        await fake.settle()
    (late,) = [r for r in fake.sent if r.route == "/interactions/{interaction_id}/{token}/callback"]
    assert (late.status, late.response["code"]) == (404, 10062)
    assert len(fake.allowed_errors) == 1


async def test_allowed_errors_do_not_fail(fake_discord: FakeDiscord) -> None:
    fake_discord.allow_errors(r"Ignoring exception in command 'boom'")
    fake_discord.fail_next(
        "POST /channels/*/messages", status=403, body={"message": "Missing Permissions", "code": 50013}
    )
    fake_discord.allow_errors(r"Ignoring exception in on_message.*Missing Permissions")
    await fake_discord.send_slash("boom")
    await fake_discord.message(fake_discord.general, "connects")
    await fake_discord.settle()
    assert len(fake_discord.allowed_errors) == 2 and not fake_discord.problems


async def test_unknown_routes_are_reported() -> None:
    with pytest.raises(BotFailure, match="unknown REST route: GET /not/a/discord/route") as failed:
        async with FakeDiscord.start(TinyBot()) as fake:
            fake.allow_errors("Ignoring exception in command 'unknown'")
            await fake.slash("unknown")
            await fake.settle()  # fails at once: the problem is reported while waiting
    assert "while waiting for" in str(failed.value)
    assert fake.unknown_routes[0].status == 404


async def test_timeouts_list_what_was_recorded(fake_discord: FakeDiscord) -> None:
    await fake_discord.slash("echo", text="first")
    with pytest.raises(
        WaitTimeout, match=r"(?s)0.2 s waiting for the bot's response to /silent.*POST /interactions/"
    ):
        await fake_discord.slash("silent", timeout=0.2)


async def test_mass_mentions_are_caught(fake_discord: FakeDiscord) -> None:
    await fake_discord.slash("ping_all")
    with pytest.raises(AssertionError, match="parses"):
        fake_discord.assert_no_mass_mentions()


async def test_only_loopback_is_reachable(fake_discord: FakeDiscord) -> None:
    assert discord.http.Route.BASE.startswith("http://127.0.0.1:")
    with pytest.raises(aiohttp.ClientConnectorError, match=r"discord\.com"):
        await fake_discord.bot.http.get_from_cdn("https://discord.com/api/v10/gateway")
    assert fake_discord.problems == ["the bot tried to connect to discord.com"]
    fake_discord.problems.clear()  # expected here: do not fail the test at teardown


async def test_patches_are_restored() -> None:
    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    handlers = len(logging.getLogger("discord").handlers)
    async with FakeDiscord.start(TinyBot()) as fake:
        assert fake.server.rest_base == discord.http.Route.BASE
        fake.speed_up_retries()
    assert before == (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    assert discord.http.asyncio is asyncio and discord.webhook.async_.asyncio is asyncio
    assert len(logging.getLogger("discord").handlers) == handlers
    assert fake.bot.is_closed()
