"""Load benchmark: the real bot driven through the loopback Discord at fixed offered rates.

Run by hand, not part of the test suite; see bench/README.md ("Load through the loopback Discord")::

    ./scripts/bench-load                  # 50, 200 and 1,000 events/s, 10 s each, then the knee
    ./scripts/bench-load --quick          # a smoke run

The bot runs in its own process through the production launcher (``bot.launcher.run_bot``, INFO logs
to a file; ``fakediscord.bot_process``, started by ``fakediscord.processes.BotProcess``, as in the
multi-process tests), pointed at the fake Discord of ``fakediscord/`` on 127.0.0.1. This process runs the
fake and an open-loop generator: events are dispatched on a fixed schedule whether or not earlier
ones were answered. With two CPUs or more the bot is pinned to one and this process to another, so
the bot's figures mean "one core" and the fake's own work is not charged to it.

Events (default mix ask 5 : help 3 : diagnose 2), each from a member who has not asked before, so
neither the per-member question limit nor the auto-answer cooldown refuses anything:

- ``/ask`` with a public question; answered by the interaction callback.
- A message in the help channel with a question the answer service answers outright (on the others the bot
  may stay silent by design, which cannot be told from a drop); answered by the bot's reply.
- ``/diagnose``: its callback is the modal; ``--think`` seconds after the modal arrived the member
  submits a timeline, a second interaction ("modal") that is not on the schedule.

Per offered rate: events dispatched, answered within Discord's 3 s interaction window, late (answered
after it: Discord refuses such a callback, and so does the fake), dropped (no answer by the end of the
run), latency from the gateway dispatch to the fake receiving the answer, the bot's CPU share and RSS.
The answer service alone (spelling, encoding the question, the hybrid match) is timed on the same
questions first; /ask latency over that time is the cost of the Discord layer. The knee is the
highest offered rate with nothing late or dropped and p99 < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# fakediscord is not installed with the project: import it from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bot.exts.diagnose import PLACEHOLDER as EXAMPLE_TIMELINE
from connectsbot.answers import ENCODED_CHARS, AnswerService
from connectsbot.matching import MatchResult
from connectsbot.store import KnowledgeStore
from fakediscord import payloads
from fakediscord.bot_process import BotProcessConfig
from fakediscord.payloads import JSON
from fakediscord.processes import BotProcess, BotProcessFailed
from fakediscord.server import FakeDiscordServer, RecordedRequest

SCRIPT = Path(__file__).resolve()
REPO_ROOT = SCRIPT.parents[1]
KNOWLEDGE = REPO_ROOT / "knowledge"
DEFAULT_QUESTIONS = REPO_ROOT.parent / "shared" / "eval" / "questions.jsonl"
DEFAULT_RATES = (50.0, 200.0, 1000.0)
DEFAULT_SECONDS = 10.0
QUICK_RATES = (20.0, 100.0)
QUICK_SECONDS = 2.0
FLOOR_SECONDS = 5.0  # the trivial-bot baseline runs at the lowest rate for at most this long

WINDOW_S = 3.0  # Discord refuses an interaction callback after 3 s
KNEE_P99_S = 1.0  # "well inside" the window: p99 under a third of it
DRAIN_CAP_S = 30.0  # after the last dispatch, wait at most this long for the bot to work off its backlog
DRAIN_QUIET_S = 5.0  # ... and stop waiting when no answer came for this long
IDLE_SAMPLE_S = 0.5  # the bot is idle when it used less than IDLE_CPU of a CPU over such a sample
IDLE_CPU = 0.05
# Handing an event to the gateway socket took this long (p99): the bot did not read events as fast as
# they came (TCP held them back), so the offered rate was not really offered.
SEND_LIMIT_S = 0.1
# Runs where the bot waited for a CPU this share of the time, or the hypervisor took this many CPUs away
# (a virtual machine on a busy host), say less about the bot than about the machine.
DISTURBED_WAIT = 0.1
DISTURBED_STEAL = 0.25
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
TOKEN = "fake-bot-token.for-load.only"

Kind = Literal["ask", "help", "diagnose", "modal"]
SCHEDULED_KINDS: tuple[Kind, ...] = ("ask", "help", "diagnose")
ALL_KINDS: tuple[Kind, ...] = ("ask", "help", "diagnose", "modal")
INTERACTIONS: tuple[Kind, ...] = ("ask", "diagnose", "modal")  # what Discord's 3 s window applies to
DEFAULT_MIX: dict[Kind, int] = {"ask": 5, "help": 3, "diagnose": 2}
CALLBACK_ROUTE = "/interactions/{interaction_id}/{token}/callback"
CHANNEL_MESSAGES_ROUTE = "/channels/{channel_id}/messages"
MODAL_CALLBACK = 9
UNKNOWN_INTERACTION = 10062  # the fake's refusal of a callback after the window, as Discord's


# ----------------------------------------------------------------------------------------- workload


@dataclass(frozen=True)
class Workload:
    asks: list[str]  # /ask questions
    help_questions: list[str]  # help-channel messages: ones the bot replies to
    timelines: list[str]  # /diagnose modal submissions
    mix: dict[Kind, int]

    def kinds(self, count: int, rng: random.Random) -> list[Kind]:
        population = [kind for kind in SCHEDULED_KINDS if self.mix.get(kind)]
        return rng.choices(population, weights=[self.mix[k] for k in population], k=count)


def load_questions(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line)["q"] for line in lines if line.strip()]


def load_timelines(folder: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))] if folder.is_dir() else []


Answerer = Callable[[str], MatchResult]  # one question through the answer service, as the bot answers it


def build_workload(
    questions_path: Path, matcher: Answerer, titles: list[str], mix: dict[Kind, int]
) -> tuple[Workload, str]:
    """The workload and a description of where its texts come from."""
    if questions_path.is_file():
        asks, source = load_questions(questions_path), str(questions_path)
    else:
        asks = titles
        source = f"entry questions ({questions_path} not found)"
    timelines = load_timelines(questions_path.parent / "timelines") or [EXAMPLE_TIMELINE]
    # Only confident answers: the auto-answer is silent otherwise, and so is its "Did you mean…" when
    # the question could not be recorded in time (no id to pick by): silence would pass for a drop.
    help_questions = [q for q in asks if matcher(q).decision == "answer"]
    workload = Workload(asks=asks, help_questions=help_questions, timelines=timelines, mix=mix)
    described = (
        f"{len(asks)} questions from {source} ({len(help_questions)} answered outright: "
        f"the help-channel ones), {len(timelines)} timelines"
    )
    return workload, described


# ------------------------------------------------------------------------------------------- driver


def distinct_case(question: str, number: int) -> str:
    """The question with its first letters upper-cased by the bits of `number` (then lower-cased).

    The bot keeps the vectors of recent questions by their exact text, so a workload of 127 questions
    asked over and over would be answered from that cache after the first few seconds; real members
    rarely repeat a question to the letter. Letter case changes neither the matcher's decision (it
    folds case) nor the vector (the model is uncased), only the cache key.
    """
    chars = list(question.lower())
    letters = [i for i, c in enumerate(chars) if c.isalpha()]
    for bit, position in enumerate(letters[:40]):
        if number >> bit & 1:
            chars[position] = chars[position].upper()
    return "".join(chars)


@dataclass
class Event:
    """One thing a member did, and when the bot's answer reached the fake."""

    kind: Kind
    dispatched: float
    member: JSON
    answered_at: float | None = None
    accepted: bool = False  # the fake accepted the answer
    expired: bool = False  # the fake refused it: the 3 s window had passed when it handled it

    @property
    def latency(self) -> float | None:
        return None if self.answered_at is None else self.answered_at - self.dispatched

    @property
    def late(self) -> bool:
        latency = self.latency
        return self.expired or (latency is not None and latency > WINDOW_S)

    @property
    def in_time(self) -> bool:
        return self.accepted and not self.late


