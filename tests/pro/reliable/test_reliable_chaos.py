"""Chaos (CI length): workers SIGKILLed every ~2 s while they run; zero loss is the pass.

The full 20,000-job version and the Redis-restart variant are in
tests/benchmarks/bench_reliable_fetch.py.
"""

from __future__ import annotations

import json

import redis
from reliable_support import Workers, enqueue_ledger_jobs, in_progress_keys, run_chaos
from support.waiting import wait_for

JOBS = 3_000


def test_sigkilling_workers_loses_no_job(redis_url: str, r: redis.Redis, workers: Workers) -> None:
    enqueue_ledger_jobs(redis_url, JOBS, sleep_ms=20)
    report = run_chaos(r, workers, JOBS, processes=3, concurrency=4, kill_every=1.5, deadline=60)
    print(report.line())
    assert report.ran == JOBS and report.kills >= 2
    wait_for(lambda: in_progress_keys(r) == [], "every in-progress list to be emptied", 15)
    assert r.llen("queue:default") == 0 and r.zcard("dead") == 0


def test_killing_the_poller_mid_move_loses_and_duplicates_nothing(
    redis_url: str, r: redis.Redis, workers: Workers
) -> None:
    """Core's poller moves due jobs with one Lua call per 100 (reliable scheduling)."""
    total = 5_000
    pipe = r.pipeline(transaction=False)
    for n in range(total):
        member = json.dumps(
            {
                "class": "reliable.noop",
                "args": [],
                "jid": f"{n:024x}",
                "queue": "default",
                "retry": True,
                "created_at": 1,
            }
        )
        pipe.zadd("schedule", {member: 1000 + n})
    pipe.execute()
    poller = workers.start("-q", "other")  # polls, but never works queue:default
    wait_for(lambda: r.llen("queue:default") > 0, "the poller to start moving", 20, 0.002)
    workers.kill(poller)
    moved_before_kill = r.llen("queue:default")
    assert moved_before_kill + r.zcard("schedule") == total
    workers.start("-q", "other")
    wait_for(lambda: r.zcard("schedule") == 0, "a new poller to move the rest", 20)
    jids = [json.loads(raw)["jid"] for raw in r.lrange("queue:default", 0, -1)]
    assert len(jids) == total and len(set(jids)) == total
    print(f"poller killed after moving {moved_before_kill} of {total}")
