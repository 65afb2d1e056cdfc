"""Load benchmark: the real bot driven through the loopback Discord at fixed offered rates.

Run by hand, not part of the test suite; see bench/README.md ("Load through the loopback Discord")::

    ./scripts/bench-load                  # 50, 200 and 1,000 events/s, 10 s each, then the knee
    ./scripts/bench-load --quick          # a smoke run
    ./scripts/bench-load --processes 2    # one bot process against two on PostgreSQL; change propagation

The bot runs in its own process through the production launcher (``bot.launcher.run_bot``, INFO logs
to a file; ``fakediscord.bot_process``, started by ``fakediscord.processes.BotProcess``, as in the
multi-process tests), pointed at the fake Discord of ``fakediscord/`` on 127.0.0.1. This process runs
the fake and an open-loop generator: events are dispatched on a fixed schedule whether or not earlier
ones were answered. With two CPUs or more the bot is pinned to one and this process to another, so
the bot's figures mean "one core" and the fake's own work is not charged to it.

With ``--processes N`` the same rates run with one bot process and with N (one shard each, each
pinned to a CPU of its own where there are enough; this process then unpinned unless a CPU is left),
the configurations taking turns at each rate, every process on one PostgreSQL database (a new schema
per run); then two idle processes time how long a moderator's change through one takes to reach the
other's answers.

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
import contextlib
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
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# fakediscord is not installed with the project: import it from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from bot.components import answer_title
from bot.exts.diagnose import PLACEHOLDER as EXAMPLE_TIMELINE
from connectsbot.answers import ENCODED_CHARS, AnswerService
from connectsbot.knowledge import Entry
from connectsbot.matching import MatchResult
from connectsbot.store import KnowledgeStore
from connectsbot.store.postgresql import described
from connectsbot.store.transfer import copy_to_postgresql
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
PROCESSES_RATES = (100.0, 200.0, 400.0, 800.0)  # --processes N: around both knees
SERVERS_PER_SHARD = 3
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_CHANGES = 30
QUICK_CHANGES = 3
QUICK_TIMED = 40  # questions the matcher alone is timed on in a quick run
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

# ------------------------------------------------------------------------------------ bot process


@dataclass(frozen=True)
class ServerIds:
    """What the bot's settings name in one fake server: the server (a home server), its help channel
    (auto-answer on), its forum and its moderator role."""

    guild_id: int
    help_channel_id: int
    forum_channel_id: int
    moderator_role_id: int


def bot_environment(
    servers: Sequence[ServerIds], mod_log_channel_id: int, store: StoreLocation, shard_count: int, shard: int
) -> dict[str, str]:
    """A bot process's settings: production defaults (the environment may override the answers section,
    as in production), with the fake servers' channels (each help channel auto-answers, each forum is
    watched, every server is a home server its moderators may change the knowledge base from), the
    store and the shard it runs."""
    environment = {
        "DISCORD_TOKEN": TOKEN,
        **({"CONNECTSBOT_DATABASE_URL": store.url} if store.url else {"CONNECTSBOT_DB": str(store.db)}),
        "CONNECTSBOT_KNOWLEDGE": str(KNOWLEDGE),
        "CONNECTSBOT_DEV_GUILD_ID": "",
        "CONNECTSBOT_SYNC_COMMANDS": "true",
        "CONNECTSBOT_HELP_CHANNELS": ",".join(str(s.help_channel_id) for s in servers),
        "CONNECTSBOT_FORUM_CHANNELS": ",".join(str(s.forum_channel_id) for s in servers),
        "CONNECTSBOT_MODLOG_CHANNEL": str(mod_log_channel_id),
        "CONNECTSBOT_MODERATOR_ROLES": ";".join(f"{s.guild_id}:{s.moderator_role_id}" for s in servers),
        "CONNECTSBOT_GUILDS": ",".join(str(s.guild_id) for s in servers),
        "CONNECTSBOT_SHARD_COUNT": str(shard_count),
        "CONNECTSBOT_SHARD_IDS": str(shard),
    }
    if store.salt is not None:
        environment["CONNECTSBOT_SALT_FILE"] = str(store.salt)  # one salt for the processes of a run
    return environment


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
    guild: JSON
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

    bots: tuple[float, ...]  # each bot process, all threads
    bot_waits: tuple[float, ...]  # time each one's event loop was ready to run but waited for a CPU
    driver: float  # this process: the fake Discord and the generator
    database: float | None  # the PostgreSQL server processes serving the bots (None: SQLite)
    others: float  # every other process, and the kernel's interrupts
    stolen: float  # time the hypervisor ran something else on the machine's virtual CPUs

    @property
    def bot(self) -> float:
        """The bot processes together."""
        return sum(self.bots)

    @property
    def bot_wait(self) -> float:
        """The longest wait of any bot process."""
        return max(self.bot_waits)

    @property
    def disturbed(self) -> bool:
        return self.bot_wait > DISTURBED_WAIT or self.stolen > DISTURBED_STEAL


def process_cpu(pid: int) -> float | None:
    """CPU seconds a process has used, all threads (None: it has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuSample:
    at: float
    bots: tuple[float, ...]
    bot_waits: tuple[float, ...]
    driver: float
    database: dict[int, float] | None  # CPU seconds of each PostgreSQL backend serving the bots
    machine: float  # busy CPU seconds of the machine, steal excluded
    stolen: float

    @classmethod
    def take(cls, pids: Sequence[int], database_pids: Sequence[int] | None = None) -> CpuSample:
        bots, waits = [], []
        for pid in pids:
            bots.append(process_cpu(pid) or 0.0)
            # /proc/PID/schedstat: ns on a CPU, ns waiting in a run queue, slices (the main thread).
            waits.append(int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9)
        database = None
        if database_pids is not None:
            database = {pid: cpu for pid in database_pids if (cpu := process_cpu(pid)) is not None}
        ticks = os.sysconf("SC_CLK_TCK")
        own = resource.getrusage(resource.RUSAGE_SELF)
        # /proc/stat "cpu" line: user nice system idle iowait irq softirq steal.
        user, nice, system, _, _, irq, softirq, steal = (
            int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
        )
        return cls(
            at=time.monotonic(),
            bots=tuple(bots),
            bot_waits=tuple(waits),
            driver=own.ru_utime + own.ru_stime,
            database=database,
            machine=(user + nice + system + irq + softirq) / ticks,
            stolen=steal / ticks,
        )

    def shares_since(self, earlier: CpuSample) -> CpuShares:
        window = max(self.at - earlier.at, 1e-9)
        bots = [now - then for now, then in zip(self.bots, earlier.bots, strict=True)]
        driver = self.driver - earlier.driver
        database = None
        if self.database is not None and earlier.database is not None:
            # Backends that ended or started within the window are left out.
            database = sum(
                cpu - earlier.database[pid] for pid, cpu in self.database.items() if pid in earlier.database
            )
        return CpuShares(
            bots=tuple(b / window for b in bots),
            bot_waits=tuple(
                (now - then) / window for now, then in zip(self.bot_waits, earlier.bot_waits, strict=True)
            ),
            driver=driver / window,
            database=None if database is None else database / window,
            others=max(0.0, self.machine - earlier.machine - sum(bots) - driver - (database or 0.0)) / window,
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
    rss_idle_mb: tuple[float, ...]  # each bot process
    rss_peak_mb: tuple[float, ...]
    log: LogSummary
    problems: list[str]
    processes: int = 1

    @property
    def label(self) -> str:
        what = "floor" if self.trivial else "bot" if self.processes == 1 else f"{self.processes} bots"
        return f"{what} at {self.rate:g}/s"

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


def merged(summaries: Sequence[LogSummary]) -> LogSummary:
    """The logs of several bot processes as one."""
    total = LogSummary()
    for summary in summaries:
        total.errors.update(summary.errors)
        total.warnings.update(summary.warnings)
        total.errors_at_shutdown.update(summary.errors_at_shutdown)
        for key, text in summary.tracebacks.items():
            total.tracebacks.setdefault(key, text)
    return total


def summarise_log(path: Path, start: int, shutdown_at: int) -> LogSummary:
    """The bot's log from `start` up to `shutdown_at` (bytes: when it was told to stop); errors after it
    apart."""
    data = path.read_bytes()[start:]
    shutdown_at -= start
    summary = scan_log(data[:shutdown_at].decode(errors="replace"))
    summary.errors_at_shutdown = scan_log(data[shutdown_at:].decode(errors="replace")).errors
    return summary


def pin_this_process(cpus: Collection[int]) -> None:
    """Every thread of this process on `cpus` (processes started later inherit the main thread's)."""
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(ProcessLookupError):  # a worker thread that just ended
            os.sched_setaffinity(int(task.name), cpus)


@dataclass(frozen=True)
class Layout:
    """The bot processes of a configuration: how many (one shard each), how many fake servers (spread
    evenly over the shards), the CPU each process is pinned to (None: not pinned), and this process's
    CPUs (the fake Discord and the generator)."""

    processes: int
    servers: int
    bot_cpus: tuple[int | None, ...]
    driver_cpus: frozenset[int]

    @classmethod
    def on(cls, processes: int, servers: int, cpus: Sequence[int], pin: bool) -> Layout:
        """Each bot on a CPU of its own and this process on the next one, where there are enough;
        this process unpinned (sharing the bots' CPUs) when there is none left; nothing pinned when
        the bots outnumber the CPUs (or `pin` is false)."""
        if not pin or processes > len(cpus) or len(cpus) < 2:
            return cls(processes, servers, (None,) * processes, frozenset(cpus))
        driver = cpus[processes : processes + 1] or cpus
        return cls(processes, servers, tuple(cpus[:processes]), frozenset(driver))

    @property
    def name(self) -> str:
        return "1 process" if self.processes == 1 else f"{self.processes} processes"

    def describe(self, all_cpus: Sequence[int]) -> str:
        if self.bot_cpus[0] is None:
            return f"{self.name}, not pinned (they share the CPUs with the fake Discord + generator)"
        bots = ", ".join(f"bot {i} (shard {i}) on CPU {cpu}" for i, cpu in enumerate(self.bot_cpus))
        if len(self.driver_cpus) == len(all_cpus) and len(all_cpus) > 1:
            driver = "fake Discord + generator not pinned: they share the bots' CPUs"
        else:
            driver = f"fake Discord + generator on CPU {', '.join(map(str, sorted(self.driver_cpus)))}"
        return f"{self.name}: {bots}; {driver}"


@dataclass(frozen=True)
class StoreLocation:
    """Where a run's bot processes keep their store."""

    db: Path  # the SQLite file; with a PostgreSQL url, where the salt file would go
    url: str | None = None
    salt: Path | None = None
    schema: str | None = None

    async def backends(self) -> list[int] | None:
        """The PostgreSQL server processes of the bots' connections now (None: SQLite). The server is on
        this machine (127.0.0.1), so their CPU can be read in /proc."""
        if self.url is None:
            return None
        connection = await asyncpg.connect(self.url)
        try:
            rows = await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
                self.schema,
            )
        finally:
            await connection.close()
        return [int(row["pid"]) for row in rows]


class Databases:
    """A fresh store per run, copied from the template (the knowledge imported, its vectors cached, the
    answer model saved): a copy of the SQLite file, or with `url` a PostgreSQL schema of its own,
    dropped after the run. An address naming a schema (`?search_path=NAME`) gives that schema, which
    must be empty: it is emptied again after each run; without one, each run creates its own."""

    def __init__(self, template: Path, work_dir: Path, url: str | None) -> None:
        self.template = template
        self.work_dir = work_dir
        self.url = url
        self.schema: str | None = None
        if url is not None:
            self.schema = dict(parse_qsl(urlsplit(url).query)).get("search_path")

    def _with_schema(self, schema: str) -> str:
        """The address of `schema`; its connections are named after it (the backends' CPU is measured)."""
        assert self.url is not None
        parts = urlsplit(self.url)
        query = {**dict(parse_qsl(parts.query)), "search_path": schema, "application_name": schema}
        return urlunsplit(parts._replace(query=urlencode(query)))

    def describe(self) -> str:
        if self.url is None:
            return "SQLite (a copy of the template per run)"
        where = f"schema {self.schema}, emptied after each run" if self.schema else "a new schema per run"
        return f"PostgreSQL, one database shared by the run's processes ({described(self.url)}, {where})"

    async def check(self) -> None:
        """Refuse a named schema that is missing or holds anything: the bench empties it."""
        if self.url is None or self.schema is None:
            return
        admin = await asyncpg.connect(self.url)
        try:
            exists = await admin.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", self.schema)
            held = await admin.fetchval(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = $1",
                self.schema,
            )
        finally:
            await admin.close()
        if not exists or held:
            problem = "does not exist" if not exists else f"is not empty ({held} relations)"
            raise SystemExit(
                f"bench-load: the schema {self.schema} {problem}: give an empty one (it is "
                "emptied after each run) or an address without search_path"
            )

    @contextlib.asynccontextmanager
    async def fresh(self, tag: str) -> AsyncIterator[StoreLocation]:
        db = self.work_dir / f"{tag}.sqlite3"
        if self.url is None:
            shutil.copy(self.template, db)
            yield StoreLocation(db)
            return
        schema = self.schema or f"bench_load_{uuid.uuid4().hex[:12]}"  # NOTIFY channels: 63 bytes
        admin = await asyncpg.connect(self.url)
        try:
            if self.schema is None:
                await admin.execute(f'CREATE SCHEMA "{schema}"')
            try:
                url = self._with_schema(schema)
                await copy_to_postgresql(self.template, url)
                yield StoreLocation(db, url, self.work_dir / f"{tag}.salt", schema)
            finally:
                await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
                if self.schema is not None:
                    await admin.execute(f'CREATE SCHEMA "{schema}"')
        finally:
            await admin.close()


class LoadRun:
    """One offered rate against fresh bot processes (one per shard) on a fresh store and a fresh fake
    Discord whose servers are spread evenly over the shards."""

    def __init__(
        self,
        workload: Workload,
        databases: Databases,
        work_dir: Path,
        rng: random.Random,
        layout: Layout,
        think: float,
        distinct: bool = False,
    ) -> None:
        self.workload = workload
        self.think = think
        self.distinct = distinct
        self.databases = databases
        self.work_dir = work_dir
        self.rng = rng
        self.layout = layout
        self.bot_user = payloads.user("ConnectsBot", bot=True)
        shards = layout.processes
        self.guilds = [
            payloads.default_guild(self.bot_user, id=payloads.guild_id_on_shard(number % shards, shards))
            for number in range(layout.servers)
        ]
        self.problems: list[str] = []
        self.server = FakeDiscordServer(
            bot_user=self.bot_user,
            application_id=int(self.bot_user["id"]),
            token=TOKEN,
            guilds=self.guilds,
            owner=payloads.user("owner"),
            interaction_timeout=WINDOW_S,
            on_problem=self.problems.append,
            on_request=self._on_answer,
            shard_count=shards,
        )
        self.processes: list[BotProcess] = []
        self.log_starts: list[int] = []
        self.events: list[Event] = []
        self._by_interaction: dict[int, Event] = {}
        self._by_message: dict[int, Event] = {}
        self._submits: set[asyncio.Task[None]] = set()
        self._command_ids: dict[str, int] = {}
        self._waiting = 0  # events without an answer yet, and modal submits still to come
        self._last_answer_at = 0.0

    @staticmethod
    def channel(guild: JSON, name: str) -> JSON:
        return next(c for c in guild["channels"] if c["name"] == name)

    @staticmethod
    def role_id(guild: JSON, name: str) -> int:
        return int(next(r for r in guild["roles"] if r["name"] == name)["id"])

    def guild_of_shard(self, shard_id: int) -> JSON:
        return next(g for g in self.guilds if self.server.shard_of(int(g["id"])) == shard_id)

    # --- the bot processes

    async def _start_bots(self, trivial: bool, tag: str, store: StoreLocation) -> None:
        """Start one process per shard, all at once; return when every one is ready."""
        servers = [
            ServerIds(
                guild_id=int(g["id"]),
                help_channel_id=int(self.channel(g, "faq")["id"]),
                forum_channel_id=int(self.channel(g, "help")["id"]),
                moderator_role_id=self.role_id(g, "Moderator"),
            )
            for g in self.guilds
        ]
        mod_log = int(self.channel(self.guilds[0], "mod-log")["id"])
        count = self.layout.processes
        for shard in range(count):
            config = BotProcessConfig(
                port=self.server.port,
                environment=bot_environment(servers, mod_log, store, count, shard),
                cpu=self.layout.bot_cpus[shard],
                trivial=trivial,
            )
            process = BotProcess(tag if count == 1 else f"{tag}-shard{shard}", config, self.work_dir)
            # The log is appended to (a --logs folder used again): this run's part starts here.
            self.log_starts.append(process.log_path.stat().st_size if process.log_path.exists() else 0)
            self.processes.append(process)
            await process.start()
        try:
            await asyncio.gather(*(process.wait_ready(READY_TIMEOUT_S) for process in self.processes))
        except BotProcessFailed as failed:
            raise RuntimeError(str(failed)) from None

    async def _stop_bots(self) -> None:
        """SIGTERM (the launcher closes the client and the database), SIGKILL after STOP_TIMEOUT_S."""
        await asyncio.gather(*(process.stop(STOP_TIMEOUT_S) for process in self.processes))

    def _logs(self, shutdown_at: Sequence[int]) -> LogSummary:
        return merged(
            [
                summarise_log(process.log_path, start, stop)
                for process, start, stop in zip(self.processes, self.log_starts, shutdown_at, strict=True)
            ]
        )

    # --- events

    def _member(self) -> JSON:
        """A member who has not asked anything yet (interactions and messages carry the member)."""
        number = len(self.events)
        return payloads.member(payloads.user(f"member{number}", global_name=f"Member {number}"))

    def _interaction(self, type: int, data: JSON, member: JSON, guild: JSON) -> JSON:
        return payloads.interaction(
            type,
            application_id=self.server.application_id,
            data=data,
            channel=self.channel(guild, "general"),
            guild_payload=guild,
            member_payload=member,
            app_permissions=self.server.bot_permissions(guild),
        )

    def _command(self, name: str, options: Sequence[JSON] = ()) -> JSON:
        if name not in self._command_ids:
            synced = {c["name"]: int(c["id"]) for c in self.server.commands.get(None, [])}
            self._command_ids[name] = synced.get(name) or payloads.snowflake()
        return payloads.command_data(name, command_id=self._command_ids[name], options=options)

    def _track(self, kind: Kind, member: JSON, guild: JSON) -> Event:
        event = Event(kind, time.monotonic(), member, guild)
        self.events.append(event)
        self._waiting += 1
        return event

    async def _interact(self, kind: Kind, payload: JSON, member: JSON, guild: JSON) -> None:
        self.server.register_interaction(payload)  # the fake's 3 s window starts here
        self._by_interaction[int(payload["id"])] = self._track(kind, member, guild)
        await self.server.dispatch("INTERACTION_CREATE", payload)

    def _text(self, question: str) -> str:
        """The question as this event asks it: with --distinct, in a letter case no other event uses."""
        return distinct_case(question, len(self.events)) if self.distinct else question

    async def _dispatch(self, kind: Kind) -> None:
        # The servers in turn: the events spread evenly over the servers, hence over the shards.
        guild = self.guilds[len(self.events) % len(self.guilds)]
        member = self._member()
        if kind == "ask":
            question = self._text(self.rng.choice(self.workload.asks))
            data = self._command("ask", [payloads.option("question", payloads.STRING, question)])
            payload = self._interaction(payloads.APPLICATION_COMMAND, data, member, guild)
            await self._interact(kind, payload, member, guild)
        elif kind == "diagnose":
            data = self._command("diagnose")
            payload = self._interaction(payloads.APPLICATION_COMMAND, data, member, guild)
            await self._interact(kind, payload, member, guild)
        else:
            message = payloads.message(
                int(self.channel(guild, "faq")["id"]),
                self._text(self.rng.choice(self.workload.help_questions)),
                author=member["user"],
                guild_id=int(guild["id"]),
                member_payload=member,
            )
            self.server.store_message(message)  # the bot replies to it: the fake must know it
            self._by_message[int(message["id"])] = self._track(kind, member, guild)
            await self.server.dispatch("MESSAGE_CREATE", message)

    async def _submit_modal(self, modal: JSON, event: Event) -> None:
        try:
            await asyncio.sleep(self.think)  # the member filling it in (and the bot storing it meanwhile)
            timeline = self.rng.choice(self.workload.timelines)
            components = payloads.modal_components(modal, {"timeline": timeline})
            data = payloads.modal_submit_data(modal["custom_id"], components)
            payload = self._interaction(payloads.MODAL_SUBMIT, data, event.member, event.guild)
            await self._interact("modal", payload, event.member, event.guild)
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
            task = asyncio.get_running_loop().create_task(self._submit_modal(body["data"], event))
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

    async def _drain(self) -> None:
        """Wait until every event is answered and the bots are idle (their follow-up messages sent too),
        or no answer came for DRAIN_QUIET_S with no modal submit to come (the rest will not come), or
        DRAIN_CAP_S passed: what is unanswered then is dropped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_CAP_S
        self._last_answer_at = time.monotonic()
        pids = [process.pid for process in self.processes]
        previous = CpuSample.take(pids)
        while loop.time() < deadline and all(p.running for p in self.processes):
            await asyncio.sleep(IDLE_SAMPLE_S)
            sample = CpuSample.take(pids)
            idle = max(sample.shares_since(previous).bots) < IDLE_CPU
            previous = sample
            quiet = time.monotonic() - self._last_answer_at > DRAIN_QUIET_S
            if (idle and not self._waiting) or (quiet and not self._submits):
                return

    async def run(self, rate: float, seconds: float, trivial: bool = False) -> RunResult:
        pin_this_process(self.layout.driver_cpus)
        tag = f"{'trivial' if trivial else 'bot'}-{self.layout.processes}p-{rate:g}"
        async with self.databases.fresh(tag) as store:
            await self.server.start()
            try:
                await self._start_bots(trivial, tag, store)
                await asyncio.sleep(0.5)  # let start-up work (mod-log report, command sync) finish
                pids = [process.pid for process in self.processes]
                rss_idle = tuple(proc_status_mb(pid, "VmRSS") for pid in pids)
                count = round(rate * seconds)
                kinds: list[Kind] = ["ask"] * count if trivial else self.workload.kinds(count, self.rng)
                backends = await store.backends()
                before = CpuSample.take(pids, backends)
                lags, sends = await self._offer(kinds, rate)
                after = CpuSample.take(pids, backends)
                await self._drain()
                rss_peak = tuple(proc_status_mb(pid, "VmHWM") for pid in pids)
                shutdown_at = [process.log_path.stat().st_size for process in self.processes]
            finally:
                await self._stop_bots()
                for task in list(self._submits):
                    task.cancel()
                await self.server.stop()
        for process in self.processes:
            if process.returncode not in (0, None):
                self.problems.append(
                    f"the bot process {process.name} exited with status {process.returncode}"
                )
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
            log=self._logs(shutdown_at),
            problems=self.problems,
            processes=self.layout.processes,
        )


# -------------------------------------------------------------------------------- change propagation

PROPAGATION_POLL_S = 0.015  # an /ask to the other process this often until it answers with the change
PROPAGATION_TIMEOUT_S = 45.0  # longer than the change feed's fallback version check (30 s)
SETTLE_CAP_S = 15.0  # between changes, wait at most this long for both processes to be idle
ANSWER_TIMEOUT_S = 10.0
ALIAS_ADDED = "Added the alias"
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def probe_alias(rng: random.Random) -> str:
    """Words nobody asks, so that only the alias just added makes the bot answer them with its entry."""
    return " ".join("".join(rng.choices(SYLLABLES, k=3)) for _ in range(3))


async def answer(sent: Awaitable[asyncio.Future[RecordedRequest]]) -> RecordedRequest:
    """The callback of an interaction once `sent` has dispatched it (at most ANSWER_TIMEOUT_S)."""
    return await asyncio.wait_for(await sent, ANSWER_TIMEOUT_S)


def shows(rec: RecordedRequest, entry: Entry) -> bool:
    """Whether an interaction callback answers with `entry` (its embed's title)."""
    body = rec.json if isinstance(rec.json, dict) else {}
    embeds = (body.get("data") or {}).get("embeds") or []
    return any(embed.get("title") == answer_title(entry) for embed in embeds)


@dataclass
class Propagation:
    """Moderator changes through one process and when another process first answered with them."""

    # The writer's acknowledgement -> the reader's first answer with the change, by whether the reader is
    # the process that trains the answer model (it retrains after every change: seconds of CPU).
    times: dict[bool, list[float]] = field(default_factory=lambda: {True: [], False: []})
    polls: list[float] = field(default_factory=list)  # latency of the reader's /ask meanwhile
    trainer: int | None = None  # the shard whose process trains the answer model
    missed: int = 0  # B had not answered with the change after PROPAGATION_TIMEOUT_S
    already: int = 0  # B answered the probe with the entry before the change: another probe was drawn
    problems: list[str] = field(default_factory=list)
    log: LogSummary = field(default_factory=LogSummary)


class PropagationRun(LoadRun):
    """Two bot processes on one store, idle: `/faq alias add` by a moderator in a server of one
    process's shard (the writer), then `/ask` with the new alias in a server of the other's (the reader),
    every PROPAGATION_POLL_S, until the reader answers with the entry. The changes go each way in turn:
    one of the two processes trains the answer model (whichever took the jobs lock first)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._callbacks: dict[int, asyncio.Future[RecordedRequest]] = {}

    def _on_answer(self, rec: RecordedRequest) -> None:
        if rec.method == "POST" and rec.route == CALLBACK_ROUTE:
            future = self._callbacks.pop(int(rec.params["interaction_id"]), None)
            if future is not None and not future.done():
                future.set_result(rec)

    async def _command_in(self, guild: JSON, member: JSON, data: JSON) -> asyncio.Future[RecordedRequest]:
        """Dispatch a slash command; a future for its callback as the fake received it."""
        payload = self._interaction(payloads.APPLICATION_COMMAND, data, member, guild)
        future: asyncio.Future[RecordedRequest] = asyncio.get_running_loop().create_future()
        self._callbacks[int(payload["id"])] = future
        self.server.register_interaction(payload)
        await self.server.dispatch("INTERACTION_CREATE", payload)
        return future

    async def _ask(self, guild: JSON, question: str) -> asyncio.Future[RecordedRequest]:
        data = self._command("ask", [payloads.option("question", payloads.STRING, question)])
        self.events.append(Event("ask", time.monotonic(), self._member(), guild))  # a new member each
        return await self._command_in(guild, self.events[-1].member, data)

    async def _poll(self, guild: JSON, alias: str, entry: Entry, result: Propagation) -> float | None:
        """/ask `alias` every PROPAGATION_POLL_S until an answer shows `entry`: when it arrived."""
        loop = asyncio.get_running_loop()
        reached: asyncio.Future[float] = loop.create_future()
        pending: set[asyncio.Task[None]] = set()

        async def ask_once() -> None:
            sent = time.monotonic()
            rec = await asyncio.wait_for(await self._ask(guild, alias), ANSWER_TIMEOUT_S)
            result.polls.append(rec.received_at - sent)
            if shows(rec, entry) and not reached.done():
                reached.set_result(rec.received_at)

        deadline = loop.time() + PROPAGATION_TIMEOUT_S
        try:
            while not reached.done() and loop.time() < deadline:
                task = asyncio.create_task(ask_once())
                pending.add(task)
                task.add_done_callback(pending.discard)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(reached), PROPAGATION_POLL_S)
        finally:
            # The /ask still under way are answered with the change too: wait for them, then forget them.
            done = await asyncio.gather(*pending, return_exceptions=True)
            result.problems += [f"an /ask while polling: {e!r}" for e in done if e is not None]
        return reached.result() if reached.done() else None

    def _trainer(self) -> int | None:
        """The shard whose process holds the jobs lock (trains the answer model), from the logs."""
        for shard, (process, start) in enumerate(zip(self.processes, self.log_starts, strict=True)):
            if "holds the jobs lock" in process.log_text()[start:]:
                return shard
        return None

    async def _settle(self) -> None:
        """Wait until both processes are idle (the trainer done retraining), at most SETTLE_CAP_S."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_CAP_S
        pids = [process.pid for process in self.processes]
        previous = CpuSample.take(pids)
        while loop.time() < deadline:
            await asyncio.sleep(IDLE_SAMPLE_S)
            sample = CpuSample.take(pids)
            if max(sample.shares_since(previous).bots) < IDLE_CPU:
                return
            previous = sample

    async def measure(self, changes: int, entries: Sequence[Entry], rng: random.Random) -> Propagation:
        pin_this_process(self.layout.driver_cpus)
        result = Propagation()
        async with self.databases.fresh("propagation") as store:
            await self.server.start()
            try:
                await self._start_bots(False, "propagation", store)
                await self._settle()
                result.trainer = self._trainer()
                for number in range(changes):
                    writer, reader = (0, 1) if number % 2 == 0 else (1, 0)
                    home, other = self.guild_of_shard(writer), self.guild_of_shard(reader)
                    moderator = next(m for m in home["members"] if m["user"]["username"] == "moderator")
                    entry = entries[number % len(entries)]
                    alias = probe_alias(rng)
                    while shows(await answer(self._ask(other, alias)), entry):
                        result.already += 1
                        alias = probe_alias(rng)
                    options = [
                        payloads.option("entry", payloads.STRING, entry.id),
                        payloads.option("alias", payloads.STRING, alias),
                        payloads.option("reason", payloads.STRING, f"bench-load: propagation {number}"),
                    ]
                    data = self._command("faq", payloads.nest_options(["alias", "add"], options))
                    ack = await answer(self._command_in(home, moderator, data))
                    said = str(((ack.json or {}).get("data") or {}).get("content") or "")
                    if not said.startswith(ALIAS_ADDED):
                        result.problems.append(f"/faq alias add was answered {said[:200]!r}")
                        continue
                    reached = await self._poll(other, alias, entry, result)
                    if reached is None:
                        result.missed += 1
                    else:
                        result.times[reader == result.trainer].append(reached - ack.received_at)
                    await self._settle()
                shutdown_at = [process.log_path.stat().st_size for process in self.processes]
            finally:
                await self._stop_bots()
                await self.server.stop()
        result.problems += self.problems
        result.log = self._logs(shutdown_at)
        return result


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


async def prepare_template(path: Path) -> tuple[Answerer, list[Entry]]:
    """Import the shipped knowledge into a database every bot process starts from a copy of (its vector
    cache filled and its answer model saved, as after the bot's first start); return the answer
    service's answer to one question (the bot builds the same service from the same entries: spelling,
    encoding, hybrid match, no recording) and the entries."""
    async with await KnowledgeStore.open(path) as store:
        answers, _ = await AnswerService.start(store, KNOWLEDGE)
        snapshot = await answers.snapshot()
    matcher, encoder = answers.current_matcher, answers.encoder

    def answer(question: str) -> MatchResult:
        vector = None
        if encoder is not None and matcher.semantic:
            vector = encoder.encode([matcher.text_to_encode(question[:ENCODED_CHARS])])[0]
        return matcher.match(question, vector)

    return answer, sorted(snapshot.entries.values(), key=lambda entry: entry.id)


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


def bot_cpus(result: RunResult) -> str:
    """Each bot process's CPU, in its shard's order."""
    return " + ".join(f"{share:.0%}" for share in result.cpu.bots)


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
                bot_cpus(r),
                " ".join(f"{i:.0f}→{p:.0f}" for i, p in zip(r.rss_idle_mb, r.rss_peak_mb, strict=True)),
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
    database = any(r.cpu.database is not None for r in results)
    rows = [
        [
            f"{r.rate:g}",
            ms(r.lag_p99),
            ms(r.send_p99),
            f"{r.cpu.driver:.0%}",
            bot_cpus(r),
            *([f"{r.cpu.database or 0:.0%}"] if database else []),
            f"{r.cpu.bot_wait:.0%}",
            f"{r.cpu.others:.0%}",
            f"{r.cpu.stolen:.0%}",
        ]
        for r in results
    ]
    headers = ["offered/s", "lag p99 ms", "send p99 ms", "driver CPU", "bot CPU"]
    headers += ["PostgreSQL CPU"] if database else []
    headers.append(
        "longest bot wait for a CPU" if any(r.processes > 1 for r in results) else "bot waited for a CPU"
    )
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


def grouped_table(groups: Sequence[tuple[str, Sequence[str]]], rows: Sequence[Sequence[str]]) -> str:
    """A table whose columns come in named groups (a line over the headers names each group)."""
    headers = [h for _, columns in groups for h in columns]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    names, column = [], 0
    for name, columns in groups:
        span = sum(widths[column : column + len(columns)]) + 2 * (len(columns) - 1)
        names.append(name.center(span, "-") if name else " " * span)
        column += len(columns)
    return "  ".join(names).rstrip() + "\n" + table(headers, rows)


def comparison_table(by_layout: Sequence[tuple[Layout, Sequence[RunResult]]]) -> str:
    """The configurations side by side, one row per offered rate (blank where one did not run it)."""
    columns = ["answered", "late", "dropped", "p50 ms", "p99 ms", "bot CPU", "sustained"]
    rates = sorted({r.rate for _, results in by_layout for r in results})
    rows = []
    for rate in rates:
        row = [f"{rate:g}"]
        for _, results in by_layout:
            r = next((r for r in results if r.rate == rate), None)
            if r is None:
                row += [""] * len(columns)
                continue
            p50, p99, _ = stats(r)
            row += [
                str(r.answered()),
                str(r.late()),
                str(r.dropped()),
                ms(p50),
                ms(p99),
                bot_cpus(r),
                "yes" if r.sustained() else "NO",
            ]
        rows.append(row)
    return grouped_table([("", ["offered/s"]), *((layout.name, columns) for layout, _ in by_layout)], rows)


def knee_ratio(baseline: Sequence[RunResult], scaled: Sequence[RunResult], processes: int) -> str:
    """The ratio of the knees (highest sustained rates), with the bounds the rates tried leave."""
    good1, bad1 = knee(baseline)
    goodn, badn = knee(scaled)
    what = f"Ratio of the knees, {processes} processes ÷ 1"
    if good1 is None or goodn is None:
        return f"{what}: not measured (a configuration was broken at the lowest rate tried)."
    ratio = f"{goodn.rate:g} ÷ {good1.rate:g} = {goodn.rate / good1.rate:.2f}×"
    if bad1 is None or badn is None:
        unbroken = " and ".join(
            name for name, bad in (("1 process", bad1), (f"{processes} processes", badn)) if bad is None
        )
        return f"{what}: {ratio}, not bracketed: {unbroken} sustained every rate tried (offer higher rates)."
    return (
        f"{what}: {ratio} (each knee lies between its last sustained and first broken rate, so the "
        f"ratio lies between {goodn.rate / bad1.rate:.2f}× and {badn.rate / good1.rate:.2f}×)"
    )


def propagation_report(result: Propagation) -> Iterator[str]:
    def figures(times: Sequence[float]) -> str:
        ordered = sorted(times)
        return (
            f"{len(ordered)} changes: p50 {ms(percentile(ordered, 0.5))} ms, "
            f"p99 {ms(percentile(ordered, 0.99))} ms, max {ms(ordered[-1])} ms, min {ms(ordered[0])} ms"
        )

    every = result.times[True] + result.times[False]
    yield f"  all: {figures(every)}" if every else "  no change reached the other process"
    if result.trainer is not None:
        for trains, role in ((False, "does not train"), (True, "trains")):
            if result.times[trains]:
                yield f"  the reader {role} the answer model: {figures(result.times[trains])}"
        yield f"  (shard {result.trainer}'s process trains the answer model: it retrains after every change)"
    if result.polls:
        polls = sorted(result.polls)
        yield (
            f"  each time includes one /ask answered by the reader: {len(polls)} polling /ask, "
            f"p50 {ms(percentile(polls, 0.5))} ms, p99 {ms(percentile(polls, 0.99))} ms"
        )
    if result.missed:
        yield f"  {result.missed} changes had not reached the other process after {PROPAGATION_TIMEOUT_S:g} s"
    if result.already:
        yield f"  {result.already} probe aliases were answered with their entry before the change: redrawn"
    for problem in result.problems[:5]:
        yield f"  problem: {problem}"
    for message, count in result.log.errors.most_common(5):
        yield f"  ERROR ×{count}: {message}"
    for message, count in result.log.warnings.most_common(3):
        yield f"  WARNING ×{count}: {message}"


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
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="N > 1: the same rates with 1 bot process, then with N (one shard each, each on a core of its "
        "own), on one PostgreSQL database; then the time a change takes to reach another process",
    )
    parser.add_argument(
        "--database-url",
        help=f"PostgreSQL for --processes (default {DEFAULT_DATABASE_URL}); a schema per run, dropped after "
        "(with ?search_path=NAME: that schema, which must be empty)",
    )
    parser.add_argument("--changes", type=int, help="changes timed for the propagation (30; --quick 3)")
    args = parser.parse_args(argv)
    if args.processes > 1 and not args.quick:
        args.rates = args.rates or list(PROCESSES_RATES)
    args.rates = args.rates or (list(QUICK_RATES) if args.quick else list(DEFAULT_RATES))
    args.seconds = args.seconds or (QUICK_SECONDS if args.quick else DEFAULT_SECONDS)
    args.refine = args.refine if args.refine is not None else (0 if args.quick else 2)
    if args.processes < 1:
        parser.error("--processes must be 1 or more")
    if args.processes > 1:
        args.database_url = args.database_url or DEFAULT_DATABASE_URL
    args.changes = args.changes or (QUICK_CHANGES if args.quick else DEFAULT_CHANGES)
    return args


async def bench(args: argparse.Namespace, work_dir: Path) -> None:
    all_cpus = sorted(os.sched_getaffinity(0))
    pin = not args.no_pin
    # One server with one process (as before --processes); with more, several servers per shard, and
    # the one-process baseline on the same servers, the same kind of database and the same rates.
    servers = 1 if args.processes == 1 else SERVERS_PER_SHARD * args.processes
    layouts = [Layout.on(1, servers, all_cpus, pin)]
    if args.processes > 1:
        layouts.append(Layout.on(args.processes, servers, all_cpus, pin))
    pin_this_process(layouts[0].driver_cpus)
    template = work_dir / "template.sqlite3"  # kept with --logs, and brought up to date by the next run
    matcher, entries = await prepare_template(template)
    workload, described = build_workload(args.questions, matcher, [e.question for e in entries], args.mix)
    timed = workload.asks + workload.help_questions
    matcher_timing = time_matcher(
        matcher, timed[:QUICK_TIMED] if args.quick else timed, passes=1 if args.quick else 3
    )
    databases = Databases(template, work_dir, args.database_url)
    await databases.check()

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    async def run(
        layout: Layout, rate: float, seconds: float, rng: random.Random, trivial: bool = False
    ) -> RunResult:
        say(f"... {'trivial bot' if trivial else layout.name}: {rate:g} events/s for {seconds:g} s")
        return await LoadRun(workload, databases, work_dir, rng, layout, args.think, args.distinct).run(
            rate, seconds, trivial
        )

    floor = (
        None
        if args.no_floor
        else await run(
            layouts[0], min(args.rates), min(args.seconds, FLOOR_SECONDS), random.Random(args.seed), True
        )
    )
    # The configurations take turns at each rate, so that other work on the machine weighs on both alike;
    # each draws the same events at the same rates (a random generator of its own, same seed).
    rngs = [random.Random(args.seed) for _ in layouts]
    by_layout: list[tuple[Layout, list[RunResult]]] = [(layout, []) for layout in layouts]
    for rate in args.rates:
        for (layout, results), rng in zip(by_layout, rngs, strict=True):
            results.append(await run(layout, rate, args.seconds, rng))
    for _ in range(args.refine):
        for (layout, results), rng in zip(by_layout, rngs, strict=True):
            good, bad = knee(results)
            if good is not None and bad is not None and bad.rate / good.rate >= 1.2:
                results.append(await run(layout, round(math.sqrt(good.rate * bad.rate)), args.seconds, rng))
    for _, results in by_layout:
        results.sort(key=lambda r: r.rate)
    propagation = None
    if args.processes > 1:
        say(f"... change propagation: {args.changes} changes, each way in turn between two processes")
        propagation = await PropagationRun(
            workload, databases, work_dir, random.Random(args.seed), layouts[1], args.think
        ).measure(args.changes, entries, random.Random(args.seed))

    mix = " : ".join(f"{k} {w}" for k, w in args.mix.items())
    print(
        f"Load through the loopback Discord: {args.seconds:g} s per rate, mix {mix}, a new member per event"
    )
    cased = "; every question in its own letter case (--distinct)" if args.distinct else ""
    print(f"Workload: {described}; modal submitted {args.think:g} s after it opened{cased}")
    if args.processes > 1:
        print(
            f"Servers: {servers}, {SERVERS_PER_SHARD} per shard with {args.processes} shards, the events "
            "dealt to them in turn; every process a home server's moderator can edit from"
        )
    for layout in layouts:
        print(f"Processes: {layout.describe(all_cpus)}; bot = production launcher, INFO logs to a file")
    print(f"Store: {databases.describe()}")
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
    for layout, results in by_layout:
        if len(by_layout) > 1:
            print()
            print(f"=== {layout.name} ===")
        print()
        print(main_table(results))
        print()
        print(
            "Per kind: latency p50 / p99 ms (and late + dropped); the Discord layer as /ask over the matcher:"
        )
        print(kind_table(results, matcher_timing))
        print()
        print(
            "Generator and machine: lag, how late events went out; send, how long handing one to the gateway"
        )
        print("socket took (long: the bot read too slowly); CPU in cores over the load window:")
        print(machine_table(results))
        print()
        print(
            f"Knee (sustained: nothing late or dropped, p99 < {KNEE_P99_S:g} s, the gateway read as fast as "
            "events came):"
        )
        print(verdict(results, ALL_KINDS, "  all events"))
        print(
            verdict(
                results, INTERACTIONS, "  interactions alone (/ask, /diagnose, modal; Discord's 3 s window)"
            )
        )
    if len(by_layout) > 1:
        (_, baseline), (scaled_layout, scaled) = by_layout
        print()
        print(f"=== 1 process against {scaled_layout.processes}: same rates, events and kind of database ===")
        print()
        print(comparison_table(by_layout))
        print()
        print("Knees:")
        for layout, results in by_layout:
            print(verdict(results, ALL_KINDS, f"  {layout.name}"))
        print(knee_ratio(baseline, scaled, scaled_layout.processes))
    if propagation is not None:
        print()
        print(
            "Change propagation (idle processes): /faq alias add through one process (the writer), then "
            f"/ask with the new alias every {PROPAGATION_POLL_S * 1000:g} ms in a server of the other's (the "
            "reader), each way in turn; from the writer's acknowledgement to the reader's first answer "
            "showing the entry:"
        )
        print("\n".join(propagation_report(propagation)))
    runs = [*([floor] if floor else []), *(r for _, results in by_layout for r in results)]
    disturbed = [r for r in runs if r.cpu.disturbed]
    if disturbed:
        print(
            "Warning: the machine was busy — "
            + "; ".join(
                f"{r.label}: a bot waited for a CPU {r.cpu.bot_wait:.0%} of the time, "
                f"the hypervisor took {r.cpu.stolen:.0%} of a CPU"
                for r in disturbed
            )
            + ". Those figures understate the bot: run again on a quiet machine."
        )
    notes = list(log_report(runs))
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
