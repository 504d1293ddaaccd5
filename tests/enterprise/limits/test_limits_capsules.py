"""Rate limiting across capsules (issue 22): a limiter is shared by every capsule of a
process, as by every process, so capsules cannot add up to more than its limit."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
from limits_checks import most_holders
from limits_jobs import LoggedConcurrent
from support.waiting import wait_for

import workhorse
from workhorse.client import Client
from workhorse.config import capsule
from workhorse.worker.launcher import WorkerProcess

pytestmark = pytest.mark.usefixtures("enterprise")


def test_capsules_of_one_process_share_a_concurrent_limit(
    rc: redis.Redis, wh_client: Client, start_worker: Callable[..., WorkerProcess]
) -> None:
    pool = LoggedConcurrent("capsule-pool", 1, lock_timeout=30, wait_timeout=0.05)

    @workhorse.job(name="limits.capsule_hold", limiter=pool)
    def hold(i: int) -> None:
        time.sleep(0.01)
        rc.rpush("ran", str(i))

    wh_client.push_bulk({"class": "limits.capsule_hold", "args": [i]} for i in range(15))
    wh_client.push_bulk(
        {"class": "limits.capsule_hold", "args": [i], "queue": "side"} for i in range(15, 30)
    )
    worker = start_worker(concurrency=3, capsules=(capsule("side", ["side"], 3),))
    wait_for(lambda: rc.llen("ran") == 30, "every job to run, rescheduled ones too", 60)
    held = [tuple(float(x) for x in line.split()) for line in rc.lrange("log:capsule-pool", 0, -1)]
    assert most_holders(held) == 1  # type: ignore[arg-type]
    assert sorted(int(i) for i in rc.lrange("ran", 0, -1)) == list(range(30))
    assert all(sum(s.processed for s in c.executor.stats) for c in worker.capsules)
