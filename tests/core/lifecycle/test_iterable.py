"""Iterable jobs (issue 18): the cursor is saved as the job goes, so a retry, a pause at
max_run_time or a shutdown carries on where it stopped; limits apply per item."""

from __future__ import annotations

import json
from collections.abc import Callable

import lifecycle_jobs as jobs
import pytest
import redis
from support.waiting import wait_for

import workhorse
from workhorse.client import Client
from workhorse.errors import ConfigError
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]


def items(r: redis.Redis) -> list[int]:
    return [int(n.split(":")[1]) for n in r.lrange("test:notes", 0, -1) if n.startswith("item:")]


def test_a_retry_carries_on_after_the_last_item_done(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jid = jobs.Walk.perform_async(5, 0.0, 2)
    start_worker()
    wait_for(lambda: items(r) == [0, 1, 3, 4] or items(r) == [0, 1, 2, 3, 4], "the walk")
    assert items(r) == [0, 1, 2, 3, 4]  # item 2 failed once, then ran; 0 and 1 never again
    wait_for(lambda: not r.exists(f"cursor:{jid}"), "the cursor to be dropped at the end")


def test_max_run_time_re_enqueues_the_same_job_which_resumes(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.QuickWalk.perform_async(25, 0.02, -1)
    start_worker()
    wait_for(lambda: len(items(r)) == 25, "all items", timeout=20)
    assert items(r) == list(range(25))


def test_a_shutdown_saves_the_place_and_the_next_worker_resumes(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jid = jobs.Walk.perform_async(40, 0.05, -1)
    first = start_worker()
    wait_for(lambda: len(items(r)) >= 3, "a few items")
    first.stop()
    first.shutdown()
    (raw,) = r.lrange("queue:default", 0, -1)
    assert json.loads(raw)["jid"] == jid  # back in its queue, same job
    assert json.loads(r.get(f"cursor:{jid}"))["cursor"] == items(r)[-1]
    start_worker()
    wait_for(lambda: len(items(r)) == 40, "the rest of the items", timeout=20)
    assert items(r) == list(range(40))


def test_the_time_limit_applies_to_each_item(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.SlowItem.perform_async(10, 0.1, 6)  # 10 items of 0.1 s pass a 0.3 s limit...
    start_worker()
    (raw,) = wait_for(lambda: r.zrange("dead", 0, -1), "the slow item's timeout")
    assert json.loads(raw)["error_class"] == "JobTimeout"  # ...item 6 (1 s) does not
    assert items(r) == list(range(7))


def test_async_iterable_jobs_walk_too(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.AsyncWalk.perform_async(5, 0.0)
    start_worker()
    wait_for(lambda: items(r) == [0, 1, 2, 3, 4], "the async walk")


def test_a_cancelled_walk_stops_and_forgets_its_place(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    handle = jobs.Walk.perform_async(1000, 0.02, -1)
    start_worker()
    wait_for(lambda: handle.status().state == "running", "the walk to run")
    workhorse.cancel(handle)
    wait_for(lambda: handle.status().state == "cancelled", "the walk to stop")
    assert len(items(r)) < 1000 and not r.exists(f"cursor:{handle}")


def test_a_garbled_cursor_fails_the_job_clearly_and_is_kept(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    handle = jobs.Walk.set(retry=0).perform_async(5, 0.0, -1)
    r.set(f"cursor:{handle}", b"\xff\xfe not json")
    start_worker()
    (raw,) = wait_for(lambda: r.zrange("dead", 0, -1), "the job to die")
    assert "delete the key to start job" in json.loads(raw)["error_message"]
    assert items(r) == [] and r.exists(f"cursor:{handle}")


def test_calling_an_iterable_job_outside_a_worker_says_how_to_run_it() -> None:
    with pytest.raises(ConfigError, match="enqueue it with perform_async"):
        jobs.Walk(3, 0.0, -1)
