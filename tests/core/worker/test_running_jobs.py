"""The worker runs every kind of job: sync, async, class-based, pushed by name."""

from __future__ import annotations

from collections.abc import Callable

import jobs_for_tests as jobs
import redis
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]
Ran = Callable[[], list[str]]


def test_runs_sync_async_and_class_jobs(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker, ran: Ran
) -> None:
    jobs.record.perform_async("plain")
    jobs.async_record.perform_async("co")
    jobs.ClassJob.perform_async("obj")
    jobs.hard_job.perform_async("ruby", 3)
    start_worker()
    wait_for(lambda: len(ran()) == 4, "four jobs to run")
    assert sorted(ran()) == ["async:co", "class:obj", "plain", "ruby:3"]
