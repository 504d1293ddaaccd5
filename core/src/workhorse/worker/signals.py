"""Signals for worker processes and the supervisor: recorded by the handler, acted on by a thread.

A Python signal handler runs on the main thread between two bytecodes of whatever
it was doing, even inside a lock that code holds. So the handler here only writes
the signal's number to a pipe: no lock, no logging, no Event (issue 17: a second
TERM arrived inside the first handler's ``Event.set()`` and waited forever on the
lock that handler held). A normal thread reads the pipe and does the work.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from types import FrameType
from typing import Literal, Protocol

log = logging.getLogger("workhorse.worker")

HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGTSTP, signal.SIGTTIN)
STOP_SIGNALS = ("TERM", "INT")
# One stop request often arrives as several signals: `timeout` signals the process
# and then its group, Ctrl-C reaches every process of the terminal's group and the
# supervisor forwards it too. Stop signals this close to the last counted one are
# the same request.
SAME_REQUEST_SECONDS = 1.0

StopStep = Literal["graceful", "remind", "force"]
REMINDER = (
    "received %s again: still shutting down, waiting for %d running job(s) for up to %.0fs "
    "from the first %s (-t); send %s once more to stop now and push them back to their queues"
)


class SignalInbox:
    """A self-pipe: signal handlers (or any thread) post, one thread receives."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def install(self, signums: Iterable[signal.Signals] = HANDLED) -> None:
        """Route ``signums`` here (main thread only, as Python requires)."""
        for signum in signums:
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.post(signum)

    def post(self, signum: int) -> None:
        """Record a signal; safe in a signal handler (one write, no lock)."""
        # A full pipe holds thousands of unread signals: one more would add nothing.
        with contextlib.suppress(OSError):
            os.write(self._write, bytes((signum,)))

    def receive(self, timeout: float) -> list[str]:
        """Names (``TERM``, ``TSTP``...) of the signals posted since the last call, in
        order; waits up to ``timeout`` seconds for the first."""
        ready, _, _ = select.select([self._read], [], [], timeout)
        if not ready:
            return []
        try:
            data = os.read(self._read, 4096)
        except BlockingIOError:
            return []
        return [signal.Signals(n).name.removeprefix("SIG") for n in data]

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)


class StopRequests:
    """Counts stop requests: the first stops gracefully, the second reminds how to
    force, the third forces. Repeats within :data:`SAME_REQUEST_SECONDS` count once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._count = 0
        self._last = float("-inf")

    def record(self) -> StopStep | None:
        """What this stop signal asks for, or None when it repeats the last request."""
        now = self._clock()
        if now - self._last < SAME_REQUEST_SECONDS:
            return None
        self._last = now
        self._count += 1
        return "graceful" if self._count == 1 else "remind" if self._count == 2 else "force"


class Stoppable(Protocol):
    """What :func:`serve` drives: a worker process (see ``launcher.WorkerProcess``)."""

    def handle_signal(self, name: str) -> None: ...

    def is_stopping(self) -> bool: ...

    def is_stopped(self) -> bool: ...

    def begin_shutdown(self) -> None: ...


def serve(workers: Sequence[Stoppable], inbox: SignalInbox | None, poll: float = 0.5) -> None:
    """The main thread's loop: hand every signal to every worker; once one is stopping,
    shut all of them down (on threads of their own, so signals are still read) and
    return when all have stopped. Without ``inbox`` only :meth:`stop` stops them."""
    if inbox is None:
        inbox = SignalInbox()
        try:
            return serve(workers, inbox, poll)
        finally:
            inbox.close()
    shutting_down = False
    while not all(worker.is_stopped() for worker in workers):
        for name in inbox.receive(poll):
            for worker in workers:
                worker.handle_signal(name)
        if not shutting_down and any(worker.is_stopping() for worker in workers):
            shutting_down = True
            for worker in workers:
                worker.begin_shutdown()


def dump_threads() -> None:
    """Log every thread's stack (TTIN), to see where a stuck process is."""
    frames = sys._current_frames()
    for thread in threading.enumerate():
        frame = frames.get(thread.ident or 0)
        stack = "".join(traceback.format_stack(frame)) if frame else "(no frame)\n"
        log.warning("thread %s:\n%s", thread.name, stack)
