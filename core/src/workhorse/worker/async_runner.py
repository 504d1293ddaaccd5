"""The process's event loop for ``async def`` code, on a thread of its own.

Job threads await async jobs on it (``AsyncRunner(coro)``), and the async lane runs
its tasks there (issue 24); it starts on first use, so a process without async jobs
never has one.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any


class AsyncRunner:
    """One event loop per process, on its own thread, started on first use."""

    def __init__(self, on_start: Callable[[asyncio.AbstractEventLoop], None] | None = None) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._on_start = on_start

    def __call__(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return self.submit(coro).result()

    def submit(self, coro: Coroutine[Any, Any, Any]) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop())

    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop, running on its own thread from now on."""
        return self._ensure()

    def _ensure(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            with self._lock:
                if self._loop is None:
                    loop = asyncio.new_event_loop()
                    if self._on_start is not None:
                        self._on_start(loop)
                    threading.Thread(
                        target=loop.run_forever, name="workhorse-asyncio", daemon=True
                    ).start()
                    self._loop = loop
        return self._loop

    @property
    def started(self) -> bool:
        return self._loop is not None

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
