"""Jobs for the core benchmark (workhorse side)."""

from __future__ import annotations

import time

import workhorse
from workhorse.client import default_client


@workhorse.job(queue="bench")
def noop() -> None:
    pass


@workhorse.job(queue="bench")
def sleep10() -> None:
    time.sleep(0.01)


@workhorse.job(queue="bench")
def latency(enqueued: float) -> None:
    default_client().redis.rpush("bench:latency", time.time() - enqueued)


@workhorse.job(queue="bench")
def scheduled_for(at: float) -> None:
    default_client().redis.rpush("bench:lateness", time.time() - at)


@workhorse.job(queue="bench")
def incr() -> None:
    """A job that touches its database once, as most real jobs do."""
    default_client().redis.incr("bench:incr")
