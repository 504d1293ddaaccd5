"""Jobs for tests/core/async_lane: async jobs that say where they ran and can be held."""

from __future__ import annotations

import asyncio
import threading

import workhorse
from workhorse.client import default_client

# Set by a test to let every held job finish (the worker runs in the test's process).
gate = threading.Event()
running: set[str] = set()


def note(value: str) -> None:
    default_client().redis.rpush("test:lane", value)


@workhorse.job(retry=0)
async def held(name: str) -> str:
    """Runs until the test opens the gate; says which thread its task ran on."""
    running.add(name)
    try:
        while not gate.is_set():
            await asyncio.sleep(0.01)
    finally:
        running.discard(name)
    await workhorse.current_async_redis().rpush(
        "test:lane", f"{name}:{threading.current_thread().name}"
    )
    return name


@workhorse.job(retry=0)
async def held_forever(name: str) -> None:
    running.add(name)
    try:
        await asyncio.sleep(3600)
    finally:
        running.discard(name)


@workhorse.job(retry=3)
async def fails(value: int) -> None:
    await asyncio.sleep(0)
    raise ValueError(f"async boom {value}")


@workhorse.job(store_result=True)
async def whoami() -> dict[str, object]:
    job = workhorse.current_job()
    assert job is not None
    fields = job.fields
    await workhorse.current_async_redis().incr("test:lane:incr")
    return {
        "jid": job.jid,
        "class": fields.job_class if fields is not None else None,
        "thread": threading.current_thread().name,
    }


@workhorse.job(retry=0)
def sync_note(value: str) -> None:
    note(f"sync:{value}:{threading.current_thread().name}")


@workhorse.job(retry=0, timeout=0.2)
async def stubborn(seconds: float) -> None:
    """Ignores the cancellation of its task, then ends on its own."""
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        await asyncio.sleep(seconds)
    note("stubborn ended")


@workhorse.job(retry=0)
async def loop_kind() -> None:
    """Says which event loop runs it."""
    note(f"loop:{type(asyncio.get_running_loop()).__module__.split('.')[0]}")
