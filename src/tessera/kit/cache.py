"""A small in-process cache whose entries are trusted for a fixed number of seconds."""

from __future__ import annotations

import time
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Values by key, each trusted for ``ttl`` seconds and at most ``max_entries`` of them: when
    full, the oldest entry makes room, so a burst of new keys never empties the whole cache."""

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        """The value if it is fresh; None when absent or expired."""
        hit = self._entries.get(key)
        if hit is None:
            return None
        if time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        del self._entries[key]
        return None

    def put(self, key: K, value: V) -> None:
        self._entries.pop(key, None)
        if len(self._entries) >= self._max:
            # Dicts keep insertion order: the first entry is the oldest.
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (time.monotonic(), value)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: K) -> bool:
        return self.get(key) is not None

    def clear(self) -> None:
        self._entries.clear()
