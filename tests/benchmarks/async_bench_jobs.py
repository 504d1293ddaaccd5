"""Jobs of the async benchmark, each side's own (bench_async.py): 10 ms of waiting on
I/O, then one INCR through an async Redis client that jobs share."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import Any

DONE = "bench:done"
SLEEP = 0.01


# -- workhorse ---------------------------------------------------------------
def _workhorse_jobs() -> None:
    import workhorse

    if os.environ.get("BENCH_SYNC_ONLY") != "1":  # else a registry of sync jobs only

        @workhorse.job(queue="bench", name="async_bench_jobs.sleep_incr")
        async def sleep_incr() -> None:
            await asyncio.sleep(SLEEP)
            await workhorse.current_async_redis().incr(DONE)

    @workhorse.job(queue="bench", name="async_bench_jobs.sync_sleep_incr")
    def sync_sleep_incr() -> None:
        time.sleep(SLEEP)
        workhorse.default_client().redis.incr(DONE)

    @workhorse.job(queue="bench", name="async_bench_jobs.noop_incr")
    def noop_incr() -> None:
        workhorse.default_client().redis.incr(DONE)


with contextlib.suppress(ImportError):  # a peer's venv has no workhorse
    _workhorse_jobs()


# -- SAQ and arq (run in the peers' venv) -----------------------------------------
_shared: Any = None


def _redis() -> Any:
    global _shared
    if _shared is None:
        import redis.asyncio as aioredis

        _shared = aioredis.Redis.from_url(os.environ["BENCH_REDIS_URL"], max_connections=200)
    return _shared


async def saq_sleep_incr(ctx: Any) -> None:
    await asyncio.sleep(SLEEP)
    await _redis().incr(DONE)


async def arq_sleep_incr(ctx: Any) -> None:
    await asyncio.sleep(SLEEP)
    await ctx["redis"].incr(DONE)
