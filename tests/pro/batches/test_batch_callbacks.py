"""Callbacks: complete, success and death fire once each, in order, as retried jobs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import redis
from batch_jobs import dies, discarded, fails_twice_then_records, flaky, on_event, record

from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess
from workhorse_pro.batches import Batch, BatchStatus

Waiter = Callable[..., object]


def callbacks(r: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in r.lrange("t:callbacks", 0, -1)]


def events(r: redis.Redis, bid: str | None = None) -> list[str]:
    return [c["event"] for c in callbacks(r) if bid is None or c["bid"] == bid]


def all_events(bid: str) -> dict[str, Any]:
    return {
        "on_complete": on_event,
        "on_success": on_event,
        "on_death": on_event,
        "callback_args": [bid],
    }


def test_complete_then_success_fire_once_with_the_final_counts(
    r: redis.Redis, start_worker: Callable[..., WorkerProcess], waiter: Waiter
) -> None:
    with Batch(
        description="ok", on_complete=on_event, on_success=on_event, callback_args=["tag-1"]
    ) as batch:
        for i in range(20):
            record.perform_async(i)
    start_worker()
    waiter(lambda: len(callbacks(r)) >= 2, "complete and success callbacks")
    got = callbacks(r)
    assert [c["event"] for c in got] == ["complete", "success"]
    assert all(c["tag"] == "tag-1" and c["total"] == 20 and c["pending"] == 0 for c in got)
    assert BatchStatus(batch.bid).join(5, until="success")
    status = BatchStatus(batch.bid)
    assert status.is_complete and status.is_success and status.complete_at <= status.success_at  # type: ignore[operator]
    assert (status.callback_state("complete"), status.callback_state("success")) == ("done", "done")
    assert r.llen("t:callbacks") == 2


def test_an_empty_batch_still_fires_its_callbacks(
    r: redis.Redis, wh_client: Client, start_worker: Callable[..., WorkerProcess], waiter: Waiter
) -> None:
    with Batch(description="empty", on_complete=on_event, on_success=on_event) as batch:
        pass
    start_worker()
    waiter(lambda: len(callbacks(r)) >= 2, "both callbacks of an empty batch")
    assert events(r) == ["complete", "success"]
    status = BatchStatus(batch.bid)
    assert (status.total, status.pending, status.is_success) == (0, 0, True)


def test_complete_fires_when_every_job_ran_and_success_after_the_retries(
    r: redis.Redis, start_worker: Callable[..., WorkerProcess], waiter: Waiter, fast_retries: object
) -> None:
    with Batch(**all_events("b")) as batch:
        flaky.perform_async(1, 1)
        flaky.perform_async(2, 0)
    start_worker()
    waiter(lambda: len(callbacks(r)) >= 2, "complete and success")
    complete, success = callbacks(r)
    assert complete["event"] == "complete" and complete["failures"] == 1
    assert success["event"] == "success" and success["failures"] == 0
    assert BatchStatus(batch.bid).failed_jids == []


def test_death_fires_once_and_the_batch_completes_without_success(
    r: redis.Redis, start_worker: Callable[..., WorkerProcess], waiter: Waiter
) -> None:
    with Batch(**all_events("d")) as batch:
        dead = [dies.perform_async(1), discarded.perform_async(2)]
        record.perform_async(3)
    start_worker()
    waiter(
        lambda: BatchStatus(batch.bid).callback_state("complete") == "done",
        "the complete callback to run",
    )
    assert sorted(events(r)) == ["complete", "death"]
    status = BatchStatus(batch.bid)
    assert sorted(status.dead_jids) == sorted(j for j in dead if j)
    assert (status.pending, status.failures, status.dead) == (2, 2, 2)
    assert status.is_dead and status.is_complete and not status.is_success


def test_a_failing_callback_is_retried_and_its_event_still_fires_once(
    r: redis.Redis, start_worker: Callable[..., WorkerProcess], waiter: Waiter, fast_retries: object
) -> None:
    with Batch(on_complete=fails_twice_then_records, on_success=on_event) as batch:
        record.perform_async(1)
    start_worker()
    waiter(lambda: len(callbacks(r)) >= 2, "the complete callback (3rd try) and success")
    assert events(r) == ["complete", "success"]
    assert r.hget("t:callback-attempts", "complete") == "3"
    assert BatchStatus(batch.bid).is_success


def test_a_callback_this_worker_does_not_know_is_enqueued_for_another(
    r: redis.Redis, start_worker: Callable[..., WorkerProcess], waiter: Waiter
) -> None:
    with Batch(
        on_success="BillingApp::Notify", callback_queue="callbacks", callback_args=[{"account": 7}]
    ) as batch:
        record.perform_async(1)
    start_worker(("default", "callbacks"))

    def enqueued_by_name() -> list[str]:
        # This worker works "callbacks" too (the dispatch runs there), so it may take the
        # job first and, not knowing the class, send it to retry: found in either place.
        found = [*r.lrange("queue:callbacks", 0, -1), *r.zrange("retry", 0, -1)]
        return [x for x in found if "BillingApp" in x]

    raw = waiter(enqueued_by_name, "the user's callback job to be enqueued")
    job = json.loads(raw[0])  # type: ignore[index]
    assert job["class"] == "BillingApp::Notify"
    status, options = job["args"]
    assert status["bid"] == batch.bid and status["event"] == "success"
    assert options == {"account": 7}


def test_join_waits_for_completion_and_ajoin_does_too(
    r: redis.Redis, start_worker: Callable[..., WorkerProcess]
) -> None:
    with Batch() as batch:
        for i in range(10):
            record.perform_async(i)
    status = BatchStatus(batch.bid)
    assert status.join(0.05) is False, "no worker yet: join times out"
    start_worker()
    assert status.join(20) is True and status.pending == 0
    assert asyncio.run(BatchStatus(batch.bid).ajoin(20, until="success")) is True
