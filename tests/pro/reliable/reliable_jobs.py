"""Jobs for the reliable-fetch tests; each records what it did in Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import workhorse
from workhorse.client import default_client


@workhorse.job(name="reliable.record")
def record(token: str, sleep_ms: int = 0) -> None:
    """Count runs per token in the hash ``test:runs`` (the chaos tests' ledger)."""
    if sleep_ms:
        time.sleep(sleep_ms / 1000)
    default_client().redis.hincrby("test:runs", token, 1)


@workhorse.job(name="reliable.noop")
def noop() -> None:
    return None


@workhorse.job(name="reliable.slow")
def slow(seconds: float, marker: str) -> None:
    r = default_client().redis
    r.rpush("test:started", marker)
    time.sleep(seconds)
    r.rpush("test:ran", marker)


@workhorse.job(name="reliable.suicide", retry=False)
def suicide(marker: str) -> None:
    """A poison pill: kills the process running it, every time."""
    default_client().redis.rpush("test:started", marker)
    os.kill(os.getpid(), signal.SIGKILL)


@workhorse.job(name="reliable.async_record")
async def async_record(token: str, sleep_ms: int = 0) -> None:
    """``record`` as an async job, run on the worker's async lane."""
    await asyncio.sleep(sleep_ms / 1000)
    await workhorse.current_async_redis().hincrby("test:runs", token, 1)


@workhorse.job(name="reliable.async_slow")
async def async_slow(seconds: float, marker: str) -> None:
    r = workhorse.current_async_redis()
    await r.rpush("test:started", marker)
    await asyncio.sleep(seconds)
    await r.rpush("test:ran", marker)
