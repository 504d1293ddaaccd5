"""No-op throughput with 1, 2 and 3 local shards (issue 11). Prints a table.

Every shard is its own redis-server; the worker is `workhorse worker -p 2 --shard ...`
(2 processes, each working every shard). On a 2-core machine the worker
processes and the redis-servers compete for the same cores, so the figures show
per-core efficiency more than scale-out: each added shard adds Redis capacity
but no CPU for the Python side.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from support import redis_server  # noqa: E402

JOBS = int(os.environ.get("BENCH_SHARD_JOBS", "30000"))
QUEUES = [f"q{i}" for i in range(12)]


def run(shard_count: int) -> float:
    from workhorse.sharding import ShardedClient, Shards

    servers = [redis_server.start(databases=1) for _ in range(shard_count)]
    try:
        urls = [s.url(0) for s in servers]
        client = ShardedClient(Shards.from_urls(urls))
        per_queue = JOBS // len(QUEUES)
        for queue in QUEUES:
            client.push_bulk(
                {"class": "bench_jobs.noop", "args": [], "queue": queue} for _ in range(per_queue)
            )
        conns = [redis.Redis.from_url(u) for u in urls]
        argv = [
            sys.executable,
            "-m",
            "workhorse",
            "worker",
            "-r",
            "bench_jobs",
            "-p",
            "2",
            "-c",
            "8",
        ]
        for url in urls:
            argv += ["--shard", url]
        for queue in QUEUES:
            argv += ["-q", queue]
        total = per_queue * len(QUEUES)

        def remaining() -> int:
            return sum(c.llen(f"queue:{q}") for c in conns for q in QUEUES)

        proc = subprocess.Popen(
            argv,
            cwd=HERE,
            env={**os.environ, "PYTHONPATH": str(HERE)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while remaining() == total:
                time.sleep(0.001)
            t0 = time.perf_counter()
            while remaining():
                time.sleep(0.005)
            return total / (time.perf_counter() - t0)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    finally:
        for server in servers:
            server.stop()


def main() -> None:
    rows = [(n, run(n)) for n in (1, 2, 3)]
    print(f"\n{'shards':>6} {'no-op jobs/s':>14} {'vs 1 shard':>10}")
    for n, rate in rows:
        print(f"{n:>6} {rate:>14,.0f} {rate / rows[0][1]:>9.2f}x")
    cpus, servers = os.cpu_count(), rows[-1][0]
    print(f"({cpus} CPUs shared by 2 worker processes and {servers} redis-servers)")


def test_shard_benchmark() -> None:
    main()


if __name__ == "__main__":
    main()
