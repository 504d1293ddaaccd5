"""A job that raised: retried later with Sidekiq's error fields, dead, or discarded."""

from __future__ import annotations

import base64
import json
import time
import zlib
from collections.abc import Callable

import jobs_for_tests as jobs
import redis
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]


def test_failure_schedules_retry_with_sidekiq_error_fields(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jid = jobs.always_fails.perform_async(7)
    start_worker()
    ((raw, score),) = wait_for(lambda: r.zrange("retry", 0, -1, withscores=True), "the retry entry")
    job = json.loads(raw)
    assert job["jid"] == jid and job["retry_count"] == 0
    assert job["error_class"] == "ValueError" and job["error_message"] == "boom 7"
    assert isinstance(job["failed_at"], int) and "retried_at" not in job
    # count 0: 0**4 + 15 + rand(10) seconds
    assert time.time() + 14 < score < time.time() + 26
    wait_for(lambda: r.get("stat:failed") == "1", "the failed counter to be flushed")


def test_retries_exhausted_goes_to_dead(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    worker = start_worker()
    # Already failed twice (retry_count 1) with retry=2: this failure is the last.
    wh_client.push(
        {
            "class": "jobs_for_tests.always_fails",
            "args": [1],
            "retry": 2,
            "retry_count": 1,
            "failed_at": 1,
        }
    )
    (raw,) = wait_for(lambda: r.zrange("dead", 0, -1), "the dead entry")
    job = json.loads(raw)
    assert job["retry_count"] == 2 and "retried_at" in job
    assert r.zcard("retry") == 0
    wait_for(lambda: not worker.processor.running, "the worker thread to finish the job")


def test_retry_zero_sends_job_straight_to_dead_with_backtrace(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.dies_at_once.perform_async()
    start_worker()
    (raw,) = wait_for(lambda: r.zrange("dead", 0, -1), "the dead entry")
    job = json.loads(raw)
    lines = json.loads(zlib.decompress(base64.b64decode(job["error_backtrace"])))
    assert any("dies_at_once" in line for line in lines)
    assert r.zcard("retry") == 0


def test_retry_false_discards_without_dead_entry(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.discarded.perform_async()
    start_worker()
    wait_for(lambda: r.get("stat:failed") == "1", "the failure to be counted")
    assert r.zcard("dead") == 0 and r.zcard("retry") == 0


def test_unknown_job_name_fails_like_a_job_error(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    wh_client.enqueue("NoSuchJob", [1])
    start_worker()
    (raw,) = wait_for(lambda: r.zrange("retry", 0, -1), "the retry entry")
    job = json.loads(raw)
    assert job["error_class"] == "workhorse.errors.UnknownJobError"
    assert 'no job named "NoSuchJob"' in job["error_message"]
    assert "attempt 1 of 26" in job["error_message"]


def test_unknown_fields_are_preserved_through_retry(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    r.lpush(
        "queue:default",
        json.dumps(
            {
                "class": "jobs_for_tests.always_fails",
                "args": [1],
                "jid": "a" * 24,
                "retry": 3,
                "queue": "default",
                "custom": {"nested": [1, 2]},
                "bid": "xyz",
            }
        ),
    )
    start_worker()
    (raw,) = wait_for(lambda: r.zrange("retry", 0, -1), "the retry entry")
    job = json.loads(raw)
    assert job["custom"] == {"nested": [1, 2]} and job["bid"] == "xyz"


def test_dead_set_is_trimmed_to_its_caps(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    now = time.time()
    r.zadd("dead", {f'{{"class":"old{i}","args":[]}}': now - 200 * 86400 for i in range(3)})
    r.zadd("dead", {f'{{"class":"new{i}","args":[]}}': now - i for i in range(5)})
    worker = start_worker(dead_max_jobs=4)
    worker.processor.bury('{"class":"latest","args":[]}')
    members = r.zrange("dead", 0, -1)
    assert len(members) == 4 and not any("old" in m for m in members)
    assert members[-1] == '{"class":"latest","args":[]}'
