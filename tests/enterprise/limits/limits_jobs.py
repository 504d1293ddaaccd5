"""Jobs for the worker-subprocess test (loaded with -r limits_jobs)."""

from __future__ import annotations

import time

import workhorse
from workhorse.client import default_client
from workhorse_enterprise import limits
from workhorse_enterprise.limits.admission import Admission
from workhorse_enterprise.limits.concurrent import ConcurrentLimiter


class LoggedConcurrent(ConcurrentLimiter):
    """Logs each hold as `admitted released` (server clock) when it ends."""

    def release(self, lease: Admission) -> None:
        super().release(lease)
        default_client().redis.rpush(
            f"log:{self.name}", f"{lease.admitted_at:.6f} {lease.released_at:.6f}"
        )


pool = LoggedConcurrent("job-pool", 2, lock_timeout=30, wait_timeout=0.05)
assert isinstance(limits.concurrent("job-pool-check", 1), ConcurrentLimiter)


@workhorse.job(name="limits_jobs.hold", limiter=pool)
def hold(i: int) -> None:
    time.sleep(0.02)
    default_client().redis.rpush("ran", str(i))
