"""Observability overhead benchmark (issue 20). Prints a table; asserts nothing about speed.

Run: hatch run bench tests/benchmarks/bench_observability.py

No-op drain rate of one in-process worker (BENCH_OBS_THREADS threads, default 5)
over BENCH_OBS_JOBS pre-enqueued jobs (default 40,000), in paired rounds that
alternate the order of the configurations, so drift of a shared machine hits
each alike. Reported: each configuration's median rate and the median of its
per-round ratio to the baseline (1.00 = no cost), and the same for the
process's CPU time per job (steadier than wall time on a shared machine; a
ratio above 1 is a cost):

* baseline      - nothing exported, no logging configured (the default)
* prometheus    - ``metrics_port`` set: per (class, queue) counts and histogram
                  (the per-job cost; a scrape's own cost is printed apart, it
                  runs once per scrape interval, not per job)
* job logs json - start/done lines with job fields, JSON, written to /dev/null
"""

from __future__ import annotations

import io
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
import bench_jobs  # noqa: E402
from support import redis_server  # noqa: E402

from workhorse import logs  # noqa: E402
from workhorse.client import Client, set_default_client  # noqa: E402
from workhorse.config import Settings, parse_queues  # noqa: E402
from workhorse.connection import connect  # noqa: E402
from workhorse.worker.launcher import WorkerProcess  # noqa: E402

N_JOBS = int(os.environ.get("BENCH_OBS_JOBS", "40000"))
THREADS = int(os.environ.get("BENCH_OBS_THREADS", "5"))
ROUNDS = int(os.environ.get("BENCH_OBS_ROUNDS", "5"))


@contextmanager
def baseline(settings: Settings) -> Iterator[Settings]:
    yield settings


@contextmanager
def prometheus(settings: Settings) -> Iterator[Settings]:
    yield settings.with_changes(metrics_port=0, http_host="127.0.0.1")


@contextmanager
def job_logs_json(settings: Settings) -> Iterator[Settings]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure("INFO", "json")
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    with open(os.devnull, "w") as sink:
        handler.setStream(sink)
        try:
            yield settings
        finally:
            root.handlers[:], _ = saved
            root.setLevel(saved[1])
            for name in logs.OUR_LOGGERS:
                logging.getLogger(name).setLevel(logging.NOTSET)


CONFIGS: dict[str, Callable[[Settings], Iterator[Settings]]] = {
    "baseline": baseline,  # type: ignore[dict-item]
    "prometheus": prometheus,  # type: ignore[dict-item]
    "job logs json": job_logs_json,  # type: ignore[dict-item]
}


def scrape_cost(settings: Settings, client: Client) -> tuple[float, int]:
    """Median wall milliseconds of one /metrics scrape of a worker, and the body's size."""
    worker = WorkerProcess(settings.with_changes(metrics_port=0, http_host="127.0.0.1"))
    worker.start()
    try:
        url = f"http://127.0.0.1:{worker.servers[0].port}/metrics"
        times, size = [], 0
        for _ in range(20):
            t0 = time.perf_counter()
            size = len(httpx.get(url, timeout=10).content)
            times.append((time.perf_counter() - t0) * 1000)
        return statistics.median(times), size
    finally:
        worker.stop()
        worker.shutdown()


def one_round(settings: Settings, client: Client) -> tuple[float, float]:
    """(jobs per second of wall time, microseconds of this process's CPU per job)."""
    client.redis.flushdb()
    client.push_bulk(
        {"class": bench_jobs.noop.name, "args": [], "queue": "bench"} for _ in range(N_JOBS)
    )
    worker = WorkerProcess(settings)
    t0, cpu0 = time.perf_counter(), time.process_time()
    worker.start()
    while sum(s.processed for s in worker.executor.stats) < N_JOBS:
        time.sleep(0.005)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    worker.stop()
    worker.shutdown()
    return N_JOBS / elapsed, cpu / N_JOBS * 1e6


def test_observability_overhead() -> None:
    server = redis_server.start()
    try:
        base = Settings(
            redis_url=server.url(1),
            queues=parse_queues(["bench"]),
            concurrency=THREADS,
            heartbeat_interval=5.0,
        )
        client = Client(connect(base), base)
        set_default_client(client)
        rates: dict[str, list[float]] = {name: [] for name in CONFIGS}
        cpus: dict[str, list[float]] = {name: [] for name in CONFIGS}
        names = list(CONFIGS)
        one_round(base, client)  # warm-up: imports, connections, the CPU's caches
        for n in range(ROUNDS):
            order = names if n % 2 == 0 else names[::-1]
            for name in order:
                with CONFIGS[name](base) as settings:  # type: ignore[attr-defined]
                    rate, cpu = one_round(settings, client)
                    rates[name].append(rate)
                    cpus[name].append(cpu)
        out = io.StringIO()
        out.write(f"\nno-op drain, {N_JOBS} jobs, {THREADS} threads, {ROUNDS} paired rounds\n")
        out.write(
            f"{'configuration':<16}{'median jobs/s':>15}{'rate ratio':>12}"
            f"{'min':>7}{'max':>7}{'CPU us/job':>12}{'CPU ratio':>11}\n"
        )
        for name in names:
            ratios = [a / b for a, b in zip(rates[name], rates["baseline"], strict=True)]
            cpu_ratios = [a / b for a, b in zip(cpus[name], cpus["baseline"], strict=True)]
            out.write(
                f"{name:<16}{statistics.median(rates[name]):>15,.0f}"
                f"{statistics.median(ratios):>12.3f}{min(ratios):>7.2f}{max(ratios):>7.2f}"
                f"{statistics.median(cpus[name]):>12.1f}"
                f"{statistics.median(cpu_ratios):>11.3f}\n"
            )
        ms, size = scrape_cost(base, client)
        out.write(f"one /metrics scrape after the last round: {ms:.1f} ms, {size:,} bytes\n")
        print(out.getvalue())
    finally:
        server.stop()
