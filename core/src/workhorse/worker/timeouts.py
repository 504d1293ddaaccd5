"""Time limits: one watchdog thread per process over the deadlines of running jobs.

Only jobs with a limit (``@job(timeout=)``, ``.set(timeout=)`` or the worker's
``--timeout``) are registered, so jobs without one cost nothing. At the deadline
the watchdog interrupts the job (``JobTimeout`` in its thread, or its task
cancelled); a thread job still running ``grace`` seconds later ignored it (it
caught the exception, or sits in a C call): it is abandoned — counted as failed
and its thread replaced — by ``on_abandon``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("workhorse.timeouts")


@dataclass(slots=True)
class Deadline:
    at: float  # time.monotonic()
    limit: float  # seconds, for messages
    token: object  # what on_abandon needs to settle the job
    fired: bool = False


class Watchdog:
    def __init__(
        self,
        on_deadline: Callable[[int], None],
        on_abandon: Callable[[int, Deadline], None],
        grace: float,
    ) -> None:
        self.on_deadline = on_deadline
        self.on_abandon = on_abandon
        self.grace = grace
        self.deadlines: dict[int, Deadline] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def watch(self, tid: int, limit: float, token: object) -> None:
        entry = Deadline(time.monotonic() + limit, limit, token)
        with self._wake:
            self.deadlines[tid] = entry
            self._ensure_thread()
            self._wake.notify()

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="workhorse-watchdog", daemon=True
            )
            self._thread.start()

    def backstop(self, tid: int, token: object) -> None:
        """Call ``on_abandon`` for the job on ``tid`` ``grace`` seconds from now unless it
        ends first (an async job told to stop; it replaces any deadline it had)."""
        entry = Deadline(time.monotonic(), 0.0, token, fired=True)
        with self._wake:
            self.deadlines[tid] = entry
            self._ensure_thread()
            self._wake.notify()

    def rearm(self, tid: int) -> None:
        """Give the job on ``tid`` its whole limit again from now (no-op without one)."""
        entry = self.deadlines.get(tid)
        if entry is not None and not entry.fired:
            entry.at = time.monotonic() + entry.limit

    def unwatch(self, tid: int) -> None:
        self.deadlines.pop(tid, None)  # no lock: one atomic dict operation

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while not self._stopped:
                self._wake.wait(self._check(time.monotonic()))

    def _check(self, now: float) -> float:
        """Act on due deadlines; seconds until the next one is due (at most 1)."""
        wait = 1.0
        for tid, entry in list(self.deadlines.items()):
            if not entry.fired and now >= entry.at:
                entry.fired = True
                self._safely(self.on_deadline, tid)
            if entry.fired and now >= entry.at + self.grace:
                if self.deadlines.get(tid) is entry:
                    del self.deadlines[tid]
                    self._safely(self.on_abandon, tid, entry)
                continue
            due = entry.at + self.grace if entry.fired else entry.at
            wait = min(wait, max(0.0, due - now))
        return max(wait, 0.001)

    @staticmethod
    def _safely(action: Callable[..., None], *args: object) -> None:
        try:
            action(*args)
        except Exception:
            log.exception("the job watchdog failed to act on a deadline")
