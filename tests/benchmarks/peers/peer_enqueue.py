"""Enqueue rates of workhorse's client: ``python peer_enqueue.py single|bulk|async N``."""

from __future__ import annotations

import asyncio
import sys
import time

import peer_jobs

from workhorse.aio import for_loop
from workhorse.client import default_client


def main(mode: str, count: int) -> float:
    if mode == "async":
        return asyncio.run(_async(count))
    # One push before the clock starts, as the Ruby side does: connections and lazy set-up
    # are a process's first push's cost, not every push's.
    peer_jobs.incr.perform_async()
    default_client().redis.delete("queue:bench")
    started = time.perf_counter()
    if mode == "single":
        for _ in range(count):
            peer_jobs.incr.perform_async()
    else:
        peer_jobs.incr.perform_bulk([i, "x"] for i in range(count))
    return count / (time.perf_counter() - started)


async def _async(count: int) -> float:
    """``await job.aperform_async()``: through the AsyncClient kept for this loop."""
    await peer_jobs.incr.aperform_async()
    await for_loop(default_client()).redis.delete("queue:bench")
    started = time.perf_counter()
    for _ in range(count):
        await peer_jobs.incr.aperform_async()
    rate = count / (time.perf_counter() - started)
    await for_loop(default_client()).aclose()
    return rate


if __name__ == "__main__":
    print(main(sys.argv[1], int(sys.argv[2])))
