"""Idle enqueue-to-start latency of this tree's worker against another tree's, paired.

Run: BENCH_BASELINE=/path/to/checkout-before python tests/benchmarks/bench_latency_pair.py
     (inside the dev environment: hatch run python tests/benchmarks/bench_latency_pair.py;
     e.g. ``git archive <commit> | tar -x -C /tmp/before``). About 10 s a round.

``bench_peers.py`` measures the latency against Ruby Sidekiq; this one answers whether a
change moved it. Each round starts ``workhorse worker -p 2 -c 10`` from one tree, waits
until it is idle, pushes BENCH_JOBS (300) jobs 10 ms apart with this tree's client and
reads when each started (the same ``PeerLatency`` job as bench_peers); rounds alternate
which tree goes first (BENCH_ROUNDS, 4). Prints each round's p50 and p99 (ms) and the
medians; asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
from support import redis_server  # noqa: E402
from support.processes import stop_all  # noqa: E402

JOBS = int(os.environ.get("BENCH_JOBS", "300"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))


def source_path(root: str | None) -> str:
    if root is None:
        return str(HERE)
    packages = ("core", "pro", "enterprise", "licensing")
    return os.pathsep.join([*(f"{root}/{p}/src" for p in packages), str(HERE)])


def latencies(url: str, tree: str | None) -> tuple[float, float]:
    """p50 and p99 (ms) of JOBS jobs pushed 10 ms apart to idle workers of ``tree``."""
    from workhorse.client import Client
    from workhorse.config import Settings

    client = Client(settings=Settings(redis_url=url, sidekiq_compat=6), middleware=[])
    r = redis.Redis.from_url(url)
    r.flushdb()
    env = {**os.environ, "PYTHONPATH": source_path(tree), "WORKHORSE_JOB_LOGS": "0"}
    argv = [sys.executable, "-m", "workhorse", "worker", "-r", "peer_jobs", "--redis-url", url]
    worker = subprocess.Popen(
        [*argv, "-q", "bench", "-p", "2", "-c", "10"],
        cwd=HERE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: r.scard("processes") >= 2, "the workers to start")
        time.sleep(1.0)  # past start-up work: the workers are idle, blocked on fetch
        for _ in range(JOBS):
            client.push({"class": "PeerLatency", "args": [time.time()], "queue": "bench"})
            time.sleep(0.01)
        _wait(lambda: r.llen("bench:latency") >= JOBS, "the jobs")
        values = sorted(float(x) * 1000 for x in r.lrange("bench:latency", 0, -1))
    finally:
        stop_all([worker])
    return statistics.median(values), values[int(len(values) * 0.99) - 1]


def _wait(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.02)


def main() -> None:
    baseline = os.environ.get("BENCH_BASELINE")
    if not baseline:
        raise SystemExit("set BENCH_BASELINE to the checkout to compare with")
    sides: list[tuple[str, str | None]] = [("this tree", None), ("baseline", baseline)]
    server = redis_server.start()
    url = server.url(1, tcp=True)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in sides}
    try:
        for round_no in range(ROUNDS):
            order = sides if round_no % 2 == 0 else sides[::-1]
            for name, tree in order:
                runs[name].append(latencies(url, tree))
            print(
                f"round {round_no + 1}: "
                + ", ".join(f"{n} p50 {runs[n][-1][0]:.3f} p99 {runs[n][-1][1]:.2f}" for n in runs),
                flush=True,
            )
    finally:
        server.stop()
    for name, values in runs.items():
        p50 = statistics.median(v[0] for v in values)
        p99 = statistics.median(v[1] for v in values)
        print(f"{name:<10} median p50 {p50:.3f} ms, median p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
