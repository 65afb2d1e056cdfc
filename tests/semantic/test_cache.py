"""Entry-text vectors are encoded once: the process memo, then the store, then the encoder."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import numpy as np
import pytest

from connectsbot.semantic import encode_cached, forget_memo, text_digest
from connectsbot.store import KnowledgeStore, StoreUnavailable
from tests.helpers import OpenStore
from tests.semantic.support import FakeEncoder

TEXTS = ["Do unused Connects roll over?", "how many connects per proposal", "can i share my email"]


@pytest.fixture
def encoder() -> FakeEncoder:
    # A model id of its own: the process memo is shared with every other test.
    return FakeEncoder(model_id=f"fake@{uuid.uuid4().hex[:12]}")


async def test_miss_then_store_then_memo(store: KnowledgeStore, encoder: FakeEncoder) -> None:
    first = await encode_cached(store, encoder, TEXTS)
    assert (first.from_memo, first.from_store, first.encoded) == (0, 0, 3)
    np.testing.assert_array_equal(first.vectors, np.stack([encoder.vector(t) for t in TEXTS]))

    forget_memo()  # a new process: the store has them
    second = await encode_cached(store, encoder, TEXTS)
    assert (second.from_memo, second.from_store, second.encoded) == (0, 3, 0)
    third = await encode_cached(store, encoder, TEXTS)
    assert (third.from_memo, third.from_store, third.encoded) == (3, 0, 0)
    np.testing.assert_array_equal(second.vectors, first.vectors)
    np.testing.assert_array_equal(third.vectors, first.vectors)
    assert encoder.calls == [TEXTS]


async def test_a_change_encodes_only_new_texts(store: KnowledgeStore, encoder: FakeEncoder) -> None:
    await encode_cached(store, encoder, TEXTS)
    changed = [*TEXTS[:2], "a new alias", TEXTS[0]]  # one edited, one repeated
    result = await encode_cached(store, encoder, changed)
    assert (result.from_memo, result.encoded) == (2, 1)
    assert encoder.calls[-1] == ["a new alias"]
    np.testing.assert_array_equal(result.vectors[3], result.vectors[0])


async def test_another_model_does_not_read_the_old_vectors(
    store: KnowledgeStore, encoder: FakeEncoder
) -> None:
    await encode_cached(store, encoder, TEXTS)
    other = FakeEncoder(model_id=f"fake@{uuid.uuid4().hex[:12]}")
    forget_memo()
    result = await encode_cached(store, other, TEXTS)
    assert (result.from_store, result.encoded) == (0, 3)
    np.testing.assert_array_equal(result.vectors[0], other.vector(TEXTS[0]))
    assert not np.array_equal(result.vectors[0], encoder.vector(TEXTS[0]))


async def test_vectors_survive_a_restart(open_store: OpenStore, encoder: FakeEncoder) -> None:
    async with await open_store() as store:
        await encode_cached(store, encoder, TEXTS)
    forget_memo()
    async with await open_store() as store:
        result = await encode_cached(store, encoder, TEXTS)
    assert (result.from_store, result.encoded) == (3, 0)


async def test_a_stored_vector_of_the_wrong_size_is_encoded_again(
    store: KnowledgeStore, encoder: FakeEncoder
) -> None:
    await store.put_text_vectors(encoder.model_id, {text_digest(TEXTS[0]): b"\x00" * 12})
    result = await encode_cached(store, encoder, TEXTS[:1])
    assert (result.from_store, result.encoded) == (0, 1)
    np.testing.assert_array_equal(result.vectors[0], encoder.vector(TEXTS[0]))


async def test_a_full_disk_only_costs_the_cache(
    store: KnowledgeStore,
    encoder: FakeEncoder,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def refuse(*_: object) -> None:
        raise StoreUnavailable("the disk is full", "sqlite3.OperationalError: database or disk is full")

    monkeypatch.setattr(store, "put_text_vectors", refuse)
    result = await encode_cached(store, encoder, TEXTS)
    assert result.encoded == 3 and result.vectors.shape == (3, 8)
    assert "3 text vector(s) not cached (the disk is full)" in caplog.text


async def test_without_a_store_the_memo_still_serves(encoder: FakeEncoder) -> None:
    await encode_cached(None, encoder, TEXTS)
    again = await encode_cached(None, encoder, TEXTS)
    assert (again.from_memo, again.encoded) == (3, 0)
    assert (await encode_cached(None, encoder, [])).vectors.shape == (0, 8)


async def test_store_reads_and_writes_many_in_chunks(store: KnowledgeStore) -> None:
    vectors = {text_digest(str(i)): bytes([i % 256]) * 4 for i in range(1_200)}
    await store.put_text_vectors("m@1", vectors)
    assert await store.text_vectors("m@1", list(vectors)) == vectors
    assert await store.text_vectors("m@2", list(vectors)) == {}
    assert await store.text_vectors("m@1", []) == {}


async def test_a_v2_database_gets_the_vector_table(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    migrations = Path(__file__).parents[2] / "src/connectsbot/store/migrations/sqlite"
    with sqlite3.connect(path) as db:
        db.executescript((migrations / "V1__initial.sql").read_text(encoding="utf-8"))
        db.executescript((migrations / "V2__feedback.sql").read_text(encoding="utf-8"))
        db.execute("PRAGMA user_version = 2")
    async with await KnowledgeStore.open(path) as store:
        await store.put_text_vectors("m@1", {"d": b"1234"})
        assert await store.text_vectors("m@1", ["d"]) == {"d": b"1234"}
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 3
