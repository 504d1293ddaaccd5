"""Jobs the browser tests run in an in-process worker."""

from __future__ import annotations

import workhorse
from workhorse.client import default_client

RAN = "web:ran"


@workhorse.job(name="web.Record")
def record(value: str) -> None:
    default_client().redis.rpush(RAN, value)


@workhorse.job(name="web.Slow", retry=0)
def slow(seconds: float) -> None:
    """Runs long enough to be cancelled from the job page."""
    import time

    default_client().redis.rpush(RAN, "slow-started")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:  # Python bytecode: interruptible
        time.sleep(0.01)
    default_client().redis.rpush(RAN, "slow-finished")
