"""Enqueue rates of workhorse's client: ``python peer_enqueue.py single|bulk|async N``."""

from __future__ import annotations

import asyncio
import sys
import time

import peer_jobs

from workhorse.aio import AsyncClient
from workhorse.client import default_client


def main(mode: str, count: int) -> float:
    default_client().redis.ping()  # connect before the clock starts, as the Ruby side does
    started = time.perf_counter()
    if mode == "single":
        for _ in range(count):
            peer_jobs.incr.perform_async()
    elif mode == "bulk":
        peer_jobs.incr.perform_bulk([i, "x"] for i in range(count))
    else:
        asyncio.run(_async(count))
    return count / (time.perf_counter() - started)


async def _async(count: int) -> None:
    client = AsyncClient()
    for _ in range(count):
        await client.perform_async(peer_jobs.incr)
    await client.aclose()


if __name__ == "__main__":
    print(main(sys.argv[1], int(sys.argv[2])))
