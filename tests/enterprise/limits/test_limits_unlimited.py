"""``limits.unlimited``: switch a limit off by configuration, every call site unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import redis
from support.waiting import wait_for

import workhorse
from workhorse.errors import ConfigError
from workhorse.worker.launcher import WorkerProcess
from workhorse_enterprise import limits
from workhorse_enterprise.limits import Limiter

NOWHERE = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
switched_off = limits.unlimited("mailer-off")


@workhorse.job(name="limits_unlimited.send", limiter=switched_off)
def send(n: int) -> None:
    workhorse.default_client().redis.rpush("sent", str(n))


def call_site(limiter: Limiter, holders: int) -> int:
    """Code written against a real limiter: nested holds, a cost, a release."""
    leases = [limiter.acquire(cost=3) for _ in range(holders)]
    with limiter:
        pass
    for lease in leases:
        lease.release()
    return len(leases)


def test_it_admits_every_holder_and_cost_at_once_without_redis_or_a_license() -> None:
    limiter = limits.unlimited("stripe", redis_client=NOWHERE, wait_timeout=0)
    assert call_site(limiter, 1000) == 1000  # a concurrent("stripe", 5) would raise OverLimit
    lease = limiter.acquire(cost=10**9)
    assert lease.waited == 0.0 and lease.cost == 10**9
    assert repr(limiter) == "<unlimited limiter 'stripe': unlimited>"


def test_async_call_sites_work_too() -> None:
    limiter = limits.unlimited("async-off", redis_client=NOWHERE)

    async def use() -> int:
        async with limiter:
            lease = await limiter.acquire_async(cost=2)
            await lease.release_async()
        return lease.cost

    assert asyncio.run(use()) == 2


@pytest.mark.parametrize("cost", [0, -1, 1.5, True, "1"])
def test_a_nonsense_cost_is_still_refused(cost: object) -> None:
    with pytest.raises(ConfigError, match="cost must be a whole number"):
        limits.unlimited("x").acquire(cost=cost)  # type: ignore[arg-type]


def test_a_bad_name_is_refused_like_any_limiter_name() -> None:
    with pytest.raises(ConfigError):
        limits.unlimited("has space")


def test_jobs_declaring_it_run_without_rescheduling_and_leave_no_limiter_state(
    rc: redis.Redis, start_worker: Callable[..., WorkerProcess]
) -> None:
    send.perform_bulk((n,) for n in range(50))
    start_worker(concurrency=10)
    wait_for(lambda: rc.llen("sent") == 50, "all 50 jobs to run")
    assert rc.zcard("schedule") == 0 and rc.zcard("retry") == 0
    assert rc.keys("lmtr*") == []
