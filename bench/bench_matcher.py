"""Matcher benchmark: quality and latency against baselines, and the matcher's scale curve.

Run by hand (it is not part of the test suite); see bench/README.md. Everything runs in this one
process, pinned to one CPU core where the OS allows it, with BLAS/torch limited to one thread.

1. On the shipped knowledge base and the public questions: connectsbot's Matcher against
   a rapidfuzz WRatio baseline, a BM25 baseline (rank-bm25) and, when the model package is
   installed (scripts/_venv.sh installs it), a MiniLM sentence-embedding baseline
   (connectsbot.semantic). Baselines answer above a score cutoff tuned on this very question set
   to maximise their accuracy (which flatters them); the matcher runs with its shipped configuration.
2. The matcher alone on synthetic knowledge bases (bench/synthetic.py) of growing size that
   contain the real entries: build time, latency, memory, and accuracy on the public set.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import os
import platform
import re
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
from rapidfuzz import fuzz, process, utils
from synthetic import DEFAULT_SEED, knowledge_base, synthetic_entries, synthetic_questions

from connectsbot.kbfiles import load_folder
from connectsbot.matching import Matcher, MatchResult
from connectsbot.models import Entry
from connectsbot.semantic import SentenceEncoder, load_encoder, unavailable_reason

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DEFAULT_QUESTIONS = REPO_ROOT.parent / "shared" / "eval" / "questions.jsonl"
DEFAULT_KNOWLEDGE = REPO_ROOT / "knowledge"
DEFAULT_CHART = BENCH_DIR / "latency_curve.png"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (300, 2_000)

# Targets printed beside the figures.
TARGET_MEDIAN_SHIPPED_MS = 0.3
TARGET_P99_MS = {10_000: 10.0, 100_000: 50.0}
TARGET_BUILD_S = {100_000: 10.0}


R = TypeVar("R")
Ranker = Callable[[str], tuple[str | None, float]]  # a question -> best entry and its score


# ---------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Question:
    q: str
    expect: str | None  # the entry that answers it, None when out of scope


def load_questions(path: Path) -> list[Question]:
    questions = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row.get("q"), str):
                raise SystemExit(f"{path}:{number}: no 'q' text")
            questions.append(Question(row["q"], row.get("expect")))
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
class Quality:
    accuracy: float  # right entry for in-scope, no answer for out-of-scope
    in_scope: float  # right entry, over in-scope questions
    declined: float  # no answer, over out-of-scope questions
    wrong_confident: float  # answered with a wrong entry (or answered out of scope), over all


def quality(answers: Sequence[str | None], questions: Sequence[Question]) -> Quality:
    right = wrong = in_right = in_total = out_declined = out_total = 0
    for answer, question in zip(answers, questions, strict=True):
        if question.expect is None:
            out_total += 1
            out_declined += answer is None
        else:
            in_total += 1
            in_right += answer == question.expect
        if answer == question.expect:
            right += 1
        elif answer is not None:
            wrong += 1
    total = len(questions)
    return Quality(
        accuracy=right / total,
        in_scope=in_right / in_total if in_total else math.nan,
        declined=out_declined / out_total if out_total else math.nan,
        wrong_confident=wrong / total,
    )


def tune_cutoff(
    ranked: Sequence[tuple[str | None, float]], questions: Sequence[Question]
) -> tuple[float, list[str | None]]:
    """The answer cutoff (answer iff score >= cutoff) with the best accuracy on `questions`;
    ties go to fewer wrong-confident answers, then to the higher cutoff."""
    best_key: tuple[float, float, float] | None = None
    best: tuple[float, list[str | None]] = (math.inf, [None] * len(ranked))
    for cutoff in sorted({score for _, score in ranked} | {math.inf}):
        answers = [entry if score >= cutoff else None for entry, score in ranked]
        q = quality(answers, questions)
        key = (q.accuracy, -q.wrong_confident, cutoff)
        if best_key is None or key > best_key:
            best_key, best = key, (cutoff, answers)
    return best


# ---------------------------------------------------------------------------------------- methods


@dataclass
class MethodRun:
    name: str
    build_s: float
    answers: list[str | None]
    timing: Timing
    decision_rule: str
    notes: list[str] = field(default_factory=list)


def matcher_answer(result: MatchResult) -> str | None:
    return result.entry_id if result.decision == "answer" else None


def run_matcher(
    entries: Sequence[Entry], questions: Sequence[Question], repeat: int
) -> tuple[MethodRun, list[MatchResult]]:
    gc.collect()
    start = time.perf_counter()
    matcher = Matcher(entries)
    build_s = time.perf_counter() - start
    results, timing = time_calls(matcher.match, [q.q for q in questions], repeat)
    answers = [matcher_answer(r) for r in results]
    return MethodRun("connectsbot Matcher", build_s, answers, timing, "shipped MatcherConfig"), results


def run_ranker(
    name: str,
    build: Callable[[], Ranker],
    questions: Sequence[Question],
    repeat: int,
    score_format: str,
) -> MethodRun:
    gc.collect()
    start = time.perf_counter()
    ranker = build()
    build_s = time.perf_counter() - start
    ranked, timing = time_calls(ranker, [q.q for q in questions], repeat)
    cutoff, answers = tune_cutoff(ranked, questions)
    rule = "never answers" if math.isinf(cutoff) else f"score >= {cutoff:{score_format}} (tuned)"
    return MethodRun(name, build_s, answers, timing, rule)


def entry_texts(entries: Iterable[Entry]) -> tuple[list[str], list[str]]:
    """Every entry's question and aliases, and the entry each text belongs to."""
    texts: list[str] = []
    owners: list[str] = []
    for entry in entries:
        for text in (entry.question, *entry.aliases):
            texts.append(text)
            owners.append(entry.id)
    return texts, owners


