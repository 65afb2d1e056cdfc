"""Answer-engine benchmark: quality and latency against baselines, and the answer service's scale curve.

Run by hand (it is not part of the test suite); see bench/README.md. Everything runs in this one
process, pinned to one CPU core where the OS allows it, with BLAS limited to one thread.

1. On the public questions (../shared/eval/questions.jsonl) and on the development set
   (knowledge/labelled/dev.jsonl), over the shipped knowledge base: the answer service (the hybrid
   matcher as AnswerEngine.start builds it, semantic signal on), the lexical Matcher alone (its own
   thresholds), MiniLM cosine alone (the project's numpy encoder), BM25 (rank-bm25) and rapidfuzz
   WRatio extractOne. Baselines answer above a score cutoff tuned on the very set they are scored
   on (which flatters them); the answer service is never tuned on either set.
2. The answer service on synthetic knowledge bases (bench/synthetic.py) of growing size that contain the
   real entries: build time with a cold and a warm vector cache, latency, memory, and accuracy on
   the public set.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import importlib.util
import json
import math
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
from rapidfuzz import fuzz, process, utils
from synthetic import DEFAULT_SEED, knowledge_base, synthetic_entries

from connectsbot import answers as engine_module
from connectsbot.answers import ENCODED_CHARS, AnswerService, TrainingData
from connectsbot.kbfiles import load_folder
from connectsbot.knowledge import Entry
from connectsbot.matching import Matcher, MatchResult
from connectsbot.matching.hybrid import HybridMatcher, answer_text, entry_texts
from connectsbot.semantic import Encoder, SentenceEncoder, Vectors, forget_memo, load_encoder
from connectsbot.store import ImportFailed, KnowledgeStore

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DEFAULT_QUESTIONS = REPO_ROOT.parent / "shared" / "eval" / "questions.jsonl"
DEFAULT_KNOWLEDGE = REPO_ROOT / "knowledge"
DEFAULT_CHART = BENCH_DIR / "latency_curve.png"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (300,)
# Seconds of cold encoding of synthetic texts allowed per size (bench/README.md: what happens past it).
DEFAULT_ENCODE_BUDGET = 180.0
QUICK_ENCODE_BUDGET = 10.0
ENCODE_CHUNK = 256  # texts per encoder call while the budget is watched

R = TypeVar("R")


# ---------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Question:
    q: str
    expect: str | None  # the entry that answers it, None when out of scope
    style: str | None = None


def load_questions(path: Path) -> list[Question]:
    questions = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise SystemExit(f"{path}:{number}: not JSON ({error})") from error
            if not isinstance(row, dict) or not isinstance(row.get("q"), str):
                raise SystemExit(f"{path}:{number}: no 'q' text")
            questions.append(Question(row["q"], row.get("expect"), row.get("style")))
    return questions


def load_entries(folder: Path) -> list[Entry]:
    loaded = load_folder(folder)
    for problem in loaded.problems:
        print(f"  knowledge: {problem}", file=sys.stderr)
    if not loaded.entries:
        raise SystemExit(f"no knowledge entries could be read from {folder}")
    return list(loaded.entries.values())


# ---------------------------------------------------------------------------------------- measuring


def percentile(values: Sequence[int], share: float) -> int:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


@dataclass
class Timing:
    texts: list[str]
    per_text_ns: list[list[int]]  # each text's time in every timed pass
    gc_pauses_ns: list[tuple[int, int]]  # (generation, duration) of collections while timing

    @property
    def samples_ns(self) -> list[int]:
        return [sample for samples in self.per_text_ns for sample in samples]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ns) / 1e6

    @property
    def p99_ms(self) -> float:
        return percentile(self.samples_ns, 0.99) / 1e6

    @property
    def p99_best_ms(self) -> float:
        """p99 over each text's fastest pass: what is left when another process stole a pass."""
        return percentile([min(samples) for samples in self.per_text_ns], 0.99) / 1e6

    def slowest(self, count: int) -> list[tuple[str, list[int]]]:
        """The texts with the slowest single call, with all their times."""
        ranked = sorted(zip(self.texts, self.per_text_ns, strict=True), key=lambda item: -max(item[1]))
        return ranked[:count]

    def gc_summary(self) -> str:
        if not self.gc_pauses_ns:
            return "no garbage collection while timing"
        counts = [sum(generation == g for generation, _ in self.gc_pauses_ns) for g in range(3)]
        longest = max(duration for _, duration in self.gc_pauses_ns) / 1e6
        per_generation = "/".join(str(count) for count in counts)
        return f"gc while timing: {per_generation} collections of gen 0/1/2, longest {longest:.1f} ms"


class GcWatch:
    """Records how long each garbage collection takes (a gc.callbacks hook)."""

    def __init__(self) -> None:
        self.pauses_ns: list[tuple[int, int]] = []
        self._started = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter_ns()
        else:
            self.pauses_ns.append((info["generation"], time.perf_counter_ns() - self._started))


