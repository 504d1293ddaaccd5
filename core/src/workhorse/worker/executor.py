"""Threads that run jobs, the thread that fetches for them, and an event loop for ``async def``.

The fetcher takes one permit per idle thread and asks Redis for that many jobs
in one round trip, so a busy process pays a fraction of a round trip per job.

An idle process waits for its next job in a job thread, not in the fetch thread (when
the fetcher can split its fetch, ``types.SplitFetcher``): the fetch thread hands the
blocking pop to an idle job thread and waits for its outcome, and the job it brings
starts right there. Handing a job from the fetch thread to a job thread costs a thread
wake-up plus a wait for the GIL, which the fetch thread holds until its next fetch
blocks: about 0.1 ms, a fifth of an idle worker's enqueue-to-start latency.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import queue
import threading
import time
from typing import TYPE_CHECKING, Any

from workhorse import held, logcontext
from workhorse.job import has_async_jobs
from workhorse.stats import ThreadStats
from workhorse.types import Fetcher, SplitFetcher, UnitOfWork
from workhorse.worker.job_speed import FAST_JOB, SHORT_JOB, next_mean
from workhorse.worker.outage import Outage, fetch_failed
from workhorse.worker.permits import Permits

if TYPE_CHECKING:
    from workhorse.fetch import LoopFetch
    from workhorse.worker.async_lane import AsyncLane
    from workhorse.worker.processor import Processor

log = logging.getLogger(__name__)
_STOP = UnitOfWork("", "")
_POP = UnitOfWork("", "")  # to a job thread: do the fetch's blocking pop and run its job
Popped = int | list[UnitOfWork[object]] | Exception  # see Executor._popped
BATCH_WAIT = 0.002


class Executor:
    def __init__(
        self,
        processor: Processor,
        fetcher: Fetcher[Any],
        concurrency: int,
        fetch_timeout: float,
        prefetch: int = 8,
        lane: AsyncLane | None = None,
    ):
        self.processor = processor
        self.lane = lane
        # A thread job fetched for the lane's free slots (while fetches brought async jobs
        # only) beyond the idle threads waits here for a thread, as a prefetched job does,
        # up to this many (the --prefetch bound, 0: none); the rest go back to the queue.
        self.lane_ahead = prefetch * concurrency
        self._async_only = False
        self.fetcher = fetcher
        self._split: SplitFetcher[Any] | None = (
            fetcher if isinstance(fetcher, SplitFetcher) else None
        )
        # A job thread's blocking pop tells the fetch thread how it went: the number of
        # jobs it popped and runs (0 or 1), an async job for the fetch thread to start on
        # the lane, or the error that stopped it.
        self._popped: queue.SimpleQueue[Popped] = queue.SimpleQueue()
        # While fetches bring async jobs only, the lane fetches on its own loop with this
        # (None: the fetcher cannot, e.g. Pro's reliable fetch; the fetch thread fetches).
        on_loop = getattr(fetcher, "on_loop", None) if lane is not None else None
        self._loop_fetch: LoopFetch | None = on_loop() if on_loop is not None else None
        self.concurrency = concurrency
        self.fetch_timeout = fetch_timeout
        self.permits = Permits(concurrency)
        # Extra permits (jobs fetched beyond the idle threads) while jobs are fast:
        # `prefetch` per thread, eight by default (at most 16 ms of work at the 2 ms
        # bound), so half of all permits (one batch, see _take_permits) pays its round
        # trip once per dozens of jobs. With basic fetch a crash loses them too, so 0
        # turns prefetching off (settings.prefetch, issue 17).
        self.prefetch_permits_max = prefetch * concurrency
        self.prefetch_permits = 0
        self.mean_job_seconds = 1.0  # assume slow until jobs prove otherwise
        self._timed = 0  # jobs in that mean so far (saturates in effect at 50)
        self.backlog = False  # the last fetch got all it asked for
        self.work: queue.SimpleQueue[UnitOfWork[object]] = queue.SimpleQueue()
        # Every job thread's counts, and the async lane's (written on its loop only).
        self.stats: list[ThreadStats] = [lane.stats] if lane is not None else []
        self.fetching = threading.Event()
        self._threads: list[threading.Thread] = []
        self._fetcher_thread: threading.Thread | None = None

    def start(self) -> None:
        self.processor.replace_thread = self._replace_thread
        for _ in range(self.concurrency):
            self._spawn_worker()
        self.fetching.set()
        self._fetcher_thread = threading.Thread(
            target=self._fetch_loop, name="workhorse-fetch", daemon=True
        )
        self._fetcher_thread.start()

    def _spawn_worker(self) -> None:
        stats = ThreadStats()
        self.stats.append(stats)
        thread = threading.Thread(
            target=self._work_loop,
            args=(stats,),
            name=f"workhorse-{len(self._threads)}",
            daemon=True,
        )
        thread.start()
        self._threads.append(thread)

    def _replace_thread(self) -> None:
        """A job thread was abandoned (it ignored its time limit): a new one takes its
        place, and its permit, now."""
        self._spawn_worker()
        self.permits.release()

    def _work_loop(self, stats: ThreadStats) -> None:
        release = held.hold(self.processor.redis)  # the thread's own connection (held.py)
        try:
            self._run_jobs(stats)
        finally:
            release()

    def _run_jobs(self, stats: ThreadStats) -> None:
        process_on = self.processor.process_on
        abandoned = self.processor.abandoned
        tid, slot = threading.get_ident(), logcontext.slot()
        while True:
            unit = self.work.get()
            if unit is _STOP:
                return
            if unit is _POP:
                popped = self._pop_for_fetch()
                if popped is None:
                    continue  # its permit stays with the fetch thread
                unit = popped
            elapsed = 0.0
            try:
                elapsed = process_on(unit, stats, tid, slot)
            except Exception:
                log.exception("internal error while running a job; it was left for recovery")
            if abandoned and tid in abandoned:
                abandoned.discard(tid)
                return  # replaced: its permit went to the new thread
            self.permits.release()
            # The processor's own timing (no second clock on the hot path); threads race
            # on it harmlessly, it only steers prefetch.
            self._timed += 1
            self.mean_job_seconds = next_mean(self.mean_job_seconds, elapsed, self._timed)

    def _fetch_loop(self) -> None:
        outage = Outage()
        while self.fetching.is_set():
            wanted = self._take_permits()
            if not wanted:
                continue
            lane = self.lane if self.lane is not None and has_async_jobs() else None
            if lane is not None:
                self._fetch_both(lane, wanted, outage)
                continue
            try:
                units, started = self._fetch(wanted)
            except Exception as exc:  # noqa: BLE001 - fetch_failed logs or reports it
                self._give_back(wanted)
                _sleep(fetch_failed(exc, outage))
                continue
            outage.recovered()
            unused = wanted - len(units) - started  # a job thread's job holds one permit
            self.backlog = unused <= 0
            if not self.fetching.is_set():
                self._give_back(unused)
                self._return_units(units)
                return
            for unit in units:  # first the jobs, then the bookkeeping: a job popped by
                self.work.put(unit)  # an idle worker starts without waiting for it
            self._give_back(unused)

    def _fetch(self, wanted: int) -> tuple[list[UnitOfWork[object]], int]:
        """Jobs to hand to the job threads, and how many a job thread popped and runs."""
        split = self._split
        if split is None:
            return list(self.fetcher.fetch(wanted, self.fetch_timeout)), 0
        units = split.pop_now(wanted)
        if units:
            return units, 0
        if len(self.processor.running) + self.work.qsize() >= self.concurrency:
            # No thread is idle (the permits were prefetch ones): wait here, not behind
            # running jobs.
            return split.pop_waiting(self.fetch_timeout), 0
        self.work.put(_POP)
        outcome = self._popped.get()
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, list):
            return outcome, 0
        return [], outcome

    def _pop_for_fetch(self) -> UnitOfWork[object] | None:
        """In an idle job thread: the fetch's blocking pop. Returns the job it brought
        for this thread to run (on one of the fetch's permits), or None."""
        outcome: Popped = 0
        job = None
        try:
            units = self._split.pop_waiting(self.fetch_timeout)  # type: ignore[union-attr]
            if units and not self.fetching.is_set():  # stopping: back to its queue
                self.fetcher.requeue(units)
            elif units and self._for_lane(units[0]):
                outcome = units  # the fetch thread starts it on the lane
            elif units:
                outcome, job = 1, units[0]
        except Exception as exc:  # noqa: BLE001 - the fetch thread handles it as its own
            outcome = exc
        finally:
            self._popped.put(outcome)  # wakes the fetch thread, which waits for the GIL
        return job

    def _for_lane(self, unit: UnitOfWork[object]) -> bool:
        lane = self.lane
        return lane is not None and has_async_jobs() and lane.claim(unit) is not None

    def _fetch_both(self, lane: AsyncLane, permits: int, outage: Outage) -> None:
        """Fetch for the job threads and the async lane: each job fetched holds a lane
        slot and, until it is known to be an async job, a thread permit."""
        if self._async_only and self._loop_fetch is not None:
            self._give_back(permits)  # the threads have no job to wait for meanwhile
            self._fetch_on_loop(lane, self._loop_fetch)
            return
        # While fetches bring async jobs only, a fetch fills every free lane slot: the
        # lane's throughput is its slots over the refill round trip, so the batch, not
        # the thread count, must carry it.
        slots = lane.reserve(lane.capacity if self._async_only else permits, 0.5)
        if not slots:
            self._give_back(permits)
            return
        try:
            units, started = self._fetch(slots)
        except Exception as exc:  # noqa: BLE001 - fetch_failed logs or reports it
            self._give_back(permits)
            lane.give_back(slots)
            _sleep(fetch_failed(exc, outage))
            return
        outage.recovered()
        self.backlog = len(units) + started >= slots
        permits -= started  # a job thread runs the thread job it popped on one of them
        if not self.fetching.is_set():
            lane.give_back(slots)
            self._give_back(permits)
            if units:
                self.fetcher.requeue(units)
            return
        self._route(lane, units, permits, slots)

    def _fetch_on_loop(self, lane: AsyncLane, loop_fetch: LoopFetch) -> None:
        """Let the lane fetch on its own loop until a fetch brings a job of the threads
        (or fetching stops); then route what it handed back, and fetch here again."""
        on_loop = lane.fetch_here(loop_fetch, self.fetching, self.fetch_timeout)
        try:
            units = asyncio.run_coroutine_threadsafe(on_loop, lane.loop).result()
        except Exception:
            log.exception("fetching on the event loop failed; the fetch thread fetches again")
            self._close_loop_fetch()  # and fetches for the lane from now on
            return
        finally:
            self._async_only = False
        if not self.fetching.is_set():
            if units:
                self.fetcher.requeue(units)
            return
        if units:
            self._to_threads(units, self.permits.take(len(units)))

    def _route(
        self, lane: AsyncLane, units: list[UnitOfWork[object]], permits: int, slots: int
    ) -> None:
        jobs, threads = lane.sort_out(units)
        lane.give_back(slots - len(jobs))
        if jobs:
            lane.start(jobs)
        self._async_only = bool(jobs) and not threads
        self._to_threads(threads, permits)

    def _to_threads(self, threads: list[UnitOfWork[object]], permits: int) -> None:
        """Hand ``threads`` to the job threads, holding ``permits`` permits for them."""
        ahead = self.lane_ahead
        for i, unit in enumerate(threads):
            if permits:
                permits -= 1
            elif not ahead or not self._wait_for_thread():
                # Fetched for the lane, beyond the --prefetch bound (or fetching stopped
                # meanwhile): back to the head of its queue rather than held here.
                self.fetcher.requeue(threads[i:])
                break
            else:  # fetched ahead for the lane, within the --prefetch bound: waits here
                ahead -= 1
            self.work.put(unit)
        self._give_back(permits)

    def _wait_for_thread(self) -> bool:
        """Take a thread's permit for a job fetched ahead; False once fetching stopped."""
        while self.fetching.is_set():
            if self.permits.acquire(timeout=0.5):
                return True
        return False

    def _take_permits(self) -> int:
        """Wait for a free permit, then take all free ones, up to a batch's worth.

        While jobs are fast a batch is half the permits. The fetch thread competes
        with the job threads for the GIL (CPython hands it over when a thread blocks
        or its switch interval, 5 ms, runs out), so a fetch sized to every free permit
        would go out only once the threads ran out of work; taking half leaves the
        permits the previous batch freed, so the next fetch goes out as soon as this
        batch is handed out and its round trip overlaps this batch's run, instead of
        every thread waiting for Redis once per batch.
        """
        self._size_prefetch_permits()
        if not self.permits.acquire(timeout=0.5):
            return 0
        taken, limit = 1, self.concurrency + self.prefetch_permits
        if self.prefetch_permits:
            limit = (limit + 1) // 2
            if (
                self.prefetch_permits < self.prefetch_permits_max
                and self.backlog
                and not self.work.empty()
            ):
                # Short jobs: let about half the prefetched jobs be taken before refilling
                # them in one round trip (sleeping: a wait on the permits would wake on
                # every release); the rest of them feed the threads meanwhile.
                # Only while the queues have a backlog (an idle worker goes straight back
                # to its blocking pop), never while threads wait for work (jobs that
                # proved faster than the lagging average), never long.
                wait = self.mean_job_seconds * (self.prefetch_permits // 2) / self.concurrency
                _sleep(min(wait, BATCH_WAIT))
        return taken + self.permits.take(limit - taken)

    def _size_prefetch_permits(self) -> None:
        """Add prefetch permits while jobs are fast; take them back when they are not."""
        wanted = self._prefetch_permits_wanted()
        if self.prefetch_permits < wanted:
            self.permits.release(wanted - self.prefetch_permits)
            self.prefetch_permits = wanted
        if self.prefetch_permits > wanted:
            self.prefetch_permits -= self.permits.take(self.prefetch_permits - wanted)

    def _prefetch_permits_wanted(self) -> int:
        mean = self.mean_job_seconds
        if mean < FAST_JOB or not self.prefetch_permits_max:
            return self.prefetch_permits_max
        short = min(self.prefetch_permits_max, max(2, self.concurrency // 4))
        return short if mean < SHORT_JOB else 0

    def _give_back(self, count: int) -> None:
        if count > 0:
            self.permits.release(count)  # one call: this runs after every fetch

    def _return_units(self, units: list[UnitOfWork[object]]) -> None:
        if units:
            self.fetcher.requeue(units)
            self._give_back(len(units))

    def stop_fetching(self, timeout: float) -> None:
        """Stop fetching; jobs fetched but not started go back to their queues."""
        self.fetching.clear()
        if self._fetcher_thread is not None:
            self._fetcher_thread.join(timeout)
        pending: list[UnitOfWork[object]] = []
        while True:
            try:
                unit = self.work.get_nowait()
            except queue.Empty:
                break
            if unit is _POP:  # no thread took it: the fetch thread waits for nothing
                self._popped.put(0)
            elif unit is not _STOP:
                pending.append(unit)
        self._return_units(pending)
        if self.lane is not None:  # queued for the lane, not started: they hold no permit
            held = self.lane.take_waiting()
            if held:
                self.fetcher.requeue(held)
        self._close_loop_fetch()

    def _close_loop_fetch(self) -> None:
        """Close the lane's fetch connection, on its loop (which still runs)."""
        loop_fetch, self._loop_fetch = self._loop_fetch, None
        if loop_fetch is None or self.lane is None:
            return
        closing = loop_fetch.close()
        try:
            asyncio.run_coroutine_threadsafe(closing, self.lane.loop).result(2.0)
        except Exception:  # at shutdown (the loop may be gone): nothing is left to fetch with
            if inspect.getcoroutinestate(closing) == inspect.CORO_CREATED:
                closing.close()  # the loop stopped before running it: no "never awaited"
            log.debug("closing the async lane's fetch connection failed", exc_info=True)

    def threads_alive(self) -> bool:
        return all(thread.is_alive() for thread in self._threads)

    def busy_count(self) -> int:
        return len(self.processor.running)

    def wait_idle(self, timeout: float, poll: float = 0.05) -> bool:
        deadline = _now() + timeout
        while self.processor.running:
            if _now() >= deadline:
                return False
            _sleep(min(poll, max(0.0, deadline - _now())))
        return True

    def stop_threads(self) -> None:
        for _ in self._threads:
            self.work.put(_STOP)


_now = time.monotonic
_sleep = time.sleep
