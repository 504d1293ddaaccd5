"""Running one job: decode -> resolve -> run through middleware -> settle (ack, retry or dead)."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent import futures
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import redis

from workhorse import (
    current,
    invoke,
    logcontext,
    metrics,
    payload,
    plugins,
    quarantine,
    results,
    retry,
)
from workhorse.errors import JobCancelled, JobTimeout, PayloadError
from workhorse.job import find
from workhorse.middleware import (
    ArgumentOpener,
    AsyncRunNext,
    JobContext,
    OnlyWith,
    RunNext,
    compose_server,
    compose_server_async,
    innermost_opener,
    skipped_without,
    sync_only,
)
from workhorse.stats import ThreadStats
from workhorse.types import Fetcher, JobDefinition, JobPayload, UnitOfWork, WorkerContext
from workhorse.worker.control import RunControl
from workhorse.worker.recorder import ResultRecorder
from workhorse.worker.running import RunningRegistry
from workhorse.worker.timeouts import Deadline, Watchdog

if TYPE_CHECKING:
    from workhorse.worker.async_runner import AsyncRunner

log = logging.getLogger("workhorse.job")
UNPARSEABLE = quarantine.UNPARSEABLE
_RESULT = "workhorse.result"  # ctx.stash key of a store_result job's open record
_FINAL_STATE = {"dead": "dead", "discard": "failed"}


class Processor:
    """Executes units of work on the calling thread, or as tasks of the async lane. One
    per capsule, shared by its threads."""

    def __init__(
        self,
        process: WorkerContext,
        fetcher: Fetcher[Any],
        run_async: AsyncRunner,
    ) -> None:
        self.process = process
        self.settings = process.settings
        self.keys = process.keys
        self.redis = process.redis
        self.fetcher = fetcher
        self.run_async = run_async
        self.running = RunningRegistry()
        middleware = plugins.server_middleware(process)
        self.run_chain = compose_server(middleware)
        # A job none of this concerns runs its body directly (no chain, no closure): a
        # registered sync job without a time limit, carrying none of the fields that bring
        # middleware in or ask for a limit (None: some middleware wraps every job).
        skipped = skipped_without(middleware)
        self._direct_unless = (
            None if skipped is None or process.settings.job_timeout else skipped | {"timeout"}
        )
        # The innermost middleware may be an argument opener (decryption): a sync job that
        # carries its field and no other ``only_with`` field has its arguments opened around
        # its call, inside the chain of the other middleware (or none: then it may run
        # directly), with no chain selected and run for the opener per job.
        opening = innermost_opener(middleware)
        # Its field, itself, and the other ``only_with`` fields (a job carrying one of those
        # takes the whole chain).
        self._opens: str | None = None
        self._opener: ArgumentOpener | None = None
        self._opened_unless: frozenset[str] = frozenset()
        if opening is not None:
            self._opens, self._opener, self._opened_unless = opening
        # Such a job carries no ``only_with`` field but the opener's: no other one wraps it.
        self._outer_chain = compose_server(
            [mw for mw in middleware if not isinstance(mw, OnlyWith)]
        )
        # The async lane needs every middleware's async form (issue 24); without one, the
        # lane is off and async jobs run on job threads as before.
        self.sync_only_middleware = sync_only(middleware)
        self.run_chain_async = (
            None if self.sync_only_middleware else compose_server_async(middleware)
        )
        # Decided once: with job logs off (or INFO filtered out) the hot path logs nothing.
        self._job_logs = process.settings.job_logs and log.isEnabledFor(logging.INFO)
        # Per (class, queue) counts and durations, only when something exports them.
        self._observe = process.settings.metrics_port is not None or bool(
            os.environ.get(metrics.SHARE_ENV)
        )
        # Issue 18: time limits and cancellation; nothing here runs per job unless a job
        # has a limit or was cancelled.
        self.default_timeout = self.settings.job_timeout
        self.control = RunControl()
        self._inside, self._reasons = self.control.inside, self.control.reasons  # hot path
        self.watchdog = Watchdog(self._on_deadline, self._on_abandon, self.settings.timeout_grace)
        self.cancelled_threads: set[int] = set()
        self.abandoned: set[int] = set()
        # slot -> what the watchdog needs to settle a job on the async lane that ignores
        # a cancellation (a thread job's deadline carries the same)
        self._lane_jobs: dict[int, tuple[JobContext, UnitOfWork[object], ThreadStats]] = {}
        self.replace_thread: Callable[[], None] | None = None  # set by the Executor
        self.recorder = ResultRecorder(self.redis, self.keys, process.identity)
        # Whether a job's acknowledgement must wait for its result record (reliable fetch).
        self._hold_acks = bool(getattr(fetcher, "acknowledges", True))
        current.install(self)

    def process_unit(self, unit: UnitOfWork[object], stats: ThreadStats) -> float:
        """Run one fetched job to its outcome; returns the seconds its body ran."""
        return self.process_on(unit, stats, threading.get_ident(), logcontext.slot())

    def process_on(
        self, unit: UnitOfWork[object], stats: ThreadStats, tid: int, slot: logcontext.Slot
    ) -> float:
        """``process_unit`` for a job thread that looked its id and log slot up once."""
        self.running.register(tid, unit, time.time())
        deferred, elapsed = False, 0.0
        try:
            deferred, elapsed = self._execute(unit, stats, tid, slot)
        except Exception as exc:  # a bug of ours or a plugin's: keep the job, in the dead set
            log.exception("internal error while running a job; it is kept in the dead set")
            self._keep_failed_internally(unit, exc)
        finally:
            self.running.finish(tid)
            slot[0] = None
            if self.cancelled_threads:
                self.cancelled_threads.discard(tid)
            if self.recorder.running:
                self.recorder.ended(tid)
        if not deferred:  # else a middleware took the acknowledgement over
            self.fetcher.acknowledge(unit)
        return elapsed

    def _keep_failed_internally(self, unit: UnitOfWork[object], error: Exception) -> None:
        """Bury the job as it was, under ``error``'s class (retried through an outage)."""
        fmt = self.settings.timestamp_format
        self._settle(
            lambda: self.bury(quarantine.failed_internally(unit.stored, unit.queue, error, fmt))
        )

    def _execute(
        self, unit: UnitOfWork[object], stats: ThreadStats, tid: int, slot: logcontext.Slot
    ) -> tuple[bool, float]:
        """Run the job and settle its outcome: (a middleware deferred the ack, seconds run)."""
        ctx = self._decode(unit)
        if ctx is None:
            return False, 0.0
        job, definition = ctx.job, ctx.definition
        name: str = job["class"]  # type: ignore[typeddict-item]
        slot[0] = (job, unit.queue, definition)  # cleared by process_on
        stores = definition is not None and _stores(ctx)
        if self._runs_direct(job, definition):
            limit, invoke, opener = 0.0, None, None
        else:
            limit = self._limit(ctx, tid, unit, stats)
            invoke, opener = self._invoker(ctx, stores, limit)
        if stores:
            self.recorder.started(tid, job, definition.result_ttl)  # type: ignore[union-attr]
        t0 = time.perf_counter()
        if self._job_logs:
            log.info("start")
        self._inside[tid] = True
        try:
            record = self._body(ctx, invoke, stores, opener)
            self._inside.pop(tid, None)
            if self._reasons:  # an interrupt raced the end of the body: take it back
                self.control.leave(tid)
        except BaseException as exc:  # noqa: BLE001 - any failure goes to retry/dead
            reason = self.control.leave(tid)
            elapsed = time.perf_counter() - t0
            if limit and self._abandoned(tid):
                return True, elapsed  # settled by the watchdog; the ack was done there
            self._failed(ctx, self._explain(exc, reason, ctx, limit), elapsed, stats)
            return ctx.deferred, elapsed
        elapsed = time.perf_counter() - t0
        if limit and self._abandoned(tid):
            return True, elapsed
        stats.record(name, True, elapsed * 1000)
        if stores:
            self._succeeded(ctx, record)
        if self._observe or self._job_logs:
            self._observed(ctx, elapsed, stats)
        return ctx.deferred, elapsed

    def _body(
        self,
        ctx: JobContext,
        invoke: RunNext | None,
        stores: bool,
        opener: ArgumentOpener | None = None,
    ) -> str | None:
        """Run the job through the chain, or call it directly (``invoke`` None: nothing
        else to run or watch); a directly called store_result job's (open) record.
        ``opener``: the job's arguments are opened around its call, and the chain is the
        one of the other middleware."""
        if invoke is not None:
            if opener is not None:  # opened by ``invoke``, inside the others
                self._outer_chain(ctx, invoke)
            else:
                self.run_chain(ctx, invoke)
            return None
        if opener is not None:
            value = _call_opened(ctx, opener)
        else:
            value = ctx.definition.call(ctx.job.get("args", []))  # type: ignore[union-attr]
        return results.success(ctx.job, value) if stores else None

    def _runs_direct(self, job: JobPayload, definition: JobDefinition | None) -> bool:
        """Whether the job's body is called directly: a registered sync job without a time
        limit that no middleware wraps (most jobs; they pay for none of that)."""
        direct = self._direct_unless
        return (
            direct is not None
            and definition is not None
            and not (definition.is_async or definition.timeout)
            and job.keys().isdisjoint(direct)
        )

    def _opener_for(
        self, job: JobPayload, definition: JobDefinition | None
    ) -> ArgumentOpener | None:
        """The innermost middleware's argument opener, for a job carrying its field, if it
        is to be applied around the job's call: a registered sync job carrying no other
        ``only_with`` field."""
        if definition is None or definition.is_async:
            return None
        return self._opener if job.keys().isdisjoint(self._opened_unless) else None

    def _limit(
        self, ctx: JobContext, tid: int, unit: UnitOfWork[object], stats: ThreadStats
    ) -> float:
        """The job's time limit in seconds, watched from now on; 0.0 for none. Nothing is
        built for the watchdog unless the job has a limit (this runs for every job that
        does not run directly)."""
        asked = ctx.job.get("timeout") or (ctx.definition and ctx.definition.timeout)
        if asked or self.default_timeout:
            return self._watch(tid, asked or self.default_timeout, (ctx, unit, stats))
        return 0.0

    def _abandoned(self, tid: int) -> bool:
        """Stop watching ``tid``'s deadline; True if the watchdog already gave the job up."""
        self.watchdog.unwatch(tid)
        return tid in self.abandoned

    def _failed(
        self, ctx: JobContext, exc: BaseException, elapsed: float, stats: ThreadStats
    ) -> None:
        stats.record(ctx.name, False, elapsed * 1000)
        outcome = self._fail(ctx, exc, elapsed)
        if self._observe:
            stats.observe(ctx.name, ctx.queue, elapsed, outcome)

    def _completed(self, ctx: JobContext, elapsed: float, stats: ThreadStats) -> None:
        """What else a success needs: a stored result, metrics, a log line (each if on)."""
        if _RESULT in ctx.stash:
            self._succeeded(ctx, None)
        self._observed(ctx, elapsed, stats)

    def _observed(self, ctx: JobContext, elapsed: float, stats: ThreadStats) -> None:
        """A success in the metrics and the job log (each if on)."""
        if self._observe:
            stats.observe(ctx.name, ctx.queue, elapsed, None)
        if self._job_logs:
            log.info("done: %.3f sec", elapsed, extra={"elapsed": round(elapsed, 6)})

    def _decode(self, unit: UnitOfWork[object]) -> JobContext | None:
        """The job and its definition, or None after burying bytes that are not a job (not
        counted, as Sidekiq does not count them)."""
        job = unit.decoded  # parsed by the fetch thread to route it, if it was
        if job is None:
            try:
                if unit.undecodable is not None:
                    raise PayloadError(quarantine.undecodable_reason(unit))
                job = payload.decode(unit.raw)
            except PayloadError as exc:
                error = exc
                self._settle(lambda: self._bury_unparseable(unit, error))
                return None
        return self._context(unit, job)

    def _succeeded(self, ctx: JobContext, record: str | None) -> None:
        """Hand a store_result job's record (``record``, else the one the chain left in
        the stash; none if a middleware did not run the job) to the recorder, which writes
        records in batches and acknowledges each job once its record is in Redis."""
        if record is None:
            record = cast("str | None", ctx.stash.get(_RESULT))
            if record is None:
                return
        hold = self._hold_acks and not ctx.deferred
        ack = ctx.defer_acknowledgement() if hold else None
        jid = ctx.job.get("jid", "")  # ctx.jid, without a property's call (runs per job)
        self.recorder.submit(jid if type(jid) is str else str(jid), record, _ttl(ctx), ack)

    def _watch(self, tid: int, limit: object, token: object) -> float:
        """Register the job's deadline; a garbled limit from Redis means no limit."""
        if isinstance(limit, bool) or not isinstance(limit, int | float) or not limit > 0:
            return 0.0
        self.watchdog.watch(tid, float(limit), token)
        return float(limit)

    def _invoker(
        self, ctx: JobContext, stores: bool, limit: float
    ) -> tuple[RunNext | None, ArgumentOpener | None]:
        """What the chain calls last (None: the job is called directly, it needs no chain),
        and the argument opener applied around the job's call, if any (``_opener``)."""
        job = ctx.job  # other jobs pay one dict lookup here
        opener = self._opener_for(job, ctx.definition) if self._opens in job else None
        call: RunNext
        if opener is None:
            call = invoke.invoker(ctx, self._run_here, self._attempt)
        elif not limit and self._direct_unless is not None:
            return None, opener  # no middleware but the opener, no limit
        else:
            call = partial(_call_opened, ctx, opener)
        return (partial(_run_storing, ctx, call) if stores else call), opener

    def _attempt(self, ctx: JobContext) -> str:
        """Which attempt this run of the job is, for an unknown job's error."""
        count = ctx.job.get("retry_count")
        attempt = 1 if count is None else int(count) + 2
        return f"attempt {attempt} of {retry.max_attempts(ctx.job, self.settings) + 1}"

    def _run_here(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """``_run_coroutine`` for the calling job thread (the invoker's runner)."""
        return self._run_coroutine(coro, threading.get_ident())

    def _run_coroutine(self, coro: Coroutine[Any, Any, Any], tid: int) -> Any:
        """Run an async job on the loop; a timeout or cancellation cancels its task, and
        this thread waits until the task really ended (or the backstop gave up on it)."""
        control = self.control
        with control.lock:  # so an interrupt sees the future, not a thread to raise in
            future = self.run_async.submit(_on_thread(coro, tid, control.tasks))
            control.futures[tid] = future
        try:
            return future.result()
        except futures.CancelledError:
            reason = control.reasons.get(tid) or JobCancelled
            if tid in control.given_up:
                raise _Ignored(reason) from None
            raise reason() from None
        finally:
            with control.lock:
                control.futures.pop(tid, None)
                control.tasks.pop(tid, None)
                control.given_up.discard(tid)
            self.watchdog.unwatch(tid)  # a backstop armed by a cancellation

    # -- the async lane (issue 24): the same steps, awaited on the lane's loop --------
    async def process_async(
        self,
        unit: UnitOfWork[object],
        job: JobPayload,
        stats: ThreadStats,
        slot: int,
        task: asyncio.Task[Any],
    ) -> float:
        """Run one decoded async job to its outcome on the lane's runner ``task`` (that
        calls this); returns the seconds its body ran. ``slot`` stands for the thread id
        a thread job is known by (running jobs, deadlines, cancellation)."""
        current.async_thread.set(slot)
        self.running.register(slot, unit, time.time())
        deferred, elapsed = False, 0.0
        held = logcontext.slot()
        try:
            deferred, elapsed = await self._execute_async(unit, job, stats, slot, held, task)
        except Exception as exc:  # a bug of ours or a plugin's: keep the job, in the dead set
            log.exception("internal error while running a job; it is kept in the dead set")
            await asyncio.to_thread(self._keep_failed_internally, unit, exc)
        finally:
            self.running.finish(slot)
            self._lane_jobs.pop(slot, None)
            held[0] = None
            if self.cancelled_threads:
                self.cancelled_threads.discard(slot)
            if self.abandoned and slot in self.abandoned:  # failed at the backstop
                self.abandoned.discard(slot)
                log.warning("the async job jid=%s given up on earlier has now ended", job["jid"])
        if not deferred:
            self.fetcher.acknowledge(unit)
        return elapsed

    async def _execute_async(
        self,
        unit: UnitOfWork[object],
        job: JobPayload,
        stats: ThreadStats,
        slot: int,
        held: logcontext.Slot,
        task: asyncio.Task[Any],
    ) -> tuple[bool, float]:
        """Run the job and settle its outcome: (whether the worker must not acknowledge
        it, as a middleware deferred it, the watchdog settled it, or shutdown requeued
        it; the seconds its body ran)."""
        ctx = self._context(unit, job)
        self._lane_jobs[slot] = (ctx, unit, stats)
        limit = self._limit(ctx, slot, unit, stats)
        held[0] = (job, unit.queue, ctx.definition)
        t0 = time.perf_counter()
        if self._job_logs:
            log.info("start")
        control = self.control
        assert self.run_chain_async is not None  # else there is no lane
        control.futures[slot] = task
        self._inside[slot] = True
        try:
            await self.run_chain_async(ctx, self._async_invoker(ctx))
        except BaseException as exc:  # noqa: BLE001 - any failure goes to retry/dead
            reason = control.leave(slot)
            control.futures.pop(slot, None)
            elapsed = time.perf_counter() - t0
            if isinstance(exc, asyncio.CancelledError):
                if reason is None and self.process.hard_stopping:
                    return True, elapsed  # shutdown pushed it back to its queue: no outcome
                task.uncancel()  # ours to settle: later awaits must not see it cancelled
            if (limit or slot in self.cancelled_threads) and self._abandoned(slot):
                return True, elapsed
            await self._failed_async(ctx, self._explain(exc, reason, ctx, limit), elapsed, stats)
            return ctx.deferred, elapsed
        if self._reasons:  # a cancel was on its way: _cancel_task will see it left
            control.leave(slot)
        else:
            self._inside.pop(slot, None)
        control.futures.pop(slot, None)
        elapsed = time.perf_counter() - t0
        if (limit or slot in self.cancelled_threads) and self._abandoned(slot):
            return True, elapsed
        stats.record(ctx.name, True, elapsed * 1000)
        if self._observe or ctx.stash or self._job_logs:
            self._completed(ctx, elapsed, stats)
        return ctx.deferred, elapsed

    async def _failed_async(
        self, ctx: JobContext, exc: BaseException, elapsed: float, stats: ThreadStats
    ) -> None:
        """As ``_failed``; the outcome's Redis writes (retried through an outage) and the
        error handlers run on a helper thread, never blocking the loop."""
        stats.record(ctx.name, False, elapsed * 1000)
        outcome = await asyncio.to_thread(self._fail, ctx, exc, elapsed)
        if self._observe:
            stats.observe(ctx.name, ctx.queue, elapsed, outcome)

    def _async_invoker(self, ctx: JobContext) -> AsyncRunNext:
        definition = ctx.definition
        assert definition is not None  # the lane takes registered async jobs only
        job = ctx.job

        def call() -> Awaitable[object]:
            # The arguments are read at call time, as invoke.invoker does: server
            # middleware may replace them (decryption).
            return definition.call(job.get("args", []))  # type: ignore[no-any-return]

        if not _stores(ctx):
            return call

        async def stored() -> object:
            ctx.stash[_RESULT] = results.success(ctx.job, await call())
            return None

        return stored

    def _context(self, unit: UnitOfWork[object], job: JobPayload) -> JobContext:
        """The context of a job the fetch thread already parsed."""
        definition = find(job["class"])  # type: ignore[typeddict-item]
        acknowledge = partial(self.fetcher.acknowledge, unit)
        return JobContext(job, unit.queue, unit.raw, definition, acknowledge=acknowledge)

    def _explain(
        self, exc: BaseException, reason: type[BaseException] | None, ctx: JobContext, limit: float
    ) -> BaseException:
        """A timeout or cancellation as the error its record and logs should show."""
        better: BaseException
        if isinstance(exc, _Ignored):
            better = exc.explained(ctx, self.watchdog.grace)
        elif reason is JobTimeout or isinstance(exc, JobTimeout):
            better = JobTimeout(
                f"{ctx.name} ran past its time limit of {limit:g}s; raise its timeout "
                "(@job(timeout=...)) or split the work"
            )
        elif reason is JobCancelled or isinstance(exc, JobCancelled):
            better = JobCancelled(ctx.jid, "cancelled while running")
        else:
            return exc
        return better.with_traceback(exc.__traceback__)

    # -- interrupts (other threads) ----------------------------------------
    def cancel_running(self, tid: int) -> None:
        """Tell the job on ``tid`` it was cancelled (CancelWatcher)."""
        self.cancelled_threads.add(tid)
        self.control.interrupt(tid, JobCancelled)
        future = self.control.futures.get(tid)
        if isinstance(future, futures.Future):  # an async job on a thread: give up on it
            self.watchdog.backstop(tid, future)  # if it ignores the cancel
        elif isinstance(future, asyncio.Task) and (job := self._lane_jobs.get(tid)):
            self.watchdog.backstop(tid, job)  # on the lane: fail it (_abandon) if it does

    def _on_deadline(self, tid: int) -> None:
        self.control.interrupt(tid, JobTimeout)

    def _on_abandon(self, tid: int, deadline: Deadline) -> None:
        future = self.control.futures.get(tid)
        if isinstance(future, futures.Future):  # an async job on a thread: stop waiting
            # for it; its thread stays (a task on the lane is failed by _abandon)
            if not isinstance(deadline.token, futures.Future) or deadline.token is future:
                self._give_up(tid, future)
            return
        threading.Thread(
            target=self._abandon, args=(tid, deadline), name="workhorse-abandon", daemon=True
        ).start()

    def _give_up(self, tid: int, future: futures.Future[Any]) -> None:
        """The async job on ``tid`` caught the CancelledError of its timeout or cancellation
        and ran on for the grace period: its task is cancelled once more and its thread
        stops waiting for it (the job is counted failed or cancelled there). If the task
        ends some day, a line says so."""
        control = self.control
        with control.lock:
            if control.futures.get(tid) is not future:
                return  # it ended meanwhile
            control.given_up.add(tid)
            task = control.tasks.get(tid)
        if task is not None:
            entry = self.running.get(tid)
            jid = _jid(entry[0].raw) if entry is not None else "?"
            task.get_loop().call_soon_threadsafe(task.add_done_callback, partial(_late, jid))
        future.cancel()  # re-cancels the task too (asyncio chains the cancellation)

    def _abandon(self, tid: int, deadline: Deadline) -> None:
        """The job ignored its timeout past the grace period: fail it, replace its thread."""
        ctx, unit, stats = cast(
            "tuple[JobContext, UnitOfWork[object], ThreadStats]", deadline.token
        )
        self.abandoned.add(tid)
        entry = self.running.finish(tid)
        elapsed = time.time() - entry[1] if entry else deadline.limit
        grace = self.watchdog.grace
        task = self.control.futures.get(tid)
        on_lane = isinstance(task, asyncio.Task)
        exc: BaseException
        if isinstance(task, asyncio.Task):  # cancelled once more, as on a thread (_give_up)
            reason = JobCancelled if tid in self.cancelled_threads else JobTimeout
            exc = _Ignored(reason).explained(ctx, grace)
            # Its runner goes on to other jobs once this one ends (process_async then
            # says that it did): the cancel must reach this job only.
            task.get_loop().call_soon_threadsafe(self.control.cancel_lane_job, tid, task)
        else:
            exc = JobTimeout(
                f"{ctx.name} ignored its time limit of {deadline.limit:g}s for {grace:g}s more "
                "(it caught JobTimeout or is stuck in a call Python cannot interrupt; its "
                "thread was abandoned and replaced)"
            )
        log.error("abandoning jid=%s: %s", ctx.jid, exc)
        stats.record(ctx.name, False, elapsed * 1000)
        self._fail(ctx, exc, elapsed)
        if not ctx.deferred:
            self.fetcher.acknowledge(unit)
        if self.replace_thread is not None and not on_lane:  # a task holds no thread
            self.replace_thread()

    def _fail(self, ctx: JobContext, exc: BaseException, elapsed: float) -> str:
        """Record a failure's outcome; returns it ("retry", "dead" or "discard")."""
        try:
            plugins.job_failed(ctx, exc)
        except Exception:
            log.exception("an error handler failed")
        retry_in = ctx.definition.options.get("retry_in") if ctx.definition else None
        now = time.time()
        cancelled = isinstance(exc, JobCancelled)
        if cancelled:  # never retried
            failed = retry.record_error(ctx.job, exc, self.settings, now)
            decision = retry.Decision("discard", failed)
        else:
            decision = retry.decide(
                ctx.job, exc, self.settings, now, cast("retry.RetryIn | None", retry_in)
            )
        record = None
        if cancelled or (decision.outcome != "retry" and _stores(ctx)):
            state = "cancelled" if cancelled else _FINAL_STATE[decision.outcome]
            record = results.failure(decision.job, state, exc)
        self._log_failure(ctx, exc, decision, elapsed)
        self._settle(lambda: self._apply(decision, ctx, exc, record))
        return decision.outcome

    def _write_record(self, ctx: JobContext, record: str) -> None:
        results.write(self.redis, self.keys, ctx.jid, record, _ttl(ctx))

    def _apply(
        self,
        decision: retry.Decision,
        ctx: JobContext,
        exc: BaseException,
        record: str | None = None,
    ) -> None:
        if record is not None:
            self._write_record(ctx, record)
        if decision.outcome == "retry":
            self.redis.zadd(self.keys.retry, {payload.encode(decision.job): decision.run_at})
            return
        if decision.outcome == "dead":
            self.bury(payload.encode(decision.job))
        try:
            plugins.job_died(decision.job, exc, self.process)
        except (redis.ConnectionError, redis.TimeoutError):
            raise  # _settle retries the whole outcome through the outage
        except Exception:
            log.exception("a death handler failed for jid=%s", decision.job.get("jid"))

    def bury(self, raw: str, now: float | None = None) -> None:
        """ZADD to ``dead`` and trim it to its caps, in one transaction."""
        now = time.time() if now is None else now
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(self.keys.dead, {raw: now})
        pipe.zremrangebyscore(self.keys.dead, "-inf", now - self.settings.dead_timeout)
        pipe.zremrangebyrank(self.keys.dead, 0, -self.settings.dead_max_jobs - 1)
        pipe.execute()

    def _bury_unparseable(self, unit: UnitOfWork[object], exc: PayloadError) -> None:
        log.error("unparseable job in queue %s sent to the dead set: %s", unit.queue, exc)
        fmt = self.settings.timestamp_format
        self.bury(quarantine.wrap(unit.stored, unit.queue, str(exc), fmt))

    def _log_failure(
        self, ctx: JobContext, exc: BaseException, decision: retry.Decision, elapsed: float
    ) -> None:
        what = {
            "retry": f"retry {int(decision.job.get('retry_count', 0)) + 1} "
            f"in {max(0.0, decision.run_at - time.time()):.0f}s",
            "dead": "moved to the dead set",
            "discard": "cancelled"
            if isinstance(exc, JobCancelled)
            else "discarded (retry disabled)",
        }[decision.outcome]
        if decision.outcome == "retry":
            log.warning(
                "fail %s jid=%s elapsed=%.3f %s: %s; %s",
                ctx.name,
                ctx.jid,
                elapsed,
                type(exc).__name__,
                exc,
                what,
            )
        else:
            log.error(
                "fail %s jid=%s elapsed=%.3f; %s", ctx.name, ctx.jid, elapsed, what, exc_info=exc
            )

    def _settle(self, action: Callable[[], None]) -> None:
        """Run a Redis write that must not be lost, retrying through an outage."""
        delay, warned = 0.1, False
        while True:
            try:
                action()
                if warned:
                    log.warning("Redis is back; the failed job's outcome was recorded")
                return
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                if not warned:
                    log.warning(
                        "Redis unavailable while recording a job outcome (%s); retrying", exc
                    )
                    warned = True
                if self.process.hard_stopping:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 5.0)


