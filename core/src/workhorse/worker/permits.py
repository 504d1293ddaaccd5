"""Permits to fetch a job: taken by the fetch thread, given back by the job threads.

A counting semaphore made of a ``SimpleQueue`` of tokens, because every job gives one
back and every fetched job takes one: ``threading.Semaphore`` is written in Python
over a ``Condition`` and cost about 1.3 us of CPU per release and acquire on a 2-core
host, a sixth of a no-op job's whole cost in the worker; each step here is one C call.
Only one thread (the fetch thread) may take permits, so the count it sees can only
grow under it.
"""

from __future__ import annotations

import queue


class Permits:
    def __init__(self, count: int) -> None:
        self._tokens: queue.SimpleQueue[None] = queue.SimpleQueue()
        self.release(count)

    def release(self, count: int = 1) -> None:
        """Give ``count`` permits back (any thread)."""
        put = self._tokens.put
        for _ in range(count):
            put(None)

    def acquire(self, timeout: float) -> bool:
        """Take one permit, waiting up to ``timeout`` seconds; False if none came."""
        try:
            self._tokens.get(timeout=timeout)
        except queue.Empty:
            return False
        return True

    def take(self, most: int) -> int:
        """Take as many free permits as there are, up to ``most``, without waiting; how
        many were taken."""
        tokens = self._tokens
        count = min(most, tokens.qsize())
        for _ in range(count):
            tokens.get_nowait()  # never empty: only this thread takes
        return count

    def free(self) -> int:
        """How many permits are free now."""
        return self._tokens.qsize()