def wratio_ranker(entries: Sequence[Entry]) -> Ranker:
    choices, owners = entry_texts(entries)

    def rank(question: str) -> tuple[str | None, float]:
        best = process.extractOne(question, choices, scorer=fuzz.WRatio, processor=utils.default_process)
        if best is None:
            return None, 0.0
        _, score, position = best
        return owners[position], float(score)

    return rank


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def bm25_ranker(entries: Sequence[Entry]) -> Ranker:
    from rank_bm25 import BM25Okapi

    ids = [entry.id for entry in entries]
    corpus = [
        tokens(" ".join([entry.question, *entry.aliases, *entry.keywords, entry.answer])) for entry in entries
    ]
    bm25 = BM25Okapi(corpus)

    def rank(question: str) -> tuple[str | None, float]:
        scores = bm25.get_scores(tokens(question))
        best = int(scores.argmax())
        return ids[best], float(scores[best])

    return rank


def semantic_ranker(encoder: SentenceEncoder, entries: Sequence[Entry]) -> Callable[[], Ranker]:
    """Build = encode every question and alias (no cache: a cold build); latency includes encoding the
    question. connectsbot's own runtime, the same vectors as sentence-transformers without torch."""

    def build() -> Ranker:
        texts, owners = entry_texts(entries)
        matrix = encoder.encode(texts)

        def rank(question: str) -> tuple[str | None, float]:
            similarities = matrix @ encoder.encode([question])[0]
            # The max over an entry's texts, then the best entry = the best text overall.
            best = int(np.argmax(similarities))
            return owners[best], float(similarities[best])

        return rank

    return build


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
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else f"MISS x{value / target:.2f}"


def target_cell(value: float, target: float | None, bound: str) -> str:
    """'<= 10 ms: ok' for bound '<= ms', or '-' where no target applies."""
    if target is None:
        return "-"
    comparison, unit = bound.split()
    return f"{comparison} {target:g} {unit}: {verdict(value, target)}"


def banner(title: str) -> None:
    print(f"\n{title}\n{'=' * len(title)}")


# ---------------------------------------------------------------------------------------- part 1


