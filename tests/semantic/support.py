"""A fake encoder for the cache and batcher tests: deterministic vectors, and a record of every call."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence

import numpy as np

from connectsbot.semantic import Vectors


class FakeEncoder:
    def __init__(self, model_id: str = "fake@000000000000", dim: int = 8) -> None:
        self.model_id = model_id
        self.dim = dim
        self.words: frozenset[str] = frozenset()
        self.calls: list[list[str]] = []
        self.threads: list[int] = []
        self.started = threading.Event()  # set when a call begins
        self.release = threading.Event()  # calls wait for it (set it up front for no waiting)
        self.release.set()
        self.fail: Exception | None = None

    def vector(self, text: str) -> Vectors:
        seed = int.from_bytes(hashlib.sha256(f"{self.model_id}|{text}".encode()).digest()[:4], "little")
        raw = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        unit: Vectors = raw / np.linalg.norm(raw)
        return unit

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(list(texts))
        self.threads.append(threading.get_ident())
        self.started.set()
        self.release.wait(timeout=10)
        if self.fail is not None:
            raise self.fail
        return (
            np.stack([self.vector(text) for text in texts]) if texts else np.zeros((0, self.dim), np.float32)
        )
