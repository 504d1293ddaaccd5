"""Running one job: decode -> resolve -> run through middleware -> settle (ack, retry or dead)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import redis

from workhorse import logcontext, metrics, payload, plugins, quarantine, retry
from workhorse.errors import PayloadError, UnknownJobError
from workhorse.job import find
from workhorse.middleware import JobContext, RunNext, compose_server
from workhorse.stats import ThreadStats
from workhorse.types import Fetcher, JobPayload, UnitOfWork

if TYPE_CHECKING:
    from workhorse.worker.launcher import WorkerProcess

log = logging.getLogger("workhorse.job")
UNPARSEABLE = quarantine.UNPARSEABLE


class Processor:
    """Executes units of work on the calling thread. One per process, shared by threads."""

    def __init__(
        self,
        process: WorkerProcess,
        fetcher: Fetcher,
        run_async: Callable[[Any], Any],
    ) -> None:
        self.process = process
        self.settings = process.settings
        self.keys = process.keys
        self.redis = process.redis
        self.fetcher = fetcher
        self.run_async = run_async
        self.running: dict[int, tuple[UnitOfWork, float]] = {}
        self.run_chain = compose_server(plugins.server_middleware(process.settings))
        # Decided once: with job logs off (or INFO filtered out) the hot path logs nothing.
        self._job_logs = process.settings.job_logs and log.isEnabledFor(logging.INFO)
        # Per (class, queue) counts and durations, only when something exports them.
        self._observe = process.settings.metrics_port is not None or bool(
            os.environ.get(metrics.SHARE_ENV)
        )

    def process_unit(self, unit: UnitOfWork, stats: ThreadStats) -> float:
        """Run one fetched job to its outcome; returns the seconds its body ran."""
        tid = threading.get_ident()
        started = time.time()
        self.running[tid] = (unit, started)
        deferred, elapsed = False, 0.0
        slot = logcontext.slot()
        try:
            deferred, elapsed = self._execute(unit, stats, slot)
        except Exception as exc:  # a bug of ours or a plugin's: keep the job, in the dead set
            log.exception("internal error while running a job; it is kept in the dead set")
            error = PayloadError(f"internal error: {exc!r}")
            self._settle(lambda: self._bury_unparseable(unit, error))
        finally:
            del self.running[tid]
            slot[0] = None
        if not deferred:  # else a middleware took the acknowledgement over
            self.fetcher.acknowledge(unit)
        return elapsed

    def _execute(
        self, unit: UnitOfWork, stats: ThreadStats, slot: logcontext.Slot
    ) -> tuple[bool, float]:
        """Run the job and settle its outcome: (a middleware deferred the ack, seconds run)."""
        try:
            if unit.undecodable is not None:
                raise PayloadError(quarantine.undecodable_reason(unit))
            job = payload.decode(unit.raw)
        except PayloadError as exc:  # not a job: not counted, as Sidekiq does not count it
            error = exc
            self._settle(lambda: self._bury_unparseable(unit, error))
            return False, 0.0
        name = job["class"]  # type: ignore[typeddict-item]
        ctx = JobContext(
            job,
            unit.queue,
            unit.raw,
            find(name),
            acknowledge=partial(self.fetcher.acknowledge, unit),
        )
        slot[0] = (job, unit.queue, ctx.definition)  # cleared by process_unit
        t0 = time.perf_counter()
        if self._job_logs:
            log.info("start")
        try:
            self.run_chain(ctx, self._invoker(ctx))
        except BaseException as exc:  # noqa: BLE001 - any failure goes to retry/dead
            elapsed = time.perf_counter() - t0
            stats.record(name, False, elapsed * 1000)
            outcome = self._fail(ctx, exc, elapsed)
            if self._observe:
                stats.observe(name, ctx.queue, elapsed, outcome)
            return ctx.deferred, elapsed
        elapsed = time.perf_counter() - t0
        stats.record(name, True, elapsed * 1000)
        if self._observe:
            stats.observe(name, ctx.queue, elapsed, None)
        if self._job_logs:
            log.info("done: %.3f sec", elapsed, extra={"elapsed": round(elapsed, 6)})
        return ctx.deferred, elapsed

    def _invoker(self, ctx: JobContext) -> RunNext:
        definition = ctx.definition
        if definition is None:
            return lambda: _raise_unknown(ctx.job, retry.max_attempts(ctx.job, self.settings))
        args = ctx.job.get("args", [])
        if definition.is_async:
            return lambda: self.run_async(definition.call(args))
        return lambda: definition.call(args)

    def _fail(self, ctx: JobContext, exc: BaseException, elapsed: float) -> str:
        """Record a failure's outcome; returns it ("retry", "dead" or "discard")."""
        try:
            plugins.job_failed(ctx, exc)
        except Exception:
            log.exception("an error handler failed")
        retry_in = ctx.definition.options.get("retry_in") if ctx.definition else None
        decision = retry.decide(
            ctx.job, exc, self.settings, time.time(), cast("retry.RetryIn | None", retry_in)
        )
        self._log_failure(ctx, exc, decision, elapsed)
        self._settle(lambda: self._apply(decision, ctx.job, exc))
        return decision.outcome

    def _apply(self, decision: retry.Decision, original: JobPayload, exc: BaseException) -> None:
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

    def _bury_unparseable(self, unit: UnitOfWork, exc: PayloadError) -> None:
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
            "discard": "discarded (retry disabled)",
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


def _raise_unknown(job: JobPayload, retries: int) -> None:
    count = job.get("retry_count")
    attempt = 1 if count is None else int(count) + 2
    raise UnknownJobError(str(job.get("class")), f"attempt {attempt} of {retries + 1}")
