"""Per-thread job counters, summed and flushed to Redis in batches at heartbeat.

Each worker thread writes only its own :class:`ThreadStats`, so counting costs
two attribute increments per job and needs no lock; the heartbeat thread reads
them and sends the difference since the last flush.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workhorse.keys import Keys

STATS_TTL = 5 * 365 * 24 * 3600
METRICS_TTL = 8 * 3600


@dataclass(slots=True)
class ThreadStats:
    processed: int = 0
    failed: int = 0
    # job name -> [executions, failures, total ms of successful runs]
    by_job: dict[str, list[float]] = field(default_factory=dict)

    def record(self, name: str, ok: bool, elapsed_ms: float) -> None:
        self.processed += 1
        row = self.by_job.get(name)
        if row is None:
            row = self.by_job[name] = [0, 0, 0.0]
        row[0] += 1
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
            acc = totals.by_job.setdefault(name, [0, 0, 0.0])
            acc[0] += row[0]
            acc[1] += row[1]
            acc[2] += row[2]
    return totals


def delta(now: Totals, before: Totals) -> Totals:
    by_job: dict[str, list[float]] = {}
    for name, row in now.by_job.items():
        old = before.by_job.get(name, [0, 0, 0.0])
        diff = [row[0] - old[0], row[1] - old[1], row[2] - old[2]]
        if diff[0]:
            by_job[name] = diff
    return Totals(now.processed - before.processed, now.failed - before.failed, by_job)


def minute_bucket(now: float | None = None) -> str:
    """Sidekiq 8's metrics bucket ``YYMMDD|H:MM`` (UTC)."""
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return f"{moment:%y%m%d}|{moment.hour}:{moment:%M}"


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
        for name, (runs, fails, ms) in change.by_job.items():
            pipe.hincrby(bucket, f"{name}|p", int(runs))
            if fails:
                pipe.hincrby(bucket, f"{name}|f", int(fails))
            if ms:
                pipe.hincrby(bucket, f"{name}|ms", int(ms))
        pipe.expire(bucket, METRICS_TTL)
