"""Limiters inside jobs: declarative limiters, and over-limit jobs rescheduled, not failed."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from limits_checks import most_holders, most_per_bucket
from support.licenses import subprocess_env, worker_command
from support.waiting import wait_for

import workhorse
from workhorse.client import Client
from workhorse.errors import ConfigError
from workhorse.worker.launcher import WorkerProcess
from workhorse_enterprise import limits
from workhorse_enterprise.limits.admission import Admission
from workhorse_enterprise.limits.rate import BucketLimiter

pytestmark = pytest.mark.usefixtures("enterprise")
HERE = Path(__file__).parent
StartWorker = Callable[..., WorkerProcess]


class LoggedBucket(BucketLimiter):
    """A bucket that logs each admission's server time: the proof of the rate."""

    def acquire(self, cost: int = 1, wait_timeout: float | None = None) -> Admission:
        lease = super().acquire(cost, wait_timeout)
        self.redis.rpush(f"log:{self.name}", f"{lease.admitted_at:.6f}")
        return lease


def admissions(rc: redis.Redis, name: str) -> list[float]:
    return [float(x) for x in rc.lrange(f"log:{name}", 0, -1)]


def test_200_jobs_through_a_20_per_second_bucket_run_at_the_limit_not_later(
    rc: redis.Redis,
    wh_client: Client,
    start_worker: StartWorker,
) -> None:
    limiter = LoggedBucket("mailer", 20, 1.0, wait_timeout=0)

    @workhorse.job(name="limits.mailer", limiter=limiter)
    def send(i: int) -> None:
        rc.rpush("ran", str(i))

    t0 = time.monotonic()
    send.perform_bulk([i] for i in range(200))
    start_worker(concurrency=10)
    wait_for(lambda: rc.llen("ran") == 200, "all 200 jobs to run", timeout=60)
    elapsed = time.monotonic() - t0
    admitted = admissions(rc, "mailer")
    per_second = Counter(int(t) for t in admitted)
    print(
        f"\n200 jobs at 20/s: {elapsed:.1f}s wall, {len(per_second)} seconds used, "
        f"per second {sorted(per_second.values(), reverse=True)}, "
        f"{rc.hget('lmtr-m-mailer', 'over')} reschedules"
    )
    assert sorted(int(i) for i in rc.lrange("ran", 0, -1)) == list(range(200))  # each once
    assert len(admitted) == 200 and most_per_bucket(admitted, 1.0) <= 20
    # rescheduled for the next free second, not a blind backoff: 10 full seconds, give or take
    assert len(per_second) <= 14
    assert rc.zcard("retry") == 0 and rc.zcard("dead") == 0