@dataclass
class LogSummary:
    errors: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    tracebacks: dict[str, str] = field(default_factory=dict)  # the first one of each error
    errors_at_shutdown: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class CpuShares:
    """CPU use over the load window, in CPUs (1.0 = one core busy all the time)."""

    bot: float  # the bot process, all threads
    bot_wait: float  # time its event loop was ready to run but waited for a CPU
    driver: float  # this process: the fake Discord and the generator
    others: float  # every other process, and the kernel's interrupts
    stolen: float  # time the hypervisor ran something else on the machine's virtual CPUs

    @property
    def disturbed(self) -> bool:
        return self.bot_wait > DISTURBED_WAIT or self.stolen > DISTURBED_STEAL


@dataclass(frozen=True)
class CpuSample:
    at: float
    bot: float
    bot_wait: float
    driver: float
    machine: float  # busy CPU seconds of the machine, steal excluded
    stolen: float

    @classmethod
    def take(cls, pid: int) -> CpuSample:
        ticks = os.sysconf("SC_CLK_TCK")
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        # /proc/PID/schedstat: ns on a CPU, ns waiting in a run queue, slices (the main thread).
        waited_ns = int(Path(f"/proc/{pid}/schedstat").read_text().split()[1])
        own = resource.getrusage(resource.RUSAGE_SELF)
        # /proc/stat "cpu" line: user nice system idle iowait irq softirq steal.
        user, nice, system, _, _, irq, softirq, steal = (
            int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
        )
        return cls(
            at=time.monotonic(),
            bot=(int(stat[11]) + int(stat[12])) / ticks,
            bot_wait=waited_ns / 1e9,
            driver=own.ru_utime + own.ru_stime,
            machine=(user + nice + system + irq + softirq) / ticks,
            stolen=steal / ticks,
        )

    def shares_since(self, earlier: CpuSample) -> CpuShares:
        window = max(self.at - earlier.at, 1e-9)
        bot, driver = self.bot - earlier.bot, self.driver - earlier.driver
        return CpuShares(
            bot=bot / window,
            bot_wait=(self.bot_wait - earlier.bot_wait) / window,
            driver=driver / window,
            others=max(0.0, self.machine - earlier.machine - bot - driver) / window,
            stolen=(self.stolen - earlier.stolen) / window,
        )


