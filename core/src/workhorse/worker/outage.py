"""A failed fetch: how long to wait before the next, and one log line per outage.

Shared by the fetch thread (``Executor``) and the async lane's fetch on its loop
(``AsyncLane.fetch_here``): one sleeps, the other awaits the same delay.
"""

from __future__ import annotations

import logging

import redis

# The logger these messages always had, on the fetch thread (log filters may name it).
log = logging.getLogger("workhorse.worker.executor")


def fetch_failed(exc: Exception, outage: Outage) -> float:
    """A fetch raised (called while handling it): how long to wait before the next. An
    outage is reported once and retried with backoff by ``outage``; anything else is
    logged and retried in 1 s."""
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return outage.failed(exc)
    log.exception("fetch failed; retrying in 1 s")
    return 1.0


class Outage:
    """Logs a Redis outage once, backs off, and logs the recovery once."""

    def __init__(self) -> None:
        self.delay = 0.0

    def failed(self, exc: BaseException) -> float:
        """How long to wait before fetching again."""
        if self.delay == 0.0:
            log.warning("lost connection to Redis (%s); retrying with backoff", exc)
        self.delay = min(max(self.delay * 2, 0.1), 5.0)
        return self.delay

    def recovered(self) -> None:
        if self.delay:
            log.warning("connection to Redis restored; fetching again")
            self.delay = 0.0
