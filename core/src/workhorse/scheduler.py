"""The poller: moves due jobs from ``schedule`` and ``retry`` into their queues.

Precision is the point (Sidekiq polls every ~5 s on average): each process
polls every ``poll_interval`` (randomised +-50 %), and when the earliest due
job is sooner than that, it sleeps exactly until it.
"""

from __future__ import annotations

import json
import logging
import random
import time
from typing import Any, cast

import redis

from workhorse import payload
from workhorse.config import Settings
from workhorse.keys import Keys
from workhorse.scripts import Scripts

log = logging.getLogger(__name__)
BATCH = 100


class Poller:
    def __init__(self, client: redis.Redis, keys: Keys, settings: Settings) -> None:
        self.redis = client
        self.keys = keys
        self.settings = settings
        self.scripts = Scripts(client)
        self.sets = (keys.retry, keys.schedule)

    def poll(self, now: float | None = None) -> tuple[int, float]:
        """Move every due job; return (jobs moved, seconds until the next poll)."""
        now = time.time() if now is None else now
        moved = sum(self._drain(set_key, now) for set_key in self.sets)
        return moved, self._next_wait(time.time())

    def _drain(self, set_key: str, now: float) -> int:
        moved = 0
        while True:
            due = cast(
                list[str],
                self.redis.zrange(set_key, "-inf", now, byscore=True, offset=0, num=BATCH),
            )
            if not due:
                return moved
            moves = [m for m in (self._prepare(member) for member in due) if m is not None]
            if moves:
                moved += self.scripts.move_due(set_key, self.keys.queues, moves)
            if len(due) < BATCH:
                return moved

    def _prepare(self, member: str) -> tuple[str, str, str, str] | None:
        try:
            job = cast(dict[str, Any], json.loads(member))
            queue = str(job.get("queue") or "default")
        except (ValueError, AttributeError):
            # Not a job: send it to the default queue untouched, where the worker
            # buries it in the dead set with a clear error instead of losing it.
            return (member, member, self.keys.queue("default"), "default")
        job["enqueued_at"] = payload.timestamp(self.settings.timestamp_format)
        return (member, payload.encode(job), self.keys.queue(queue), queue)

    def _next_wait(self, now: float) -> float:
        interval = self.settings.poll_interval * random.uniform(0.5, 1.5)
        pipe = self.redis.pipeline(transaction=False)
        for set_key in self.sets:
            pipe.zrange(set_key, 0, 0, withscores=True)
        for first in pipe.execute():
            if first:
                interval = min(interval, max(0.0, float(first[0][1]) - now))
        return interval
