"""Jobs for the issue-18 lifecycle tests (results, time limits, cancellation, iteration).

Worker subprocesses load them with ``-r lifecycle_jobs``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import workhorse
from workhorse.client import default_client


def note(value: object) -> None:
    default_client().redis.rpush("test:notes", str(value))


def notebook() -> Callable[[object], None]:
    """``note``, bound to this test's Redis now. Jobs that may outlive their test (a
    worker's shutdown leaves a sync job's thread running) note through this, so a late
    line lands in their own test's database, not in whichever test runs then."""
    redis = default_client().redis
    return lambda value: redis.rpush("test:notes", str(value))


@workhorse.job(store_result=True)
def add(a: int, b: int) -> int:
    return a + b


@workhorse.job(store_result=True, result_ttl=60)
async def async_add(a: int, b: int) -> dict[str, int]:
    await asyncio.sleep(0.01)
    return {"sum": a + b}


@workhorse.job
def plain_add(a: int, b: int) -> int:
    return a + b


@workhorse.job(store_result=True, retry=0, backtrace=True)
def explodes(message: str) -> None:
    raise KeyError(message)


@workhorse.job(store_result=True, retry=False)
def fails_without_retry() -> None:
    raise RuntimeError("retries are off")


@workhorse.job(store_result=True, retry=0)
def returns_a_set() -> object:
    return {1, 2}


@workhorse.job(retry=1)
def fails_once_then_waits() -> None:
    raise ValueError("first try fails")


@workhorse.job
def sleeper(seconds: float, marker: str) -> str:
    note = notebook()
    note(f"start:{marker}")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:  # Python bytecode: interruptible
        time.sleep(0.01)
    note(f"done:{marker}")
    return marker


@workhorse.job
async def async_sleeper(seconds: float, marker: str) -> str:
    note = notebook()
    note(f"start:{marker}")
    await asyncio.sleep(seconds)
    note(f"done:{marker}")
    return marker


@workhorse.job(timeout=0.3, retry=0, store_result=True)
def stubborn(seconds: float) -> None:
    """Blocks in a call Python cannot interrupt (a lock wait): the backstop must abandon it."""
    note = notebook()
    note("start:stubborn")
    threading.Event().wait(seconds)
    note("done:stubborn")


@workhorse.job(retry=0)
def polite(seconds: float) -> str:
    """Stops at a safe point of its own when cancelled."""
    job = workhorse.current_job()
    assert job is not None
    note = notebook()
    note(f"start:{job.jid}")
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if job.cancelled:
                note("saw-cancelled")
                job.check()
            time.sleep(0.01)
    except workhorse.JobCancelled:
        note("cleanup")
        raise
    return "finished"


class WalkBase(workhorse.IterableJob):
    """Walks 0..n-1, noting each item; fails once at ``fail_at`` (then resumes)."""

    checkpoint_seconds = 0.0  # save after every item: the tests count exactly

    def items(self, cursor: int | None, n: int, pause: float, fail_at: int) -> object:  # noqa: ARG002
        start = 0 if cursor is None else cursor + 1
        for i in range(start, n):
            yield i, i

    def each(self, item: int, n: int, pause: float, fail_at: int) -> None:  # noqa: ARG002
        r = default_client().redis
        if item == fail_at and not r.get("test:failed-once"):
            r.set("test:failed-once", "1")
            raise RuntimeError(f"item {item} failed")
        note(f"item:{item}")
        time.sleep(pause)


@workhorse.job(retry=1, retry_in=lambda count, exc: 0.1)
class Walk(WalkBase):
    pass


@workhorse.job
class QuickWalk(WalkBase):
    max_run_time = 0.2  # re-enqueue itself often


@workhorse.job(timeout=0.3, retry=0)
class SlowItem(WalkBase):
    """The limit is per item: many quick items pass, one slow item times out."""

    def each(self, item: int, n: int, pause: float, fail_at: int) -> None:  # noqa: ARG002
        note(f"item:{item}")
        time.sleep(1.0 if item == fail_at else pause)


@workhorse.job
class AsyncWalk(workhorse.AsyncIterableJob):
    checkpoint_seconds = 0.0

    async def items(self, cursor: int | None, n: int, pause: float) -> object:  # type: ignore[override]  # noqa: ARG002
        start = 0 if cursor is None else cursor + 1
        for i in range(start, n):
            yield i, i

    async def each(self, item: int, n: int, pause: float) -> None:  # noqa: ARG002
        note(f"item:{item}")
        await asyncio.sleep(pause)


@workhorse.job(retry=0, store_result=True)
async def swallows_one_cancel(seconds: float) -> str:
    """Catches the first CancelledError and carries on (a bad habit): only a second
    cancellation stops it."""
    note = notebook()
    note("start:swallower")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        note("swallowed")
    await asyncio.sleep(seconds)
    note("done:swallower")
    return "finished"


@workhorse.job(retry=0, store_result=True)
async def ignores_cancels(seconds: float) -> str:
    """Swallows every CancelledError until ``seconds`` passed: nothing stops it."""
    note = notebook()
    note("start:ignorer")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            note("swallowed")
    note("done:ignorer")
    return "finished"