def compare(
    entries: Sequence[Entry], questions: Sequence[Question], args: argparse.Namespace
) -> tuple[MethodRun, list[MatchResult]]:
    in_scope = sum(q.expect is not None for q in questions)
    banner(
        f"1. Shipped knowledge base: {len(entries)} entries, {len(questions)} questions "
        f"({in_scope} in scope, {len(questions) - in_scope} out of scope)"
    )
    known = {entry.id for entry in entries}
    unknown = sorted({q.expect for q in questions if q.expect is not None and q.expect not in known})
    if unknown:
        print(f"note: {len(unknown)} expected ids are not in the knowledge base: {', '.join(unknown)}")

    matcher_run, results = run_matcher(entries, questions, args.repeat)
    runs = [matcher_run]
    notes: list[str] = []
    if args.baselines:
        runs.append(
            run_ranker(
                "rapidfuzz WRatio (extractOne)", lambda: wratio_ranker(entries), questions, args.repeat, ".1f"
            )
        )
        notes.append(
            "rapidfuzz: extractOne over every question and alias with processor=utils.default_process "
            "(lower-cases and strips punctuation, which helps it)"
        )
        if importlib.util.find_spec("rank_bm25") is None:
            notes.append("BM25 baseline skipped: `.venv/bin/pip install -e '.[bench]'` installs rank-bm25")
        else:
            runs.append(
                run_ranker(
                    "BM25 (rank-bm25 Okapi)", lambda: bm25_ranker(entries), questions, args.repeat, ".2f"
                )
            )
            notes.append(
                "BM25: one document per entry = question + aliases + keywords + answer, [a-z0-9]+ tokens"
            )
        if not args.semantic:
            notes.append("semantic baseline skipped (--no-semantic)")
        elif (encoder := load_encoder(enabled=True)) is None:
            notes.append(f"semantic baseline skipped: {unavailable_reason()}")
        else:
            notes.append(f"semantic: {encoder.model_id}, connectsbot.semantic (numpy, one BLAS thread)")
            build = semantic_ranker(encoder, entries)
            runs.append(run_ranker("MiniLM-L6 cosine (semantic)", build, questions, args.repeat, ".3f"))
        notes.append("baselines' cutoffs are tuned on this same question set to maximise their accuracy")

    base = matcher_run.timing
    rows = []
    for run in runs:
        measured = quality(run.answers, questions)
        rows.append(
            [
                run.name,
                pct(measured.accuracy),
                pct(measured.in_scope),
                pct(measured.declined),
                pct(measured.wrong_confident),
                ms(run.timing.median_ms),
                ms(run.timing.p99_ms),
                f"x{run.timing.median_ms / base.median_ms:.1f}",
                f"x{run.timing.p99_ms / base.p99_ms:.1f}",
                f"{1000 * run.build_s:.1f}",
                run.decision_rule,
            ]
        )
    headers = [
        "method",
        "accuracy",
        "in-scope",
        "oos declined",
        "wrong-conf",
        "median ms",
        "p99 ms",
        "median/M",
        "p99/M",
        "build ms",
        "answers when",
    ]
    print(render_table(headers, rows))
    print(
        f"(M = connectsbot Matcher; {args.repeat} timed pass(es) after a warm-up, each question timed alone; "
        f"target: Matcher median <= {TARGET_MEDIAN_SHIPPED_MS} ms -> "
        f"{verdict(base.median_ms, TARGET_MEDIAN_SHIPPED_MS)})"
    )
    for note in notes:
        print(f"- {note}")

    suggested = [(r, q) for r, q in zip(results, questions, strict=True) if r.decision == "suggest"]
    listed = sum(
        q.expect is not None and any(c.entry_id == q.expect for c in r.suggestions) for r, q in suggested
    )
    answered = sum(r.decision == "answer" for r in results)
    nones = sum(r.decision == "none" for r in results)
    print(
        f"- Matcher decisions: {answered} answer, {len(suggested)} suggest "
        f"({listed} of them list the right entry), {nones} none"
    )
    mistakes = [
        (r, q)
        for r, q in zip(results, questions, strict=True)
        if r.decision == "answer" and r.entry_id != q.expect
    ]
    for r, q in mistakes:
        print(f"  wrong answer: {q.q[:70]!r} -> {r.entry_id} (expected {q.expect}, score {r.score:.0f})")
    print(f"- Matcher {matcher_run.timing.gc_summary()}; slowest questions:")
    for line in describe_slowest(matcher_run.timing):
        print(f"  {line}")
    return matcher_run, results


