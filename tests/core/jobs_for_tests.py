"""Jobs used by the engine tests; they record what they did in Redis."""

from __future__ import annotations

import asyncio
import os
import time

import redis

import workhorse

_url = os.environ.get("WH_TEST_RECORD_URL")


def recorder() -> redis.Redis:
    from workhorse.client import default_client

    return default_client().redis


@workhorse.job
def record(value: object) -> None:
    recorder().rpush("test:ran", str(value))


@workhorse.job(name="HardJob")
def hard_job(name: str, count: int) -> None:
    recorder().rpush("test:ran", f"{name}:{count}")


@workhorse.job(retry=2)
def always_fails(value: object) -> None:
    raise ValueError(f"boom {value}")


@workhorse.job(retry=0, backtrace=True)
def dies_at_once() -> None:
    raise RuntimeError("no retries for me")


@workhorse.job(retry=False)
def discarded() -> None:
    raise RuntimeError("discard me")


@workhorse.job
async def async_record(value: str) -> None:
    await asyncio.sleep(0.01)
    recorder().rpush("test:ran", f"async:{value}")


@workhorse.job
def slow(seconds: float, marker: str) -> None:
    recorder().rpush("test:started", marker)
    time.sleep(seconds)
    recorder().rpush("test:ran", marker)


@workhorse.job
class ClassJob:
    def perform(self, value: str) -> None:
        recorder().rpush("test:ran", f"class:{value}")


@workhorse.job
def hold(marker: str, seconds: float = 30) -> None:
    """Runs until the test pushes to ``test:release`` (or ``seconds`` pass)."""
    recorder().rpush("test:started", marker)
    recorder().blpop(["test:release"], timeout=seconds)


@workhorse.job
def overlap_probe(key: str, seconds: float) -> None:
    """Records how many probes of ``key`` run at this moment (``test:peak:<key>``)."""
    r = recorder()
    inside = r.incr(f"test:inside:{key}")
    r.rpush(f"test:peak:{key}", inside)
    time.sleep(seconds)
    r.decr(f"test:inside:{key}")
    r.rpush("test:ran", key)


_hogged: list[bytearray] = []


@workhorse.job
def hog(megabytes: int) -> None:
    """Grows this process by ``megabytes`` of touched memory, kept until it exits."""
    _hogged.append(bytearray(b"x" * (megabytes * 1024 * 1024)))
    recorder().rpush("test:ran", "hog")


@workhorse.job
def record_frozen() -> None:
    """How many objects the worker process took out of the garbage collector's sight."""
    import gc

    recorder().rpush("test:frozen", gc.get_freeze_count())
