"""The public constructors: ``concurrent``, ``bucket``, ``window``, ``leaky``, ``points``,
and ``unlimited`` (a limit switched off).

Limiters are cheap objects (all state is in Redis), so creating one per call
with a dynamic name (``bucket(f"stripe-{account_id}", 25, per="second")``) is
fine. Every constructor requires an Enterprise license covering rate limiting
and raises ``workhorse_licensing.FeatureNotLicensed`` otherwise.

Common keyword arguments: ``wait_timeout`` (seconds to wait for admission
before raising ``OverLimit``; default 5), ``ttl`` (seconds of idleness after
which the limiter's data expires; default 90 days), ``reschedules`` (how many
times a job over this limit is rescheduled before it fails into the retry
path; default: the worker's ``limits_max_reschedules``, 20), ``redis_client``
and ``prefix`` (default: those of ``workhorse.default_client()``).
"""

from __future__ import annotations

from typing import TypedDict, Unpack

import redis

from workhorse_enterprise.limits.concurrent import (
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_RETRY_CAP,
    ConcurrentLimiter,
)
from workhorse_enterprise.limits.names import Per, interval_seconds
from workhorse_enterprise.limits.rate import (
    BucketLimiter,
    LeakyLimiter,
    PointsLimiter,
    WindowLimiter,
)
from workhorse_enterprise.limits.unlimited import UnlimitedLimiter


class Common(TypedDict, total=False):
    """Keyword arguments every constructor accepts (see the module docstring)."""

    wait_timeout: float
    ttl: float
    reschedules: int | None
    redis_client: redis.Redis | None
    prefix: str | None


def concurrent(
    name: str,
    limit: int,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    retry_cap: float = DEFAULT_RETRY_CAP,
    **common: Unpack[Common],
) -> ConcurrentLimiter:
    """At most ``limit`` holders at once; a dead holder's slot is reclaimed after
    ``lock_timeout`` seconds (keep it above your longest hold)."""
    return ConcurrentLimiter(name, limit, lock_timeout=lock_timeout, retry_cap=retry_cap, **common)


def bucket(
    name: str, limit: int, per: Per | float = "second", **common: Unpack[Common]
) -> BucketLimiter:
    """At most ``limit`` per clock-aligned ``per`` (second, minute, hour, day, or seconds)."""
    return BucketLimiter(name, limit, interval_seconds(per), **common)


def window(
    name: str, limit: int, seconds: Per | float = 1.0, **common: Unpack[Common]
) -> WindowLimiter:
    """At most ``limit`` in any sliding span of ``seconds``."""
    return WindowLimiter(name, limit, interval_seconds(seconds), **common)


def leaky(
    name: str, limit: int, seconds: Per | float = 1.0, **common: Unpack[Common]
) -> LeakyLimiter:
    """Bursts of up to ``limit``, then ``limit`` per ``seconds`` at a steady pace."""
    return LeakyLimiter(name, limit, interval_seconds(seconds), **common)


def points(
    name: str, budget: int, per: Per | float = "second", **common: Unpack[Common]
) -> PointsLimiter:
    """A budget of ``budget`` points refilled over ``per``; ``acquire(cost=n)`` spends n."""
    return PointsLimiter(name, budget, interval_seconds(per), **common)


def unlimited(name: str, **common: Unpack[Common]) -> UnlimitedLimiter:
    """Always admits at once, touches no Redis: swap it in to switch a limit off by
    configuration while every call site stays as it is."""
    return UnlimitedLimiter(name, **common)
