"""What issue 18 (handles, results, limits, cancellation) costs the no-op hot path.

Run: BENCH_BASELINE=/path/to/checkout-before python tests/benchmarks/bench_lifecycle.py
     (inside the dev environment: hatch run python tests/benchmarks/bench_lifecycle.py)

Drains BENCH_JOBS (20,000) pre-enqueued no-op jobs with one worker process of 8 threads,
in paired rounds whose order rotates (before, after, after with store_result=True), so
a machine whose speed drifts affects every variant alike. ``before`` runs the worker from
the checkout named by BENCH_BASELINE (e.g. ``git worktree add /tmp/before <commit>``),
``after`` from this one; without BENCH_BASELINE only the two ``after`` variants run;
BENCH_RESULTS_OFF_ONLY=1 leaves out store_result (for a tighter before/after figure).
Prints each variant's median rate and the median of the per-round ratios; asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import redis

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from bench_core import stop, wait_drained  # noqa: E402
from support import redis_server  # noqa: E402
from support.processes import spawn_worker  # noqa: E402

JOBS = int(os.environ.get("BENCH_JOBS", "20000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "6"))
THREADS = 8


def source_path(root: str) -> str:
    packages = ("core", "pro", "enterprise", "licensing")
    return os.pathsep.join([*(f"{root}/{p}/src" for p in packages), str(HERE)])


def drain(url: str, store_result: bool, baseline: str | None) -> float:
    from workhorse.client import Client
    from workhorse.config import Settings

    r = redis.Redis.from_url(url, decode_responses=True)
    r.flushdb()
    extra = {"store_result": True} if store_result else {}
    Client(settings=Settings(redis_url=url)).push_bulk(
        {"class": "bench_jobs.noop", "args": [], "queue": "bench", **extra} for _ in range(JOBS)
    )
    env = {"PYTHONPATH": source_path(baseline)} if baseline else None
    proc = spawn_worker(
        url, "-q", "bench", "-c", str(THREADS), capture=False, jobs="bench_jobs", home=HERE, env=env
    )
    try:
        elapsed = wait_drained(
            r, lambda: r.llen("queue:bench") == 0, lambda: r.llen("queue:bench") < JOBS
        )
    finally:
        stop(proc)
    return JOBS / elapsed


def main() -> None:
    baseline = os.environ.get("BENCH_BASELINE")
    variants: list[tuple[str, bool, str | None]] = [("after, results off", False, None)]
    if not os.environ.get("BENCH_RESULTS_OFF_ONLY"):
        variants.append(("after, store_result=True", True, None))
    if baseline:
        variants.insert(0, ("before", False, baseline))
    server = redis_server.start()
    url = server.url(1, tcp=True)
    rates: dict[str, list[float]] = {name: [] for name, _, _ in variants}
    try:
        for round_no in range(ROUNDS):
            shift = round_no % len(variants)
            for name, store, root in variants[shift:] + variants[:shift]:
                rates[name].append(drain(url, store, root))
                time.sleep(0.5)
            print(
                f"round {round_no + 1}: "
                + ", ".join(f"{name} {rates[name][-1]:,.0f}/s" for name, _, _ in variants),
                flush=True,
            )
    finally:
        server.stop()
    print(f"\n{JOBS:,} no-op jobs, 1 process x {THREADS} threads, {ROUNDS} paired rounds")
    for name, values in rates.items():
        print(f"  {name:<28} median {statistics.median(values):>9,.0f} jobs/s")
    reference = variants[0][0]
    for name, values in rates.items():
        if name == reference:
            continue
        ratios = [a / b for a, b in zip(values, rates[reference], strict=True)]
        print(
            f"  {name} / {reference}: median ratio {statistics.median(ratios):.3f} "
            f"(per round {', '.join(f'{x:.3f}' for x in ratios)})"
        )


if __name__ == "__main__":
    main()
