"""workhorse.fetch: core's basic fetch (pop in queue order, block when empty, requeue)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from workhorse.config import parse_queues
from workhorse.fetch import BasicFetch, QueueOrder
from workhorse.keys import Keys


@pytest.fixture
def fetcher(redis_url: str) -> Iterator[BasicFetch]:
    f = BasicFetch(redis.Redis.from_url(redis_url), Keys(), parse_queues(["high", "low"]))
    yield f
    f.close()


def push(r: redis.Redis, queue: str, *jobs: str) -> None:
    r.lpush(f"queue:{queue}", *jobs)  # LPUSH, as every client enqueues


def test_strict_order_is_the_same_priority_list_every_time() -> None:
    order = QueueOrder(parse_queues(["high", "low"]))
    assert order() == ["high", "low"] and order() is order.queues


def test_weighted_order_visits_queues_in_proportion_to_their_weights() -> None:
    order = QueueOrder(parse_queues(["big,3", "small,1"]))
    firsts = [order()[0] for _ in range(4000)]
    assert 0.65 < firsts.count("big") / len(firsts) < 0.85
    assert all(sorted(order()) == ["big", "small"] for _ in range(50))


def test_queue_order_labels_each_queue_as_asked() -> None:
    order = QueueOrder(parse_queues(["a", "b"]), Keys(prefix="app").queue)
    assert order() == ["app:queue:a", "app:queue:b"]


def test_fetch_takes_the_oldest_jobs_first_from_the_first_queue(
    fetcher: BasicFetch, r: redis.Redis
) -> None:
    push(r, "low", "l1")
    push(r, "high", "h1", "h2")
    units = fetcher.fetch(max_jobs=2, timeout=1)
    assert [(u.queue, u.raw) for u in units] == [("high", "h1"), ("high", "h2")]


def test_fetch_takes_up_to_max_jobs_across_queues(fetcher: BasicFetch, r: redis.Redis) -> None:
    push(r, "high", "h1")
    push(r, "low", "l1", "l2")
    units = fetcher.fetch(max_jobs=10, timeout=1)
    assert [(u.queue, u.raw) for u in units] == [("high", "h1"), ("low", "l1"), ("low", "l2")]


def test_fetch_on_empty_queues_blocks_then_returns_nothing(fetcher: BasicFetch) -> None:
    started = time.monotonic()
    assert fetcher.fetch(max_jobs=5, timeout=1) == []
    assert time.monotonic() - started >= 0.9


def test_a_blocked_fetch_takes_the_job_pushed_while_it_waits(
    fetcher: BasicFetch, redis_url: str
) -> None:
    pusher = redis.Redis.from_url(redis_url)
    threading.Timer(0.2, lambda: push(pusher, "low", "late")).start()
    units = fetcher.fetch(max_jobs=5, timeout=5)
    assert [(u.queue, u.raw) for u in units] == [("low", "late")]


def test_bytes_that_are_not_utf8_are_fetched_as_they_were(
    fetcher: BasicFetch, r: redis.Redis
) -> None:
    push(r, "high", b"\xff job")  # type: ignore[arg-type]
    (unit,) = fetcher.fetch(max_jobs=1, timeout=1)
    assert unit.undecodable == b"\xff job" and unit.stored == b"\xff job"


def test_requeue_puts_jobs_back_at_the_front_in_their_order(
    fetcher: BasicFetch, r: redis.Redis
) -> None:
    push(r, "high", "h1", "h2", "h3")
    units = fetcher.fetch(max_jobs=2, timeout=1)
    fetcher.requeue(units)
    again = fetcher.fetch(max_jobs=3, timeout=1)
    assert [u.raw for u in again] == ["h1", "h2", "h3"]


def test_acknowledge_does_nothing_since_a_popped_job_already_left_redis(
    fetcher: BasicFetch, r: redis.Redis
) -> None:
    push(r, "high", "h1")
    (unit,) = fetcher.fetch(max_jobs=1, timeout=1)
    fetcher.acknowledge(unit)
    assert r.llen("queue:high") == 0


def fetch_on_a_loop(fetcher: BasicFetch, max_jobs: int, timeout: float) -> list[tuple[str, str]]:
    """One fetch as the async lane makes it on its event loop (over a client of its own)."""

    async def fetch() -> list[tuple[str, str]]:
        on_loop = fetcher.on_loop()
        assert on_loop is not None
        try:
            return [(u.queue, u.raw) for u in await on_loop.fetch(max_jobs, timeout)]
        finally:
            await on_loop.close()

    return asyncio.run(fetch())


def test_the_fetch_on_an_event_loop_takes_jobs_across_queues_in_order(
    fetcher: BasicFetch, r: redis.Redis
) -> None:
    push(r, "high", "h1")
    push(r, "low", "l1", "l2")
    r.script_flush()  # Redis forgot the fetch script (a restart): it is loaded again
    assert fetch_on_a_loop(fetcher, 10, 1) == [("high", "h1"), ("low", "l1"), ("low", "l2")]


def test_the_fetch_on_an_event_loop_pops_a_batch_of_one_queue(
    redis_url: str, r: redis.Redis
) -> None:
    one = BasicFetch(redis.Redis.from_url(redis_url), Keys(), parse_queues(["solo"]))
    push(r, "solo", "a", "b", "c")
    assert fetch_on_a_loop(one, 2, 1) == [("solo", "a"), ("solo", "b")]
    one.close()


def test_the_fetch_on_an_event_loop_blocks_on_empty_queues_then_takes_a_pushed_job(
    fetcher: BasicFetch, redis_url: str
) -> None:
    pusher = redis.Redis.from_url(redis_url)
    threading.Timer(0.2, lambda: push(pusher, "low", "late")).start()
    assert fetch_on_a_loop(fetcher, 5, 2) == [("low", "late")]
