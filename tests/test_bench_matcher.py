"""Pieces of bench/bench_matcher.py that decide what its tables say (the benchmark itself is run by
hand, bench/README.md): the scoring of outcomes, the cutoff tuned for baselines, and the encoder that
bounds cold encoding on synthetic knowledge bases."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

import numpy as np
import pytest

from tests.helpers import REPO


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(REPO / "bench"))  # it imports synthetic.py from beside it
    spec = importlib.util.spec_from_file_location("bench_matcher", REPO / "bench" / "bench_matcher.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_matcher", module)  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


class CountingEncoder:
    """A fake encoder: a text's vector is one-hot on its length; it remembers what it encoded."""

    model_id = "fake"
    dim = 64
    words: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.seen += texts
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            vectors[row, len(text) % self.dim] = 1.0
        return vectors


def test_quality_counts_answers_wrong_answers_and_what_the_member_is_shown(bench: ModuleType) -> None:
    Q, Out = bench.Question, bench.Outcome
    questions = [Q("a", "x"), Q("b", "y"), Q("c", None), Q("d", "z")]
    outcomes = [
        Out("x", "x", ()),  # right
        Out(None, "w", ("w", "y")),  # suggested, the right one second
        Out("x", "x", ()),  # out of scope answered: wrong
        Out("w", "w", ()),  # wrong answer
    ]
    q = bench.quality(outcomes, questions)
    assert q.accuracy == 0.25 and q.wrong_confident == 0.5
    assert q.top1 == pytest.approx(1 / 3) and q.top3 == pytest.approx(2 / 3)
    assert q.declined == 0.0 and q.in_scope == pytest.approx(1 / 3)


def test_the_tuned_cutoff_answers_only_above_it(bench: ModuleType) -> None:
    Q, R = bench.Question, bench.Ranked
    questions = [Q("a", "x"), Q("b", None), Q("c", "y")]
    ranked = [R(("x", "y"), 0.9), R(("x",), 0.5), R(("y",), 0.7)]
    cutoff, outcomes = bench.tune_cutoff(ranked, questions)
    assert cutoff == 0.7
    assert [o.answer for o in outcomes] == ["x", None, "y"]
    assert outcomes[0].shown == ("x", "y")


def test_the_budget_encoder_encodes_one_text_per_synthetic_entry_and_borrows_past_the_budget(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "ENCODE_CHUNK", 2)
    inner = CountingEncoder()
    synthetic = {"q1": "q1", "alias of 1": "q1", "q2": "q2", "q3": "q3", "q4": "q4"}
    proxy = bench.BudgetEncoder(inner, synthetic, budget_s=0.0)
    vectors = proxy.encode(["real question", "q1", "alias of 1", "q2", "q3", "q4"])
    # The real text in full; synthetic ones by their entry's question, one chunk (the budget is spent
    # at once, but borrowing needs encoded vectors), the rest borrowed.
    assert inner.seen == ["real question", "q1", "q2"]
    assert np.array_equal(vectors[1], vectors[2])  # the alias has its question's vector
    assert proxy.borrowed == 2 and proxy.synthetic_encoded == 2
    assert all(any(np.array_equal(v, e) for e in vectors[1:4]) for v in vectors[4:])
    assert proxy.extrapolated_s() == pytest.approx(proxy.synthetic_seconds)  # 2 borrowed at the rate of 2


def test_synthetic_texts_are_every_text_of_the_synthetic_entries_only(bench: ModuleType) -> None:
    entries = bench.synthetic_entries(3)
    real = entries[0]
    texts = bench.synthetic_texts(entries, frozenset({real.id}))
    assert real.question not in texts
    for entry in entries[1:]:
        for text in (entry.question, *entry.aliases):
            assert texts[text] in {e.question for e in entries[1:]}
