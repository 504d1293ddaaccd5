"""Reliable fetch with the async lane (issue 24): async jobs are acknowledged when they
finish, and a SIGKILLed worker's running async jobs are recovered, none lost."""

from __future__ import annotations

import signal
from collections.abc import Callable

import redis
from reliable_support import Workers, in_progress_keys, registered
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.config import Settings
from workhorse.worker.launcher import WorkerProcess
from workhorse_pro.reliable import read_status
from workhorse_pro.reliable.fetch import ReliableFetch

StartWorker = Callable[..., WorkerProcess]


def test_async_jobs_on_the_lane_are_acknowledged_once_done(
    pro_license: str, r: redis.Redis, wh_client: Client, start_worker: StartWorker
) -> None:
    worker = start_worker()
    assert isinstance(worker.fetcher, ReliableFetch) and worker.capsules[0].lane is not None
    for n in range(100):
        wh_client.enqueue("reliable.async_record", [f"t{n}", 20])
    wait_for(lambda: len(r.hgetall("test:runs")) == 100, "100 async jobs to run")
    wait_for(lambda: read_status(wh_client).in_progress == 0, "every job to be acknowledged")
    assert set(r.hgetall("test:runs").values()) == {"1"}


def test_a_sigkilled_workers_running_async_jobs_are_recovered(
    redis_url: str, r: redis.Redis, workers: Workers
) -> None:
    survivor = workers.start("-q", "other")
    victim = workers.start("-c", "1", "--async-concurrency", "50")
    wait_for(lambda: len(registered(r)) == 2, "both workers to register")
    client = Client(settings=Settings(redis_url=redis_url))
    markers = [f"m{i}" for i in range(30)]
    for marker in markers:
        client.enqueue("reliable.async_slow", [60, marker])
    # 30 async jobs at once on a one-thread worker: they run on the lane, not on threads.
    wait_for(lambda: r.llen("test:started") == 30, "all 30 async jobs to start", 15)
    workers.kill(victim, signal.SIGKILL)
    wait_for(lambda: r.llen("queue:default") == 30, "the live worker to recover all 30", 15)
    assert in_progress_keys(r) == [] and survivor.poll() is None
    recovered = {raw for raw in r.lrange("queue:default", 0, -1)}
    assert len(recovered) == 30 and all('"reliable.async_slow"' in raw for raw in recovered)
