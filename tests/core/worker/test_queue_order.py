"""Which queue the worker takes from: strict priority or weighted random."""

from __future__ import annotations

from collections.abc import Callable

import jobs_for_tests as jobs
import redis
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]
Ran = Callable[[], list[str]]


def test_weighted_queues_all_get_work(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker, ran: Ran
) -> None:
    # Weighted order is random (critical first 3 times in 4): 100 jobs each keep the
    # chance that low wins the first half by luck near 1 in 10 million.
    for queue, tag in (("critical", "c"), ("low", "l")):
        jobs.record.set(queue=queue).perform_bulk([[f"{tag}{i}"] for i in range(100)])
    start_worker(queues=("critical,3", "low,1"), concurrency=1)
    wait_for(lambda: len(ran()) == 200, "all two hundred jobs")
    first_half = ran()[:100]
    assert sum(x.startswith("c") for x in first_half) > sum(x.startswith("l") for x in first_half)
    assert any(x.startswith("l") for x in first_half), "a weight-1 queue is not starved"


def test_strict_queue_order_drains_higher_priority_first(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker, ran: Ran
) -> None:
    for i in range(10):
        jobs.record.set(queue="low").perform_async(f"l{i}")
        jobs.record.set(queue="high").perform_async(f"h{i}")
    start_worker(queues=("high", "low"), concurrency=1)
    wait_for(lambda: len(ran()) == 20, "all twenty jobs")
    assert [x[0] for x in ran()] == ["h"] * 10 + ["l"] * 10
