"""Per-thread job counters, summed and flushed to Redis in batches at heartbeat.

Each worker thread writes only its own :class:`ThreadStats`, so counting costs
two attribute increments per job and needs no lock; the heartbeat thread reads
them and sends the difference since the last flush.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workhorse.keys import Keys

STATS_TTL = 5 * 365 * 24 * 3600
METRICS_TTL = 8 * 3600
# 10-minute rollups (our own keys, beside Sidekiq's minute buckets) keep 72 hours
# for the Metrics page, with each job's execution-time histogram.
ROLLUP_SECONDS = 600
ROLLUP_TTL = 72 * 3600 + ROLLUP_SECONDS
# Upper bounds (ms) of the dashboard's execution-time histogram; the last bucket is
# everything slower. Row layout of ThreadStats.by_job: [runs, fails, ms, h0, h1, ...].
HISTOGRAM_MS = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000)
HIST0 = 3
FIRST_MS = HISTOGRAM_MS[0]


# Upper bounds (seconds) of the job-duration histogram: Prometheus' defaults widened
# to the minutes a background job may take. The last bucket is +Inf.
DURATION_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
)
# Fields of a detailed series row (see ThreadStats.observe).
PROCESSED, FAILED, RETRIED, DEAD, SECONDS, BUCKET0 = range(6)


def new_job_row() -> list[float]:
    return [0, 0, 0.0] + [0] * (len(HISTOGRAM_MS) + 1)


def new_series_row() -> list[float]:
    return [0, 0, 0, 0, 0.0] + [0] * (len(DURATION_BUCKETS) + 1)


@dataclass(slots=True)
class ThreadStats:
    processed: int = 0
    failed: int = 0
    # job name -> [executions, failures, total ms of successful runs, histogram...]
    by_job: dict[str, list[float]] = field(default_factory=dict)
    # (job name, queue) -> series row (PROCESSED ... BUCKET0 + i); only with metrics on.
    series: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def observe(self, name: str, queue: str, seconds: float, outcome: str | None) -> None:
        """Count one execution for the exported metrics; ``outcome`` None means success,
        else "retry", "dead" or "discard"."""
        key = (name, queue)
        row = self.series.get(key)
        if row is None:
            row = self.series[key] = new_series_row()
        row[PROCESSED] += 1
        row[SECONDS] += seconds
        row[BUCKET0 + bisect_left(DURATION_BUCKETS, seconds)] += 1
        if outcome is not None:
            row[FAILED] += 1
            if outcome == "retry":
                row[RETRIED] += 1
            elif outcome == "dead":
                row[DEAD] += 1

    def record(self, name: str, ok: bool, elapsed_ms: float) -> None:
        self.processed += 1
        row = self.by_job.get(name)
        if row is None:
            row = self.by_job[name] = new_job_row()
        row[0] += 1
        # Most jobs land in the first bucket: one comparison instead of a search.
        row[HIST0 if elapsed_ms <= FIRST_MS else HIST0 + bisect_left(HISTOGRAM_MS, elapsed_ms)] += 1
        if ok:
            row[2] += elapsed_ms
        else:
            self.failed += 1
            row[1] += 1


@dataclass(slots=True)
class Totals:
    processed: int = 0
    failed: int = 0
    by_job: dict[str, list[float]] = field(default_factory=dict)


def snapshot(threads: Iterable[ThreadStats]) -> Totals:
    totals = Totals()
    for stats in list(threads):
        totals.processed += stats.processed
        totals.failed += stats.failed
        for name, row in list(stats.by_job.items()):
            acc = totals.by_job.get(name)
            if acc is None:
                acc = totals.by_job[name] = new_job_row()
            for i, value in enumerate(list(row)):
                acc[i] += value
    return totals


def series_snapshot(threads: Iterable[ThreadStats]) -> dict[tuple[str, str], list[float]]:
    """Sum every thread's detailed series (read without locks: a row may be one job behind)."""
    totals: dict[tuple[str, str], list[float]] = {}
    for stats in list(threads):
        for key, row in list(stats.series.items()):
            acc = totals.get(key)
            if acc is None:
                acc = totals[key] = new_series_row()
            for i, value in enumerate(list(row)):
                acc[i] += value
    return totals


def delta(now: Totals, before: Totals) -> Totals:
    by_job: dict[str, list[float]] = {}
    for name, row in now.by_job.items():
        old = before.by_job.get(name) or new_job_row()
        diff = [a - b for a, b in zip(row, old, strict=True)]
        if diff[0]:
            by_job[name] = diff
    return Totals(now.processed - before.processed, now.failed - before.failed, by_job)


def minute_bucket(now: float | None = None) -> str:
    """Sidekiq 8's metrics bucket ``YYMMDD|H:MM`` (UTC)."""
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return f"{moment:%y%m%d}|{moment.hour}:{moment:%M}"


def rollup_bucket(now: float | None = None) -> str:
    """The 10-minute rollup bucket ``YYMMDD|H:M0`` (UTC) holding ``now``."""
    moment = time.time() if now is None else now
    return minute_bucket(moment - moment % ROLLUP_SECONDS)


def write(pipe: Any, keys: Keys, change: Totals, now: float | None = None) -> None:
    """Queue INCRBYs for totals, the UTC day, and per-job metrics on ``pipe``."""
    today = datetime.fromtimestamp(time.time() if now is None else now, UTC).date()
    for name, count in (("processed", change.processed), ("failed", change.failed)):
        if count:
            pipe.incrby(keys.stat(name), count)
            pipe.incrby(keys.stat(name, today), count)
            pipe.expire(keys.stat(name, today), STATS_TTL)
    if change.by_job:
        bucket = keys.metrics(minute_bucket(now))
        rollup = keys.metrics_rollup(rollup_bucket(now))
        for name, row in change.by_job.items():
            runs, fails, ms = row[0], row[1], row[2]
            for key in (bucket, rollup):
                pipe.hincrby(key, f"{name}|p", int(runs))
                if fails:
                    pipe.hincrby(key, f"{name}|f", int(fails))
                if ms:
                    pipe.hincrby(key, f"{name}|ms", int(ms))
            for i, runs_in_bucket in enumerate(row[HIST0:]):
                if runs_in_bucket:
                    pipe.hincrby(rollup, f"{name}|h{i}", int(runs_in_bucket))
        pipe.expire(bucket, METRICS_TTL)
        pipe.expire(rollup, ROLLUP_TTL)
