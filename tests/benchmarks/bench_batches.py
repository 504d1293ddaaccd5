"""Batch benchmarks and the full-size proofs of issue 8 (run on demand, prints figures).

    /work/venv/bin/python -m pytest tests/benchmarks/bench_batches.py -s

- creating a 100,000-job batch (atomic, and chunked with atomic=False) vs push_bulk;
- throughput of batch jobs vs plain no-op jobs, same worker, same run (target >= 70 %);
- Redis memory per pending job (INFO used_memory delta, MEMORY USAGE of the pending set);
- the 10,000-job batch with random failures and retries across two worker processes.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from support.licenses import licensed

from workhorse import client as client_module
from workhorse.client import Client
from workhorse.config import Settings
from workhorse.stats import snapshot
from workhorse.worker.launcher import WorkerProcess

sys.path.insert(0, str(Path(__file__).parents[1] / "pro" / "batches"))

from batch_jobs import noop, on_event, planned_failures, sometimes_fails
from batch_support import RetryClock, Workers

from workhorse_pro.batches import Batch, BatchStatus
from workhorse_pro.batches.keys import BatchKeys

FIGURES: list[tuple[str, str]] = []


def figure(name: str, value: str) -> None:
    FIGURES.append((name, value))
    print(f"{name:<58} {value}")


@pytest.fixture(scope="module", autouse=True)
def table() -> Iterator[None]:
    yield
    print("\n| measure | value |\n|---|---|")
    for name, value in FIGURES:
        print(f"| {name} | {value} |")


@pytest.fixture(autouse=True)
def pro_license() -> Iterator[None]:
    with licensed(("pro",)):
        yield


@pytest.fixture
def client(redis_url: str) -> Iterator[Client]:
    c = Client(settings=Settings(redis_url=redis_url, fetch_timeout=1.0, poll_interval=0.05))
    previous = client_module.set_default_client(c)
    yield c
    client_module.set_default_client(previous)


def used_memory(r: redis.Redis) -> int:
    return int(r.info("memory")["used_memory"])


def test_create_a_100k_job_batch(r: redis.Redis, client: Client) -> None:
    n = 100_000
    t0 = time.perf_counter()
    noop.perform_bulk([] for _ in range(n))
    plain = time.perf_counter() - t0
    r.flushdb()
    base = used_memory(r)
    t0 = time.perf_counter()
    with Batch(description="100k") as batch:
        for _ in range(n):
            noop.perform_async()
    atomic = time.perf_counter() - t0
    batch_memory = used_memory(r) - base
    pending_set = int(r.memory_usage(BatchKeys(client.keys).pending(batch.bid)) or 0)
    r.flushdb()
    base = used_memory(r)
    noop.perform_bulk([] for _ in range(n))
    plain_memory = used_memory(r) - base
    r.flushdb()
    t0 = time.perf_counter()
    with Batch(description="100k bulk"):
        noop.perform_bulk([] for _ in range(n))
    bulk = time.perf_counter() - t0
    r.flushdb()
    t0 = time.perf_counter()
    with Batch(description="100k chunked", atomic=False, flush_every=10_000):
        for _ in range(n):
            noop.perform_async()
    chunked = time.perf_counter() - t0
    assert r.llen("queue:default") == n
    figure("create 100,000-job batch, atomic, perform_async loop (s)", f"{atomic:.2f}")
    figure("create 100,000-job batch, atomic, perform_bulk inside (s)", f"{bulk:.2f}")
    figure("create 100,000-job batch, atomic=False flush_every=10,000 (s)", f"{chunked:.2f}")
    figure("push_bulk 100,000 plain jobs, for comparison (s)", f"{plain:.2f}")
    figure("Redis memory per pending batch job, total (bytes)", f"{batch_memory / n:.0f}")
    figure(
        "  of which batch bookkeeping (vs a plain job) (bytes)",
        f"{(batch_memory - plain_memory) / n:.0f}",
    )
    figure("  MEMORY USAGE of the pending-jid set per job (bytes)", f"{pending_set / n:.0f}")


def run_until(worker_count: Callable[[], int], target: int, timeout: float = 300) -> float:
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    while worker_count() < target:
        assert time.monotonic() < deadline, f"timed out waiting for {target} jobs"
        time.sleep(0.01)
    return time.perf_counter() - t0


def test_batch_job_throughput_vs_plain_jobs(r: redis.Redis, client: Client) -> None:
    n, rounds = 20_000, 3
    results: dict[str, list[float]] = {"plain": [], "batch": []}

    def drain() -> float:
        """Start a worker on the filled queue; jobs/s until it has run all n."""
        worker = WorkerProcess(client.settings.with_changes(concurrency=10))
        worker.start()
        try:
            return n / run_until(lambda: snapshot(worker.executor.stats).processed, n)
        finally:
            worker.stop()
            worker.shutdown()

    for _ in range(rounds):  # alternate so warm-up and drift hit both alike
        noop.perform_bulk([] for _ in range(n))
        results["plain"].append(drain())
        with Batch(description="throughput") as batch:
            noop.perform_bulk([] for _ in range(n))
        results["batch"].append(drain())
        assert BatchStatus(batch.bid).pending == 0
    plain, batched = max(results["plain"]), max(results["batch"])
    figure("plain no-op jobs/s (1 process, 10 threads)", f"{plain:,.0f}")
    figure("batch no-op jobs/s (same worker, same run)", f"{batched:,.0f}")
    figure("batch / plain throughput", f"{100 * batched / plain:.0f} %")


def test_full_size_10k_batch_with_retries_across_two_processes(
    r: redis.Redis, client: Client, redis_url: str, tmp_path: Path
) -> None:
    size = 10_000
    clock = RetryClock(r, client.keys)
    clock.thread.start()
    workers = Workers(redis_url, r)
    try:
        with Batch(
            description="10k",
            on_complete=on_event,
            on_success=on_event,
            on_death=on_event,
            callback_args=["p"],
        ) as batch:
            sometimes_fails.perform_bulk([i] for i in range(size))
        t0 = time.perf_counter()
        env = {"WORKHORSE_RELIABLE_LEASE": "5"}
        workers.start(tmp_path, concurrency=10, env=env)
        workers.start(tmp_path, concurrency=10, env=env)
        assert BatchStatus(batch.bid).join(600, until="success")
        elapsed = time.perf_counter() - t0
        deadline = time.monotonic() + 30
        while r.llen("t:callbacks") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)
    finally:
        workers.reap()
        clock.stop.set()
    status = BatchStatus(batch.bid)
    events = Counter(json.loads(x)["event"] for x in r.lrange("t:callbacks", 0, -1))
    failing = sum(1 for i in range(size) if planned_failures(i))
    assert (status.total, status.pending, status.failures) == (size, 0, 0)
    assert events == Counter({"complete": 1, "success": 1})
    attempts = {int(k): int(v) for k, v in r.hgetall("t:attempts").items()}
    assert all(attempts[i] == planned_failures(i) + 1 for i in range(size))
    figure("10,000-job batch, 2 processes, jobs that failed >= once", f"{failing:,}")
    figure("10,000-job batch, 2 processes, time to success (s)", f"{elapsed:.1f}")
    figure("10,000-job batch: counts exact, callbacks once each", "yes")
