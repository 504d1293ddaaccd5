"""Rate limiters: fixed ``bucket``, sliding ``window``, ``leaky`` bucket and ``points`` budget.

They differ only in their Lua script and how they describe themselves; each
attempt is one script call that answers admitted, or the exact moment it will
admit, on the server clock.
"""

from __future__ import annotations

import time

import redis

from workhorse_enterprise.limits.admission import Admission
from workhorse_enterprise.limits.base import DEFAULT_TTL, DEFAULT_WAIT, Limiter
from workhorse_enterprise.limits.scripts import Verdict


class RateLimiter(Limiter):
    """A limit of ``limit`` units per ``interval`` seconds; ``acquire(cost=n)`` takes n."""

    def __init__(
        self,
        name: str,
        limit: int,
        interval: float,
        *,
        wait_timeout: float = DEFAULT_WAIT,
        ttl: float = DEFAULT_TTL,
        reschedules: int | None = None,
        redis_client: redis.Redis | None = None,
        prefix: str | None = None,
    ) -> None:
        super().__init__(
            name,
            limit,
            wait_timeout=wait_timeout,
            ttl=ttl,
            reschedules=reschedules,
            redis_client=redis_client,
            prefix=prefix,
        )
        self.interval = interval
        self.interval_us = max(1, round(interval * 1e6))

    def describe(self) -> str:
        words = {1.0: "second", 60.0: "minute", 3600.0: "hour", 86400.0: "day"}
        per = words.get(self.interval, f"{self.interval:g}s")
        return f"{self.limit} per {per}"

    def attempt(self, cost: int, waited: bool, budget_us: int, token: str) -> Verdict:  # noqa: ARG002
        return self.scripts.rate(
            self.kind,
            self.keys,
            self.name,
            self.limit,
            self.interval_us,
            cost,
            self.ttl_ms,
            waited,
            budget_us,
        )

    def gives_up(self, verdict: Verdict, budget_us: int) -> bool:
        # The script knows exactly when it admits: no point waiting for less.
        return verdict.wait_us > budget_us

    def pause(self, seconds: float) -> None:
        time.sleep(seconds)

    def release(self, lease: Admission) -> None:  # noqa: ARG002
        return None  # an admission of a rate limiter is spent, never given back


class BucketLimiter(RateLimiter):
    """At most ``limit`` per clock-aligned interval (each UTC second, minute, hour, day)."""

    kind = "bucket"


class WindowLimiter(RateLimiter):
    """At most ``limit`` in any ``interval`` seconds (a true sliding window)."""

    kind = "window"


class LeakyLimiter(RateLimiter):
    """Bursts up to ``limit``, then admits at a steady ``limit / interval`` per second."""

    kind = "leaky"

    def describe(self) -> str:
        return f"burst {self.limit}, draining {self.limit} per {self.interval:g}s"


class PointsLimiter(RateLimiter):
    """A budget of points refilled continuously at ``budget / interval`` per second,
    for APIs that charge each call a cost: ``with limiter.acquire(cost=5):``."""

    kind = "points"

    def describe(self) -> str:
        return f"{self.limit} points per {self.interval:g}s"
