"""Limiters around async jobs on the async lane (issue 24): the limit holds, and the lane
waits for admission with ``acquire_async``, never blocking its event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import redis
from support.waiting import wait_for

import workhorse
from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess
from workhorse_enterprise.limits.admission import Admission
from workhorse_enterprise.limits.concurrent import ConcurrentLimiter

pytestmark = pytest.mark.usefixtures("enterprise")
StartWorker = Callable[..., WorkerProcess]


class AsyncOnly(ConcurrentLimiter):
    """Fails the job if the worker took the blocking path."""

    def acquire(self, cost: int = 1, wait_timeout: float | None = None) -> Admission:  # noqa: ARG002
        raise AssertionError("the async lane must wait with acquire_async")


def test_a_concurrent_limit_holds_for_async_jobs_admitted_with_acquire_async(
    rc: redis.Redis, wh_client: Client, start_worker: StartWorker
) -> None:
    limiter = AsyncOnly("async-pool", 3, lock_timeout=30, wait_timeout=3)
    holders: list[int] = [0, 0]  # now, most at once

    @workhorse.job(name="limits.async_hold", limiter=limiter, retry=0)
    async def hold(i: int) -> None:
        holders[0] += 1
        holders[1] = max(holders)
        await asyncio.sleep(0.05)
        holders[0] -= 1
        await workhorse.current_async_redis().rpush("ran", str(i))

    hold.perform_bulk([i] for i in range(20))
    worker = start_worker(concurrency=2)
    assert worker.capsules[0].lane is not None
    wait_for(lambda: rc.llen("ran") == 20, "all 20 jobs to run", timeout=30)
    assert sorted(int(i) for i in rc.lrange("ran", 0, -1)) == list(range(20))
    assert holders[1] == 3  # the lane ran as many as the limit admits, never more
    assert rc.zcard("dead") == 0 and rc.zcard("retry") == 0
