"""Encoding questions from async code: in a worker thread, concurrent questions batched together."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from connectsbot.recent import Recent
from connectsbot.semantic.encoder import DEFAULT_BATCH_SIZE, Encoder, Vectors

log = logging.getLogger(__name__)

QUESTION_CACHE_SIZE = 1024
MAX_PENDING = 8  # texts waiting to be encoded beyond which callers go without (the encoder is behind)
REST_SHARE = 3.0  # under sustained load, rest this share of each batch's time: <= 1/4 of a core


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
        self,
        encoder: Encoder,
        max_batch: int = DEFAULT_BATCH_SIZE,
        cache_size: int = QUESTION_CACHE_SIZE,
        max_pending: int = MAX_PENDING,
        rest_share: float = REST_SHARE,
    ) -> None:
        self.encoder = encoder
        self.max_batch = max_batch
        self.max_pending = max_pending
        self.rest_share = rest_share
        self._recent: Recent[str, Vectors] = Recent(cache_size)
        self._pending: list[_Request] = []
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0  # forward passes run, for tests and statistics

    @property
    def model_id(self) -> str:
        return self.encoder.model_id

    def has_room(self, count: int) -> bool:
        """Whether `count` more texts may queue: past `max_pending` waiting texts the encoder is
        behind, and a caller should do without it (the answer service then answers lexically)."""
        return len(self._pending) + count <= self.max_pending

    @property
    def dim(self) -> int:
        return self.encoder.dim

    async def encode(self, text: str) -> Vectors:
        """One text's L2-normalised vector, float32 (dim,)."""
        cached = self._recent.get(text)
        if cached is not None:
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
        while batch := self._next_batch():
            texts = list(batch)
            started = time.monotonic()
            try:
                vectors = await asyncio.to_thread(self.encoder.encode, texts)
            except Exception as error:
                log.exception("encoding %d text(s) failed", len(texts))
                for requests in batch.values():
                    for request in requests:
                        if not request.vector.done():
                            request.vector.set_exception(error)
                continue
            self.batches += 1
            vectors.setflags(write=False)  # shared with every caller and the LRU
            by_text = dict(zip(texts, vectors, strict=True))
            self._remember(by_text)
            for text, requests in batch.items():
                for request in requests:
                    if not request.vector.done():
                        request.vector.set_result(by_text[text])
            if self._pending and self.rest_share > 0:
                # Under sustained load the encoder leaves the core to the rest of the bot part of the
                # time (the thread competes with the event loop for the same CPU): busy for a batch,
                # idle for `rest_share` of that time before the next.
                await asyncio.sleep((time.monotonic() - started) * self.rest_share)

    def _next_batch(self) -> dict[str, list[_Request]]:
        """Up to `max_batch` distinct texts from the waiting requests, in order of arrival; requests for
        a text the last batch has just encoded are answered from the LRU."""
        batch: dict[str, list[_Request]] = {}
        rest: list[_Request] = []
        for request in self._pending:
            cached = self._recent.get(request.text)
            if cached is not None:
                if not request.vector.done():
                    request.vector.set_result(cached)
            elif request.text in batch or len(batch) < self.max_batch:
                batch.setdefault(request.text, []).append(request)
            else:
                rest.append(request)
        self._pending = rest
        return batch

    def _remember(self, by_text: dict[str, Vectors]) -> None:
        for text, vector in by_text.items():
            self._recent.put(text, vector)