def time_calls(call: Callable[[str], R], texts: Sequence[str], repeat: int) -> tuple[list[R], Timing]:
    """One untimed warm-up pass, then `repeat` passes timing every call on its own (the
    garbage collector stays on, as in the bot). Returns the results of the first timed pass."""
    for text in texts:
        call(text)
    gc.collect()
    results: list[R] = []
    per_text: list[list[int]] = [[] for _ in texts]
    clock = time.perf_counter_ns
    watch = GcWatch()
    gc.callbacks.append(watch)
    try:
        for round_ in range(repeat):
            for position, text in enumerate(texts):
                start = clock()
                result = call(text)
                per_text[position].append(clock() - start)
                if round_ == 0:
                    results.append(result)
    finally:
        gc.callbacks.remove(watch)
    return results, Timing(list(texts), per_text, watch.pauses_ns)


def describe_slowest(timing: Timing, count: int = 3) -> list[str]:
    """One line per slowest question: its times in each pass (one slow pass hints at noise)."""
    lines = []
    for text, samples in timing.slowest(count):
        passes = "/".join(f"{sample / 1e6:.1f}" for sample in samples)
        lines.append(f"{max(samples) / 1e6:7.1f} ms (passes {passes} ms) {text[:60]!r}")
    return lines


def rss_mb() -> float | None:
    """Resident set size from /proc/self/status (Linux), in MB."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.MULTILINE)
    return int(found[1]) / 1024 if found else None


def pin_to_one_core() -> str:
    """Limit this process (and any BLAS / torch pool) to one CPU core; say which."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU core {core}"
    return "not pinned (no sched_setaffinity here); one process, one thread"


def load_average() -> str:
    if not hasattr(os, "getloadavg"):
        return "load average unknown"
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def cpu_name() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown CPU"
    found = re.search(r"^model name\s*:\s*(.+)$", info, re.MULTILINE)
    return found[1].strip() if found else platform.processor() or "unknown CPU"


# ---------------------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class Outcome:
    """What a method made of one question."""

    answer: str | None  # the entry answered outright, None: suggestions or nothing
    top1: str | None  # the best-ranked entry, whatever the decision
    shown: tuple[str, ...]  # what the member is offered: the answer or the suggestions (engines),
    # the three best-ranked entries (baselines)


@dataclass(frozen=True)
class Quality:
    accuracy: float  # right entry for in-scope, no answer for out-of-scope
    in_scope: float  # right entry answered, over in-scope questions
    declined: float  # no answer, over out-of-scope questions
    wrong_confident: float  # answered with a wrong entry (or answered out of scope), over all
    top1: float  # in-scope: the right entry ranked first
    top3: float  # in-scope: the right entry answered or among what is shown (see Outcome.shown)


def quality(outcomes: Sequence[Outcome], questions: Sequence[Question]) -> Quality:
    right = wrong = in_right = in_total = out_declined = out_total = first = shown = 0
    for outcome, question in zip(outcomes, questions, strict=True):
        if question.expect is None:
            out_total += 1
            out_declined += outcome.answer is None
        else:
            in_total += 1
            in_right += outcome.answer == question.expect
            first += outcome.top1 == question.expect
            shown += outcome.answer == question.expect or question.expect in outcome.shown
        if outcome.answer == question.expect:
            right += 1
        elif outcome.answer is not None:
            wrong += 1
    total = len(questions)
    return Quality(
        accuracy=right / total,
        in_scope=in_right / in_total if in_total else math.nan,
        declined=out_declined / out_total if out_total else math.nan,
        wrong_confident=wrong / total,
        top1=first / in_total if in_total else math.nan,
        top3=shown / in_total if in_total else math.nan,
    )


def result_outcome(result: MatchResult) -> Outcome:
    answer = result.entry_id if result.decision == "answer" else None
    return Outcome(answer, result.top_id, tuple(c.entry_id for c in result.suggestions))


@dataclass(frozen=True)
class Ranked:
    """A baseline's view of one question: the best entries, best first, with the best one's score."""

    ids: tuple[str, ...]
    score: float


def tune_cutoff(ranked: Sequence[Ranked], questions: Sequence[Question]) -> tuple[float, list[Outcome]]:
    """The answer cutoff (answer iff score >= cutoff) with the best accuracy on `questions`;
    ties go to fewer wrong-confident answers, then to the higher cutoff."""
    best_key: tuple[float, float, float] | None = None
    best: tuple[float, list[Outcome]] = (math.inf, [])
    for cutoff in sorted({r.score for r in ranked} | {math.inf}):
        outcomes = [
            Outcome(r.ids[0] if r.ids and r.score >= cutoff else None, r.ids[0] if r.ids else None, r.ids[:3])
            for r in ranked
        ]
        q = quality(outcomes, questions)
        key = (q.accuracy, -q.wrong_confident, cutoff)
        if best_key is None or key > best_key:
            best_key, best = key, (cutoff, outcomes)
    return best


# ---------------------------------------------------------------------------------------- methods


@dataclass
class MethodRun:
    name: str
    build_s: float
    outcomes: list[Outcome]
    timing: Timing
    decision_rule: str