@dataclass
class RunResult:
    rate: float
    trivial: bool
    events: list[Event]
    sent_per_s: float
    lag_p99: float  # how late events went out: the gateway socket held them back, or no CPU for us
    send_p99: float  # how long handing an event to the gateway socket took
    cpu: CpuShares
    rss_idle_mb: float
    rss_peak_mb: float
    log: LogSummary
    problems: list[str]

    @property
    def label(self) -> str:
        return f"{'floor' if self.trivial else 'bot'} at {self.rate:g}/s"

    def of(self, kinds: Sequence[Kind] = ALL_KINDS) -> list[Event]:
        return [e for e in self.events if e.kind in kinds]

    def latencies(self, kinds: Sequence[Kind] = ALL_KINDS) -> list[float]:
        return sorted(lat for e in self.of(kinds) if (lat := e.latency) is not None)

    def answered(self, kinds: Sequence[Kind] = ALL_KINDS) -> int:
        return sum(e.in_time for e in self.of(kinds))

    def late(self, kinds: Sequence[Kind] = ALL_KINDS) -> int:
        return sum(e.late for e in self.of(kinds))

    def dropped(self, kinds: Sequence[Kind] = ALL_KINDS) -> int:
        return sum(not e.in_time and not e.late for e in self.of(kinds))

    def sustained(self, kinds: Sequence[Kind] = ALL_KINDS) -> bool:
        latencies = self.latencies(kinds)
        return (
            self.late(kinds) == 0
            and self.dropped(kinds) == 0
            and bool(latencies)
            and percentile(latencies, 0.99) < KNEE_P99_S
            and self.send_p99 <= SEND_LIMIT_S
        )


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest rank on sorted data."""
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def proc_status_mb(pid: int, key: str) -> float:
    """VmRSS / VmHWM (peak RSS) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return math.nan


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (\w+)\s+(.*)$")
# discord.py warns about voice support at every start; nothing to do with load.
IGNORED_WARNINGS = ("voice will NOT be supported",)


def scan_log(text: str) -> LogSummary:
    """ERROR and WARNING records of a bot log (launcher format); each error keyed by its message and
    the last line of its traceback, whose first occurrence is kept whole."""
    summary = LogSummary()
    record: list[str] = []

    def close_record() -> None:
        if record:
            key = record[0] if len(record) == 1 else f"{record[0]} <- {record[-1].strip()}"
            summary.errors[key] += 1
            if len(record) > 1:
                summary.tracebacks.setdefault(key, "\n".join(record))
            record.clear()

    for line in text.splitlines():
        matched = LOG_LINE.match(line)
        if matched is None:
            if record:
                record.append(line)
            continue
        close_record()
        level, message = matched.groups()
        if level in ("ERROR", "CRITICAL"):
            record.append(message)
        elif level == "WARNING" and not any(w in message for w in IGNORED_WARNINGS):
            summary.warnings[message] += 1
    close_record()
    return summary


def summarise_log(path: Path, shutdown_at: int) -> LogSummary:
    """The bot's log up to `shutdown_at` (bytes: when it was told to stop); errors after it apart."""
    data = path.read_bytes()
    summary = scan_log(data[:shutdown_at].decode(errors="replace"))
    summary.errors_at_shutdown = scan_log(data[shutdown_at:].decode(errors="replace")).errors
    return summary