# ---------------------------------------------------------------------------------------- part 2


@dataclass
class ScalePoint:
    size: int
    build_s: float
    timing: Timing
    public: Quality
    oos_to_real: int
    oos_to_synthetic: int
    synthetic_right: float
    public_top1: float  # in-scope public questions whose best candidate is the right entry
    synthetic_top1: float
    rss_delta_mb: float | None = None
    traced_peak_mb: float | None = None
    traced_retained_mb: float | None = None


def best_entry(result: MatchResult) -> str | None:
    return result.best.entry_id if result.best is not None else None


def top1(results: Sequence[MatchResult], expected: Sequence[str | None]) -> float:
    """Share of the questions with an expected entry whose best-ranked candidate is that entry,
    whatever the decision (a "suggest" because of a near-duplicate still ranks it first)."""
    pairs = [(best_entry(r), e) for r, e in zip(results, expected, strict=True) if e is not None]
    return sum(best == e for best, e in pairs) / len(pairs) if pairs else math.nan


def traced_build(entries: Sequence[Entry]) -> tuple[float, float]:
    """Build a matcher under tracemalloc: peak and retained (while the matcher lives) MB."""
    gc.collect()
    tracemalloc.start()
    try:
        matcher = Matcher(entries)
        current, peak = tracemalloc.get_traced_memory()
        del matcher
    finally:
        tracemalloc.stop()
    return peak / 2**20, current / 2**20


def scale_point(
    entries: Sequence[Entry],
    real_ids: frozenset[str],
    questions: Sequence[Question],
    args: argparse.Namespace,
) -> ScalePoint:
    """Build (timed, and RSS measured) and time the Matcher over `entries`; score its answers."""
    synthetic = synthetic_questions(entries, args.synthetic_questions, args.seed)
    texts = [q.q for q in questions] + [s.q for s in synthetic]

    gc.collect()
    rss_before = rss_mb()
    start = time.perf_counter()
    matcher = Matcher(entries)
    build_s = time.perf_counter() - start
    rss_after = rss_mb()
    results, timing = time_calls(matcher.match, texts, args.repeat)
    del matcher

    answers = [matcher_answer(r) for r in results]
    public_answers = answers[: len(questions)]
    out_of_scope = [
        a for a, q in zip(public_answers, questions, strict=True) if q.expect is None and a is not None
    ]
    synthetic_answers = answers[len(questions) :]
    synthetic_right = sum(a == s.expect for a, s in zip(synthetic_answers, synthetic, strict=True))
    point = ScalePoint(
        size=len(entries),
        build_s=build_s,
        timing=timing,
        public=quality(public_answers, questions),
        oos_to_real=sum(a in real_ids for a in out_of_scope),
        oos_to_synthetic=sum(a not in real_ids for a in out_of_scope),
        synthetic_right=synthetic_right / len(synthetic) if synthetic else math.nan,
        public_top1=top1(results[: len(questions)], [q.expect for q in questions]),
        synthetic_top1=top1(results[len(questions) :], [s.expect for s in synthetic]),
    )
    if rss_before is not None and rss_after is not None:
        point.rss_delta_mb = rss_after - rss_before
    return point


