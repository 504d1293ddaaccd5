"""Time limits (issue 18): JobTimeout in thread jobs, cancelled tasks for async jobs, the
worker-wide default, and the backstop for jobs that cannot be interrupted."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import lifecycle_jobs as jobs
import pytest
import redis
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.errors import ConfigError, JobFailed
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]


def notes(r: redis.Redis) -> list[str]:
    return r.lrange("test:notes", 0, -1)


def test_a_thread_job_past_its_limit_fails_with_job_timeout_and_is_retried(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jid = jobs.sleeper.set(timeout=0.2).perform_async(30, "slow")
    start_worker()
    (raw,) = wait_for(lambda: r.zrange("retry", 0, -1), "the timed-out job in the retry set")
    job = json.loads(raw)
    assert job["jid"] == jid and job["error_class"] == "JobTimeout"
    assert "time limit of 0.2s" in job["error_message"]
    assert "done:slow" not in notes(r)


def test_an_async_job_past_its_limit_is_cancelled_on_the_loop(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    handle = jobs.async_sleeper.set(timeout=0.2, retry=0, store_result=True).perform_async(30, "co")
    start_worker()
    with pytest.raises(JobFailed) as failed:
        handle.result(timeout=10)
    assert failed.value.error_class == "JobTimeout" and failed.value.state == "dead"
    assert notes(r) == ["start:co"]


def test_the_worker_wide_default_applies_to_jobs_without_a_limit(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.sleeper.set(retry=0).perform_async(30, "default-limited")
    start_worker(job_timeout=0.2)
    (raw,) = wait_for(lambda: r.zrange("dead", 0, -1), "the timed-out job in the dead set")
    assert json.loads(raw)["error_class"] == "JobTimeout"


def test_a_job_within_its_limit_is_untouched(wh_client: Client, start_worker: StartWorker) -> None:
    handle = jobs.sleeper.set(timeout=10, store_result=True).perform_async(0.05, "quick")
    start_worker()
    assert handle.result(timeout=10) == "quick"


def test_a_job_that_cannot_be_interrupted_is_abandoned_and_its_thread_replaced(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    stuck = jobs.stubborn.perform_async(20)
    after = jobs.add.perform_async(2, 2)
    worker = start_worker(concurrency=1, timeout_grace=0.3)
    with pytest.raises(JobFailed) as failed:
        stuck.result(timeout=10)
    assert failed.value.error_class == "JobTimeout"
    assert "abandoned and replaced" in failed.value.error_message
    assert after.result(timeout=10) == 4  # ran on the replacement thread
    wait_for(lambda: r.get("stat:failed") == "1", "the abandoned job counted as failed")
    assert worker.executor.busy_count() == 0


def test_a_garbled_limit_from_redis_means_no_limit(
    wh_client: Client, start_worker: StartWorker
) -> None:
    handle = wh_client.enqueue("lifecycle_jobs.add", [1, 2], timeout="soon", store_result=True)
    assert handle is not None
    start_worker()
    assert handle.result(timeout=10) == 3


@pytest.mark.parametrize("value", [0, -1, float("inf")])
def test_a_bad_worker_default_is_refused(
    wh_client: Client, start_worker: StartWorker, value: float
) -> None:
    with pytest.raises(ConfigError, match="job timeout must be a positive number"):
        start_worker(job_timeout=value)


@pytest.mark.parametrize("lane", [200, 0], ids=["on the async lane", "on a job thread"])
def test_an_async_job_that_swallows_its_cancellation_is_cancelled_again_at_the_backstop(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker, lane: int
) -> None:
    handle = jobs.swallows_one_cancel.set(timeout=0.2).perform_async(1.5)
    start_worker(async_concurrency=lane, timeout_grace=0.3)
    with pytest.raises(JobFailed) as failed:
        handle.result(timeout=10)
    assert failed.value.error_class == "JobTimeout"
    assert "ignored its time limit for 0.3s" in failed.value.error_message
    time.sleep(2.0)  # long enough for the swallower to finish, had it not been cancelled again
    assert notes(r) == ["start:swallower", "swallowed"]


@pytest.mark.parametrize("lane", [200, 0], ids=["on the async lane", "on a job thread"])
def test_an_async_job_that_ignores_every_cancellation_is_counted_and_not_waited_for(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker, lane: int
) -> None:
    stubborn = jobs.ignores_cancels.set(timeout=0.2).perform_async(3)
    after = jobs.add.perform_async(2, 2)
    worker = start_worker(async_concurrency=lane, concurrency=1, timeout_grace=0.3)
    with pytest.raises(JobFailed) as failed:
        stubborn.result(timeout=10)
    assert failed.value.error_class == "JobTimeout" and "no longer waited for" in str(failed.value)
    assert after.result(timeout=10) == 4  # the same thread went on to the next job
    wait_for(lambda: r.get("stat:failed") == "1", "the job counted as failed")
    assert "done:ignorer" not in notes(r) and worker.executor.busy_count() == 0
