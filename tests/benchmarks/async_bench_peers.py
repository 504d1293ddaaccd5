"""SAQ and arq for bench_async.py, run with the peers' venv python.

python async_bench_peers.py fill-saq N | fill-arq N | saq | arq
"""

from __future__ import annotations

import asyncio
import os
import sys

import async_bench_jobs as jobs

URL = os.environ.get("BENCH_REDIS_URL", "")
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "200"))


def saq_queue():  # type: ignore[no-untyped-def]
    from saq import Queue

    return Queue.from_url(URL, name="bench")


saq_settings = {
    "queue": None,  # set in main: a Queue binds to the loop that uses it
    "functions": [jobs.saq_sleep_incr],
    "concurrency": CONCURRENCY,
}


class ArqSettings:
    functions = [jobs.arq_sleep_incr]
    max_jobs = CONCURRENCY
    poll_delay = 0.05
    keep_result = 0


async def fill_saq(count: int) -> None:
    queue = saq_queue()
    await queue.connect()
    for start in range(0, count, 500):
        await asyncio.gather(
            *(queue.enqueue("saq_sleep_incr") for _ in range(min(500, count - start)))
        )
    await queue.disconnect()


async def fill_arq(count: int) -> None:
    from arq import create_pool
    from arq.connections import RedisSettings

    pool = await create_pool(RedisSettings.from_dsn(URL))
    for start in range(0, count, 500):
        await asyncio.gather(
            *(pool.enqueue_job("arq_sleep_incr") for _ in range(min(500, count - start)))
        )
    await pool.aclose()


def run_saq() -> None:
    from saq import Worker

    async def main() -> None:
        queue = saq_queue()
        worker = Worker(queue, functions=saq_settings["functions"], concurrency=CONCURRENCY)
        await worker.start()

    asyncio.run(main())


def run_arq() -> None:
    from arq.connections import RedisSettings
    from arq.worker import run_worker

    ArqSettings.redis_settings = RedisSettings.from_dsn(URL)  # type: ignore[attr-defined]
    run_worker(ArqSettings)  # type: ignore[arg-type]


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "fill-saq":
        asyncio.run(fill_saq(int(sys.argv[2])))
    elif what == "fill-arq":
        asyncio.run(fill_arq(int(sys.argv[2])))
    elif what == "saq":
        run_saq()
    else:
        run_arq()
