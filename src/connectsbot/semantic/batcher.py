"""Encoding questions from async code: in a worker thread, concurrent questions batched together."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from connectsbot.semantic.encoder import DEFAULT_BATCH_SIZE, Encoder, Vectors

log = logging.getLogger(__name__)

QUESTION_CACHE_SIZE = 1024


@dataclass
class _Request:
    text: str
    vector: asyncio.Future[Vectors]


class AsyncEncoder:
    """Encodes on a worker thread, never on the event loop.

    The first question starts a batch at once; questions that arrive while a batch is being encoded
    wait and go together into the next one (up to `max_batch`), so a burst of questions costs a few
    forward passes instead of one each. Recent questions' vectors are kept in a small LRU.
    """

    def __init__(
        self, encoder: Encoder, max_batch: int = DEFAULT_BATCH_SIZE, cache_size: int = QUESTION_CACHE_SIZE
    ) -> None:
        self.encoder = encoder
        self.max_batch = max_batch
        self.cache_size = cache_size
        self._recent: OrderedDict[str, Vectors] = OrderedDict()
        self._pending: list[_Request] = []
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0  # forward passes run, for tests and statistics

    @property
    def model_id(self) -> str:
        return self.encoder.model_id

    @property
    def dim(self) -> int:
        return self.encoder.dim

    async def encode(self, text: str) -> Vectors:
        """One text's L2-normalised vector, float32 (dim,)."""
        cached = self._recent.get(text)
        if cached is not None:
            self._recent.move_to_end(text)
            return cached
        request = _Request(text, asyncio.get_running_loop().create_future())
        # A failure whose caller stopped waiting is already logged here: asyncio need not report it again.
        request.vector.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._pending.append(request)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        # Shielded: a caller that gives up (a timeout) must not cancel the batch other callers share.
        return await asyncio.shield(request.vector)

    async def encode_many(self, texts: Sequence[str]) -> Vectors:
        """Vectors for several texts (n, dim), batched with whatever else is waiting."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack(await asyncio.gather(*(self.encode(text) for text in texts)))

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            texts = list(dict.fromkeys(request.text for request in batch))  # the same question once
            try:
                vectors = await asyncio.to_thread(self.encoder.encode, texts)
            except Exception as error:
                log.exception("encoding %d text(s) failed", len(texts))
                for request in batch:
                    if not request.vector.done():
                        request.vector.set_exception(error)
                continue
            self.batches += 1
            vectors.setflags(write=False)  # shared with every caller and the LRU
            by_text = dict(zip(texts, vectors, strict=True))
            for request in batch:
                if not request.vector.done():
                    request.vector.set_result(by_text[request.text])
            self._remember(by_text)

    def _remember(self, by_text: dict[str, Vectors]) -> None:
        for text, vector in by_text.items():
            self._recent[text] = vector
            self._recent.move_to_end(text)
        while len(self._recent) > self.cache_size:
            self._recent.popitem(last=False)
