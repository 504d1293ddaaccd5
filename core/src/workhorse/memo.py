"""One object per owner (a Redis client, a ``Client``), built on first use and
dropped with its owner: plugins keep their per-connection state here (registered
scripts, caches) instead of each writing its own locked cache."""

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
