"""bench/bench_load.py still runs: one low rate for half a second, the real bot in its own process against
the fake Discord on 127.0.0.1 (about 4 s); and with --processes 2, one process then two on a PostgreSQL
schema of the test's own, then the change propagation (about 30 s). The benchmark itself is run by hand
(bench/README.md)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers import REPO, postgresql_schema


def load_bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_load", REPO / "bench" / "bench_load.py")
    assert spec is not None and spec.loader is not None
    bench_load = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_load", bench_load)  # its dataclasses look themselves up there
    spec.loader.exec_module(bench_load)
    return bench_load


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the runs' logs and the template database (imported and encoded once: the next run
    opens it as it is)."""
    return tmp_path_factory.mktemp("bench-load")


def test_a_quick_run_prints_the_table_and_the_bot_answers_everything(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, work_dir: Path
) -> None:
    bench_load = load_bench(monkeypatch)
    options = ["--quick", "--rates", "20", "--seconds", "0.5", "--no-floor", "--no-pin", "--think", "0.2"]
    options += ["--logs", str(work_dir)]
    assert bench_load.main(options) == 0

    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("offered/s  sent/s"))
    for column in ("events", "answered", "late", "dropped", "p50 ms", "p99 ms", "max ms", "RSS MB"):
        assert column in header
    row = lines[lines.index(header) + 1].split()
    events, answered, late, dropped = (int(v) for v in row[2:6])
    # Every event answered; how fast is not checked here (a busy machine can stall it for seconds).
    assert row[0] == "20" and events >= 10 and answered + late == events and dropped == 0, out
    assert "Matcher alone" in out and "Knee (" in out
    assert "ERROR" not in out, out


def test_distinct_case_gives_each_event_its_own_text_and_keeps_the_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bench_load = load_bench(monkeypatch)
    question = "Do my Connects roll over to next month?"
    texts = [bench_load.distinct_case(question, n) for n in range(200)]
    assert len(set(texts)) == 200
    assert {text.lower() for text in texts} == {question.lower()}


async def test_two_processes_are_compared_with_one_and_a_change_reaches_the_other_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, work_dir: Path
) -> None:
    bench_load = load_bench(monkeypatch)
    async with postgresql_schema() as url:
        options = ["--processes", "2", "--quick", "--rates", "20", "--seconds", "0.5", "--no-floor"]
        options += ["--no-pin", "--think", "0.2", "--changes", "2", "--database-url", url]
        await bench_load.bench(bench_load.parse_args(options), work_dir)

    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "Store: PostgreSQL" in out and "=== 1 process ===" in out and "=== 2 processes ===" in out
    # The comparison: one row at the rate offered, both configurations' columns filled in.
    header = next(line for line in lines if line.lstrip().startswith("offered/s  answered"))
    assert header.count("answered") == 2 and header.count("bot CPU") == 2
    row = lines[lines.index(header) + 1].split()
    assert row[0] == "20" and len(row) == 1 + 7 + 9, out  # the 2-process bot CPU is "a% + b%"
    one, two = [int(v) for v in row[1:4]], [int(v) for v in row[8:11]]
    # Every event answered (in time or late) in both; how fast is not checked (a busy machine stalls).
    assert one[2] == 0 and two[2] == 0 and one[0] + one[1] == two[0] + two[1] >= 10, out
    assert "Ratio of the knees, 2 processes ÷ 1" in out
    propagation = lines[
        lines.index(next(line for line in lines if line.startswith("Change propagation"))) + 1
    ]
    assert propagation.lstrip().startswith("all: 2 changes: p50") and "p99" in propagation, out
    assert "ERROR" not in out and "problem:" not in out, out
