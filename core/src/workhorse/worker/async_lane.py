"""The async lane: ``async def`` jobs as tasks on the process's event loop (issue 24).

A thread job holds a thread for its whole run; an async job mostly waits, so the
lane runs up to ``limit`` of them at once on one loop thread, with no thread per
job. The capsule's fetch thread feeds both: each fetched job holds a free thread
permit and a free lane slot until it is routed, so neither side ever holds a job
it has no room for (see ``Executor._fetch_loop``); a routed async job keeps its
slot until it ends.

Jobs run on long-lived runner tasks, one job after another, as thread jobs run on
job threads: a task per job costs its creation, a first step and a done callback
on the loop, which at thousands of jobs a second is a tenth of the loop's time. A
runner is started when a job finds none idle (so at most ``limit`` of them, and
none before the first async job); a cancellation or time limit cancels the runner
only while that job's body runs, and the job's outcome absorbs it (see
``Processor._execute_async``), so the runner goes on with the next job. Like a job
thread, a runner keeps its ``contextvars`` context from one job to the next.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from workhorse import async_redis, payload
from workhorse.errors import PayloadError
from workhorse.job import find
from workhorse.stats import ThreadStats
from workhorse.types import JobPayload, UnitOfWork
from workhorse.worker.job_speed import SHORT_JOB, next_mean
from workhorse.worker.outage import Outage, fetch_failed
from workhorse.worker.processor import Processor

if TYPE_CHECKING:
    from workhorse.fetch import LoopFetch

log = logging.getLogger("workhorse.worker")
# An async job's slot number stands where a thread job's thread id does (running jobs,
# deadlines, cancellation, the Busy page); one counter for every lane of the process
# keeps them apart, and they are far below any thread id. Each job gets a number of
# its own (not its runner's), so an interrupt meant for a job that just ended can
# never reach the next job of the same runner.
_slots = itertools.count(1)
# How long the fetch thread waits for a batch's worth of free slots before it fetches
# for the few there are: at the lane's full rate that many free up in well under this.
GATHER_SECONDS = 0.002
Job = tuple[UnitOfWork[object], JobPayload]


class AsyncLane:
    def __init__(
        self, processor: Processor, loop: asyncio.AbstractEventLoop, limit: int, ahead: int = 0
    ) -> None:
        self.processor = processor
        self.loop = loop
        self.limit = limit  # jobs running at once (runners)
        # Up to this many more jobs wait in memory while jobs are short, so a runner that
        # ends a job takes the next at once instead of after a fetch round trip; the
        # runners otherwise sit idle for a batch wait and a round trip per job, which at
        # 10 ms jobs is as long as the job (issue 24).
        self.ahead = ahead
        self.capacity = limit + ahead
        self.free = self.capacity  # slots neither holding a job nor reserved for a fetch
        self.mean_job_seconds = 1.0  # assume slow (nothing held ahead) until proven short
        self._timed = 0
        self._room = threading.Condition(threading.Lock())
        # While the lane is full, wait for this many free slots before fetching again: one
        # round trip and one wake-up of each thread per batch, not per finished job.
        self.refill = max(1, limit // 8)
        self.stats = ThreadStats()  # written on the loop thread only
        # Handed over, not taken by a runner yet: the fetch thread appends, runners (and
        # take_waiting, once fetching stopped) pop, each one atomic deque operation.
        self.waiting: deque[Job] = deque()
        # The rest is the loop thread's only.
        self.idle: list[asyncio.Future[None]] = []  # an idle runner waits on each
        self.runners: set[asyncio.Task[None]] = set()
        self.stopping = False
        self._freed = 0  # slots freed during this turn of the loop, given back at its end
        self.fetching_here = False  # whether the lane fetches on its loop now (fetch_here)
        # While the lane fetches on its loop and waits for free slots.
        self._room_here: asyncio.Future[None] | None = None
        self._gathering = False

    @property
    def loop_name(self) -> str:
        """Which event loop runs the lane: "uvloop" or "asyncio" (the start line says)."""
        return "uvloop" if type(self.loop).__module__.startswith("uvloop") else "asyncio"

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
            if not self._room.wait_for(lambda: self._usable() > 0, timeout):
                return 0
            if self._usable() < enough:
                self._room.wait_for(lambda: self._usable() >= enough, GATHER_SECONDS)
            taken = max(0, min(wanted, self._usable()))
            self.free -= taken
            return taken

    def _usable(self) -> int:
        """Free slots the fetch thread may fill now: none of those ahead of the runners
        while jobs are long (a job waiting behind long ones would wait for nothing
        while another process may be idle)."""
        return self.free if self.mean_job_seconds < SHORT_JOB else self.free - self.ahead

    def give_back(self, count: int) -> None:
        if count > 0:
            with self._room:
                self._add_free(count)

    def _add_free(self, count: int) -> None:
        """Called holding ``_room``: wake the fetch thread when there is room again, or
        a batch's worth (it waits for one or the other, see ``reserve``)."""
        before = self._usable()
        self.free += count
        if before <= 0 < self._usable() or before < self.refill <= self._usable():
            self._room.notify()

    def start(self, jobs: Sequence[Job]) -> None:
        """Run ``jobs`` (each holding a reserved slot); called from the fetch thread. They
        are queued here (one atomic deque operation), so once the fetch thread stopped,
        every job fetched is either queued or taken by a runner (``take_waiting``)."""
        self.waiting.extend(jobs)
        self.loop.call_soon_threadsafe(self._wake, len(jobs))

    async def fetch_here(
        self, fetcher: LoopFetch, fetching: threading.Event, timeout: float
    ) -> list[UnitOfWork[object]]:
        """Fetch for the lane on its own loop, as long as fetches bring its jobs only: a
        job then never crosses from the fetch thread to the loop (a wake-up of the loop
        and GIL hand-offs per batch, while the runners sit idle), as a bare asyncio
        worker fetches. Returns, for the fetch thread, the first jobs fetched that are
        not the lane's (it routes them to the job threads, and fetches again itself),
        or once fetching stopped those fetched meanwhile (it requeues them)."""
        self.fetching_here = True
        try:
            return await self._fetch_here(fetcher, fetching, timeout)
        finally:
            self.fetching_here = False

    async def _fetch_here(
        self, fetcher: LoopFetch, fetching: threading.Event, timeout: float
    ) -> list[UnitOfWork[object]]:
        outage = Outage()
        while fetching.is_set():
            slots = await self._reserve_here()
            if not slots:
                continue
            try:
                units: list[UnitOfWork[object]] = list(await fetcher.fetch(slots, timeout))
            except Exception as exc:  # noqa: BLE001 - fetch_failed logs or reports it
                self.give_back(slots)
                await asyncio.sleep(fetch_failed(exc, outage))
                continue
            outage.recovered()
            if not fetching.is_set():
                self.give_back(slots)
                return units
            others = self._start_here(units, slots)
            if others:
                return others
        return []

    def sort_out(
        self, units: list[UnitOfWork[object]]
    ) -> tuple[list[Job], list[UnitOfWork[object]]]:
        """``units`` split into the lane's jobs (claimed, with their payloads) and the
        rest, for the job threads."""
        jobs: list[Job] = []
        others: list[UnitOfWork[object]] = []
        for unit in units:
            job = self.claim(unit)
            if job is None:
                others.append(unit)
            else:
                jobs.append((unit, job))
        return jobs, others

    def _start_here(self, units: list[UnitOfWork[object]], slots: int) -> list[UnitOfWork[object]]:
        """On the loop: queue the lane's jobs among ``units`` (fetched for ``slots``
        reserved slots) for the runners; the rest, for the job threads."""
        jobs, others = self.sort_out(units)
        self.give_back(slots - len(jobs))
        if jobs:
            self.waiting.extend(jobs)
            self._wake(len(jobs))
        return others

    async def _reserve_here(self) -> int:
        """On the loop: take every usable free slot once there are a batch's worth, or
        some and a moment passed (as ``reserve`` does on the fetch thread); 0 if none
        freed up within half a second."""
        if self._usable() < self.refill:
            room = self._room_here = self.loop.create_future()
            wait = self.loop.call_later(0.5 if self._usable() <= 0 else GATHER_SECONDS, _done, room)
            try:
                await room
            finally:
                wait.cancel()
                self._room_here = None
        with self._room:
            taken = max(0, self._usable())
            self.free -= taken
            return taken

    def _wake(self, count: int) -> None:
        """On the loop: wake an idle runner for each job queued, or start one. A runner
        that ends a job meanwhile may take a queued job first; the one woken for it
        then finds none and waits again, so no job is ever left waiting."""
        idle = self.idle
        for _ in range(count):
            while idle and idle[-1].done():  # its runner was stopped
                idle.pop()
            if idle:
                idle.pop().set_result(None)
            elif len(self.runners) < self.limit:
                runner = self.loop.create_task(self._run_jobs())
                self.runners.add(runner)
                runner.add_done_callback(self.runners.discard)

    async def _run_jobs(self) -> None:
        """A runner: run queued jobs one after another until the lane stops."""
        task = asyncio.current_task()
        assert task is not None
        async_redis.serve_this_task(self.loop)
        run, stats, waiting = self.processor.process_async, self.stats, self.waiting
        while not self.stopping:
            try:
                unit, job = waiting.popleft()  # atomic: take_waiting may race it
            except IndexError:
                wake = self.loop.create_future()
                self.idle.append(wake)
                await wake  # cancelled when the lane stops
                continue
            try:
                self._timed_job(await run(unit, job, stats, next(_slots), task))
            except asyncio.CancelledError:
                if self.stopping:  # the job was pushed back to its queue at shutdown
                    raise
                log.error("a job's runner was cancelled outside of the job; it goes on")
            except Exception:
                log.exception("internal error while running a job; it was left for recovery")
            finally:
                self._slot_freed()
            while task.cancelling():  # absorbed by the job's outcome: not the runner's
                task.uncancel()

    def _timed_job(self, elapsed: float) -> None:
        """A moving average of the jobs' run time, as the job threads keep theirs
        (``Executor._work_loop``): it decides whether jobs are held ahead."""
        self._timed += 1
        self.mean_job_seconds = next_mean(self.mean_job_seconds, elapsed, self._timed)

    def take_waiting(self) -> list[UnitOfWork[object]]:
        """Take back the jobs queued but not started (fetching stopped: they go back to
        their queues); any thread."""
        taken: list[UnitOfWork[object]] = []
        while True:
            try:
                taken.append(self.waiting.popleft()[0])
            except IndexError:
                break
        self.give_back(len(taken))
        return taken

    def _slot_freed(self) -> None:
        """Free a job's slot; the slots freed in one turn of the loop are given back
        together once it ends: one lock and at most one wake-up of the fetch thread."""
        self._freed += 1
        if self._freed == 1:
            self.loop.call_soon(self._give_freed)

    def _give_freed(self) -> None:
        freed, self._freed = self._freed, 0
        with self._room:
            self._add_free(freed)
        room = self._room_here
        if room is not None and not room.done():  # the fetch on the loop waits for room
            usable = self._usable()
            if usable >= self.refill:
                room.set_result(None)
            elif usable > 0 and not self._gathering:  # some: wait a moment for more
                self._gathering = True
                self.loop.call_later(GATHER_SECONDS, self._gathered, room)

    def _gathered(self, room: asyncio.Future[None]) -> None:
        self._gathering = False
        _done(room)

    def cancel_all(self, timeout: float = 2.0) -> bool:
        """Stop the runners, cancelling the jobs they run (their jobs were pushed back
        to their queues at shutdown), and wait up to ``timeout`` s for them to end;
        False if some did not. Also called at a graceful stop, with every runner idle."""
        self.loop.call_soon_threadsafe(self._stop)
        deadline = time.monotonic() + timeout
        while self.runners and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.runners

    def _stop(self) -> None:
        self.stopping = True
        for runner in list(self.runners):
            runner.cancel()


def _done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
