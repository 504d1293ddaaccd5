"""The job side of batches: record each batch job's outcome (issue 8).

``BatchMiddleware`` (server) wraps every execution; jobs without a ``bid``
pass straight through. Each outcome is one Lua call that also pushes a
callback job when it is the one that completes the batch, and counts each
jid once, so a job re-run after a crash (reliable fetch) changes nothing.
``record_death`` runs from the ``workhorse_job_died`` hook.
``FlushMiddleware`` (client) writes a non-atomic batch every ``flush_every`` pushes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Literal

import redis

from workhorse.client import Client, default_client
from workhorse.config import Settings
from workhorse.middleware import AsyncRunNext, JobContext, PushNext, RunNext
from workhorse.types import JobPayload
from workhorse_pro.batches.context import RunningJob, open_batches, running_job
from workhorse_pro.batches.tracker import Tracker
from workhorse_pro.license_gate import BATCHES

log = logging.getLogger(__name__)
Outcome = Literal["job_done", "job_failed", "job_died"]
# How long a finished job waits for Redis to record its batch outcome before it
# gives up and fails (then its retry records it).
_OUTAGE_PATIENCE = 30.0


def record(tracker: Tracker, kind: Outcome, bid: str, jid: str) -> None:
    """Run one outcome script, riding out a short Redis outage."""
    delay, deadline = 0.1, time.monotonic() + _OUTAGE_PATIENCE
    while True:
        try:
            if kind == "job_done":
                tracker.done.record(bid, jid)  # grouped with other threads' successes
                return
            ref = tracker.meta.ref(bid)
            if ref is None:
                log.warning(
                    "job %s belongs to batch %s, which no longer exists (expired?); "
                    "its outcome is not recorded",
                    jid,
                    bid,
                )
                return
            tracker.scripts.job_event(kind, ref, jid)
            return
        except (redis.ConnectionError, redis.TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


class BatchMiddleware:
    """Server middleware: sets the running batch job, records success or failure.

    A success is recorded in the background, grouped with other threads'
    successes, and the job is acknowledged only once it is in Redis: the
    middleware takes the acknowledgement over (``ctx.defer_acknowledgement``),
    so the thread moves on at once, and a worker that dies in between leaves
    the job unacknowledged for reliable fetch to run again (counted once).
    """

    def __init__(self, settings: Settings) -> None:
        BATCHES.require()
        self.settings = settings
        self._tracker: Tracker | None = None

    def tracker(self) -> Tracker:
        # Resolved on first use: the worker installs its client as the default at start.
        if self._tracker is None:
            self._tracker = Tracker.of(default_client())
        return self._tracker

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:
        bid = ctx.job.get("bid")
        if not bid or not isinstance(bid, str):
            return call_next()
        token = running_job.set(RunningJob(bid, ctx.jid))
        try:
            result = call_next()
        except BaseException:
            running_job.reset(token)
            self._failed(bid, ctx.jid)
            raise
        running_job.reset(token)
        self.tracker().done.record_then(bid, ctx.jid, ctx.defer_acknowledgement())
        return result

    async def call_async(self, ctx: JobContext, call_next: AsyncRunNext) -> object:
        """The same around an async job (the worker's async lane): recording a success
        only queues it; a failure's Redis write runs on a helper thread."""
        bid = ctx.job.get("bid")
        if not bid or not isinstance(bid, str):
            return await call_next()
        token = running_job.set(RunningJob(bid, ctx.jid))
        try:
            result = await call_next()
        except BaseException:
            running_job.reset(token)
            await asyncio.to_thread(self._failed, bid, ctx.jid)
            raise
        running_job.reset(token)
        self.tracker().done.record_then(bid, ctx.jid, ctx.defer_acknowledgement())
        return result

    def _failed(self, bid: str, jid: str) -> None:
        try:
            record(self.tracker(), "job_failed", bid, jid)
        except Exception:  # the job's own error matters more; its retry records it again
            log.exception("could not record the failure of job %s in batch %s", jid, bid)


def record_death(job: JobPayload, client: Client) -> None:
    """A batch job died or was discarded: mark it dead, fire ``death`` once."""
    bid = job.get("bid")
    if not bid or not isinstance(bid, str):
        return
    try:
        record(Tracker.of(client), "job_died", bid, str(job.get("jid", "")))
    except (redis.ConnectionError, redis.TimeoutError):
        raise  # core retries the whole dead-set write, this hook included
    except Exception:  # anything else raised here would make core bury the job twice
        log.exception("could not record the death of job %s in batch %s", job.get("jid"), bid)


class FlushMiddleware:
    """Client middleware: lets an open non-atomic batch write its chunk before the next push."""

    def __call__(self, job: JobPayload, call_next: PushNext) -> JobPayload | None:
        batches = open_batches.get()
        if batches and batches[-1].wants_flush():
            batches[-1].flush()
        return call_next(job)
