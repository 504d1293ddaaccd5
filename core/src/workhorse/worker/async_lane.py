"""The async lane: ``async def`` jobs as tasks on the process's event loop (issue 24).

A thread job holds a thread for its whole run; an async job mostly waits, so the
lane runs up to ``limit`` of them at once on one loop thread, with no thread per
job. The capsule's fetch thread feeds both: each fetched job holds a free thread
permit and a free lane slot until it is routed, so neither side ever holds a job
it has no room for (see ``Executor._fetch_loop``); a routed async job keeps its
slot until its task ends.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import Sequence

from workhorse import payload
from workhorse.errors import PayloadError
from workhorse.job import find
from workhorse.stats import ThreadStats
from workhorse.types import JobPayload, UnitOfWork
from workhorse.worker.processor import Processor

log = logging.getLogger("workhorse.worker")
# An async job's slot number stands where a thread job's thread id does (running jobs,
# deadlines, cancellation, the Busy page); one counter for every lane of the process
# keeps them apart, and they are far below any thread id.
_slots = itertools.count(1)
# How long the fetch thread waits for a batch's worth of free slots before it fetches
# for the few there are: at the lane's full rate that many free up in well under this.
GATHER_SECONDS = 0.002


class AsyncLane:
    def __init__(self, processor: Processor, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self.processor = processor
        self.loop = loop
        self.limit = limit
        self.free = limit  # slots neither running a job nor reserved by the fetch thread
        self._room = threading.Condition(threading.Lock())
        # While the lane is full, wait for this many free slots before fetching again: one
        # round trip and one wake-up of each thread per batch, not per finished job.
        self.refill = max(1, limit // 8)
        self.stats = ThreadStats()  # written on the loop thread only
        self.tasks: set[asyncio.Task[None]] = set()

    @staticmethod
    def claim(unit: UnitOfWork[object]) -> JobPayload | None:
        """The decoded job if it is an async job of this process, else None: a thread
        job (kept parsed in ``unit.decoded`` for its thread), or bytes that are no job
        (the thread path buries those)."""
        if unit.undecodable is not None:
            return None
        try:
            job = unit.decoded = payload.decode(unit.raw)
        except PayloadError:
            return None
        definition = find(job["class"])  # type: ignore[typeddict-item]
        return job if definition is not None and definition.is_async else None

    def reserve(self, wanted: int, timeout: float) -> int:
        """Take up to ``wanted`` free slots, waiting up to ``timeout`` s for one; with
        fewer than a batch's worth free, first wait a moment for more to free up."""
        enough = min(wanted, self.refill)
        with self._room:
            if not self._room.wait_for(lambda: self.free > 0, timeout):
                return 0
            if self.free < enough:
                self._room.wait_for(lambda: self.free >= enough, GATHER_SECONDS)
            taken = min(wanted, self.free)
            self.free -= taken
            return taken

    def give_back(self, count: int) -> None:
        if count > 0:
            with self._room:
                self.free += count
                self._room.notify()

    def start(self, jobs: Sequence[tuple[UnitOfWork[object], JobPayload]]) -> None:
        """Run ``jobs`` (each holding a reserved slot); called from the fetch thread."""
        self.loop.call_soon_threadsafe(self._start_all, jobs)

    def _start_all(self, jobs: Sequence[tuple[UnitOfWork[object], JobPayload]]) -> None:
        run, stats, tasks = self.processor.process_async, self.stats, self.tasks
        for unit, job in jobs:
            task = self.loop.create_task(run(unit, job, stats, next(_slots)))
            tasks.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        """The job's task ended (done, or cancelled at shutdown): its slot is free."""
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "internal error while running a job; it was left for recovery",
                exc_info=task.exception(),
            )
        with self._room:
            self.free += 1
            if self.free in (1, self.refill):  # room again; a batch's worth
                self._room.notify()

    def cancel_all(self, timeout: float = 2.0) -> bool:
        """Cancel every task (their jobs were pushed back to their queues at shutdown) and
        wait up to ``timeout`` s for them to end; False if some did not."""
        self.loop.call_soon_threadsafe(_cancel, self.tasks)
        deadline = time.monotonic() + timeout
        while self.tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.tasks


def _cancel(tasks: set[asyncio.Task[None]]) -> None:
    for task in list(tasks):
        task.cancel()
