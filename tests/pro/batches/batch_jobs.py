"""Jobs for the batch tests (imported in-process and by worker subprocesses via -r).

They record what happened in Redis lists under ``t:`` so tests assert on Redis.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from typing import Any

import redis

import workhorse
from workhorse.client import default_client
from workhorse_pro.batches import Batch


def _r() -> redis.Redis:
    return default_client().redis


@workhorse.job
def record(value: object) -> None:
    _r().rpush("t:ran", json.dumps(value))


@workhorse.job(retry=3)
def flaky(value: int, fail_times: int) -> None:
    """Fails its first ``fail_times`` attempts (counted in Redis, so across processes)."""
    attempts = _r().hincrby("t:attempts", str(value), 1)
    if attempts <= fail_times:
        raise RuntimeError(f"planned failure {attempts} of job {value}")
    _r().rpush("t:ran", json.dumps(value))


def planned_failures(value: int, seed: int = 8) -> int:
    """A repeatable 'random' count of failures (0..2) for job ``value`` (~25 % fail)."""
    roll = zlib.crc32(f"{seed}:{value}".encode()) % 100
    return 2 if roll < 8 else 1 if roll < 25 else 0


@workhorse.job(retry=5)
def sometimes_fails(value: int) -> None:
    attempts = _r().hincrby("t:attempts", str(value), 1)
    if attempts <= planned_failures(value):
        raise RuntimeError(f"planned failure {attempts} of job {value}")
    _r().sadd("t:succeeded", str(value))


@workhorse.job(retry=0)
def dies(value: object) -> None:
    raise RuntimeError(f"job {value} dies at once")


@workhorse.job(retry=False)
def discarded(value: object) -> None:
    raise RuntimeError(f"job {value} is discarded")


@workhorse.job
def on_event(status: dict[str, Any], tag: str = "") -> None:
    """A user callback: records event, tag and the counts it was given."""
    _r().rpush(
        "t:callbacks",
        json.dumps(
            {
                "event": status["event"],
                "bid": status["bid"],
                "tag": tag,
                "total": status["total"],
                "pending": status["pending"],
                "failures": status["failures"],
                "dead_jids": status["dead_jids"],
                "at": time.time(),
            }
        ),
    )


@workhorse.job
def fails_twice_then_records(status: dict[str, Any], tag: str = "") -> None:
    if _r().hincrby("t:callback-attempts", status["event"], 1) <= 2:
        raise RuntimeError("callback failure, to be retried")
    on_event.call([status, tag])


@workhorse.job
def spawn_children(count: int, size: int, tag: str) -> None:
    """Reopen this job's batch and add ``count`` child batches of ``size`` jobs each."""
    parent = Batch.current()
    if parent is None:
        raise RuntimeError("spawn_children must run inside a batch")
    with parent:
        for n in range(count):
            child_tag = f"{tag}.{n}"
            with Batch(
                description=child_tag,
                on_complete=on_event,
                on_success=on_event,
                on_death=on_event,
                callback_args=[child_tag],
            ):
                for i in range(size):
                    sometimes_fails.perform_async(zlib.crc32(child_tag.encode()) * 1000 + i)


@workhorse.job
def spawn_dying_child(tag: str) -> None:
    parent = Batch.current()
    if parent is None:
        raise RuntimeError("spawn_dying_child must run inside a batch")
    with parent, Batch(description=tag, on_death=on_event, callback_args=[tag]):
        dies.perform_async(tag)


@workhorse.job
def add_more(count: int) -> None:
    """Reopen this job's batch and add ``count`` record jobs."""
    batch = Batch.current()
    if batch is None:
        raise RuntimeError("add_more must run inside a batch")
    with batch:
        for i in range(count):
            record.perform_async(f"more-{i}")


@workhorse.job
def finish_slowly(marker: str) -> None:
    """Records that it started, then blocks until the test lets it go (or kills us)."""
    _r().rpush("t:started", json.dumps({"marker": marker, "pid": os.getpid()}))
    while not _r().exists("t:release"):
        time.sleep(0.05)
    _r().rpush("t:ran", json.dumps(marker))


@workhorse.job
def noop() -> None:
    return None


@workhorse.job
def slow_callback(status: dict[str, Any], tag: str = "") -> None:
    """A user callback that blocks until the test releases it (so a worker can be killed in it)."""
    _r().rpush("t:started", json.dumps({"marker": status["event"], "pid": os.getpid()}))
    while not _r().exists("t:release"):
        time.sleep(0.05)
    on_event.call([status, tag])


@workhorse.job
async def async_record(value: object) -> None:
    """``record`` as an async job, run on the worker's async lane."""
    await workhorse.current_async_redis().rpush("t:ran", json.dumps(value))


@workhorse.job(retry=3)
async def async_flaky(value: int, fail_times: int) -> None:
    r = workhorse.current_async_redis()
    if await r.hincrby("t:attempts", str(value), 1) <= fail_times:
        raise RuntimeError(f"planned failure of async job {value}")
    await r.rpush("t:ran", json.dumps(value))
