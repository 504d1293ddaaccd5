"""Run your own service only on the leader: ``LeaderOnly(service)`` and ``run_while_leader``.

A wrapped service starts when this process becomes the leader and stops when
it stops being the leader (or at shutdown), on its own thread so the lease is
never held up by a slow start or stop.
"""

from __future__ import annotations

import logging
import threading

from workhorse.types import Service
from workhorse_enterprise.leader.elector import is_leader
from workhorse_enterprise.leader.events import on_leader, remove_listener

log = logging.getLogger(__name__)
_registered: list[Service] = []


def run_while_leader(service: Service) -> Service:
    """Register ``service`` (a ``workhorse.types.Service``) to run on whichever worker leads."""
    _registered.append(service)
    return service


def registered_services() -> list[Service]:
    return list(_registered)


class LeaderOnly:
    """A ``Service`` that runs ``inner`` exactly while this process is the leader."""

    def __init__(self, inner: Service, stop_timeout: float = 5.0) -> None:
        self.inner = inner
        self.name = f"leader-only:{inner.name}"
        self.stop_timeout = stop_timeout
        self._running = False
        self._lock = threading.Lock()

    def start(self) -> None:
        on_leader(self._changed)
        if is_leader():
            self._changed(True)

    def stop(self, timeout: float) -> None:
        remove_listener(self._changed)
        self._apply(False, timeout)

    def _changed(self, elected: bool) -> None:
        threading.Thread(
            target=self._apply,
            args=(elected, self.stop_timeout),
            name=f"workhorse-{self.name}",
            daemon=True,
        ).start()

    def _apply(self, run: bool, timeout: float) -> None:
        with self._lock:
            if run == self._running:
                return
            try:
                if run:
                    self.inner.start()
                else:
                    self.inner.stop(timeout)
            except Exception:
                log.exception(
                    "leader-only service %s failed to %s",
                    self.inner.name,
                    "start" if run else "stop",
                )
            self._running = run