def scale(
    real: Sequence[Entry],
    questions: Sequence[Question],
    shipped: MethodRun,
    shipped_results: Sequence[MatchResult],
    args: argparse.Namespace,
) -> list[ScalePoint]:
    sizes = sorted(args.sizes)
    banner(f"2. Scale: the Matcher on synthetic knowledge bases holding the {len(real)} real entries")
    start = time.perf_counter()
    pool = synthetic_entries(max(sizes) - len(real), args.seed)
    elapsed = time.perf_counter() - start
    vocabulary = {
        word for entry in pool for text in (entry.question, *entry.aliases) for word in tokens(text)
    }
    print(
        f"generated {len(pool)} synthetic entries in {elapsed:.1f} s (seed {args.seed}), "
        f"{len(vocabulary)} distinct words in their questions and aliases;\n"
        f"questions: the {len(questions)} public + {args.synthetic_questions} synthetic rewordings per size"
    )

    shipped_point = ScalePoint(
        size=len(real),
        build_s=shipped.build_s,
        timing=shipped.timing,
        public=quality(shipped.answers, questions),
        oos_to_real=sum(
            q.expect is None and a is not None for a, q in zip(shipped.answers, questions, strict=True)
        ),
        oos_to_synthetic=0,
        synthetic_right=math.nan,
        public_top1=top1(shipped_results, [q.expect for q in questions]),
        synthetic_top1=math.nan,
    )
    points = [shipped_point]
    real_ids = frozenset(entry.id for entry in real)
    for size in sizes:
        entries = knowledge_base(size, real, pool, args.seed)
        print(f"  {size:>7,} entries: build and time ...", end="", flush=True)
        point = scale_point(entries, real_ids, questions, args)
        timing = point.timing
        print(
            f" build {point.build_s:.2f} s, median {timing.median_ms:.3f} ms, p99 {timing.p99_ms:.2f} ms",
            end="" if args.memory else "\n",
            flush=True,
        )
        if args.memory:
            point.traced_peak_mb, point.traced_retained_mb = traced_build(entries)
            print(f"; traced build: peak {point.traced_peak_mb:.0f} MB")
        print(f"      {timing.gc_summary()}; slowest questions:")
        for line in describe_slowest(timing):
            print(f"      {line}")
        points.append(point)
        del entries
        gc.collect()

    print()
    perf_rows = []
    for point in points:
        shipped_row = point is shipped_point
        median_target = TARGET_MEDIAN_SHIPPED_MS if shipped_row else None
        perf_rows.append(
            [
                f"{point.size:,}" + (" (shipped)" if shipped_row else ""),
                f"{point.build_s:.3f}",
                target_cell(point.build_s, TARGET_BUILD_S.get(point.size), "< s"),
                ms(point.timing.median_ms),
                target_cell(point.timing.median_ms, median_target, "<= ms"),
                ms(point.timing.p99_ms),
                target_cell(point.timing.p99_ms, TARGET_P99_MS.get(point.size), "<= ms"),
                ms(point.timing.p99_best_ms),
                "n/a" if point.traced_peak_mb is None else f"{point.traced_peak_mb:.1f}",
                "n/a" if point.traced_retained_mb is None else f"{point.traced_retained_mb:.1f}",
                "n/a" if point.rss_delta_mb is None else f"{point.rss_delta_mb:.1f}",
            ]
        )
    print(
        render_table(
            [
                "entries",
                "build s",
                "build target",
                "median ms",
                "median target",
                "p99 ms",
                "p99 target",
                "p99 best pass",
                "peak MB",
                "kept MB",
                "RSS +MB",
            ],
            perf_rows,
        )
    )
    print(
        "- latency: every public + synthetic question timed alone, "
        f"{args.repeat} pass(es) after a warm-up (shipped row: public questions only); p99 best pass: "
        "p99 over each question's fastest pass, which discounts time stolen by other processes\n"
        "- peak MB / kept MB: tracemalloc, during a second build of the same index: the peak while "
        "building and what the built Matcher keeps (Python allocations only, the entries excluded)\n"
        "- RSS +MB: /proc/self/status VmRSS before -> after the first (untraced) build; freed memory is "
        "reused, so it can read low after a larger build"
    )

    print()
    quality_rows = []
    for point in points:
        quality_rows.append(
            [
                f"{point.size:,}",
                pct(point.public.accuracy),
                pct(point.public.in_scope),
                pct(point.public_top1),
                pct(point.public.wrong_confident),
                str(point.oos_to_real),
                str(point.oos_to_synthetic),
                pct(point.synthetic_right),
                pct(point.synthetic_top1),
            ]
        )
    print(
        render_table(
            [
                "entries",
                "public acc",
                "in-scope",
                "in-scope top-1",
                "wrong-conf",
                "oos -> real",
                "oos -> synthetic",
                "synthetic acc",
                "synthetic top-1",
            ],
            quality_rows,
        )
    )
    print(
        "- public acc / wrong-conf: strict, as in table 1 (an answer from a synthetic entry to an "
        "out-of-scope question counts as wrong, though a big KB may really cover it: see the split)\n"
        "- oos -> real / synthetic: out-of-scope public questions answered with a real / a synthetic entry\n"
        "- synthetic acc: casual rewordings of synthetic entries' questions answered with that entry\n"
        "- top-1: the right entry ranked first whatever the decision; top-1 well above acc means the "
        "matcher ranks right but declines to answer outright (near-duplicate entries: suggest)"
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
    latency.plot(sizes, [p.timing.median_ms for p in points], "o-", label="median")
    latency.plot(sizes, [p.timing.p99_ms for p in points], "s-", label="p99")
    latency.plot(
        list(TARGET_P99_MS),
        list(TARGET_P99_MS.values()),
        "rv",
        markersize=9,
        label="p99 target (upper bound)",
    )
    latency.plot(
        [sizes[0]],
        [TARGET_MEDIAN_SHIPPED_MS],
        "r1",
        markersize=14,
        markeredgewidth=2,
        label="median target, shipped KB",
    )
    latency.set(
        xscale="log", yscale="log", xlabel="entries", ylabel="ms per question", title="Matcher latency"
    )
    latency.grid(True, which="both", alpha=0.3)
    latency.legend()
    build.plot(sizes, [p.build_s for p in points], "o-", label="index build")
    build.plot(
        list(TARGET_BUILD_S), list(TARGET_BUILD_S.values()), "rv", markersize=9, label="target (upper bound)"
    )
    build.set(xscale="log", yscale="log", xlabel="entries", ylabel="seconds", title="Matcher build time")
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
        "--questions", type=Path, default=DEFAULT_QUESTIONS, help="questions.jsonl: {q, expect}"
    )
    parser.add_argument("--knowledge", type=Path, default=DEFAULT_KNOWLEDGE, help="knowledge folder")
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(size) for size in text.split(",") if size.strip()],
        help="synthetic KB sizes, comma-separated (default 1000,10000,100000; --quick: 300,2000)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: small sizes, one timed pass")
    parser.add_argument("--no-baselines", dest="baselines", action="store_false", help="the Matcher only")
    parser.add_argument(
        "--no-semantic", dest="semantic", action="store_false", help="skip the MiniLM baseline"
    )
    parser.add_argument(
        "--no-memory", dest="memory", action="store_false", help="skip the tracemalloc builds"
    )
    parser.add_argument(
        "--chart", type=Path, help=f"write the scale chart here (default {DEFAULT_CHART}; --quick: none)"
    )
    parser.add_argument("--no-chart", action="store_true", help="do not write a chart")
    parser.add_argument("--repeat", type=int, help="timed passes over the questions (default 3; --quick: 1)")
    parser.add_argument("--synthetic-questions", type=int, help="synthetic questions per size (default 100)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="synthetic generation seed")
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.synthetic_questions is None:
        args.synthetic_questions = 30 if args.quick else 100
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
    if not args.questions.is_file():
        raise SystemExit(f"questions file not found: {args.questions} (pass --questions PATH)")
    questions = load_questions(args.questions)
    real = load_entries(args.knowledge)
    too_small = [size for size in args.sizes if size < len(real)]
    if too_small:
        raise SystemExit(f"--sizes {too_small} are smaller than the {len(real)} real entries")

    print(f"connectsbot matcher benchmark — {time.strftime('%Y-%m-%d %H:%M')}")
    print(
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, {cpu_name()}; "
        f"{pinned}; gc {'on' if gc.isenabled() else 'off'}"
    )
    print(f"questions: {args.questions}; knowledge: {args.knowledge}; {load_average()}")

    shipped, results = compare(real, questions, args)
    points = scale(real, questions, shipped, results, args)
    if args.chart is not None:
        chart(points, args.chart)
    print(f"\nfinished; {load_average()} (other work on the machine skews the latencies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