class LoadRun:
    """One offered rate against a fresh bot process and a fresh fake Discord."""

    def __init__(
        self,
        workload: Workload,
        template_db: Path,
        work_dir: Path,
        rng: random.Random,
        cpus: tuple[int, int] | None,
        think: float,
        distinct: bool = False,
    ) -> None:
        self.workload = workload
        self.think = think
        self.distinct = distinct
        self.template_db = template_db
        self.work_dir = work_dir
        self.rng = rng
        self.cpus = cpus
        self.bot_user = payloads.user("ConnectsBot", bot=True)
        self.guild = payloads.default_guild(self.bot_user)
        self.general = self._channel("general")
        self.faq = self._channel("faq")
        self.problems: list[str] = []
        self.server = FakeDiscordServer(
            bot_user=self.bot_user,
            application_id=int(self.bot_user["id"]),
            token=TOKEN,
            guilds=[self.guild],
            owner=payloads.user("owner"),
            interaction_timeout=WINDOW_S,
            on_problem=self.problems.append,
            on_request=self._on_answer,
        )
        self.events: list[Event] = []
        self._by_interaction: dict[int, Event] = {}
        self._by_message: dict[int, Event] = {}
        self._submits: set[asyncio.Task[None]] = set()
        self._command_ids: dict[str, int] = {}
        self._waiting = 0  # events without an answer yet, and modal submits still to come
        self._last_answer_at = 0.0

    def _channel(self, name: str) -> JSON:
        return next(c for c in self.guild["channels"] if c["name"] == name)

    def _role_id(self, name: str) -> int:
        return int(next(r for r in self.guild["roles"] if r["name"] == name)["id"])

    # --- the bot process

    def _bot_environment(self, db: Path) -> dict[str, str]:
        """The bot's settings: production defaults (the environment may override the answers section,
        as in production), with the fake guild's channels: the help channel auto-answers, the forum is
        watched."""
        guild_id = int(self.guild["id"])
        return {
            "DISCORD_TOKEN": TOKEN,
            "CONNECTSBOT_DB": str(db),
            "CONNECTSBOT_KNOWLEDGE": str(KNOWLEDGE),
            "CONNECTSBOT_DEV_GUILD_ID": "",
            "CONNECTSBOT_SYNC_COMMANDS": "true",
            "CONNECTSBOT_HELP_CHANNELS": str(self.faq["id"]),
            "CONNECTSBOT_FORUM_CHANNELS": str(self._channel("help")["id"]),
            "CONNECTSBOT_MODLOG_CHANNEL": str(self._channel("mod-log")["id"]),
            "CONNECTSBOT_MODERATOR_ROLES": f"{guild_id}:{self._role_id('Moderator')}",
            "CONNECTSBOT_GUILDS": str(guild_id),
        }

    async def _start_bot(self, trivial: bool, tag: str) -> BotProcess:
        """The bot in its own process (fakediscord.bot_process: the production launcher), ready."""
        db = self.work_dir / f"{tag}.sqlite3"
        shutil.copy(self.template_db, db)
        config = BotProcessConfig(
            port=self.server.port,
            environment=self._bot_environment(db),
            cpu=self.cpus[1] if self.cpus else None,
            trivial=trivial,
        )
        process = BotProcess(tag, config, self.work_dir)
        await process.start()
        try:
            await process.wait_ready(READY_TIMEOUT_S)
        except BotProcessFailed as failed:
            await process.stop(STOP_TIMEOUT_S)
            raise RuntimeError(str(failed)) from None
        return process

    # --- events

    def _member(self) -> JSON:
        """A member who has not asked anything yet (interactions and messages carry the member)."""
        number = len(self.events)
        return payloads.member(payloads.user(f"member{number}", global_name=f"Member {number}"))

    def _interaction(self, type: int, data: JSON, member: JSON) -> JSON:
        return payloads.interaction(
            type,
            application_id=self.server.application_id,
            data=data,
            channel=self.general,
            guild_payload=self.guild,
            member_payload=member,
            app_permissions=self.server.bot_permissions(self.guild),
        )

    def _command(self, name: str, options: Sequence[JSON] = ()) -> JSON:
        if name not in self._command_ids:
            synced = {c["name"]: int(c["id"]) for c in self.server.commands.get(None, [])}
            self._command_ids[name] = synced.get(name) or payloads.snowflake()
        return payloads.command_data(name, command_id=self._command_ids[name], options=options)

    def _track(self, kind: Kind, member: JSON) -> Event:
        event = Event(kind, time.monotonic(), member)
        self.events.append(event)
        self._waiting += 1
        return event

    async def _interact(self, kind: Kind, payload: JSON, member: JSON) -> None:
        self.server.register_interaction(payload)  # the fake's 3 s window starts here
        self._by_interaction[int(payload["id"])] = self._track(kind, member)
        await self.server.dispatch("INTERACTION_CREATE", payload)

    def _text(self, question: str) -> str:
        """The question as this event asks it: with --distinct, in a letter case no other event uses."""
        return distinct_case(question, len(self.events)) if self.distinct else question

    async def _dispatch(self, kind: Kind) -> None:
        member = self._member()
        if kind == "ask":
            question = self._text(self.rng.choice(self.workload.asks))
            data = self._command("ask", [payloads.option("question", payloads.STRING, question)])
            await self._interact(kind, self._interaction(payloads.APPLICATION_COMMAND, data, member), member)
        elif kind == "diagnose":
            data = self._command("diagnose")
            await self._interact(kind, self._interaction(payloads.APPLICATION_COMMAND, data, member), member)
        else:
            message = payloads.message(
                int(self.faq["id"]),
                self._text(self.rng.choice(self.workload.help_questions)),
                author=member["user"],
                guild_id=int(self.guild["id"]),
                member_payload=member,
            )
            self.server.store_message(message)  # the bot replies to it: the fake must know it
            self._by_message[int(message["id"])] = self._track(kind, member)
            await self.server.dispatch("MESSAGE_CREATE", message)

    async def _submit_modal(self, modal: JSON, member: JSON) -> None:
        try:
            await asyncio.sleep(self.think)  # the member filling it in (and the bot storing it meanwhile)
            timeline = self.rng.choice(self.workload.timelines)
            components = payloads.modal_components(modal, {"timeline": timeline})
            data = payloads.modal_submit_data(modal["custom_id"], components)
            await self._interact("modal", self._interaction(payloads.MODAL_SUBMIT, data, member), member)
        finally:
            self._waiting -= 1

    def _on_answer(self, rec: RecordedRequest) -> None:
        """Called by the fake for every REST call once answered: match callbacks and replies to events."""
        if rec.method != "POST":
            return
        body = rec.json if isinstance(rec.json, dict) else {}
        if rec.route == CALLBACK_ROUTE:
            event = self._by_interaction.get(int(rec.params["interaction_id"]))
        elif rec.route == CHANNEL_MESSAGES_ROUTE:
            reference = body.get("message_reference") or {}
            event = self._by_message.get(int(reference.get("message_id") or 0))
        else:
            return
        if event is None or event.answered_at is not None:
            return
        event.answered_at, event.accepted = rec.received_at, rec.ok
        event.expired = isinstance(rec.response, dict) and rec.response.get("code") == UNKNOWN_INTERACTION
        self._last_answer_at = rec.received_at
        if not rec.ok and not event.late:
            self.problems.append(f"the fake refused an answer: {rec.describe()}")
        if event.kind == "diagnose" and rec.ok and body.get("type") == MODAL_CALLBACK:
            self._waiting += 1
            task = asyncio.get_running_loop().create_task(self._submit_modal(body["data"], event.member))
            self._submits.add(task)
            task.add_done_callback(self._submits.discard)
        self._waiting -= 1

    # --- the run

    async def _offer(self, kinds: Sequence[Kind], rate: float) -> tuple[list[float], list[float]]:
        """Dispatch on a fixed schedule, never waiting for answers (open loop). Returns how late each
        event went out, and how long each took to hand to the gateway socket."""
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.01
        lags, sends = [], []
        for number, kind in enumerate(kinds):
            due = start + number / rate
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            sent = loop.time()
            lags.append(sent - due)
            await self._dispatch(kind)
            sends.append(loop.time() - sent)
        return lags, sends

    async def _drain(self, process: BotProcess) -> None:
        """Wait until every event is answered and the bot is idle (its follow-up messages sent too), or
        no answer came for DRAIN_QUIET_S with no modal submit to come (the rest will not come), or
        DRAIN_CAP_S passed: what is unanswered then is dropped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_CAP_S
        self._last_answer_at = time.monotonic()
        previous = CpuSample.take(process.pid)
        while loop.time() < deadline and process.returncode is None:
            await asyncio.sleep(IDLE_SAMPLE_S)
            sample = CpuSample.take(process.pid)
            idle = sample.shares_since(previous).bot < IDLE_CPU
            previous = sample
            quiet = time.monotonic() - self._last_answer_at > DRAIN_QUIET_S
            if (idle and not self._waiting) or (quiet and not self._submits):
                return

    async def run(self, rate: float, seconds: float, trivial: bool = False) -> RunResult:
        await self.server.start()
        process: BotProcess | None = None
        try:
            process = await self._start_bot(trivial, f"{'trivial' if trivial else 'bot'}-{rate:g}")
            log_path = process.log_path
            await asyncio.sleep(0.5)  # let start-up work (mod-log report, command sync) finish
            rss_idle = proc_status_mb(process.pid, "VmRSS")
            count = round(rate * seconds)
            kinds: list[Kind] = ["ask"] * count if trivial else self.workload.kinds(count, self.rng)
            before = CpuSample.take(process.pid)
            lags, sends = await self._offer(kinds, rate)
            after = CpuSample.take(process.pid)
            await self._drain(process)
            rss_peak = proc_status_mb(process.pid, "VmHWM")
            shutdown_at = log_path.stat().st_size
        finally:
            if process is not None:
                await process.stop(STOP_TIMEOUT_S)  # SIGTERM: the launcher closes the client and the database
            for task in list(self._submits):
                task.cancel()
            await self.server.stop()
        if process.returncode not in (0, None):
            self.problems.append(f"the bot process exited with status {process.returncode}")
        return RunResult(
            rate=rate,
            trivial=trivial,
            events=self.events,
            sent_per_s=len(kinds) / (after.at - before.at + 1 / rate),
            lag_p99=percentile(sorted(lags), 0.99),
            send_p99=percentile(sorted(sends), 0.99),
            cpu=after.shares_since(before),
            rss_idle_mb=rss_idle,
            rss_peak_mb=rss_peak,
            log=summarise_log(log_path, shutdown_at),
            problems=self.problems,
        )


# ------------------------------------------------------------------------------------------ matcher


@dataclass(frozen=True)
class MatcherTiming:
    p50: float
    p99: float
    max: float
    calls: int


def time_matcher(matcher: Answerer, questions: Sequence[str], passes: int = 3) -> MatcherTiming:
    """Each question timed alone, after a warm-up pass (garbage collector on, as in the bot)."""
    for question in questions:
        matcher(question)
    times = []
    for _ in range(passes):
        for question in questions:
            started = time.perf_counter_ns()
            matcher(question)
            times.append((time.perf_counter_ns() - started) / 1e9)
    times.sort()
    return MatcherTiming(percentile(times, 0.5), percentile(times, 0.99), times[-1], len(times))


async def prepare_template(path: Path) -> tuple[Answerer, list[str]]:
    """Import the shipped knowledge into a database every bot process starts from a copy of (its vector
    cache filled, as after the bot's first start); return the answer service's answer to one question
    (the bot builds the same service from the same entries: spelling, encoding, hybrid match, no
    recording) and the entries' questions."""
    async with await KnowledgeStore.open(path) as store:
        answers, _ = await AnswerService.start(store, KNOWLEDGE)
        snapshot = await answers.snapshot()
    matcher, encoder = answers.current_matcher, answers.encoder

    def answer(question: str) -> MatchResult:
        vector = None
        if encoder is not None and matcher.semantic:
            vector = encoder.encode([matcher.text_to_encode(question[:ENCODED_CHARS])])[0]
        return matcher.match(question, vector)

    return answer, [entry.question for entry in snapshot.entries.values()]


# ------------------------------------------------------------------------------------------- report


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    return f"{seconds * 1000:.1f}" if seconds < 10 else f"{seconds * 1000:.0f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def stats(result: RunResult, kinds: Sequence[Kind] = ALL_KINDS) -> tuple[float, float, float]:
    latencies = result.latencies(kinds)
    if not latencies:
        return math.nan, math.nan, math.nan
    return percentile(latencies, 0.5), percentile(latencies, 0.99), latencies[-1]


def main_table(results: Sequence[RunResult]) -> str:
    rows = []
    for r in results:
        p50, p99, worst = stats(r)
        rows.append(
            [
                f"{r.rate:g}",
                f"{r.sent_per_s:.0f}",
                str(len(r.events)),
                str(r.answered()),
                str(r.late()),
                str(r.dropped()),
                ms(p50),
                ms(p99),
                ms(worst),
                f"{r.cpu.bot:.0%}",
                f"{r.rss_idle_mb:.0f}→{r.rss_peak_mb:.0f}",
                "yes" if r.sustained() else "NO",
            ]
        )
    headers = ["offered/s", "sent/s", "events", "answered", "late", "dropped", "p50 ms", "p99 ms", "max ms"]
    return table([*headers, "bot CPU", "RSS MB", "sustained"], rows)


def kind_table(results: Sequence[RunResult], matcher: MatcherTiming) -> str:
    rows = []
    for r in results:
        row = [f"{r.rate:g}"]
        for kind in ALL_KINDS:
            p50, p99, _ = stats(r, (kind,))
            lost = r.late((kind,)) + r.dropped((kind,))
            row.append(f"{ms(p50)} / {ms(p99)}" + (f" ({lost} lost)" if lost else ""))
        ask50, ask99, _ = stats(r, ("ask",))
        row += [f"{ask50 / matcher.p50:.0f}×", f"{ask99 / matcher.p99:.0f}×"]
        rows.append(row)
    headers = ["offered/s", "/ask", "help msg", "/diagnose", "modal submit"]
    return table([*headers, "/ask p50 ÷ matcher p50", "/ask p99 ÷ matcher p99"], rows)


def machine_table(results: Sequence[RunResult]) -> str:
    rows = [
        [
            f"{r.rate:g}",
            ms(r.lag_p99),
            ms(r.send_p99),
            f"{r.cpu.driver:.0%}",
            f"{r.cpu.bot:.0%}",
            f"{r.cpu.bot_wait:.0%}",
            f"{r.cpu.others:.0%}",
            f"{r.cpu.stolen:.0%}",
        ]
        for r in results
    ]
    headers = ["offered/s", "lag p99 ms", "send p99 ms", "driver CPU", "bot CPU", "bot waited for a CPU"]
    return table([*headers, "other processes", "stolen by the hypervisor"], rows)


def knee(
    results: Sequence[RunResult], kinds: Sequence[Kind] = ALL_KINDS
) -> tuple[RunResult | None, RunResult | None]:
    """The highest sustained rate below the first rate that is not sustained, and that rate."""
    good = None
    for r in sorted(results, key=lambda r: r.rate):
        if not r.sustained(kinds):
            return good, r
        good = r
    return good, None


def verdict(results: Sequence[RunResult], kinds: Sequence[Kind], what: str) -> str:
    good, bad = knee(results, kinds)
    if bad is None:
        assert good is not None
        return f"{what}: sustained at every rate tried, up to {good.rate:g} events/s."
    _, p99, _ = stats(bad, kinds)
    why = []
    if bad.late(kinds) or bad.dropped(kinds):
        why.append(f"{bad.late(kinds)} late and {bad.dropped(kinds)} dropped of {len(bad.of(kinds))}")
    if not math.isnan(p99) and p99 >= KNEE_P99_S:
        why.append(f"p99 {ms(p99)} ms")
    if bad.send_p99 > SEND_LIMIT_S:
        why.append(f"the bot read the gateway too slowly: sending an event took {ms(bad.send_p99)} ms (p99)")
    reason = "; ".join(why)
    if good is None:
        return f"{what}: broken at {bad.rate:g} events/s already, the lowest rate tried ({reason})."
    return f"{what}: sustained at {good.rate:g} events/s, broken at {bad.rate:g} ({reason})."


def log_report(results: Sequence[RunResult], tracebacks: int = 3) -> Iterator[str]:
    """Problems the fake saw and what the bot logged, per run; then the first tracebacks."""
    shown: dict[str, str] = {}
    for r in results:
        label = r.label
        for problem in r.problems[:5]:
            yield f"{label}: {problem}"
        if len(r.problems) > 5:
            yield f"{label}: ... {len(r.problems) - 5} more problems"
        for message, count in r.log.errors.most_common(5):
            yield f"{label}: ERROR ×{count}: {message}"
        for message, count in r.log.warnings.most_common(3):
            yield f"{label}: WARNING ×{count}: {message}"
        for message, count in r.log.errors_at_shutdown.most_common(3):
            yield f"{label}: ERROR ×{count} while closing: {message}"
        for key, text in r.log.tracebacks.items():
            if len(shown) < tracebacks:
                shown.setdefault(key, text)
    for text in shown.values():
        lines = text.splitlines()
        yield f"traceback of {lines[0]!r}:"
        yield from ("    " + line for line in lines[1:30])


# ---------------------------------------------------------------------------------------------- main


def parse_mix(text: str) -> dict[Kind, int]:
    mix: dict[Kind, int] = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in SCHEDULED_KINDS or not weight.strip().isdigit():
            raise argparse.ArgumentTypeError(f"expected e.g. ask=5,help=3,diagnose=2, not {text!r}")
        mix[name.strip()] = int(weight)  # type: ignore[index]  # checked just above
    if not any(mix.values()):
        raise argparse.ArgumentTypeError("the mix needs at least one kind with a weight above 0")
    return mix


def parse_rates(text: str) -> list[float]:
    try:
        rates = [float(r.replace("_", "")) for r in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected rates like 50,200,1000, not {text!r}") from None
    if not rates or any(r <= 0 for r in rates):
        raise argparse.ArgumentTypeError("rates must be positive")
    return sorted(set(rates))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=parse_rates, help="offered rates, events/s (default 50,200,1000)")
    parser.add_argument("--seconds", type=float, help=f"load time per rate (default {DEFAULT_SECONDS:g})")
    parser.add_argument("--quick", action="store_true", help="smoke run: rates 20,100 for 2 s, no refinement")
    parser.add_argument(
        "--refine", type=int, help="extra rates tried between the last sustained and the first broken (2)"
    )
    parser.add_argument(
        "--mix", type=parse_mix, default=DEFAULT_MIX, help="weights, default ask=5,help=3,diagnose=2"
    )
    parser.add_argument(
        "--questions", type=Path, default=DEFAULT_QUESTIONS, help="questions.jsonl (timelines/ beside)"
    )
    parser.add_argument(
        "--think", type=float, default=1.0, help="seconds between a modal arriving and its submit"
    )
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="every event's question in its own letter case: the bot's cache of recent question vectors "
        "never answers, every question is encoded",
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the trivial-bot baseline")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the bot and the driver to CPUs")
    parser.add_argument("--logs", type=Path, help="keep the bot processes' logs in this folder")
    parser.add_argument("--seed", type=int, default=7, help="seed of the event mix and texts (7)")
    args = parser.parse_args(argv)
    args.rates = args.rates or (list(QUICK_RATES) if args.quick else list(DEFAULT_RATES))
    args.seconds = args.seconds or (QUICK_SECONDS if args.quick else DEFAULT_SECONDS)
    args.refine = args.refine if args.refine is not None else (0 if args.quick else 2)
    return args


