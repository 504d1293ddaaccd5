"""``-p N``: run N worker processes, forward signals to them, restart any that crash."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

log = logging.getLogger("workhorse.supervisor")
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGTSTP, signal.SIGTTIN)
# A child exits with this after it was told to stop (by a signal or a dashboard's
# Stop): it is done, not crashed, so it is not restarted.
EXIT_STOPPED = 3
# The supervisor's pid, given to its children: dashboards group them by it.
SUPERVISOR_ENV = "WORKHORSE_SUPERVISOR_PID"


class Supervisor:
    def __init__(self, child_argv: Sequence[str], count: int, restart_delay: float = 1.0) -> None:
        self.child_argv = list(child_argv)
        self.count = count
        self.restart_delay = restart_delay
        self.children: list[subprocess.Popen[bytes]] = []
        self.stopping = False

    def _spawn(self) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(
            [sys.executable, "-m", "workhorse", *self.child_argv],
            env={**os.environ, SUPERVISOR_ENV: str(os.getpid())},
        )
        log.info("started worker process pid=%d", child.pid)
        return child

    def _forward(self, signum: int, frame: FrameType | None) -> None:
        if signum in (signal.SIGTERM, signal.SIGINT):
            self.stopping = True
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM if signum == signal.SIGINT else signum)

    def run(self) -> int:
        for sig in FORWARDED:
            signal.signal(sig, self._forward)
        self.children = [self._spawn() for _ in range(self.count)]
        while True:
            if self.stopping:
                if all(c.poll() is not None for c in self.children):
                    return 0
            else:
                self._restart_crashed()
                if not self.children:
                    log.info("every worker process was stopped on request; exiting")
                    return 0
            time.sleep(0.2)

    def _restart_crashed(self) -> None:
        for child in list(self.children):
            code = child.poll()
            if code is None:
                continue
            if code == EXIT_STOPPED:
                log.info("worker process pid=%d stopped on request; not restarting it", child.pid)
                self.children.remove(child)
                continue
            log.warning("worker process pid=%d exited with %s; restarting it", child.pid, code)
            time.sleep(self.restart_delay)
            if not self.stopping:
                self.children[self.children.index(child)] = self._spawn()
