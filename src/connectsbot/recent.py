"""What a long-running process remembers without growing: the most recently used keys, up to a size."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """At most `size` keys with their values (0: none, a cache turned off). Storing or reading a key
    makes it the most recent; past `size` the least recent is forgotten. A set of recent ids is a
    `Recent[int, None]`. Safe from several threads (the matcher's memories are read while the model
    is retrained over the same index)."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError("a Recent cannot keep fewer than no keys")
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        """Whether `key` is remembered (asking does not make it more recent)."""
        return key in self._items

    def __getitem__(self, key: K) -> V:
        with self._lock:
            value = self._items[key]
            self._items.move_to_end(key)
            return value

    def get(self, key: K) -> V | None:
        """The value of `key`, or None when it is not remembered."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: K, value: V) -> list[tuple[K, V]]:
        """Remember `key` with `value`; the keys and values forgotten to make room, oldest first (for
        a caller that must release them)."""
        forgotten = []
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                forgotten.append(self._items.popitem(last=False))
        return forgotten

    def discard(self, key: K) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
