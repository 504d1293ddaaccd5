"""Batches of async jobs (issue 24): jobs on the async lane are tracked like thread jobs,
and the callbacks fire once each, after the retries."""

from __future__ import annotations

import json
from collections.abc import Callable

import redis
from batch_jobs import async_flaky, async_record, on_event

from workhorse.worker.launcher import WorkerProcess
from workhorse_pro.batches import Batch, BatchStatus

Waiter = Callable[..., object]


def events(r: redis.Redis) -> list[str]:
    return [json.loads(raw)["event"] for raw in r.lrange("t:callbacks", 0, -1)]


def test_async_jobs_complete_their_batch_and_fire_callbacks_once(
    r: redis.Redis,
    start_worker: Callable[..., WorkerProcess],
    waiter: Waiter,
    fast_retries: object,
) -> None:
    with Batch(description="async", on_complete=on_event, on_success=on_event) as batch:
        for i in range(30):
            async_record.perform_async(i)
        async_flaky.perform_async(100, 1)  # fails once: success waits for its retry
    worker = start_worker()
    assert worker.capsules[0].lane is not None
    assert BatchStatus(batch.bid).join(20, until="success")
    waiter(lambda: len(events(r)) >= 2, "both callbacks")
    assert events(r) == ["complete", "success"]
    assert sorted(json.loads(v) for v in r.lrange("t:ran", 0, -1)) == [*range(30), 100]
    status = BatchStatus(batch.bid)
    assert (status.total, status.pending, status.is_success) == (31, 0, True)