def _call_opened(ctx: JobContext, opener: ArgumentOpener) -> object:
    """Call the job with its arguments opened; the fetched ones are back in it afterwards,
    whatever the outcome, as its middleware would leave them (see ``ArgumentOpener``)."""
    job = ctx.job
    token = opener.open_arguments(job)
    try:
        return ctx.definition.call(job.get("args", []))  # type: ignore[union-attr]
    finally:
        opener.restore_arguments(job, token)


def _run_storing(ctx: JobContext, call: RunNext) -> None:
    """Run a store_result job, keeping its (open) record for ``_succeeded``."""
    ctx.stash[_RESULT] = results.success(ctx.job, call())


def _stores(ctx: JobContext) -> bool:
    """Whether this job keeps a completion record: its payload says, else its definition."""
    fallback = ctx.definition.store_result if ctx.definition is not None else False
    return bool(ctx.job.get("store_result", fallback))


def _ttl(ctx: JobContext) -> int:
    definition = ctx.definition
    fallback = definition.result_ttl if definition is not None else None
    if fallback is None and "result_ttl" not in ctx.job:
        return results.DEFAULT_TTL  # most jobs: no second call
    return results.ttl_of(ctx.job, fallback)


async def _on_thread(
    coro: Coroutine[Any, Any, Any], tid: int, tasks: dict[int, asyncio.Task[Any]]
) -> Any:
    """Run ``coro`` knowing which worker thread waits for it (for ``current_job()``), and
    let that thread's interrupts find the task."""
    current.async_thread.set(tid)
    task = asyncio.current_task()
    if task is not None:
        tasks[tid] = task
    return await coro


class _Ignored(Exception):
    """An async job ignored its timeout or cancellation for the grace period."""

    def __init__(self, reason: type[BaseException]) -> None:
        super().__init__(reason.__name__)
        self.reason = reason

    def explained(self, ctx: JobContext, grace: float) -> BaseException:
        what = "its time limit" if self.reason is JobTimeout else "its cancellation"
        message = (
            f"{ctx.name} ignored {what} for {grace:g}s (its coroutine caught "
            "CancelledError and went on); its task was cancelled again and is no longer "
            "waited for: whatever it still does on the event loop is not part of this job"
        )
        if self.reason is JobTimeout:
            return JobTimeout(message)
        return JobCancelled(ctx.jid, message)


def _late(jid: str, task: asyncio.Task[Any]) -> None:
    """Done callback of a task given up on: say that it finally ended."""
    error = None if task.cancelled() else task.exception()
    outcome = "cancelled" if task.cancelled() else repr(error) if error else "returned"
    log.warning("the async job jid=%s given up on earlier has now ended (%s)", jid, outcome)


def _jid(raw: str) -> str:
    try:
        job = payload.loads(raw)
    except ValueError:
        return "?"
    return str(job.get("jid", "?")) if isinstance(job, dict) else "?"
