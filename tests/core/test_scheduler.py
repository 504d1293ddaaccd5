"""The poller: due jobs move atomically, precisely, exactly once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import jobs_for_tests as jobs
import redis
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.config import Settings
from workhorse.keys import Keys
from workhorse.scheduler import Poller
from workhorse.worker.launcher import WorkerProcess


def test_due_jobs_move_to_their_queue_with_fresh_enqueued_at(
    wh_client: Client, settings: Settings, r: redis.Redis
) -> None:
    jobs.record.set(queue="later").perform_in(0.01, "x")
    r.zadd(
        "retry",
        {
            json.dumps(
                {
                    "class": "A",
                    "args": [],
                    "queue": "q2",
                    "jid": "1" * 24,
                    "enqueued_at": 1,
                    "retry_count": 0,
                }
            ): time.time() - 1
        },
    )
    time.sleep(0.02)
    moved, _ = Poller(wh_client.redis, Keys(), settings).poll()
    assert moved == 2 and r.zcard("schedule") == 0 and r.zcard("retry") == 0
    assert r.smembers("queues") >= {"later", "q2"}
    retried = json.loads(r.lindex("queue:q2", 0))
    assert retried["enqueued_at"] > 1_000_000_000_000 and retried["retry_count"] == 0


def test_future_jobs_stay_and_set_the_next_wait(
    wh_client: Client, settings: Settings, r: redis.Redis
) -> None:
    jobs.record.perform_in(0.3, "soon")
    moved, wait = Poller(wh_client.redis, Keys(), settings.with_changes(poll_interval=5)).poll()
    assert moved == 0 and 0 < wait <= 0.31


def test_concurrent_pollers_move_each_job_exactly_once(
    wh_client: Client, settings: Settings, r: redis.Redis
) -> None:
    past = time.time() - 1
    r.zadd(
        "schedule",
        {json.dumps({"class": "A", "args": [i], "queue": "default"}): past for i in range(1_000)},
    )
    pollers = [
        Poller(
            redis.Redis.from_url(settings.redis_url or "", decode_responses=True), Keys(), settings
        )
        for _ in range(4)
    ]
    totals: list[int] = []
    threads = [threading.Thread(target=lambda p=p: totals.append(p.poll()[0])) for p in pollers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(totals) == 1_000
    args = sorted(json.loads(x)["args"][0] for x in r.lrange("queue:default", 0, -1))
    assert args == list(range(1_000))


def test_a_scheduled_job_the_poller_knows_of_starts_within_a_fraction_of_a_second(
    wh_client: Client, r: redis.Redis, start_worker: Callable[..., WorkerProcess]
) -> None:
    target = time.time() + 1.0
    jobs.record.perform_at(target, "on-time")
    # A long poll interval: the poller sleeps exactly until the job is due, not a poll.
    start_worker(poll_interval=5.0)
    wait_for(lambda: r.lrange("test:ran", 0, -1), "the scheduled job", timeout=10)
    late = time.time() - target
    assert -0.05 < late < 0.5, late


def test_a_job_scheduled_while_the_poller_sleeps_starts_within_a_second_of_its_time(
    wh_client: Client, r: redis.Redis, start_worker: Callable[..., WorkerProcess]
) -> None:
    start_worker(poll_interval=0.5)  # the default: a pass every 0.25-0.75 s
    target = time.time() + 1.0
    jobs.record.perform_at(target, "on-time")
    wait_for(lambda: r.lrange("test:ran", 0, -1), "the scheduled job", timeout=10)
    late = time.time() - target
    assert -0.05 < late < 1.0, late
