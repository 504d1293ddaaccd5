"""The concurrent limiter: at most ``limit`` holders at once, cluster-wide.

Holders are leases in a zset scored by expiry, so a holder that dies (SIGKILL,
lost host) has its slot reclaimed ``lock_timeout`` seconds after it took it.
Waiting does not poll: a waiter blocks in BLPOP on the limiter's wake list,
which every release refills, for at most the time until the earliest lease
expires (when a reclaim could free a slot) or its deadline.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

import redis
import redis.asyncio as aioredis

from workhorse import async_redis
from workhorse.errors import ConfigError
from workhorse_enterprise.limits.admission import Admission
from workhorse_enterprise.limits.base import DEFAULT_TTL, DEFAULT_WAIT, Limiter
from workhorse_enterprise.limits.scripts import Verdict

log = logging.getLogger(__name__)
DEFAULT_LOCK_TIMEOUT = 30.0
DEFAULT_RETRY_CAP = 5.0


class ConcurrentLimiter(Limiter):
    kind = "concurrent"

    def __init__(
        self,
        name: str,
        limit: int,
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        wait_timeout: float = DEFAULT_WAIT,
        retry_cap: float = DEFAULT_RETRY_CAP,
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
        if lock_timeout <= 0 or retry_cap <= 0:
            raise ConfigError(f'limiter "{name}": lock_timeout and retry_cap must be > 0')
        self.lock_timeout = float(lock_timeout)
        self.lock_us = max(1, round(lock_timeout * 1e6))
        # A slot can free up at any moment (a release), so neither the predicted
        # release nor the earliest lease expiry is certain; a job that was over
        # the limit is retried no later than this.
        self.retry_cap = float(retry_cap)
        self._twins: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
            weakref.WeakKeyDictionary()
        )

    def describe(self) -> str:
        return f"{self.limit} at once, lock_timeout {self.lock_timeout:g}s"

    def attempt(self, cost: int, waited: bool, budget_us: int, token: str) -> Verdict:  # noqa: ARG002
        return self.scripts.acquire(
            self.keys, self.name, self.limit, self.lock_us, token, self.ttl_ms, waited, budget_us
        )

    def gives_up(self, verdict: Verdict, budget_us: int) -> bool:  # noqa: ARG002
        return budget_us <= 0

    def check_cost(self, cost: int) -> int:
        if cost != 1:
            raise ConfigError(
                f'concurrent limiter "{self.name}" takes one slot per holder; '
                f"cost must be 1, got {cost!r}"
            )
        return cost

    def pause(self, seconds: float) -> None:
        # Woken by a release (a token), or at the cap: then a reclaim may be due.
        self.redis.blpop([self.keys.wake], timeout=max(seconds, 0.001))

    async def pause_async(self, seconds: float) -> None:
        # Awaited on the loop, not in a helper thread: hundreds of async jobs waiting for
        # admission would otherwise fill the loop's few helper threads, and the releases
        # that would wake them queue behind their waits.
        twin = self._async_twin()
        if twin is None:
            await asyncio.to_thread(self.pause, seconds)
        else:
            await twin.blpop([self.keys.wake], timeout=max(seconds, 0.001))

    def _async_twin(self) -> aioredis.Redis | None:
        """An async client to this limiter's Redis, one per event loop (None: cannot)."""
        loop = asyncio.get_running_loop()
        twin = self._twins.get(loop)
        if twin is None:
            try:
                twin = self._twins[loop] = async_redis.like(self.redis)
            except RuntimeError:
                return None
        return twin

    def release(self, lease: Admission) -> None:
        if lease.token is None:
            return
        still_held, now_us = self.scripts.release(
            self.keys, self.name, self.limit, lease.token, self.ttl_ms, self.lock_us
        )
        lease.released_at = now_us / 1e6
        if not still_held:
            log.warning(
                'concurrent limiter "%s": a holder kept its slot longer than lock_timeout '
                "(%gs), so the slot had already been reclaimed and others may have run at "
                "the same time; raise lock_timeout above the longest hold",
                self.name,
                self.lock_timeout,
            )

    async def release_async(self, lease: Admission) -> None:
        await asyncio.to_thread(self.release, lease)

    def retry_in(self, verdict: Verdict) -> float:
        # The predicted release (from the average hold), else the earliest lease
        # expiry; a slot may free at any moment, so never later than retry_cap.
        expected = verdict.expected_us or verdict.next_at_us
        return min(max(0, expected - verdict.now_us) / 1e6, self.retry_cap)
