"""The pure part of waiting for a limiter: deadlines and how long to pause."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from workhorse_enterprise.limits.scripts import Verdict

# Never pause for less than this: a zero pause would turn a wait into a busy loop.
MIN_PAUSE = 0.001


@dataclass(slots=True)
class Deadline:
    """One acquisition: when it started, when it must give up, whether it waited."""

    timeout: float
    started: float
    token: str  # identifies this acquisition's slot in a concurrent limiter
    waited: bool = False

    @classmethod
    def start(cls, timeout: float) -> Deadline:
        return cls(max(0.0, timeout), time.monotonic(), secrets.token_hex(8))

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def budget_us(self) -> int:
        """Microseconds this acquisition may still wait (0 when the time is up)."""
        return max(0, int((self.timeout - self.elapsed()) * 1e6))

    def pause_for(self, verdict: Verdict) -> float:
        """Seconds to pause before the next attempt: until the limiter's next
        admission, but never past the deadline (one final attempt follows)."""
        self.waited = True
        remaining = self.timeout - self.elapsed()
        return max(MIN_PAUSE, min(verdict.wait_us / 1e6, remaining))