Ranker = Callable[[str], Ranked]


def texts_and_owners(entries: Sequence[Entry]) -> tuple[list[str], list[str]]:
    """Every entry's question and aliases, and the entry each text belongs to."""
    texts: list[str] = []
    owners: list[str] = []
    for entry in entries:
        for text in entry_texts(entry):
            texts.append(text)
            owners.append(entry.id)
    return texts, owners


def top_entries(owners: Sequence[str], ranked_positions: Sequence[int], count: int = 3) -> tuple[str, ...]:
    """The first `count` distinct owners of texts, in ranked order."""
    found: list[str] = []
    for position in ranked_positions:
        owner = owners[position]
        if owner not in found:
            found.append(owner)
            if len(found) == count:
                break
    return tuple(found)


def wratio_ranker(entries: Sequence[Entry]) -> tuple[Ranker, Ranker]:
    """extractOne (timed: the naive baseline) and, untimed, the three best entries by WRatio."""
    choices, owners = texts_and_owners(entries)

    def one(question: str) -> Ranked:
        best = process.extractOne(question, choices, scorer=fuzz.WRatio, processor=utils.default_process)
        if best is None:
            return Ranked((), 0.0)
        _, score, position = best
        return Ranked((owners[position],), float(score))

    def three(question: str) -> Ranked:
        hits = process.extract(
            question, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=40
        )
        return Ranked(top_entries(owners, [position for _, _, position in hits]), 0.0)

    return one, three


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def bm25_ranker(entries: Sequence[Entry]) -> Ranker:
    from rank_bm25 import BM25Okapi

    ids = [entry.id for entry in entries]
    corpus = [
        tokens(" ".join([entry.question, *entry.aliases, *entry.keywords, entry.answer])) for entry in entries
    ]
    bm25 = BM25Okapi(corpus)

    def rank(question: str) -> Ranked:
        scores = bm25.get_scores(tokens(question))
        order = np.argsort(-scores, kind="stable")[:3]
        return Ranked(tuple(ids[int(i)] for i in order), float(scores[order[0]]))

    return rank


def minilm_ranker(entries: Sequence[Entry], encoder: Encoder) -> Ranker:
    """Best cosine over each entry's question and aliases; the question is encoded as asked."""
    texts, owners = texts_and_owners(entries)
    matrix = encoder.encode(texts)
    ids = list(dict.fromkeys(owners))
    starts = np.asarray([owners.index(entry_id) for entry_id in ids], dtype=np.intp)

    def rank(question: str) -> Ranked:
        vector = encoder.encode([question[:ENCODED_CHARS]])[0]
        best = np.maximum.reduceat(matrix @ vector, starts)
        order = np.argsort(-best, kind="stable")[:3]
        return Ranked(tuple(ids[int(i)] for i in order), float(best[order[0]]))

    return rank


def run_ranker(
    name: str,
    ranker: Ranker,
    build_s: float,
    questions: Sequence[Question],
    args: argparse.Namespace,
    score_format: str,
    top3: Ranker | None = None,
) -> MethodRun:
    ranked, timing = time_calls(ranker, [q.q for q in questions], args.repeat)
    if top3 is not None:
        ranked = [
            Ranked(r.ids[:1] + tuple(i for i in top3(q.q).ids if i not in r.ids[:1])[:2], r.score)
            for r, q in zip(ranked, questions, strict=True)
        ]
    cutoff, outcomes = tune_cutoff(ranked, questions)
    rule = "never answers" if math.isinf(cutoff) else f"score >= {cutoff:{score_format}} (tuned on this set)"
    return MethodRun(name, build_s, outcomes, timing, rule)


def engine_call(matcher: HybridMatcher, encoder: Encoder | None) -> Callable[[str], MatchResult]:
    """What the answer service does for one question: spelling, encoding (in the bot: in a worker thread,
    batched with other questions), then the hybrid match. Recording the question is left out."""

    def call(question: str) -> MatchResult:
        vector = None
        if encoder is not None and matcher.semantic:
            vector = encoder.encode([matcher.text_to_encode(question[:ENCODED_CHARS])])[0]
        return matcher.match(question, vector)

    return call


def run_matcher(
    name: str,
    call: Callable[[str], MatchResult],
    build_s: float,
    questions: Sequence[Question],
    repeat: int,
    rule: str,
) -> tuple[MethodRun, list[MatchResult]]:
    results, timing = time_calls(call, [q.q for q in questions], repeat)
    return MethodRun(name, build_s, [result_outcome(r) for r in results], timing, rule), results


