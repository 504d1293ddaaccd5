"""Totals, sizes and daily history: the numbers on the dashboard's first page."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import redis

from workhorse.keys import Keys


@dataclass(frozen=True)
class JobMetrics:
    """Per job name: ``p`` executions, ``f`` failures, ``ms`` total time, ``mean_ms``;
    ``unreadable`` counts stored values that were not numbers and were left out."""

    jobs: dict[str, dict[str, float]]
    unreadable: int = 0


@dataclass(frozen=True)
class StatsSummary:
    processed: int
    failed: int
    scheduled: int
    retries: int
    dead: int
    processes: int
    busy: int
    enqueued: int
    default_latency: float
    # Live processes left out of ``processes`` and ``busy``: their records are malformed.
    unreadable_processes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Stats:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def summary(self) -> StatsSummary:
        from workhorse.api.processes import Processes
        from workhorse.api.queues import RAW, _latency

        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self.keys.stat("processed"))
        pipe.get(self.keys.stat("failed"))
        pipe.zcard(self.keys.schedule)
        pipe.zcard(self.keys.retry)
        pipe.zcard(self.keys.dead)
        pipe.smembers(self.keys.queues)
        pipe.execute_command("LINDEX", self.keys.queue("default"), -1, **RAW)  # type: ignore[no-untyped-call]
        processed, failed, scheduled, retries, dead, queues, oldest = pipe.execute()
        pipe = self.redis.pipeline(transaction=False)
        for name in queues:
            pipe.llen(self.keys.queue(name))
        enqueued = sum(int(n) for n in pipe.execute()) if queues else 0
        scan = Processes(self.redis, self.keys).read(with_work=False)
        procs = scan.processes
        return StatsSummary(
            processed=_count(processed),
            failed=_count(failed),
            scheduled=int(scheduled),
            retries=int(retries),
            dead=int(dead),
            processes=len(procs),
            busy=sum(p.busy for p in procs),
            enqueued=enqueued,
            default_latency=_latency(oldest, time.time()),
            unreadable_processes=len(scan.unreadable),
        )

    def history(self, days: int = 30, end: date | None = None) -> list[dict[str, Any]]:
        """Daily processed/failed counts, oldest first, for the last ``days`` UTC days."""
        end = end or datetime.now(UTC).date()
        dates = [end - timedelta(days=n) for n in range(days - 1, -1, -1)]
        processed = self.redis.mget([self.keys.stat("processed", d) for d in dates])
        failed = self.redis.mget([self.keys.stat("failed", d) for d in dates])
        return [
            {"date": d.isoformat(), "processed": _count(p), "failed": _count(f)}
            for d, p, f in zip(dates, processed, failed, strict=True)
        ]

    def job_metrics(
        self, minutes: int = 60, now: float | None = None
    ) -> dict[str, dict[str, float]]:
        """Per job name over the last ``minutes``: executions, failures, total and mean ms."""
        return self.job_metrics_report(minutes, now).jobs

    def job_metrics_report(self, minutes: int = 60, now: float | None = None) -> JobMetrics:
        """:meth:`job_metrics`, and how many stored values were not numbers (skipped).

        Up to 8 hours reads Sidekiq's minute buckets; longer windows (up to 72 h)
        read its 10-minute rollups. A bucket key of another type (written by another
        program) counts as one unreadable value."""
        from workhorse.api.queues import RAW

        now = time.time() if now is None else now
        pipe = self.redis.pipeline(transaction=False)
        for key in self._buckets(minutes, now):
            # Undecoded: another program may have written bytes that are not UTF-8.
            pipe.execute_command("HGETALL", key, **RAW)  # type: ignore[no-untyped-call]
        replies = pipe.execute(raise_on_error=False)
        report = _sum_fields([r for r in replies if isinstance(r, dict)])
        wrong_type = sum(1 for r in replies if not isinstance(r, dict))
        return JobMetrics(report.jobs, report.unreadable + wrong_type)

    def _buckets(self, minutes: int, now: float) -> list[str]:
        from workhorse.stats import METRICS_TTL, ROLLUP_SECONDS, minute_bucket, rollup_bucket

        if minutes * 60 <= METRICS_TTL:
            return [self.keys.metrics(minute_bucket(now - 60 * m)) for m in range(minutes)]
        count = -(-minutes * 60 // ROLLUP_SECONDS)
        return [
            self.keys.metrics_rollup(rollup_bucket(now - ROLLUP_SECONDS * n)) for n in range(count)
        ]

    def job_histogram(self, name: str, minutes: int = 60, now: float | None = None) -> list[int]:
        """Successful runs of job ``name`` per execution-time bucket (``stats.HISTOGRAM_MS``;
        the last is everything slower) over the last ``minutes``, at most the 8 hours
        Sidekiq's per-minute histograms are kept."""
        from workhorse.stats import HISTOGRAM_BUCKETS, METRICS_TTL, histogram_minute

        now = time.time() if now is None else now
        gets = [part for i in range(HISTOGRAM_BUCKETS) for part in ("GET", "u16", f"#{i}")]
        pipe = self.redis.pipeline(transaction=False)
        for m in range(max(1, min(minutes, METRICS_TTL // 60))):
            key = self.keys.histogram(name, histogram_minute(now - 60 * m))
            pipe.execute_command("BITFIELD", key, *gets)  # type: ignore[no-untyped-call]
        totals = [0] * HISTOGRAM_BUCKETS
        # Another program may have put anything under these keys: a key of another
        # type answers with an error, which counts as no runs.
        for counts in pipe.execute(raise_on_error=False):
            if isinstance(counts, list) and len(counts) == HISTOGRAM_BUCKETS:
                for i, count in enumerate(counts):
                    totals[i] += count if isinstance(count, int) else 0
        return totals


def _sum_fields(hashes: list[dict[bytes, bytes]]) -> JobMetrics:
    """Sum ``<job>|p``, ``|f`` and ``|ms`` fields; values that are not numbers, and
    field names that are not UTF-8, are counted."""
    totals: dict[str, dict[str, float]] = {}
    unreadable = 0
    for fields in hashes:
        for raw_name, value in fields.items():
            try:
                field_name = raw_name.decode()
            except UnicodeDecodeError:
                unreadable += 1
                continue
            name, _, kind = field_name.rpartition("|")
            if kind not in ("p", "f", "ms"):
                continue
            number = _finite(value)
            if number is None:
                unreadable += 1
                continue
            totals.setdefault(name, {"p": 0, "f": 0, "ms": 0})[kind] += number
    for row in totals.values():
        ok = row["p"] - row["f"]
        row["mean_ms"] = row["ms"] / ok if ok > 0 else 0.0
    return JobMetrics(totals, unreadable)


def _finite(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _count(value: object) -> int:
    """A counter another program may have written: not a whole number reads as 0."""
    if not isinstance(value, str | bytes | int):
        return 0
    try:
        return int(value)
    except ValueError:
        return 0