def choose_cpus(no_pin: bool) -> tuple[int, int] | None:
    """(driver CPU, bot CPU), or None to leave scheduling to the OS."""
    available = sorted(os.sched_getaffinity(0))
    if no_pin or len(available) < 2:
        return None
    return available[0], available[1]


async def bench(args: argparse.Namespace, work_dir: Path) -> None:
    cpus = choose_cpus(args.no_pin)
    if cpus is not None:
        os.sched_setaffinity(0, {cpus[0]})
    template = work_dir / "template.sqlite3"
    matcher, titles = await prepare_template(template)
    workload, described = build_workload(args.questions, matcher, titles, args.mix)
    matcher_timing = time_matcher(
        matcher, workload.asks + workload.help_questions, passes=1 if args.quick else 3
    )
    rng = random.Random(args.seed)

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    async def run(rate: float, seconds: float, trivial: bool = False) -> RunResult:
        say(f"... {'trivial bot' if trivial else 'bot'}: {rate:g} events/s for {seconds:g} s")
        return await LoadRun(workload, template, work_dir, rng, cpus, args.think, args.distinct).run(
            rate, seconds, trivial
        )

    floor = (
        None if args.no_floor else await run(min(args.rates), min(args.seconds, FLOOR_SECONDS), trivial=True)
    )
    results = [await run(rate, args.seconds) for rate in args.rates]
    for _ in range(args.refine):
        good, bad = knee(results)
        if good is None or bad is None or bad.rate / good.rate < 1.2:
            break
        results.append(await run(round(math.sqrt(good.rate * bad.rate)), args.seconds))
    results.sort(key=lambda r: r.rate)

    mix = " : ".join(f"{k} {w}" for k, w in args.mix.items())
    placement = (
        f"bot pinned to CPU {cpus[1]}, fake Discord + generator to CPU {cpus[0]}"
        if cpus
        else "bot and fake Discord not pinned (they share the CPUs)"
    )
    print(
        f"Load through the loopback Discord: {args.seconds:g} s per rate, mix {mix}, a new member per event"
    )
    cased = "; every question in its own letter case (--distinct)" if args.distinct else ""
    print(f"Workload: {described}; modal submitted {args.think:g} s after it opened{cased}")
    print(f"Processes: {placement}; bot = production launcher, INFO logs to a file")
    print(
        f"Matcher alone (the answer service: spelling, encoding, hybrid match; same questions, "
        f"{matcher_timing.calls} calls one at a time): "
        f"p50 {ms(matcher_timing.p50)} ms, p99 {ms(matcher_timing.p99)} ms, max {ms(matcher_timing.max)} ms"
    )
    if floor is not None:
        p50, p99, worst = stats(floor)
        print(
            f"Loopback floor (a bot answering /ask with a constant, {floor.rate:g}/s): "
            f"p50 {ms(p50)} ms, p99 {ms(p99)} ms, max {ms(worst)} ms; "
            f"{floor.late() + floor.dropped()} of {len(floor.events)} late or dropped"
        )
    print()
    print(main_table(results))
    print()
    print("Per kind: latency p50 / p99 ms (and late + dropped); the Discord layer as /ask over the matcher:")
    print(kind_table(results, matcher_timing))
    print()
    print("Generator and machine: lag, how late events went out; send, how long handing one to the gateway")
    print("socket took (long: the bot read too slowly); CPU in cores over the load window:")
    print(machine_table(results))
    print()
    print(
        f"Knee (sustained: nothing late or dropped, p99 < {KNEE_P99_S:g} s, the gateway read as fast as "
        "events came):"
    )
    print(verdict(results, ALL_KINDS, "  all events"))
    print(
        verdict(results, INTERACTIONS, "  interactions alone (/ask, /diagnose, modal; Discord's 3 s window)")
    )
    disturbed = [r for r in ([floor] if floor else []) + results if r.cpu.disturbed]
    if disturbed:
        print(
            "Warning: the machine was busy — "
            + "; ".join(
                f"{r.label}: the bot waited for a CPU {r.cpu.bot_wait:.0%} of the time, "
                f"the hypervisor took {r.cpu.stolen:.0%} of a CPU"
                for r in disturbed
            )
            + ". Those figures understate the bot: run again on a quiet machine."
        )
    notes = list(log_report([*([floor] if floor else []), *results]))
    if notes:
        print()
        print("Bot log and fake Discord:")
        print("\n".join(notes))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.logs is not None:
        args.logs.mkdir(parents=True, exist_ok=True)
        asyncio.run(bench(args, args.logs))
        return 0
    with tempfile.TemporaryDirectory(prefix="connectsbot-load-") as work_dir:
        asyncio.run(bench(args, Path(work_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
