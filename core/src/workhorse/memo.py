"""Values built once and kept.

``PerOwner``: one object per owner (a Redis client, a ``Client``), built on first use
and dropped with its owner: plugins keep their per-connection state here (registered
scripts, caches) instead of each writing its own locked cache.

``remembered``: a value per key in a plain dict, for the hot paths that look it up
with ``dict.get`` first (a queue's key, a packed command's head).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class PerOwner(Generic[K, V]):
    def __init__(self, build: Callable[[K], V]) -> None:
        self._build = build
        self._made: weakref.WeakKeyDictionary[K, V] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, owner: K) -> V:
        """The object of ``owner``; built once even when threads ask at the same time."""
        found = self._made.get(owner)
        if found is None:
            with self._lock:
                found = self._made.get(owner)
                if found is None:
                    found = self._made[owner] = self._build(owner)
        return found

    def values(self) -> Iterator[V]:
        """A snapshot of the objects built so far (owners may go away meanwhile)."""
        return iter(list(self._made.values()))


def remembered(cache: dict[K, V], key: K, make: Callable[[K], V], limit: int = 1_000) -> V:
    """``make(key)``, kept in ``cache`` (callers look there first, with ``cache.get``).
    Keys may be made up per call (queue names): past ``limit`` entries the cache starts
    over rather than grow."""
    if len(cache) > limit:
        cache.clear()
    value = cache[key] = make(key)
    return value
