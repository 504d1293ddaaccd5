"""Reopening a batch from its jobs, child batches, callback order and death propagation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import redis
from batch_jobs import add_more, on_event, record, spawn_children, spawn_dying_child

from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess
from workhorse_pro.batches import Batch, BatchStatus, list_batches

Waiter = Callable[..., object]


def callbacks(r: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in r.lrange("t:callbacks", 0, -1)]


def test_a_job_can_add_jobs_to_its_own_batch_and_the_batch_waits_for_them(
    r: redis.Redis, start_worker: Callable[..., WorkerProcess], waiter: Waiter
) -> None:
    with Batch(on_success=on_event, callback_args=["grow"]) as batch:
        add_more.perform_async(5)
    start_worker()
    waiter(lambda: callbacks(r), "the success callback")
    (success,) = callbacks(r)
    assert success["total"] == 6 and success["pending"] == 0
    ran = sorted(json.loads(x) for x in r.lrange("t:ran", 0, -1))
    assert ran == [f"more-{i}" for i in range(5)]
    assert BatchStatus(batch.bid).total == 6


def test_parent_callbacks_wait_for_every_child_callback(
    r: redis.Redis, start_worker: Callable[..., WorkerProcess], waiter: Waiter, fast_retries: object
) -> None:
    with Batch(
        description="parent", on_complete=on_event, on_success=on_event, callback_args=["p"]
    ) as parent:
        spawn_children.perform_async(3, 8, "p")
        record.perform_async("sibling")
    start_worker(concurrency=4)
    waiter(
        lambda: any(c["tag"] == "p" and c["event"] == "success" for c in callbacks(r)),
        "the parent's success callback",
        timeout=30,
    )
    order = [(c["tag"], c["event"]) for c in callbacks(r)]
    assert len(order) == len(set(order)) == 8, order  # 3 children x 2 events + parent x 2
    # A child that completes with failures lets the parent complete; the parent's
    # success still waits for the child's success (after the child's retries).
    for n in range(3):
        child = f"p.{n}"
        assert order.index((child, "complete")) < order.index((child, "success"))
        assert order.index((child, "complete")) < order.index(("p", "complete"))
        assert order.index((child, "success")) < order.index(("p", "success"))
    assert order[-1] == ("p", "success")
    status = BatchStatus(parent.bid)
    assert (status.total, status.children, status.pending) == (2, 3, 0)
    kids = [s for s in list_batches() if s.parent_bid == parent.bid]
    assert len(kids) == 3 and all(k.total == 8 and k.is_success for k in kids)


def test_a_child_death_propagates_to_its_parent_once(
    r: redis.Redis, start_worker: Callable[..., WorkerProcess], waiter: Waiter
) -> None:
    with Batch(on_death=on_event, on_complete=on_event, callback_args=["p"]) as parent:
        spawn_dying_child.perform_async("c1")
        spawn_dying_child.perform_async("c2")
    start_worker()

    def parent_done() -> bool:
        status = BatchStatus(parent.bid)
        return status.callback_state("complete") == status.callback_state("death") == "done"

    waiter(parent_done, "the parent's complete and death callbacks", timeout=20)
    order = [(c["tag"], c["event"]) for c in callbacks(r)]
    assert sorted(order) == [("c1", "death"), ("c2", "death"), ("p", "complete"), ("p", "death")]
    first_child_death = min(order.index(("c1", "death")), order.index(("c2", "death")))
    assert first_child_death < order.index(("p", "death"))
    status = BatchStatus(parent.bid)
    assert status.is_dead and status.is_complete and not status.is_success


def test_reopen_of_an_unknown_batch_says_it_does_not_exist(wh_client: Client) -> None:
    from workhorse_pro.batches import BatchNotFound

    with pytest.raises(BatchNotFound, match="does not exist"):
        Batch.reopen("nosuchbatch123")
    assert Batch.current() is None, "outside a batch job there is no current batch"
