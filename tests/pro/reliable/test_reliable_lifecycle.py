"""Issue 18 with reliable fetch and real worker processes: a worker SIGKILLed mid-job loses
neither a stored result nor an iterable job's place."""

from __future__ import annotations

from pathlib import Path

import redis
from reliable_support import Workers, registered
from support.waiting import wait_for

import workhorse
from workhorse.client import Client
from workhorse.config import Settings

JOBS = str(Path(__file__).parents[2] / "core" / "lifecycle_jobs.py")


def client(url: str) -> Client:
    return Client(settings=Settings(redis_url=url))


def items(r: redis.Redis) -> list[int]:
    return [int(n.split(":")[1]) for n in r.lrange("test:notes", 0, -1) if n.startswith("item:")]


def test_a_killed_job_is_recovered_and_its_result_still_arrives(
    redis_url: str, r: redis.Redis, workers: Workers
) -> None:
    victim = workers.start("-r", JOBS)
    wait_for(lambda: len(registered(r)) == 1, "the worker to register")
    c = client(redis_url)
    handle = c.enqueue("lifecycle_jobs.sleeper", [1.5, "survives"], store_result=True)
    assert handle is not None
    wait_for(lambda: "start:survives" in r.lrange("test:notes", 0, -1), "the job to start")
    workers.kill(victim)
    assert handle.completion() is None
    workers.start("-r", JOBS)
    assert workhorse.job_handle(handle, c).result(timeout=30) == "survives"
    assert r.lrange("test:notes", 0, -1).count("start:survives") == 2  # ran again, once


def test_a_killed_iterable_job_resumes_from_its_cursor(
    redis_url: str, r: redis.Redis, workers: Workers
) -> None:
    victim = workers.start("-r", JOBS)
    wait_for(lambda: len(registered(r)) == 1, "the worker to register")
    c = client(redis_url)
    c.enqueue("lifecycle_jobs.Walk", [60, 0.05, -1])
    wait_for(lambda: len(items(r)) >= 10, "ten items")
    workers.kill(victim)
    done_before = len(items(r))
    workers.start("-r", JOBS)
    wait_for(lambda: set(items(r)) == set(range(60)), "every item", timeout=40)
    seen = items(r)
    assert len(seen) - 60 <= 1  # at most the item in flight at the kill ran twice
    assert seen.count(0) == 1 and done_before >= 10  # it did not start over
