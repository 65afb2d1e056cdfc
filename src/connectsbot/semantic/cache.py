"""Vectors of entry texts, encoded once: a process memo in front of the store's `text_vectors` table.

Keys are (encoder model_id, sha256 of the text). The model_id carries a hash of the weights, so another
model never reads the old model's vectors. A start, or a knowledge-base change, encodes only the texts
that neither the memo nor the store has, and stores those for the next start.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from connectsbot.recent import Recent
from connectsbot.semantic.encoder import Encoder, Vectors
from connectsbot.store import KnowledgeStore, StoreUnavailable

log = logging.getLogger(__name__)

# Vectors kept in the process (about 1.5 kB each): every answer service of a process, and every test of the
# suite, reuses them instead of reading the store or encoding again.
MEMO_SIZE = 20_000
_memo: Recent[tuple[str, str], Vectors] = Recent(MEMO_SIZE)


@dataclass(frozen=True)
class CachedVectors:
    """Vectors of the requested texts, in order, and where they came from (counts of distinct texts)."""

    vectors: Vectors  # float32 (len(texts), dim), L2-normalised
    from_memo: int
    from_store: int
    encoded: int


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _to_bytes(vector: Vectors) -> bytes:
    return vector.astype("<f4").tobytes()


def _from_bytes(blob: bytes, dim: int) -> Vectors | None:
    """The stored vector, or None when it does not have the encoder's size (then it is encoded again)."""
    if len(blob) != 4 * dim:
        return None
    vector = np.frombuffer(blob, dtype="<f4").astype(np.float32)
    vector.setflags(write=False)
    return vector


def forget_memo() -> None:
    """Empty the process memo (tests, and benchmarks of a cold start)."""
    _memo.clear()


async def encode_cached(
    store: KnowledgeStore | None, encoder: Encoder, texts: Sequence[str]
) -> CachedVectors:
    """Vectors of `texts`: from the memo, else the store, else encoded in a worker thread (and then
    stored in one transaction). Without a store only the memo is used. A database that refuses the
    write costs only the next start's encoding: the vectors are returned all the same."""
    model_id, dim = encoder.model_id, encoder.dim
    digests = [text_digest(text) for text in texts]
    found: dict[str, Vectors] = {}
    for digest in digests:
        vector = _memo.get((model_id, digest))
        if vector is not None:
            found[digest] = vector
    from_memo = len(found)

    wanted = [digest for digest in dict.fromkeys(digests) if digest not in found]
    from_store = 0
    if store is not None and wanted:
        for digest, blob in (await store.text_vectors(model_id, wanted)).items():
            stored = _from_bytes(blob, dim)
            if stored is not None:
                found[digest] = stored
                _memo.put((model_id, digest), stored)
                from_store += 1

    missing = {digest: text for digest, text in zip(digests, texts, strict=True) if digest not in found}
    if missing:
        encoded = await asyncio.to_thread(encoder.encode, list(missing.values()))
        encoded.setflags(write=False)
        fresh = dict(zip(missing, encoded, strict=True))
        for digest, vector in fresh.items():
            found[digest] = vector
            _memo.put((model_id, digest), vector)
        if store is not None:
            try:
                await store.put_text_vectors(model_id, {d: _to_bytes(v) for d, v in fresh.items()})
            except StoreUnavailable as error:
                log.warning(
                    "%d text vector(s) not cached (%s): encoded again next start", len(fresh), error.problem
                )

    vectors = np.zeros((len(texts), dim), dtype=np.float32)
    for row, digest in enumerate(digests):
        vectors[row] = found[digest]
    return CachedVectors(vectors=vectors, from_memo=from_memo, from_store=from_store, encoded=len(missing))
