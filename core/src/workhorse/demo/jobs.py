"""The demo's example jobs: fast, slow, flaky (fails, then succeeds on a retry) and doomed."""

from __future__ import annotations

import random
import time

import workhorse
from workhorse.client import default_client


def _quick_retry(count: int, error: BaseException) -> float:  # noqa: ARG001
    # A short custom delay so the demo shows retries within seconds; workhorse adds
    # Sidekiq's jitter of up to 10 * (count + 1) s on top of it.
    return 1.0


@workhorse.job(queue="default")
def fast(n: int) -> None:  # noqa: ARG001
    """A typical small job."""
    time.sleep(random.uniform(0.05, 0.25))


@workhorse.job(queue="low")
def slow(n: int, seconds: float) -> None:  # noqa: ARG001
    """A long job (reports, exports)."""
    time.sleep(seconds)


@workhorse.job(queue="critical", retry=5, retry_in=_quick_retry)
def flaky(token: str, failures: int) -> None:
    """Fails ``failures`` times (an unreliable API), then succeeds on a retry."""
    client = default_client()
    attempt = int(client.redis.incr(client.keys.key(f"demo:attempts:{token}")))
    client.redis.expire(client.keys.key(f"demo:attempts:{token}"), 3600)
    if attempt <= failures:
        raise ConnectionError(f"payment API timed out (attempt {attempt} of {failures + 1})")


@workhorse.job(queue="default", retry=0)
def doomed(n: int) -> None:
    """Always fails with retries off: goes straight to the dead set."""
    raise ValueError(f"invoice {n} has no customer; nothing to retry")