# ---------------------------------------------------------------------------------------- tables


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        parts = [str(first).ljust(widths[0])] + [
            str(c).rjust(w) for c, w in zip(rest, widths[1:], strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:.1f}%"


def ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def banner(title: str) -> None:
    print(f"\n{title}\n{'=' * len(title)}")


def fresh_models() -> None:
    """Forget the vectors and trained models this process holds, as a new process would start."""
    forget_memo()
    engine_module.forget_trained_models()


async def start_engine(knowledge: Path, database: Path) -> tuple[AnswerService, float]:
    """AnswerEngine.start as the bot runs it (import, vectors, training), timed."""
    fresh_models()
    gc.collect()
    start = time.perf_counter()
    store = await KnowledgeStore.open(database)
    try:
        answers, outcome = await AnswerService.start(store, knowledge, semantic=True)
    finally:
        await store.close()
    elapsed = time.perf_counter() - start
    if isinstance(outcome, ImportFailed):
        print(f"note: the knowledge import failed ({len(outcome.problems)} problems): {outcome}")
    return answers, elapsed


@dataclass
class Methods:
    """Everything part 1 compares, built once for both question sets."""

    answers: HybridMatcher
    encoder: Encoder | None
    engine_build_s: float
    lexical: Matcher
    lexical_build_s: float
    baselines: list[tuple[str, Ranker, float, str, Ranker | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def build_methods(entries: Sequence[Entry], args: argparse.Namespace) -> Methods:
    encoder: SentenceEncoder | None = None
    notes: list[str] = []
    start = time.perf_counter()
    encoder = load_encoder(True)
    load_s = time.perf_counter() - start
    if encoder is None:
        notes.append("the sentence encoder could not be loaded: engine lexical-only, MiniLM baseline skipped")
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as folder:
        answers, cold_s = asyncio.run(start_engine(args.knowledge, Path(folder) / "bot.db"))
        _, warm_s = asyncio.run(start_engine(args.knowledge, Path(folder) / "bot.db"))
    matcher = answers.current_matcher
    model = matcher.model
    notes.append(
        f"engine: AnswerEngine.start on a temporary database: {cold_s:.1f} s with an empty vector cache "
        f"(encodes {len(entries)} entries' texts and the labelled questions, trains), {warm_s:.1f} s "
        f"with it filled (a restart: reads the vectors, trains); model load {load_s:.1f} s before that; "
        f"{'semantic on' if matcher.semantic else 'LEXICAL ONLY'}; "
        f"{model.summary() if model is not None else 'no model: lexical thresholds'}"
    )
    notes.append(
        "engine latency = spelling + encoding the question (one at a time; the bot batches concurrent "
        "ones in a worker thread) + the hybrid match; recording the question is not included"
    )
    start = time.perf_counter()
    lexical = Matcher(entries)
    lexical_s = time.perf_counter() - start
    methods = Methods(matcher, encoder, warm_s, lexical, lexical_s, notes=notes)
    if not args.baselines:
        return methods
    if encoder is not None:
        start = time.perf_counter()
        ranker = minilm_ranker(entries, encoder)
        methods.baselines.append(("MiniLM cosine alone", ranker, time.perf_counter() - start, ".3f", None))
        notes.append(
            "MiniLM: the project's numpy all-MiniLM-L6-v2 (same vectors as sentence-transformers), best "
            "cosine over each entry's question and aliases; latency includes encoding the question"
        )
    if importlib.util.find_spec("rank_bm25") is None:
        notes.append("BM25 baseline skipped: `.venv/bin/pip install -e '.[bench]'` installs rank-bm25")
    else:
        start = time.perf_counter()
        ranker = bm25_ranker(entries)
        methods.baselines.append(("BM25 (rank-bm25 Okapi)", ranker, time.perf_counter() - start, ".2f", None))
        notes.append(
            "BM25: one document per entry = question + aliases + keywords + answer, [a-z0-9]+ tokens"
        )
    start = time.perf_counter()
    one, three = wratio_ranker(entries)
    methods.baselines.append(("rapidfuzz WRatio extractOne", one, time.perf_counter() - start, ".1f", three))
    notes.append(
        "rapidfuzz: extractOne over every question and alias (utils.default_process); its top-3 comes "
        "from an untimed process.extract"
    )
    notes.append(
        "baselines answer above a cutoff tuned on the set they are scored on (flatters them); engine and "
        "lexical matcher are not tuned on either set. top-3: the right entry answered or suggested "
        "(engine, lexical), or among the 3 best-ranked entries (baselines)"
    )
    return methods


def compare(
    label: str, questions: Sequence[Question], methods: Methods, args: argparse.Namespace
) -> dict[str, tuple[MethodRun, Quality]]:
    in_scope = sum(q.expect is not None for q in questions)
    banner(
        f"1{label[0]}. {label}: {len(questions)} questions ({in_scope} in scope, "
        f"{len(questions) - in_scope} out of scope); {load_average()}"
    )
    known = set(methods.lexical.entry_ids)
    unknown = sorted({q.expect for q in questions if q.expect is not None and q.expect not in known})
    if unknown:
        print(f"note: {len(unknown)} expected ids are not in the knowledge base: {', '.join(unknown)}")
    engine_run, engine_results = run_matcher(
        "answer service (hybrid)",
        engine_call(methods.answers, methods.encoder),
        methods.engine_build_s,
        questions,
        args.repeat,
        "learned decision (not tuned here)",
    )
    lexical_run, lexical_results = run_matcher(
        "lexical Matcher (today's)",
        methods.lexical.match,
        methods.lexical_build_s,
        questions,
        args.repeat,
        "its own MatcherConfig thresholds",
    )
    runs = [engine_run, lexical_run]
    for name, ranker, build_s, score_format, top3 in methods.baselines:
        runs.append(run_ranker(name, ranker, build_s, questions, args, score_format, top3))

    base = lexical_run.timing
    measured: dict[str, tuple[MethodRun, Quality]] = {}
    rows = []
    for run in runs:
        q = quality(run.outcomes, questions)
        measured[run.name] = (run, q)
        rows.append(
            [
                run.name,
                pct(q.accuracy),
                pct(q.wrong_confident),
                pct(q.top1),
                pct(q.top3),
                pct(q.in_scope),
                pct(q.declined),
                ms(run.timing.median_ms),
                ms(run.timing.p99_ms),
                f"x{run.timing.median_ms / base.median_ms:.1f}",
                f"x{run.timing.p99_ms / base.p99_ms:.1f}",
                f"{run.build_s:.2f}",
                run.decision_rule,
            ]
        )
    headers = [
        "method",
        "accuracy",
        "wrong-conf",
        "top-1",
        "top-3",
        "in-scope",
        "oos declined",
        "p50 ms",
        "p99 ms",
        "p50/L",
        "p99/L",
        "build s",
        "answers when",
    ]
    print(render_table(headers, rows))
    print(
        f"(L = lexical Matcher; {args.repeat} timed pass(es) after a warm-up, each question timed alone; "
        "top-1 / top-3 / in-scope over in-scope questions)"
    )
    if methods.encoder is not None and methods.answers.semantic and not args.quick:
        vectors = [
            methods.encoder.encode([methods.answers.text_to_encode(q.q[:ENCODED_CHARS])])[0]
            for q in questions
        ]
        pairs = list(zip([q.q for q in questions], vectors, strict=True))
        _, match_only = time_calls(lambda pair: methods.answers.match(*pair), pairs, 1)
        _, encode_only = time_calls(
            lambda text: methods.encoder.encode([methods.answers.text_to_encode(text)]),  # type: ignore[union-attr]
            [q.q[:ENCODED_CHARS] for q in questions],
            1,
        )
        print(
            f"- engine split (1 pass): spelling + encoding p50 {ms(encode_only.median_ms)} / p99 "
            f"{ms(encode_only.p99_ms)} ms; hybrid match alone p50 {ms(match_only.median_ms)} / p99 "
            f"{ms(match_only.p99_ms)} ms"
        )
    for results, name in ((engine_results, "engine"), (lexical_results, "lexical")):
        counts = {d: sum(r.decision == d for r in results) for d in ("answer", "suggest", "none")}
        print(
            f"- {name} decisions: {counts['answer']} answer, {counts['suggest']} suggest, "
            f"{counts['none']} none"
        )
    print(f"- engine {engine_run.timing.gc_summary()}; slowest questions:")
    for line in describe_slowest(engine_run.timing):
        print(f"  {line}")
    styles = sorted({q.style for q in questions if q.style})
    if styles:
        style_rows = []
        for style in styles:
            picked = [n for n, q in enumerate(questions) if q.style == style]
            chosen = [questions[n] for n in picked]
            engine_q = quality([engine_run.outcomes[n] for n in picked], chosen)
            lexical_q = quality([lexical_run.outcomes[n] for n in picked], chosen)
            style_rows.append(
                [
                    style,
                    str(len(picked)),
                    pct(engine_q.accuracy),
                    pct(engine_q.wrong_confident),
                    pct(engine_q.top3),
                    pct(lexical_q.accuracy),
                    pct(lexical_q.wrong_confident),
                ]
            )
        print("\nby style:")
        print(
            render_table(
                [
                    "style",
                    "questions",
                    "engine acc",
                    "engine wrong",
                    "engine top-3",
                    "lexical acc",
                    "lexical wrong",
                ],
                style_rows,
            )
        )
    return measured


# ---------------------------------------------------------------------------------------- part 2


class BudgetEncoder:
    """The real encoder, for synthetic knowledge bases: one text per synthetic entry is encoded (its
    question; its aliases and answer get that vector, as the template generator made them the same
    request in other words), and only for `budget_s` seconds per build. Synthetic texts left when the
    budget runs out borrow the vector of an encoded synthetic question (same generator, so the same
    spread of vectors), and the cold build's time is extrapolated for them. Real entries' texts and
    labelled questions are always encoded."""

    def __init__(self, encoder: Encoder, synthetic: dict[str, str], budget_s: float) -> None:
        self.inner = encoder
        self.synthetic = synthetic  # text of a synthetic entry -> that entry's question
        self.budget_s = budget_s
        self.seconds = 0.0
        self.encoded = 0
        self.synthetic_seconds = 0.0
        self.synthetic_encoded = 0
        self.borrowed = 0
        self._pool: list[Vectors] = []

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def words(self) -> frozenset[str]:
        return self.inner.words

    def _encode(self, texts: list[str]) -> Vectors:
        start = time.perf_counter()
        vectors = self.inner.encode(texts)
        self.seconds += time.perf_counter() - start
        self.encoded += len(texts)
        return vectors

    def encode(self, texts: Sequence[str]) -> Vectors:
        keys = [self.synthetic.get(text, text) for text in texts]
        own = list(dict.fromkeys(k for k, t in zip(keys, texts, strict=True) if t not in self.synthetic))
        synthetic = list(dict.fromkeys(k for k, t in zip(keys, texts, strict=True) if t in self.synthetic))
        found: dict[str, Vectors] = {}
        if own:
            found.update(zip(own, self._encode(own), strict=True))
        done = 0
        while done < len(synthetic) and (self.synthetic_seconds < self.budget_s or not self._pool):
            chunk = synthetic[done : done + ENCODE_CHUNK]
            before = self.seconds
            vectors = self._encode(chunk)
            self.synthetic_seconds += self.seconds - before
            self.synthetic_encoded += len(chunk)
            found.update(zip(chunk, vectors, strict=True))
            self._pool.extend(vectors)
            done += len(chunk)
        for key in synthetic[done:]:
            pick = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % len(self._pool)
            found[key] = self._pool[pick]
            self.borrowed += 1
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32)

    def extrapolated_s(self) -> float:
        """Seconds the borrowed texts would have taken, at the rate measured on synthetic texts."""
        if not self.borrowed or not self.synthetic_encoded:
            return 0.0
        return self.borrowed * self.synthetic_seconds / self.synthetic_encoded


def synthetic_texts(entries: Sequence[Entry], real_ids: frozenset[str]) -> dict[str, str]:
    """Every text a synthetic entry has the answer service encode, and the entry's question."""
    texts: dict[str, str] = {}
    for entry in entries:
        if entry.id in real_ids:
            continue
        for text in (*entry_texts(entry), answer_text(entry)):
            texts.setdefault(text, entry.question)
    return texts


@dataclass
class Build:
    seconds: float
    lexical_s: float
    encode_s: float
    encoded: int
    borrowed: int
    extrapolated_s: float
    rss_after_mb: float | None
    rss_delta_mb: float | None


async def build_engine(
    entries: list[Entry], encoder: BudgetEncoder, training: TrainingData, database: Path, memo: bool = False
) -> tuple[HybridMatcher, Build]:
    """The answer service's build over `entries`: the lexical index, then AnswerEngine's own training step
    (vectors through the store's cache, ranker and decider fitted, development set measured). The
    entries are handed over directly instead of being imported into the store first. `memo`: keep
    the process's vectors (--quick: the real texts', already encoded by part 1)."""
    if memo:
        engine_module.forget_trained_models()
    else:
        fresh_models()
    gc.collect()
    rss_before = rss_mb()
    seconds, encoded, borrowed = encoder.seconds, encoder.encoded, encoder.borrowed
    extrapolated = encoder.extrapolated_s()
    store = await KnowledgeStore.open(database)
    try:
        answers = AnswerService(store, encoder=encoder, training=training)
        start = time.perf_counter()
        lexical = Matcher(entries)
        lexical_s = time.perf_counter() - start
        matcher = await answers.matcher_for(entries, lexical)
        total_s = time.perf_counter() - start
    finally:
        await store.close()
    gc.collect()
    rss_after = rss_mb()
    return matcher, Build(
        seconds=total_s,
        lexical_s=lexical_s,
        encode_s=encoder.seconds - seconds,
        encoded=encoder.encoded - encoded,
        borrowed=encoder.borrowed - borrowed,
        extrapolated_s=encoder.extrapolated_s() - extrapolated if encoder.borrowed > borrowed else 0.0,
        rss_after_mb=rss_after,
        rss_delta_mb=None if rss_before is None or rss_after is None else rss_after - rss_before,
    )


@dataclass
class ScalePoint:
    size: int
    cold: Build | None
    warm: Build
    database_mb: float
    timing: Timing
    public: Quality
    lexical_timing: Timing
    lexical_public: Quality
    oos_to_synthetic: int
    semantic: bool


def database_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20


def scale_point(
    entries: list[Entry],
    real_ids: frozenset[str],
    questions: Sequence[Question],
    encoder: Encoder,
    training: TrainingData,
    args: argparse.Namespace,
) -> ScalePoint:
    proxy = BudgetEncoder(encoder, synthetic_texts(entries, real_ids), args.encode_budget)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        database = Path(folder) / "scale.db"
        _, cold = asyncio.run(build_engine(entries, proxy, training, database, memo=args.quick))
        print(
            f"      cold build {cold.seconds:.1f} s (encoding {cold.encode_s:.1f} s, {cold.encoded} texts"
            + (
                f"; {cold.borrowed} synthetic texts past the budget: +{cold.extrapolated_s:.0f} s"
                if cold.borrowed
                else ""
            )
            + ")",
            flush=True,
        )
        matcher, warm = asyncio.run(build_engine(entries, proxy, training, database))
        size_mb = database_mb(database)
    print(f"      warm build {warm.seconds:.1f} s; timing ...", end="", flush=True)
    results, timing = time_calls(engine_call(matcher, encoder), [q.q for q in questions], args.repeat)
    lexical_results, lexical_timing = time_calls(matcher.lexical.match, [q.q for q in questions], args.repeat)
    print(f" p50 {ms(timing.median_ms)} ms, p99 {ms(timing.p99_ms)} ms", flush=True)
    outcomes = [result_outcome(r) for r in results]
    return ScalePoint(
        size=len(entries),
        cold=cold,
        warm=warm,
        database_mb=size_mb,
        timing=timing,
        public=quality(outcomes, questions),
        lexical_timing=lexical_timing,
        lexical_public=quality([result_outcome(r) for r in lexical_results], questions),
        oos_to_synthetic=sum(
            q.expect is None and o.answer is not None and o.answer not in real_ids
            for o, q in zip(outcomes, questions, strict=True)
        ),
        semantic=matcher.semantic,
    )


def scale(
    real: Sequence[Entry], questions: Sequence[Question], encoder: Encoder, args: argparse.Namespace
) -> list[ScalePoint]:
    sizes = sorted(args.sizes)
    banner(f"2. Scale: the answer service on synthetic knowledge bases holding the {len(real)} real entries")
    start = time.perf_counter()
    pool = synthetic_entries(max(sizes) - len(real), args.seed)
    print(
        f"generated {len(pool)} synthetic entries in {time.perf_counter() - start:.1f} s (seed {args.seed}); "
        f"questions: the {len(questions)} public ones; encoding budget {args.encode_budget:.0f} s of "
        f"synthetic texts per cold build; {load_average()}"
    )
    training = TrainingData.load(args.knowledge)
    real_ids = frozenset(entry.id for entry in real)
    points = []
    for size in sizes:
        entries = knowledge_base(size, real, pool, args.seed)
        print(f"  {size:>7,} entries: {load_average()}", flush=True)
        points.append(scale_point(entries, real_ids, questions, encoder, training, args))
        del entries
        gc.collect()

    print()
    rows = []
    for point in points:
        cold = point.cold
        assert cold is not None
        cold_cell = f"{cold.seconds:.1f}"
        if cold.borrowed:
            cold_cell = f"{cold.seconds + cold.extrapolated_s:.0f} (est.)"
        rows.append(
            [
                f"{point.size:,}",
                cold_cell,
                f"{cold.encode_s:.1f}",
                f"{point.warm.seconds:.1f}",
                f"{point.warm.lexical_s:.1f}",
                ms(point.timing.median_ms),
                ms(point.timing.p99_ms),
                ms(point.timing.p99_best_ms),
                ms(point.lexical_timing.p99_ms),
                "n/a" if point.warm.rss_after_mb is None else f"{point.warm.rss_after_mb:.0f}",
                "n/a" if cold.rss_delta_mb is None else f"{cold.rss_delta_mb:.0f}",
                f"{point.database_mb:.0f}",
            ]
        )
    print(
        render_table(
            [
                "entries",
                "cold build s",
                "of which encoding s",
                "warm build s",
                "of which lexical s",
                "p50 ms",
                "p99 ms",
                "p99 best pass",
                "lexical p99 ms",
                "RSS MB",
                "RSS +MB cold",
                "vector DB MB",
            ],
            rows,
        )
    )
    print(
        "- cold: empty vector cache (new database, empty memo"
        + ("; --quick: the memo keeps the real texts' vectors" if args.quick else "")
        + "); warm: the same database, its text_vectors filled (a restart). Both include fitting the "
        "answer model and measuring it on the development set\n"
        "- encoding: one text per synthetic entry (aliases and answer share its question's vector), real "
        "entries and labelled questions in full; past the budget, synthetic texts borrow an encoded "
        "vector and the cold figure adds their time at the measured rate (est.)\n"
        "- p50/p99: the public questions, encoding included, each alone; p99 best pass: over each "
        "question's fastest pass (discounts time stolen by other processes)\n"
        "- RSS MB: the process after the warm build (model, vectors, index); RSS +MB cold: growth over "
        "the cold build (freed memory is reused, so later sizes can read low)"
    )
    quality_rows = []
    for point in points:
        quality_rows.append(
            [
                f"{point.size:,}",
                pct(point.public.accuracy),
                pct(point.public.wrong_confident),
                pct(point.public.top1),
                pct(point.public.top3),
                str(point.oos_to_synthetic),
                pct(point.lexical_public.accuracy),
                pct(point.lexical_public.wrong_confident),
                pct(point.lexical_public.top1),
            ]
        )
    print()
    print(
        render_table(
            [
                "entries",
                "engine acc",
                "engine wrong",
                "engine top-1",
                "engine top-3",
                "oos -> synthetic",
                "lexical acc",
                "lexical wrong",
                "lexical top-1",
            ],
            quality_rows,
        )
    )
    print(
        "- public set, strict (an out-of-scope question answered by a synthetic entry counts as wrong; "
        "'oos -> synthetic' counts those); lexical: the answer service's lexical index with its thresholds"
    )
    return points


def chart(points: Sequence[ScalePoint], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"\nchart skipped: matplotlib is not installed (`.venv/bin/pip install matplotlib`) -> {path}")
        return
    sizes = [p.size for p in points]
    figure, (latency, build) = plt.subplots(1, 2, figsize=(11, 4.2))
    latency.plot(sizes, [p.timing.median_ms for p in points], "o-", label="engine p50")
    latency.plot(sizes, [p.timing.p99_ms for p in points], "s-", label="engine p99")
    latency.plot(sizes, [p.lexical_timing.p99_ms for p in points], "^--", label="lexical p99")
    latency.set(
        xscale="log",
        yscale="log",
        xlabel="entries",
        ylabel="ms per question",
        title="Latency (encoding included)",
    )
    latency.grid(True, which="both", alpha=0.3)
    latency.legend()
    cold = [p.cold.seconds + p.cold.extrapolated_s for p in points if p.cold is not None]
    build.plot(sizes, cold, "o-", label="cold vector cache")
    build.plot(sizes, [p.warm.seconds for p in points], "s-", label="warm vector cache")
    build.set(xscale="log", yscale="log", xlabel="entries", ylabel="seconds", title="Engine build")
    build.grid(True, which="both", alpha=0.3)
    build.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    print(f"\nchart written to {path}")


# ---------------------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--questions", type=Path, default=DEFAULT_QUESTIONS, help="public questions.jsonl: {q, expect}"
    )
    parser.add_argument("--knowledge", type=Path, default=DEFAULT_KNOWLEDGE, help="knowledge folder")
    parser.add_argument("--dev", type=Path, help="development set (default: KNOWLEDGE/labelled/dev.jsonl)")
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(size) for size in text.split(",") if size.strip()],
        help="synthetic KB sizes, comma-separated (default 1000,10000,100000; --quick: 300); 0: none",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: one small size, one timed pass, a quarter of the development set, and the "
        "scale's cold build keeps the process's vectors of real texts (only synthetic ones are cold)",
    )
    parser.add_argument(
        "--no-baselines", dest="baselines", action="store_false", help="engine and lexical only"
    )
    parser.add_argument(
        "--encode-budget",
        type=float,
        help=f"seconds of synthetic encoding per cold build (default {DEFAULT_ENCODE_BUDGET:g}; "
        f"--quick: {QUICK_ENCODE_BUDGET:g})",
    )
    parser.add_argument(
        "--chart", type=Path, help=f"write the scale chart here (default {DEFAULT_CHART}; --quick: none)"
    )
    parser.add_argument("--no-chart", action="store_true", help="do not write a chart")
    parser.add_argument("--repeat", type=int, help="timed passes over the questions (default 3; --quick: 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="synthetic generation seed")
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    args.sizes = [size for size in args.sizes if size > 0]
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.encode_budget is None:
        args.encode_budget = QUICK_ENCODE_BUDGET if args.quick else DEFAULT_ENCODE_BUDGET
    if args.dev is None:
        args.dev = args.knowledge / "labelled" / "dev.jsonl"
    if args.chart is None and not args.quick:
        args.chart = DEFAULT_CHART
    if args.no_chart:
        args.chart = None
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    pinned = pin_to_one_core()
    for path, what in ((args.questions, "--questions"), (args.dev, "--dev")):
        if not path.is_file():
            raise SystemExit(f"questions file not found: {path} (pass {what} PATH)")
    public = load_questions(args.questions)
    development = load_questions(args.dev)
    if args.quick:
        development = development[::4]  # a smoke run: every fourth question
    real = load_entries(args.knowledge)
    too_small = [size for size in args.sizes if size < len(real)]
    if too_small:
        raise SystemExit(f"--sizes {too_small} are smaller than the {len(real)} real entries")

    started = time.perf_counter()
    print(f"connectsbot answer-engine benchmark — {time.strftime('%Y-%m-%d %H:%M')}")
    print(
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, {cpu_name()}; "
        f"{pinned}; gc {'on' if gc.isenabled() else 'off'}"
    )
    print(f"public: {args.questions}; development: {args.dev}; knowledge: {args.knowledge}; {load_average()}")

    methods = build_methods(real, args)
    for note in methods.notes:
        print(f"- {note}")
    compare("Public set (../shared/eval, a test set)", public, methods, args)
    compare("Development set (knowledge/labelled/dev.jsonl, never trained on)", development, methods, args)
    if args.sizes:
        if methods.encoder is None:
            print("\nscale curve skipped: no sentence encoder")
        else:
            points = scale(real, public, methods.encoder, args)
            if args.chart is not None:
                chart(points, args.chart)
    print(
        f"\nfinished in {time.perf_counter() - started:.0f} s; {load_average()} "
        "(other work on the machine skews the latencies)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
