"""The floor of bench_async.py: a bare asyncio loop doing the jobs' work and nothing else.

One process: a fetcher pops batches of workhorse payloads (RPOP with a count, BLPOP when
the queue is empty) into a queue that TASKS tasks drain: json.loads, sleep 10 ms, INCR.
"""

from __future__ import annotations

import asyncio
import json
import os

import redis.asyncio as aioredis

URL = os.environ["BENCH_REDIS_URL"]
TASKS = int(os.environ.get("BENCH_CONCURRENCY", "200"))
KEY = "queue:bench"


async def main() -> None:
    r = aioredis.Redis.from_url(URL, decode_responses=True, max_connections=TASKS + 1)
    work: asyncio.Queue[str] = asyncio.Queue(maxsize=TASKS)

    async def fetch() -> None:
        while True:
            free = max(1, TASKS - work.qsize())
            batch = await r.rpop(KEY, free)
            if not batch:
                popped = await r.blpop([KEY], timeout=1)
                batch = [popped[1]] if popped else []
            for raw in batch:
                await work.put(raw)

    async def run() -> None:
        while True:
            job = json.loads(await work.get())
            assert job["class"]
            await asyncio.sleep(0.01)
            await r.incr("bench:done")

    await asyncio.gather(fetch(), *(run() for _ in range(TASKS)))


if __name__ == "__main__":
    if os.environ.get("BENCH_LOOP") == "uvloop":  # the floor for a worker on uvloop
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())
