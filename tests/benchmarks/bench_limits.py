"""Rate-limiting speed: limiter operations per second and the cost per limited job.

Run: /work/venv/bin/python -m pytest tests/benchmarks/bench_limits.py -s
(not collected by the normal suite). Prints one table; asserts nothing about speed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis
from support.licenses import licensed
from support.waiting import wait_for

import workhorse
from workhorse import client as client_module
from workhorse.client import Client
from workhorse.config import Settings
from workhorse.middleware import JobContext
from workhorse.worker.launcher import WorkerProcess
from workhorse_enterprise import limits
from workhorse_enterprise.limits.middleware import LimitsMiddleware

OPS = 3000
THREADS = 8
JOBS = 2000
BIG = 10**9  # a limit never reached: we measure the cost of asking, not of waiting


@pytest.fixture
def client(redis_url: str) -> Iterator[Client]:
    with licensed(("enterprise",)):
        c = Client(settings=Settings(redis_url=redis_url))
        previous = client_module.set_default_client(c)
        yield c
        client_module.set_default_client(previous)


def makers() -> dict[str, Callable[[str], limits.Limiter]]:
    return {
        "concurrent": lambda n: limits.concurrent(n, BIG, wait_timeout=0),
        "bucket": lambda n: limits.bucket(n, BIG, per="hour", wait_timeout=0),
        "window": lambda n: limits.window(n, BIG, 0.05, wait_timeout=0),
        "leaky": lambda n: limits.leaky(n, BIG, 3600, wait_timeout=0),
        "points": lambda n: limits.points(n, BIG, per="hour", wait_timeout=0),
    }


def one_op(limiter: limits.Limiter) -> None:
    limiter.acquire().release()  # release is a no-op (no Redis call) for rate limiters


def ops_per_second(limiter: limits.Limiter, threads: int) -> float:
    per_thread = OPS // threads

    def run() -> None:
        for _ in range(per_thread):
            one_op(limiter)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return per_thread * threads / (time.perf_counter() - t0)


def middleware_us(mw: LimitsMiddleware, limiter: limits.Limiter | None) -> float:
    """Microseconds per job through the limits middleware (one thread, empty job)."""
    options: dict[str, object] = {} if limiter is None else {"limiter": limiter}
    definition = workhorse.Job(lambda: None, f"bench.{id(options)}", options)
    ctx = JobContext({"class": "bench", "args": []}, "default", "", definition)
    t0 = time.perf_counter()
    for _ in range(OPS):
        mw(ctx, lambda: None)
    return (time.perf_counter() - t0) / OPS * 1e6


def drain_rate(client: Client, rc: redis.Redis, limiter: limits.Limiter | None) -> float:
    """Jobs per second of one in-process worker (10 threads) draining JOBS empty jobs."""
    name = f"bench.job.{limiter.kind if limiter else 'none'}"
    options = {} if limiter is None else {"limiter": limiter}

    @workhorse.job(name=name, **options)
    def empty() -> None:
        rc.incr(f"done:{name}")

    client.push_bulk({"class": name, "args": []} for _ in range(JOBS))
    worker = WorkerProcess(client.settings.with_changes(concurrency=10, fetch_timeout=0.5))
    t0 = time.perf_counter()
    worker.start()
    wait_for(lambda: rc.get(f"done:{name}") == str(JOBS), f"{JOBS} {name} jobs", timeout=300)
    rate = JOBS / (time.perf_counter() - t0)
    worker.stop()
    worker.shutdown()
    client_module.set_default_client(client)
    return rate


def test_print_limiter_speed(client: Client) -> None:
    rc = client.redis
    rows = [
        (kind, ops_per_second(make(f"b1-{kind}"), 1), ops_per_second(make(f"b8-{kind}"), THREADS))
        for kind, make in makers().items()
    ]
    mw = LimitsMiddleware(client.settings, rc)
    base_us = middleware_us(mw, None)
    job_rows = []
    unlimited_rate = drain_rate(client, rc, None)
    for kind in ("bucket", "concurrent"):
        limiter = makers()[kind](f"bj-{kind}")
        job_rows.append(
            (kind, middleware_us(mw, limiter) - base_us, drain_rate(client, rc, limiter))
        )
    print("\n\nlimiter operations per second (admitted; concurrent = acquire + release)")
    print(f"{'type':<12}{'1 client':>12}{f'{THREADS} threads':>12}")
    for kind, single, many in rows:
        print(f"{kind:<12}{single:>12,.0f}{many:>12,.0f}")
    print(
        f"\noverhead per limited job ({OPS} jobs through the middleware, one thread), "
        f"and worker throughput ({JOBS} empty jobs, 10 threads)"
    )
    print(f"{'limiter':<12}{'+us/job':>12}{'jobs/s':>12}")
    print(f"{'none':<12}{0:>12.0f}{unlimited_rate:>12,.0f}")
    for kind, extra_us, rate in job_rows:
        print(f"{kind:<12}{extra_us:>12.0f}{rate:>12,.0f}")
