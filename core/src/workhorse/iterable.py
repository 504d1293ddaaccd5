"""Iterable jobs (issue 18): walk a large set of work item by item, from a saved cursor.

A job class says how to list its work from a cursor (``items``) and what to do per
item (``each``). The cursor after each item is saved in Redis (``cursor:<jid>``) at
most every ``checkpoint_seconds``, and always when the job stops early, so a
shutdown, deploy, crash or retry carries on from there instead of starting again.

::

    @workhorse.job(timeout=30)              # the limit applies to each item
    class Reindex(workhorse.IterableJob):
        max_run_time = 300                  # then save, re-enqueue, let others run

        def items(self, cursor, shop_id):   # yield (item, cursor after it)
            start = cursor or 0
            for row_id in ids_after(shop_id, start):
                yield row_id, row_id

        def each(self, row_id, shop_id):
            reindex(row_id)

Items must be safe to run twice: after a crash, the items since the last
checkpoint run again (at least once, like every job).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

from redis.client import NEVER_DECODE

from workhorse import payload
from workhorse.client import Client, default_client
from workhorse.current import CurrentJob, current_job
from workhorse.errors import ConfigError, PayloadError

CURSOR_TTL = 30 * 24 * 3600  # a cursor nobody resumes is dropped after this


class _Iteration:
    """The bookkeeping shared by the sync and async forms."""

    max_run_time: float = 300.0
    checkpoint_seconds: float = 1.0

    def _begin(self) -> tuple[CurrentJob, Client, Any]:
        job = current_job()
        if job is None:
            raise ConfigError(
                f"{type(self).__name__} is an iterable job: it runs inside a worker, which "
                "keeps its cursor; enqueue it with perform_async"
            )
        client = default_client()
        return job, client, _load(client, job.jid)

    def _save(self, client: Client, jid: str, cursor: Any) -> None:
        client.redis.set(client.keys.cursor(jid), payload.encode({"cursor": cursor}), ex=CURSOR_TTL)

    def _pause(self, client: Client, job: CurrentJob, cursor: Any) -> None:
        """Save the place and put the job back in its queue, same jid, to carry on."""
        self._save(client, job.jid, cursor)
        again = {k: v for k, v in job.job.items() if k not in ("enqueued_at", "at")}
        client.push(again)

    def _stopped(self, client: Client, job: CurrentJob, cursor: Any) -> None:
        """The run ended in an exception: a cancelled job forgets its place; any other
        failure keeps it, so the retry carries on from there."""
        if job.cancelled:
            self._finish(client, job.jid)
        else:
            self._save(client, job.jid, cursor)

    def _finish(self, client: Client, jid: str) -> None:
        client.redis.delete(client.keys.cursor(jid))

    def _after_item(
        self, client: Client, job: CurrentJob, cursor: Any, saved_at: float, started: float
    ) -> float | None:
        """Checkpoint ``cursor`` when one is due; returns when it was last saved, or None
        once the job paused itself (re-enqueued, as ``max_run_time`` or a stop asks)."""
        if time.monotonic() - saved_at >= self.checkpoint_seconds:
            self._save(client, job.jid, cursor)
            saved_at = time.monotonic()
        if self._should_pause(job, started):
            self._pause(client, job, cursor)
            return None
        return saved_at

    def _should_pause(self, job: CurrentJob, started: float) -> bool:
        return job.stopping or time.monotonic() - started >= self.max_run_time


class IterableJob(_Iteration):
    """Base class of a sync iterable job: define ``items`` and ``each``."""

    def items(self, cursor: Any, *args: Any) -> Iterable[tuple[Any, Any]]:
        """``(item, cursor after it)`` pairs from ``cursor`` (None the first time)."""
        raise NotImplementedError

    def each(self, item: Any, *args: Any) -> None:
        raise NotImplementedError

    def perform(self, *args: Any) -> None:
        job, client, cursor = self._begin()
        started = saved_at = time.monotonic()
        try:
            for item, after in self.items(cursor, *args):
                _before_item(job)
                self.each(item, *args)
                cursor = after
                last_save = self._after_item(client, job, cursor, saved_at, started)
                if last_save is None:  # paused: re-enqueued to go on from ``cursor``
                    return
                saved_at = last_save
        except BaseException:
            self._stopped(client, job, cursor)
            raise
        self._finish(client, job.jid)


class AsyncIterableJob(_Iteration):
    """Base class of an ``async`` iterable job: define ``async def items`` (an async
    generator) and ``async def each``."""

    def items(self, cursor: Any, *args: Any) -> AsyncIterator[tuple[Any, Any]]:
        raise NotImplementedError

    async def each(self, item: Any, *args: Any) -> None:
        raise NotImplementedError

    async def perform(self, *args: Any) -> None:
        job, client, cursor = self._begin()
        started = saved_at = time.monotonic()
        try:
            async for item, after in self.items(cursor, *args):
                _before_item(job)
                await self.each(item, *args)
                cursor = after
                last_save = self._after_item(client, job, cursor, saved_at, started)
                if last_save is None:  # paused: re-enqueued to go on from ``cursor``
                    return
                saved_at = last_save
        except BaseException:
            self._stopped(client, job, cursor)
            raise
        self._finish(client, job.jid)


def _before_item(job: CurrentJob) -> None:
    """Stop here if the job was cancelled; the time limit applies per item."""
    job.check()
    job.restart_clock()


def _load(client: Client, jid: str) -> Any:
    """The saved cursor, None to start; a cursor another program garbled fails the job
    clearly rather than silently starting over."""
    key = client.keys.cursor(jid)
    raw: Any = client.redis.execute_command(  # type: ignore[no-untyped-call]
        "GET",
        key,
        **{NEVER_DECODE: True},  # bytes: another program may have written any
    )
    if raw is None:
        return None
    try:
        data = payload.loads(raw)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or "cursor" not in data:
        raise PayloadError(
            f"the saved cursor at {key} is not one workhorse wrote ({bytes(raw)[:80]!r}); "
            f"delete the key to start job {jid} from the beginning"
        )
    return data["cursor"]
