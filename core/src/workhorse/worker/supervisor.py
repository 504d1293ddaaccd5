"""``-p N``: run N worker processes, pass signals on to them, restart any that exit."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from workhorse.worker.restarts import ChildHistory, GiveUp, RestartPolicy
from workhorse.worker.signals import STOP_SIGNALS, SignalInbox, StopRequests

log = logging.getLogger("workhorse.supervisor")
# A child exits with this after it was told to stop (by a signal or a dashboard's
# Stop): it is done, not crashed, so it is not restarted.
EXIT_STOPPED = 3
# The supervisor's pid, given to its children: dashboards group them by it.
SUPERVISOR_ENV = "WORKHORSE_SUPERVISOR_PID"


class _Slot:
    """One of the N worker processes, across its restarts."""

    def __init__(self, number: int, policy: RestartPolicy) -> None:
        self.number = number
        self.history = ChildHistory(policy)
        self.child: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.restart_at = 0.0
        self.retired = False  # stopped on request: never started again


class Supervisor:
    def __init__(
        self, child_argv: Sequence[str], count: int, policy: RestartPolicy | None = None
    ) -> None:
        self.child_argv = list(child_argv)
        self.count = count
        self.policy = policy or RestartPolicy()
        self.slots = [_Slot(n + 1, self.policy) for n in range(count)]
        self.stop_requests = StopRequests()
        self.stopping = False
        self.quiet = False  # TSTP passed on to the children: they fetch nothing more
        self.exit_code = 0

    def run(self, inbox: SignalInbox | None = None) -> int:
        """Start the children and tend them until stopped; returns the exit code.
        Without ``inbox``, TERM/INT/TSTP/TTIN are routed to a new one (main thread only)."""
        if inbox is None:
            inbox = SignalInbox()
            inbox.install()
        for slot in self.slots:
            self._start(slot)
        while True:
            for name in inbox.receive(0.2):
                self._on_signal(name)
            if self.stopping:
                if not self._alive():
                    return self.exit_code
            else:
                self._tend(time.monotonic())
                if all(slot.retired for slot in self.slots):
                    log.info("every worker process was stopped on request; exiting")
                    return 0

    def alive_children(self) -> int:
        """Worker processes running now (the health probe's count)."""
        return len(self._alive())

    def child_pids(self) -> list[int]:
        """Pids of the worker processes running now."""
        return [child.pid for child in self._alive()]

    def _start(self, slot: _Slot) -> None:
        slot.child = subprocess.Popen(
            [sys.executable, "-m", "workhorse", *self.child_argv],
            env={**os.environ, SUPERVISOR_ENV: str(os.getpid())},
        )
        slot.started = time.monotonic()
        log.info("started worker process %d of %d, pid=%d", slot.number, self.count, slot.child.pid)

    def _alive(self) -> list[subprocess.Popen[bytes]]:
        return [s.child for s in self.slots if s.child is not None and s.child.poll() is None]

    def _on_signal(self, name: str) -> None:
        if name in STOP_SIGNALS:
            step = self.stop_requests.record()
            if step is None:
                return  # the same request again; each child counts its own copies
            self.stopping = True
            log.info("received %s: passing it on to %d worker(s)", name, len(self._alive()))
        elif name == "TSTP":
            self.quiet = True
        self._forward(signal.SIGTERM if name == "INT" else signal.Signals[f"SIG{name}"])

    def _forward(self, signum: signal.Signals) -> None:
        for child in self._alive():
            child.send_signal(signum)

    def _tend(self, now: float) -> None:
        """Notice exited children; restart each after its delay, or give up."""
        for slot in self.slots:
            if slot.retired:
                continue
            if slot.child is None:
                if now >= slot.restart_at:
                    self._start(slot)
                continue
            code = slot.child.poll()
            if code is None:
                continue
            pid, lived, slot.child = slot.child.pid, now - slot.started, None
            if code == EXIT_STOPPED:
                log.info(
                    "worker process %d of %d (pid=%d) stopped on request; not restarting it",
                    slot.number,
                    self.count,
                    pid,
                )
                slot.retired = True
                continue
            decision = slot.history.exited(code, lived)
            if isinstance(decision, GiveUp):
                log.error(
                    "worker process %d of %d (pid=%d) %s; stopping",
                    slot.number,
                    self.count,
                    pid,
                    decision.reason,
                )
                self._give_up(decision.exit_code)
                return
            log.warning(
                "worker process %d of %d (pid=%d) exited with %s after %.1fs; restart in %.1fs",
                slot.number,
                self.count,
                pid,
                code,
                lived,
                decision.delay,
            )
            slot.restart_at = now + decision.delay

    def _give_up(self, exit_code: int) -> None:
        self.exit_code = exit_code
        self.stopping = True
        self._forward(signal.SIGTERM)
