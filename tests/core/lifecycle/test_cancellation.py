"""Cancellation (issue 18): waiting jobs are removed, running ones stopped through Redis,
cancelled jobs are never retried and read ``cancelled``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import lifecycle_jobs as jobs
import pytest
import redis
from support.removals import listening_for_removals
from support.waiting import wait_for

import workhorse
from workhorse import handlers
from workhorse.client import Client
from workhorse.errors import JobCancelled
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]


@pytest.fixture
def deaths() -> Iterator[list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    handlers.on_death(lambda job, error: seen.append((str(job.get("jid")), type(error).__name__)))
    yield seen
    handlers.clear()


def notes(r: redis.Redis) -> list[str]:
    return r.lrange("test:notes", 0, -1)


def test_a_queued_job_is_removed_and_never_runs(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    doomed = jobs.add.perform_async(1, 1)
    kept = jobs.add.perform_async(2, 2)
    assert workhorse.cancel(doomed) == "removed"
    assert doomed.status().state == "cancelled"
    start_worker()
    assert kept.result(timeout=10) == 4
    with pytest.raises(JobCancelled):
        doomed.result(timeout=1)


def test_cancelling_a_waiting_job_runs_death_handlers_and_tells_plugins_it_was_cancelled(
    wh_client: Client, deaths: list[tuple[str, str]]
) -> None:
    """As for a running job, whose worker runs them: here the cancelling process does."""
    with listening_for_removals() as listener:
        queued = jobs.add.perform_async(1, 1)
        later = jobs.add.perform_in(3600, 1, 1)
        assert queued.cancel() == "removed" and later.cancel() == "removed"
    assert deaths == [(queued, "JobCancelled"), (later, "JobCancelled")]
    assert listener.heard == [("cancelled", [queued]), ("cancelled", [later])]


def test_scheduled_and_retrying_jobs_are_removed(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    later = jobs.add.perform_in(3600, 1, 1)
    assert later.cancel() == "removed"
    assert r.zcard("schedule") == 0
    retrying = jobs.fails_once_then_waits.perform_async()
    start_worker()
    wait_for(lambda: r.zcard("retry") == 1, "the retry")
    assert workhorse.cancel(retrying) == "removed"
    assert r.zcard("retry") == 0 and retrying.status().state == "cancelled"


def test_a_running_thread_job_is_interrupted_not_retried_and_handlers_run(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker, deaths: list[tuple[str, str]]
) -> None:
    running = jobs.sleeper.perform_async(30, "victim")  # retry=True by default
    start_worker()
    # Running jobs are published with the heartbeat: until then a lookup does not see it.
    wait_for(lambda: running.status().state == "running", "the job to show as running")
    assert running.cancel() == "signalled"
    wait_for(lambda: running.status().state == "cancelled", "the job to stop")
    # The record is written first, then the death handlers run (on the job's thread):
    # the record can be read a moment before they ran.
    wait_for(lambda: bool(deaths), "the death handlers")
    assert "done:victim" not in notes(r)
    assert r.zcard("retry") == 0 and r.zcard("dead") == 0
    assert deaths == [(running, "JobCancelled")]


def test_a_running_async_job_has_its_task_cancelled(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    running = jobs.async_sleeper.perform_async(30, "co")
    start_worker()
    wait_for(lambda: "start:co" in notes(r), "the job to start")
    workhorse.cancel(running)
    with pytest.raises(JobCancelled):
        running.result(timeout=10)
    assert r.zcard("retry") == 0


@pytest.mark.parametrize("lane", [200, 0], ids=["on the async lane", "on a job thread"])
def test_a_running_async_job_that_ignores_its_cancellation_is_given_up_on_and_counted(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker, lane: int
) -> None:
    running = jobs.ignores_cancels.perform_async(4)
    start_worker(async_concurrency=lane, timeout_grace=0.3)
    wait_for(lambda: "start:ignorer" in notes(r), "the job to start")
    started = time.monotonic()
    workhorse.cancel(running)
    with pytest.raises(JobCancelled, match=r"ignored its cancellation for 0\.3s"):
        running.result(timeout=10)
    assert time.monotonic() - started < 3.0  # the backstop, not the coroutine's own end
    wait_for(lambda: r.get("stat:failed") == "1", "the job counted as failed")
    assert r.zcard("retry") == 0


def test_a_job_sees_current_job_cancelled_and_can_clean_up(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    running = jobs.polite.perform_async(30)
    start_worker()
    wait_for(lambda: f"start:{running}" in notes(r), "the job to start")
    workhorse.cancel(running)
    wait_for(lambda: "cleanup" in notes(r), "the job's own cleanup")
    wait_for(lambda: running.status().state == "cancelled", "the cancelled record")


def test_current_job_is_none_outside_a_job() -> None:
    assert workhorse.current_job() is None


def test_cancelling_the_unknown_or_the_finished(
    wh_client: Client, start_worker: StartWorker
) -> None:
    assert workhorse.cancel("f" * 24) == "unknown"
    done = jobs.add.perform_async(1, 2)
    start_worker()
    assert done.result(timeout=10) == 3
    assert done.cancel() == "finished"
    assert done.result(timeout=1) == 3


def test_a_cancel_request_is_remembered_for_a_later_pickup(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    """A job the lookup did not see (e.g. held by another process's fetch) is stopped when
    it runs."""
    jid = "c" * 24
    assert workhorse.cancel(jid) == "unknown"
    r.lpush(
        "queue:default",
        json.dumps(
            {
                "class": "lifecycle_jobs.sleeper",
                "args": [30, "late"],
                "jid": jid,
                "queue": "default",
                "retry": True,
            }
        ),
    )
    start_worker()
    wait_for(lambda: workhorse.job_handle(jid).status().state == "cancelled", "the stop")
    assert r.zcard("retry") == 0
