"""Reliable fetch in every capsule (issue 22): each capsule's fetcher holds its jobs in
progress under a lease of its own, so a dead process's jobs come back from every capsule."""

from __future__ import annotations

import redis
from reliable_support import Workers, in_progress_keys, registered
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.config import Settings


def test_jobs_of_every_capsule_of_a_killed_process_are_recovered(
    redis_url: str, r: redis.Redis, workers: Workers
) -> None:
    survivor = workers.start("-q", "other")
    victim = workers.start("-c", "2", "--capsule", "serial:serial:1")
    wait_for(lambda: len(registered(r)) == 3, "the survivor and both capsules to register")
    victim_ids = [i for i in registered(r) if f":{victim.pid}:" in i]
    assert len(victim_ids) == 2 and any(i.endswith("#serial") for i in victim_ids)
    c = Client(settings=Settings(redis_url=redis_url))
    c.enqueue("reliable.slow", [60, "main"])
    c.enqueue("reliable.slow", [60, "serial"], queue="serial")
    wait_for(lambda: r.llen("test:started") == 2, "a job to start in each capsule")
    workers.kill(victim)
    wait_for(
        lambda: r.llen("queue:default") == 1 and r.llen("queue:serial") == 1,
        "the live worker to recover the jobs of both capsules",
        15,
    )
    assert in_progress_keys(r) == []
    assert survivor.poll() is None
