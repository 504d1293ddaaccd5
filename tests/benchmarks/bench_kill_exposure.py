"""Jobs a SIGKILL loses with basic fetch, by --prefetch (issue 17). Prints a table.

Run: hatch run bench tests/benchmarks/bench_kill_exposure.py

A worker (-c 10) drains 30,000 fast no-op-like jobs; once 2,000 ran it is
SIGKILLed. Lost = pushed - ran - still queued: the running jobs plus the ones
fetched ahead. Reliable fetch (workhorse-pro) loses none of them.
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
sys.path.insert(0, str(HERE.parent / "core"))
from support import redis_server  # noqa: E402
from support.processes import spawn_worker  # noqa: E402

TRIALS = int(os.environ.get("BENCH_KILL_TRIALS", "5"))
THREADS = 10
TOTAL = 30_000


def lost_once(url: str, prefetch: int) -> int:
    from workhorse.client import Client
    from workhorse.config import Settings

    r = redis.Redis.from_url(url, decode_responses=True)
    r.flushdb()
    Client(settings=Settings(redis_url=url)).push_bulk(
        {"class": "jobs_for_tests.record", "args": [n]} for n in range(TOTAL)
    )
    args = ["-c", str(THREADS), "--prefetch", str(prefetch)]
    worker = spawn_worker(url, *args, capture=False)
    deadline = time.monotonic() + 60
    while r.llen("test:ran") < 2_000 and time.monotonic() < deadline:
        time.sleep(0.005)
    worker.kill()
    worker.wait(10)
    return TOTAL - len(set(r.lrange("test:ran", 0, -1))) - r.llen("queue:default")


def test_jobs_lost_to_sigkill_by_prefetch() -> None:
    server = redis_server.start(databases=1)
    try:
        print(f"\nSIGKILL with basic fetch, -c {THREADS}, {TRIALS} trials: jobs lost")
        print(f"{'--prefetch':>10} {'min':>5} {'median':>7} {'max':>5}  bound")
        for prefetch in (0, 1, 8):
            lost = [lost_once(server.url(0), prefetch) for _ in range(TRIALS)]
            bound = THREADS * (1 + prefetch)
            print(
                f"{prefetch:>10} {min(lost):>5} {statistics.median(lost):>7} {max(lost):>5}"
                f"  {bound}"
            )
    finally:
        server.stop()
