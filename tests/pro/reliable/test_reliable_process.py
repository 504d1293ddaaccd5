"""Real worker processes: SIGKILL recovery by a live process, SIGTERM, poison pills, no license."""

from __future__ import annotations

import json
import signal

import redis
from reliable_support import Workers, in_progress_keys, registered
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.config import Settings
from workhorse_pro.reliable.poison import ERROR_CLASS


def client(url: str) -> Client:
    return Client(settings=Settings(redis_url=url))


def test_jobs_of_a_sigkilled_worker_are_recovered_by_a_live_one(
    redis_url: str, r: redis.Redis, workers: Workers
) -> None:
    # The survivor works another queue, so the recovered jobs stay visible in queue:default.
    survivor = workers.start("-q", "other")
    victim = workers.start("-c", "2")
    wait_for(lambda: len(registered(r)) == 2, "both workers to register")
    c = client(redis_url)
    c.enqueue("reliable.slow", [60, "a"])
    c.enqueue("reliable.slow", [60, "b"])
    wait_for(lambda: r.llen("test:started") == 2, "both slow jobs to start")
    workers.kill(victim)
    wait_for(lambda: r.llen("queue:default") == 2, "the live worker to recover both jobs", 15)
    assert in_progress_keys(r) == []
    assert survivor.poll() is None and len(registered(r)) == 1
    assert "recovered 2 job(s) of dead process" in workers.output(survivor)


def test_sigterm_puts_unfinished_jobs_back_and_leaves_nothing_in_progress(
    redis_url: str, r: redis.Redis, workers: Workers
) -> None:
    proc = workers.start("-t", "1")
    client(redis_url).enqueue("reliable.slow", [30, "long"])
    wait_for(lambda: r.llen("test:started") == 1, "the slow job to start")
    client(redis_url).enqueue("reliable.record", ["behind"])
    workers.kill(proc, signal.SIGTERM)
    assert proc.returncode == 0
    queued = [json.loads(raw)["class"] for raw in r.lrange("queue:default", 0, -1)]
    assert queued[-1] == "reliable.slow"  # back at the head: next to run
    assert in_progress_keys(r) == [] and registered(r) == []


def test_a_job_that_keeps_killing_its_process_ends_in_the_dead_set(
    redis_url: str, r: redis.Redis, workers: Workers
) -> None:
    env = {"WORKHORSE_RELIABLE_MAX_RECOVERIES": "2"}
    workers.start("-q", "other", env=env)  # stays alive to recover the victims' jobs
    client(redis_url).enqueue("reliable.suicide", ["pill"])
    for death in range(1, 3):
        victim = workers.start(env=env)
        wait_for(lambda v=victim: v.poll() is not None, f"the pill to kill worker {death}", 20)
    wait_for(lambda: r.zcard("dead") == 1, "the poison pill to reach the dead set", 15)
    (dead,) = r.zrange("dead", 0, -1)
    assert json.loads(dead)["class"] == "reliable.suicide"
    assert json.loads(dead)["error_class"] == ERROR_CLASS
    assert r.llen("queue:default") == 0 and in_progress_keys(r) == []
    assert r.llen("test:started") == 2


def test_unlicensed_worker_process_warns_and_runs_jobs_with_basic_fetch(
    redis_url: str, r: redis.Redis, workers: Workers
) -> None:
    proc = workers.start(tiers=None)
    client(redis_url).enqueue("reliable.record", ["free"])
    wait_for(lambda: r.hget("test:runs", "free") == "1", "the unlicensed worker to run a job")
    assert registered(r) == [] and in_progress_keys(r) == []
    workers.kill(proc, signal.SIGTERM)
    assert "reliable fetch is OFF" in workers.output(proc)
