"""bench/bench_load.py still runs: one low rate for half a second, the real bot in its own process against
the fake Discord on 127.0.0.1 (about 4 s). The benchmark itself is run by hand (bench/README.md)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.helpers import REPO


def test_a_quick_run_prints_the_table_and_the_bot_answers_everything(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location("bench_load", REPO / "bench" / "bench_load.py")
    assert spec is not None and spec.loader is not None
    bench_load = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_load", bench_load)  # its dataclasses look themselves up there
    spec.loader.exec_module(bench_load)

    options = ["--quick", "--rates", "20", "--seconds", "0.5", "--no-floor", "--no-pin", "--think", "0.2"]
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
    spec = importlib.util.spec_from_file_location("bench_load", REPO / "bench" / "bench_load.py")
    assert spec is not None and spec.loader is not None
    bench_load = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_load", bench_load)
    spec.loader.exec_module(bench_load)

    question = "Do my Connects roll over to next month?"
    texts = [bench_load.distinct_case(question, n) for n in range(200)]
    assert len(set(texts)) == 200
    assert {text.lower() for text in texts} == {question.lower()}
