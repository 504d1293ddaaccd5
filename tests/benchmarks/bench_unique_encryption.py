"""Unique jobs and encrypted arguments (issue 19; run on demand, prints figures).

    hatch run bench tests/benchmarks/bench_unique_encryption.py

- push cost of a unique job (one Lua call: check, lock, push) vs a plain push;
- no-op throughput of encrypted vs plain jobs, same worker, same run (target >= 80 %).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from statistics import median

import pytest
import redis
from support.licenses import licensed

from workhorse import client as client_module
from workhorse.client import Client
from workhorse.config import Settings
from workhorse.stats import snapshot
from workhorse.worker.launcher import WorkerProcess

sys.path.insert(0, str(Path(__file__).parents[1] / "enterprise" / "unique"))

import workhorse

FIGURES: list[tuple[str, str]] = []
THREADS = int(os.environ.get("WH_BENCH_THREADS", "10"))  # 1 shows the cost without GIL contention


@workhorse.job(name="bench.noop")
def noop(*args: object) -> None:
    pass


@workhorse.job(name="bench.noop_encrypted", encrypt=True)
def noop_encrypted(*args: object) -> None:
    pass


@workhorse.job(name="bench.noop_unique", unique_for=600)
def noop_unique(*args: object) -> None:
    pass


def figure(name: str, value: str) -> None:
    FIGURES.append((name, value))
    print(f"{name:<58} {value}")


@pytest.fixture(scope="module", autouse=True)
def table() -> Iterator[None]:
    yield
    print("\n| measure | value |\n|---|---|")
    for name, value in FIGURES:
        print(f"| {name} | {value} |")


@pytest.fixture
def client(redis_url: str) -> Iterator[Client]:
    os.environ["WORKHORSE_ENCRYPTION_KEYS"] = "1:" + "A" * 43 + "="
    with licensed(("pro", "enterprise")):
        c = Client(settings=Settings(redis_url=redis_url, fetch_timeout=1.0, poll_interval=0.05))
        previous = client_module.set_default_client(c)
        yield c
        client_module.set_default_client(previous)
    os.environ.pop("WORKHORSE_ENCRYPTION_KEYS", None)


def per_push_us(push: Callable[[int], object], n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        push(i)
    return (time.perf_counter() - t0) / n * 1e6


def test_push_cost_of_a_unique_job_vs_a_plain_one(r: redis.Redis, client: Client) -> None:
    n = 5_000
    plain = min(per_push_us(lambda i: noop.perform_async(i), n) for _ in range(3))
    r.flushdb()
    unique = min(per_push_us(lambda i: noop_unique.perform_async(i), n) for _ in range(1))
    refused = per_push_us(lambda i: noop_unique.perform_async(i), n)  # all held now
    figure("plain push (µs/job)", f"{plain:.0f}")
    figure("unique push, lock taken (µs/job)", f"{unique:.0f}")
    figure("unique push, refused (µs/job)", f"{refused:.0f}")
    figure("unique / plain push cost", f"{unique / plain:.2f}x")


def run_until(count: Callable[[], int], target: int, timeout: float = 300) -> float:
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    while count() < target:
        assert time.monotonic() < deadline, f"timed out waiting for {target} jobs"
        time.sleep(0.01)
    return time.perf_counter() - t0


def test_encrypted_no_op_throughput_vs_plain(r: redis.Redis, client: Client) -> None:
    n, rounds = 20_000, 7
    rates: dict[str, list[float]] = {"plain": [], "encrypted": []}
    cpu_us: dict[str, list[float]] = {"plain": [], "encrypted": []}
    secret = {"card": "4111 1111 1111 1111", "cvc": "123"}

    def drain(kind: str) -> None:
        worker = WorkerProcess(client.settings.with_changes(concurrency=THREADS))
        cpu0 = time.process_time()  # this process's CPU: what other engineers' load cannot skew
        worker.start()
        try:
            rates[kind].append(n / run_until(lambda: snapshot(worker.executor.stats).processed, n))
            cpu_us[kind].append((time.process_time() - cpu0) / n * 1e6)
        finally:
            worker.stop()
            worker.shutdown()

    for _ in range(rounds):  # paired, alternating rounds: warm-up and drift hit both alike
        noop.perform_bulk(("visible", secret) for _ in range(n))
        drain("plain")
        noop_encrypted.perform_bulk(("visible", secret) for _ in range(n))
        drain("encrypted")
    assert r.zcard("dead") == 0 and r.zcard("retry") == 0
    plain, encrypted = max(rates["plain"]), max(rates["encrypted"])
    paired = sorted(e / p for p, e in zip(rates["plain"], rates["encrypted"], strict=True))
    cpu = sorted(p / e for p, e in zip(cpu_us["plain"], cpu_us["encrypted"], strict=True))
    figure(f"plain no-op jobs/s (1 process, {THREADS} threads)", f"{plain:,.0f}")
    figure("encrypted no-op jobs/s (same worker, same run)", f"{encrypted:,.0f}")
    figure("encrypted / plain throughput (best of each)", f"{100 * encrypted / plain:.0f} %")
    figure("encrypted / plain, paired rounds (median; all)", _ratios(paired))
    figure(
        "CPU µs/job plain, encrypted (median)",
        f"{median(cpu_us['plain']):.1f}, {median(cpu_us['encrypted']):.1f}",
    )
    figure("plain / encrypted CPU per job, paired (median; all)", _ratios(cpu))


def _ratios(ratios: list[float]) -> str:
    return f"{100 * median(ratios):.0f} %; " + " ".join(f"{100 * x:.0f}" for x in ratios)
