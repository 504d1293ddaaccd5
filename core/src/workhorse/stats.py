"""Per-thread job counters, summed and flushed to Redis in batches at heartbeat.

Each worker thread writes only its own :class:`ThreadStats`, so counting costs
two attribute increments per job and needs no lock; the heartbeat thread reads
them and sends the difference since the last flush.
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workhorse.keys import Keys

STATS_TTL = 5 * 365 * 24 * 3600
# Sidekiq 8's metrics layout, which its Web UI reads (so does ours): per-minute
# hashes ``j|YYMMDD|H:MM`` kept 8 hours, 10-minute rollups ``j|YYMMDD|H:M`` (the
# minute with its last digit dropped) kept 72 hours, and per-minute execution-time
# histograms ``h|<job>-D-H:M`` (BITFIELD, 26 unsigned 16-bit counters) kept 8 hours.
METRICS_TTL = 8 * 3600
ROLLUP_SECONDS = 600
ROLLUP_TTL = 72 * 3600
HISTOGRAM_TTL = 8 * 3600
# Sidekiq's histogram bounds (ms): a run of ``ms`` counts in the first bucket whose
# bound is greater; the 26th bucket is everything slower. Successful runs only.
# Row layout of ThreadStats.by_job: [runs, fails, ms, h0, h1, ... h25].
HISTOGRAM_MS = (
    20, 30, 45, 65, 100, 150, 225, 335, 500, 750,
    1100, 1700, 2500, 3800, 5750, 8500, 13_000, 20_000, 30_000, 45_000,
    65_000, 100_000, 150_000, 225_000, 335_000,
)  # fmt: skip
HISTOGRAM_BUCKETS = len(HISTOGRAM_MS) + 1
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
    return [0, 0, 0.0] + [0] * HISTOGRAM_BUCKETS


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
        if ok:
            row[2] += elapsed_ms
            # Most jobs land in the first bucket: one comparison instead of a search.
            row[
                HIST0 if elapsed_ms < FIRST_MS else HIST0 + bisect_right(HISTOGRAM_MS, elapsed_ms)
            ] += 1
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
    """Sidekiq 8's 10-minute rollup bucket ``YYMMDD|H:M`` (UTC) holding ``now``:
    the minute bucket without its last digit (``250214|8:4`` holds 08:40-08:49)."""
    return minute_bucket(now)[:-1]


def histogram_minute(now: float | None = None) -> str:
    """The minute part of Sidekiq 8's histogram key, ``D-H:M`` (UTC, no zero padding)."""
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return f"{moment.day}-{moment.hour}:{moment.minute}"


def write(pipe: Any, keys: Keys, change: Totals, now: float | None = None) -> None:
    """Queue the flush of ``change`` on ``pipe``: totals and the UTC day's, and per job
    the minute bucket, the 10-minute rollup and the minute's execution-time histogram."""
    now = time.time() if now is None else now
    today = datetime.fromtimestamp(now, UTC).date()
    for name, count in (("processed", change.processed), ("failed", change.failed)):
        if count:
            pipe.incrby(keys.stat(name), count)
            pipe.incrby(keys.stat(name, today), count)
            pipe.expire(keys.stat(name, today), STATS_TTL)
    if change.by_job:
        bucket = keys.metrics(minute_bucket(now))
        rollup = keys.metrics_rollup(rollup_bucket(now))
        minute = histogram_minute(now)
        for name, row in change.by_job.items():
            runs, fails, ms = row[0], row[1], row[2]
            for key in (bucket, rollup):
                pipe.hincrby(key, f"{name}|p", int(runs))
                if fails:
                    pipe.hincrby(key, f"{name}|f", int(fails))
                if ms:
                    pipe.hincrby(key, f"{name}|ms", int(ms))
            _write_histogram(pipe, keys.histogram(name, minute), row[HIST0:])
        pipe.expire(bucket, METRICS_TTL)
        pipe.expire(rollup, ROLLUP_TTL)


def _write_histogram(pipe: Any, key: str, counts: list[float]) -> None:
    """One BITFIELD for the minute's runs per bucket; counters saturate at 65535, as Sidekiq's."""
    increments: list[str | int] = []
    for i, count in enumerate(counts):
        if count:
            increments += ["INCRBY", "u16", f"#{i}", int(count)]
    if increments:
        pipe.execute_command("BITFIELD", key, "OVERFLOW", "SAT", *increments)
        pipe.expire(key, HISTOGRAM_TTL)
