"""``-p N``: run N worker processes, forward signals to them, restart any that crash."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

log = logging.getLogger("workhorse.supervisor")
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGTSTP, signal.SIGTTIN)


class Supervisor:
    def __init__(self, child_argv: Sequence[str], count: int, restart_delay: float = 1.0) -> None:
        self.child_argv = list(child_argv)
        self.count = count
        self.restart_delay = restart_delay
        self.children: list[subprocess.Popen[bytes]] = []
        self.stopping = False

    def _spawn(self) -> subprocess.Popen[bytes]:
        child = subprocess.Popen([sys.executable, "-m", "workhorse", *self.child_argv])
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
            alive = [c for c in self.children if c.poll() is None]
            if self.stopping and not alive:
                return 0
            if not self.stopping:
                self._restart_crashed()
            time.sleep(0.2)

    def alive_children(self) -> int:
        """Worker processes running now (the health probe's count)."""
        return sum(1 for c in self.children if c.poll() is None)

    def _restart_crashed(self) -> None:
        for i, child in enumerate(self.children):
            code = child.poll()
            if code is None:
                continue
            log.warning("worker process pid=%d exited with %s; restarting it", child.pid, code)
            time.sleep(self.restart_delay)
            if not self.stopping:
                self.children[i] = self._spawn()
