"""Queues: sizes, latency, paged jobs, delete by exact bytes, clear."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import redis

from workhorse import payload
from workhorse.api import removal
from workhorse.api.records import JobRecord, paged
from workhorse.config import Settings
from workhorse.keys import Keys

PAGE = 100


@dataclass(frozen=True)
class QueueSummary:
    name: str
    size: int
    latency: float
    paused: bool


class Queue:
    def __init__(self, client: redis.Redis, keys: Keys, name: str) -> None:
        self.redis = client
        self.keys = keys
        self.name = name
        self.key = keys.queue(name)

    def size(self) -> int:
        return int(self.redis.llen(self.key))

    def latency(self, now: float | None = None) -> float:
        """Seconds the oldest job (the next to run) has waited."""
        # Clients here decode responses (connection.connect), so values are str.
        send = self.redis.execute_command
        oldest = cast("bytes | None", send("LINDEX", self.key, -1, **RAW))  # type: ignore[no-untyped-call]
        return _latency(oldest, now)

    def page(self, offset: int = 0, limit: int = 25) -> list[JobRecord]:
        """Jobs in run order (next to run first)."""
        start, end = -(offset + limit), -(offset + 1)
        raws = cast("list[str]", self.redis.lrange(self.key, start, end))
        return [JobRecord(raw, queue_hint=self.name) for raw in reversed(raws)]

    def __iter__(self) -> Iterator[JobRecord]:
        return paged(self.page, PAGE)

    def find(self, jid: str) -> JobRecord | None:
        return next((rec for rec in self if rec.jid == jid), None)

    def delete(self, record: JobRecord, reason: str = "deleted") -> bool:
        """Remove exactly this job (its stored bytes); False if it already left. Plugins
        hear of it with ``reason`` (``workhorse_jobs_removed``)."""
        if not self.redis.lrem(self.key, 1, record.raw):
            return False
        removal.announce(self.redis, self.keys, [record.raw], reason)
        return True

    def delete_jid(self, jid: str) -> bool:
        record = self.find(jid)
        return self.delete(record) if record else False

    def clear(self) -> int:
        """Remove every job of the queue (plugins hear of each: ``workhorse_jobs_removed``)."""
        return removal.clear(self.redis, self.keys, self.key, sorted_set=False, queue=self.name)

    def paused(self) -> bool:
        return bool(self.redis.sismember(self.keys.paused, self.name))


# Read a queue's head as bytes: another program may have pushed non-UTF-8 there,
# which must read as "age unknown", not break the whole listing.
RAW = {"NEVER_DECODE": True}


def _latency(raw: str | bytes | None, now: float | None) -> float:
    if not raw:
        return 0.0
    try:
        job = payload.loads(raw)
        stamp = payload.seconds(job.get("enqueued_at") or job.get("created_at"))
    except (ValueError, AttributeError):
        return 0.0
    return max(0.0, (time.time() if now is None else now) - stamp) if stamp else 0.0


class Queues:
    def __init__(self, client: redis.Redis, keys: Keys, settings: Settings) -> None:
        self.redis = client
        self.keys = keys
        self.settings = settings

    def names(self) -> list[str]:
        return sorted(cast("set[str]", self.redis.smembers(self.keys.queues)))

    def __getitem__(self, name: str) -> Queue:
        return Queue(self.redis, self.keys, name)

    def summaries(self) -> list[QueueSummary]:
        """Every known queue with size, latency and pause state, in two round trips."""
        names = self.names()
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.llen(self.keys.queue(name))
            pipe.execute_command("LINDEX", self.keys.queue(name), -1, **RAW)  # type: ignore[no-untyped-call]
            pipe.sismember(self.keys.paused, name)
        results = pipe.execute()
        now = time.time()
        return [
            QueueSummary(
                name,
                int(results[3 * i]),
                _latency(results[3 * i + 1], now),
                bool(results[3 * i + 2]),
            )
            for i, name in enumerate(names)
        ]
