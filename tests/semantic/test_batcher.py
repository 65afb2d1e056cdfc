"""Questions are encoded on a worker thread, concurrent ones together, recent ones remembered."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from connectsbot.semantic import AsyncEncoder
from tests.semantic.support import FakeEncoder


async def _hold_first_batch(encoder: FakeEncoder, batcher: AsyncEncoder, text: str) -> asyncio.Task[object]:
    """Start encoding `text` and wait until the worker thread is inside the encoder, held there."""
    encoder.release.clear()
    first = asyncio.create_task(batcher.encode(text))
    assert await asyncio.to_thread(encoder.started.wait, 5)
    return first


async def test_requests_arriving_during_a_batch_go_together_into_the_next() -> None:
    encoder = FakeEncoder()
    batcher = AsyncEncoder(encoder)
    first = await _hold_first_batch(encoder, batcher, "q0")
    waiting = [asyncio.create_task(batcher.encode(f"q{i}")) for i in range(1, 6)]
    await asyncio.sleep(0.05)
    assert encoder.calls == [["q0"]]  # nothing else started while the first batch runs
    encoder.release.set()
    vectors = await asyncio.gather(first, *waiting)
    assert encoder.calls == [["q0"], ["q1", "q2", "q3", "q4", "q5"]]
    assert batcher.batches == 2
    for i, vector in enumerate(vectors):
        np.testing.assert_array_equal(vector, encoder.vector(f"q{i}"))


async def test_encoding_never_runs_on_the_event_loop_thread() -> None:
    encoder = FakeEncoder()
    batcher = AsyncEncoder(encoder)
    await batcher.encode_many([f"question {i}" for i in range(10)])
    await batcher.encode("one more")
    assert encoder.threads and threading.get_ident() not in encoder.threads


async def test_batches_are_capped_and_duplicates_encoded_once() -> None:
    encoder = FakeEncoder()
    batcher = AsyncEncoder(encoder, max_batch=4)
    first = await _hold_first_batch(encoder, batcher, "start")
    texts = [f"t{i % 5}" for i in range(10)]  # five distinct texts, twice each
    rest = asyncio.create_task(batcher.encode_many(texts))
    await asyncio.sleep(0.05)
    encoder.release.set()
    await first
    result = await rest
    assert result.shape == (10, encoder.dim)
    assert all(len(call) <= 4 for call in encoder.calls)
    assert sorted(t for call in encoder.calls[1:] for t in call) == sorted({*texts})  # each once
    np.testing.assert_array_equal(result[7], encoder.vector("t2"))


async def test_recent_questions_are_not_encoded_again() -> None:
    encoder = FakeEncoder()
    batcher = AsyncEncoder(encoder, cache_size=2)
    a = await batcher.encode("a")
    assert await batcher.encode("a") is a
    await batcher.encode("b")
    await batcher.encode("c")  # "a" is the least recent of three: forgotten
    await batcher.encode("a")
    assert encoder.calls == [["a"], ["b"], ["c"], ["a"]]
    assert not a.flags.writeable  # shared between callers, so nobody may change it


async def test_a_failed_batch_fails_its_callers_only(caplog: pytest.LogCaptureFixture) -> None:
    encoder = FakeEncoder()
    batcher = AsyncEncoder(encoder)
    encoder.fail = RuntimeError("boom")
    results = await asyncio.gather(batcher.encode("x"), batcher.encode("y"), return_exceptions=True)
    assert [str(r) for r in results] == ["boom", "boom"]
    assert "encoding 2 text(s) failed" in caplog.text
    caplog.clear()
    encoder.fail = None
    np.testing.assert_array_equal(await batcher.encode("x"), encoder.vector("x"))


async def test_a_caller_that_gives_up_does_not_cancel_the_others() -> None:
    encoder = FakeEncoder()
    batcher = AsyncEncoder(encoder)
    first = await _hold_first_batch(encoder, batcher, "slow")
    impatient = asyncio.create_task(asyncio.wait_for(batcher.encode("next"), 0.01))
    patient = asyncio.create_task(batcher.encode("next"))
    with pytest.raises(TimeoutError):
        await impatient
    encoder.release.set()
    np.testing.assert_array_equal(await patient, encoder.vector("next"))
    await first