def test_an_over_limit_job_is_rescheduled_for_the_next_admission_with_overrated(
    rc: redis.Redis,
    wh_client: Client,
    start_worker: StartWorker,
) -> None:
    limiter = limits.bucket("daily", 1, per="day", wait_timeout=0)
    limiter.acquire()  # today's one admission is spent

    @workhorse.job(name="limits.daily", limiter=limiter)
    def report() -> None:
        rc.rpush("ran", "report")

    report.perform_async()
    start_worker()
    wait_for(lambda: rc.zcard("schedule"), "the job to be rescheduled")
    ((raw, score),) = rc.zrange("schedule", 0, -1, withscores=True)
    job = json.loads(raw)
    tomorrow = (int(time.time()) // 86400 + 1) * 86400
    assert job["overrated"] == 1 and "enqueued_at" not in job
    assert tomorrow <= score < tomorrow + 0.01 * 86400 + 2  # the next day, plus jitter
    assert rc.llen("ran") == 0 and rc.zcard("retry") == 0 and rc.zcard("dead") == 0


def test_past_the_reschedule_cap_the_job_fails_into_the_retry_path(
    rc: redis.Redis,
    wh_client: Client,
    start_worker: StartWorker,
) -> None:
    limiter = limits.bucket("capped", 1, per="day", wait_timeout=0, reschedules=2)
    limiter.acquire()

    @workhorse.job(name="limits.capped", limiter=limiter)
    def capped() -> None: ...

    wh_client.push({"class": "limits.capped", "args": [], "overrated": 2})
    start_worker()
    wait_for(lambda: rc.zcard("retry"), "the job to reach the retry set")
    job = json.loads(rc.zrange("retry", 0, 0)[0])
    assert job["error_class"].endswith("OverLimit") and "overrated" not in job
    assert rc.zcard("schedule") == 0


def test_a_limiter_used_inside_the_job_body_also_reschedules(
    rc: redis.Redis,
    wh_client: Client,
    start_worker: StartWorker,
) -> None:
    inner = limits.window("inner", 1, 60, wait_timeout=0)
    inner.acquire()

    @workhorse.job(name="limits.inner")
    def calls_api() -> None:
        with inner:
            rc.rpush("ran", "x")

    calls_api.perform_async()
    start_worker()
    wait_for(lambda: rc.zcard("schedule"), "the job to be rescheduled")
    assert json.loads(rc.zrange("schedule", 0, 0)[0])["overrated"] == 1
    assert rc.zcard("retry") == 0


def test_a_declarative_concurrent_limiter_is_released_after_success_and_failure(
    rc: redis.Redis,
    wh_client: Client,
    start_worker: StartWorker,
) -> None:
    pool = limits.concurrent("released", 1, wait_timeout=5)

    @workhorse.job(name="limits.released", limiter=pool, retry=False)
    def maybe_fail(fail: bool) -> None:
        rc.rpush("ran", str(fail))
        if fail:
            raise RuntimeError("boom")

    @workhorse.job(name="limits.released_async", limiter=pool)
    async def async_job() -> None:
        rc.rpush("ran", "async")

    maybe_fail.perform_async(True)
    maybe_fail.perform_async(False)
    async_job.perform_async()
    start_worker(concurrency=3)
    wait_for(lambda: rc.llen("ran") == 3, "the three jobs to run")
    wait_for(lambda: rc.hget("lmtr-m-released", "admitted") == "3", "three admissions")
    wait_for(lambda: rc.zcard("lmtr-c-released") == 0, "every slot to be released")


def test_the_limiter_option_must_be_a_limiter() -> None:
    with pytest.raises(ConfigError, match="limiter= must be a limiter"):
        workhorse.job(name="limits.bad", limiter="stripe")(lambda: None)


def test_two_worker_processes_share_a_declarative_concurrent_limit(
    rc: redis.Redis,
    redis_url: str,
    wh_client: Client,
    procs: list[subprocess.Popen[bytes]],
) -> None:
    wh_client.push_bulk({"class": "limits_jobs.hold", "args": [i]} for i in range(60))
    path = os.pathsep.join([str(HERE), str(HERE.parent.parent)])
    env = subprocess_env(("enterprise",), PYTHONPATH=path)
    for _ in range(2):
        procs.append(
            subprocess.Popen(
                worker_command(
                    "worker", "-r", "limits_jobs", "--redis-url", redis_url, "-c", "5", "-t", "3"
                ),
                cwd=HERE,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )
    wait_for(lambda: rc.llen("ran") == 60, "60 jobs to run in two processes", timeout=60)
    for proc in procs:
        proc.terminate()
        proc.wait(15)
    held = [tuple(float(x) for x in line.split()) for line in rc.lrange("log:job-pool", 0, -1)]
    print(
        f"\n60 jobs, 2 processes x 5 threads, limit 2: {rc.hget('lmtr-m-job-pool', 'over')} "
        f"reschedules, most at once {most_holders(held)}"
    )  # type: ignore[arg-type]
    assert len(held) == 60 and most_holders(held) == 2  # type: ignore[arg-type]
    assert sorted(int(i) for i in rc.lrange("ran", 0, -1)) == list(range(60))
