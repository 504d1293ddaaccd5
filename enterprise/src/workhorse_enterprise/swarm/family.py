"""The parent's view of its children: a forked ``Child`` and the ``Slot`` it fills."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass, field

from workhorse.worker.restarts import ChildHistory, RestartPolicy

from .channel import Channel
from .handoff import Handed


@dataclass
class Child:
    pid: int
    channel: Channel
    started: float = field(default_factory=time.monotonic)
    ready: bool = False
    recycle: str | None = None  # why it asked to be replaced
    exit_code: int | None = None
    drained: bool = False

    @classmethod
    def adopted(cls, handed: Handed) -> Child:
        # It was working for the previous image: ready, and first in line to drain.
        return cls(handed.pid, Channel(handed.read_fd, handed.write_fd), ready=True)

    @property
    def alive(self) -> bool:
        return self.exit_code is None

    def reap(self) -> bool:
        """Collect its exit status if it exited; True when it did (now or before)."""
        if self.exit_code is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = self.pid, 255 << 8  # reaped elsewhere: count it as gone
            if pid == 0:
                return False
            self.exit_code = os.waitstatus_to_exitcode(status)
            self.channel.close()
        return True

    def signal(self, signum: signal.Signals) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def drain(self) -> None:
        """Ask it to finish its running jobs, however long they take, and exit."""
        if not self.drained:
            self.drained = True
            self.channel.send("drain")

    def handed(self) -> Handed:
        return Handed(self.pid, self.channel.read_fd, self.channel.write_fd)


class Slot:
    """One of the N places for a child, across restarts and replacements."""

    def __init__(self, number: int, policy: RestartPolicy) -> None:
        self.number = number
        self.history = ChildHistory(policy)
        self.child: Child | None = None
        self.successor: Child | None = None  # started to take over from a recycled child
        self.restart_at = 0.0
        self.retired = False  # stopped on request (a dashboard's Stop): never refilled

    def members(self) -> list[Child]:
        return [c for c in (self.child, self.successor) if c is not None]
