"""Distributed rate limiting (workhorse Enterprise).

::

    from workhorse_enterprise import limits

    stripe = limits.concurrent("stripe", 5, lock_timeout=30)
    with stripe:                       # at most 5 holders cluster-wide
        charge(card)

    github = limits.points("github", 5000, per="hour")
    with github.acquire(cost=12):      # an API that charges per call
        query()

    @workhorse.job(limiter=limits.bucket("mailer", 10, per="second"))
    def send(user_id: int) -> None: ...  # over the limit: rescheduled, not failed

Requires an Enterprise license covering ``rate_limiting``; see docs/rate-limiting.md.
"""

from workhorse_enterprise.limits.admission import Admission
from workhorse_enterprise.limits.base import Limiter
from workhorse_enterprise.limits.concurrent import ConcurrentLimiter
from workhorse_enterprise.limits.errors import OverLimit
from workhorse_enterprise.limits.factory import (
    bucket,
    concurrent,
    leaky,
    points,
    unlimited,
    window,
)
from workhorse_enterprise.limits.inventory import LimiterStats, delete_limiter, list_limiters
from workhorse_enterprise.limits.rate import (
    BucketLimiter,
    LeakyLimiter,
    PointsLimiter,
    RateLimiter,
    WindowLimiter,
)
from workhorse_enterprise.limits.unlimited import UnlimitedLimiter

Lease = Admission  # its name until issue 23; kept so existing imports keep working

__all__ = [
    "Admission",
    "BucketLimiter",
    "ConcurrentLimiter",
    "LeakyLimiter",
    "Limiter",
    "LimiterStats",
    "OverLimit",
    "PointsLimiter",
    "RateLimiter",
    "UnlimitedLimiter",
    "WindowLimiter",
    "bucket",
    "concurrent",
    "delete_limiter",
    "leaky",
    "list_limiters",
    "points",
    "unlimited",
    "window",
]
