"""Leadership notifications: user callbacks (``on_leader``) and the ``workhorse_leader`` hook.

Listeners run on a dedicated thread, in order, so a slow callback can never
delay a lease renewal (which would cost the process its leadership).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from workhorse import plugins

if TYPE_CHECKING:
    from workhorse.types import ProcessContext

log = logging.getLogger(__name__)
Listener = Callable[[bool], None]

_global_listeners: list[Listener] = []
_global_lock = threading.Lock()


def on_leader(callback: Listener) -> Listener:
    """Call ``callback(True)`` when this process becomes the leader, ``callback(False)`` when it
    stops being the leader. Usable as a decorator; keep the callback short."""
    with _global_lock:
        _global_listeners.append(callback)
    return callback


def remove_listener(callback: Listener) -> None:
    with _global_lock:
        if callback in _global_listeners:
            _global_listeners.remove(callback)


def global_listeners() -> list[Listener]:
    with _global_lock:
        return list(_global_listeners)


class Dispatcher:
    """Delivers leadership changes to listeners and the plugin hook, off the lease thread."""

    def __init__(self, name: str, process: ProcessContext | None) -> None:
        self.process = process
        self.listeners: list[Listener] = []
        self._queue: queue.SimpleQueue[bool | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def publish(self, elected: bool) -> None:
        self._queue.put(elected)

    def stop(self, timeout: float) -> None:
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while (elected := self._queue.get()) is not None:
            for listener in [*self.listeners, *global_listeners()]:
                _call(listener, elected)
            if self.process is not None:
                _call(self._fire_hook, elected)

    def _fire_hook(self, elected: bool) -> None:
        if self.process is not None:
            plugins.leader(self.process, elected)


def _call(listener: Listener, elected: bool) -> None:
    try:
        listener(elected)
    except Exception:
        log.exception("a leader listener (%r) failed; continuing", listener)
