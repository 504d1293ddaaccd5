"""What issue 18 (handles, results, limits, cancellation) costs the hot path.

Run: BENCH_BASELINE=/path/to/checkout-before python tests/benchmarks/bench_lifecycle.py
     (inside the dev environment: hatch run python tests/benchmarks/bench_lifecycle.py)

Drains BENCH_JOBS (20,000) pre-enqueued jobs with one worker process of 8 threads, for
two job profiles (BENCH_PROFILES, default both): ``noop`` (an empty body) and ``incr``
(one Redis INCR, as a real job touches its database once). Rounds are paired and their
order rotates (before, after, after with store_result=True), so a machine whose speed
drifts affects every variant alike. ``before`` runs the worker from the checkout named
by BENCH_BASELINE (e.g. ``git archive <commit> | tar -x -C /tmp/before``), ``after``
from this one; without BENCH_BASELINE only the two ``after`` variants run;
BENCH_RESULTS_OFF_ONLY=1 leaves out store_result (for a tighter before/after figure).

A drain ends when the queue is empty and, for ``incr``, every job has counted (for
store_result jobs, when every record is written). Prints per variant the median rate,
the median of the per-round ratios to the first variant, and the CPU seconds per job
of the worker process and of redis-server (from /proc and INFO); asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import redis

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from bench_core import stop  # noqa: E402
from support import redis_server  # noqa: E402
from support.proc_stats import cpu_seconds, redis_cpu  # noqa: E402
from support.processes import spawn_worker  # noqa: E402

JOBS = int(os.environ.get("BENCH_JOBS", "20000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "6"))
PROFILES = os.environ.get("BENCH_PROFILES", "noop,incr").split(",")
THREADS = 8


@dataclass
class Drain:
    rate: float  # jobs/s
    worker_cpu: float  # worker CPU µs per job
    redis_cpu: float  # redis-server CPU µs per job


def source_path(root: str) -> str:
    packages = ("core", "pro", "enterprise", "licensing")
    return os.pathsep.join([*(f"{root}/{p}/src" for p in packages), str(HERE)])


def finished(r: redis.Redis, profile: str, store_result: bool) -> bool:
    if r.llen("queue:bench"):
        return False
    if profile == "incr" and int(r.get("bench:incr") or 0) < JOBS:
        return False
    if store_result:
        return int(r.dbsize()) >= JOBS  # a key per record, and a few others
    return True


def drain(url: str, profile: str, store_result: bool, baseline: str | None) -> Drain:
    from workhorse.client import Client
    from workhorse.config import Settings

    r = redis.Redis.from_url(url, decode_responses=True)
    r.flushdb()
    extra = {"store_result": True} if store_result else {}
    Client(settings=Settings(redis_url=url)).push_bulk(
        {"class": f"bench_jobs.{profile}", "args": [], "queue": "bench", **extra}
        for _ in range(JOBS)
    )
    env = {"WORKHORSE_REDIS_URL": url}
    if baseline:
        env["PYTHONPATH"] = source_path(baseline)
    proc = spawn_worker(
        url, "-q", "bench", "-c", str(THREADS), capture=False, jobs="bench_jobs", home=HERE, env=env
    )
    try:
        deadline = time.monotonic() + 300
        while r.llen("queue:bench") >= JOBS:
            if time.monotonic() > deadline:
                raise RuntimeError("the worker never started")
            time.sleep(0.001)
        t0, cpu0, rcpu0 = time.perf_counter(), cpu_seconds([proc.pid]), redis_cpu(r)
        while not finished(r, profile, store_result):
            if time.monotonic() > deadline:
                raise RuntimeError("jobs not done in time")
            time.sleep(0.002)
        elapsed = time.perf_counter() - t0
        cpu, rcpu = cpu_seconds([proc.pid]) - cpu0, redis_cpu(r) - rcpu0
    finally:
        stop(proc)
    return Drain(JOBS / elapsed, cpu / JOBS * 1e6, rcpu / JOBS * 1e6)


def run_profile(url: str, profile: str, baseline: str | None) -> None:
    variants: list[tuple[str, bool, str | None]] = [("after, results off", False, None)]
    if not os.environ.get("BENCH_RESULTS_OFF_ONLY"):
        variants.append(("after, store_result=True", True, None))
    if baseline:
        variants.insert(0, ("before", False, baseline))
    runs: dict[str, list[Drain]] = {name: [] for name, _, _ in variants}
    for round_no in range(ROUNDS):
        shift = round_no % len(variants)
        for name, store, root in variants[shift:] + variants[:shift]:
            runs[name].append(drain(url, profile, store, root))
            time.sleep(0.5)
        print(
            f"{profile} round {round_no + 1}: "
            + ", ".join(f"{name} {runs[name][-1].rate:,.0f}/s" for name, _, _ in variants),
            flush=True,
        )
    print(f"\n{profile}: {JOBS:,} jobs, 1 process x {THREADS} threads, {ROUNDS} paired rounds")
    reference = runs[variants[0][0]]
    print(
        f"  {'variant':<26} {'jobs/s':>9} {'ratio':>6} {'worker µs/job':>14} {'redis µs/job':>13}"
    )
    for name, drains in runs.items():
        ratios = [a.rate / b.rate for a, b in zip(drains, reference, strict=True)]
        print(
            f"  {name:<26} {statistics.median(d.rate for d in drains):>9,.0f} "
            f"{statistics.median(ratios):>6.3f} "
            f"{statistics.median(d.worker_cpu for d in drains):>14.1f} "
            f"{statistics.median(d.redis_cpu for d in drains):>13.1f}"
        )
        print(f"    per-round ratios {', '.join(f'{x:.3f}' for x in ratios)}")
    print(flush=True)


def main() -> None:
    baseline = os.environ.get("BENCH_BASELINE")
    server = redis_server.start()
    url = server.url(1, tcp=True)
    try:
        for profile in PROFILES:
            run_profile(url, profile, baseline)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
