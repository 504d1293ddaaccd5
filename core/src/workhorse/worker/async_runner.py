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

from workhorse.errors import ConfigError


class AsyncRunner:
    """One event loop per process, on its own thread, started on first use."""

    def __init__(
        self,
        on_start: Callable[[asyncio.AbstractEventLoop], None] | None = None,
        kind: str = "asyncio",
    ) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._on_start = on_start
        self.kind = kind  # Settings.event_loop

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
                    loop = new_event_loop(self.kind)
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


def new_event_loop(kind: str) -> asyncio.AbstractEventLoop:
    """An event loop of ``kind`` (Settings.event_loop): "auto" is uvloop's if uvloop is
    installed. uvloop runs the same asyncio code on libuv, with the loop's own work
    (callbacks, timers, sockets) in C: the lane's jobs cost less CPU each."""
    if kind == "asyncio":
        return asyncio.new_event_loop()
    try:
        import uvloop  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        if kind == "uvloop":
            raise ConfigError(
                "event loop 'uvloop' asked for (WORKHORSE_EVENT_LOOP), but uvloop is not "
                "installed: pip install 'workhorse[uvloop]', or use 'auto' or 'asyncio'"
            ) from None
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop
