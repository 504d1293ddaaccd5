"""The poller: moves due jobs from ``schedule`` and ``retry`` into their queues.

Precision is the point (Sidekiq polls every ~5 s on average): each process
polls every ``poll_interval`` (randomised +-50 %), and when the earliest due
job is sooner than that, it sleeps exactly until it.

Members are read as raw bytes and checked one by one (issue 17): a member that
is not a job we can move (not UTF-8, not job JSON, or JSON that cannot be
written back such as ``NaN``) goes to the dead set with its original bytes, and
every other due job still moves.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any, cast

import redis
from redis.client import NEVER_DECODE

from workhorse import payload, quarantine
from workhorse.config import Settings
from workhorse.errors import ArgumentError, PayloadError
from workhorse.keys import Keys
from workhorse.scripts import Move, Scripts

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
            due = self._read(set_key, "-inf", now, "BYSCORE", "LIMIT", 0, BATCH)
            moves: list[Move] = []
            for member in due:
                try:
                    moves.append(self._prepare(member))
                except PayloadError as exc:
                    self._bury(set_key, member, exc)
            if moves:
                moved += self.scripts.move_due(set_key, self.keys.queues, moves)
            if len(due) < BATCH:
                return moved

    def _read(self, set_key: str, *args: Any) -> list[bytes]:
        """ZRANGE ``set_key`` ``args``, the members as stored (bytes)."""
        send = self.redis.execute_command
        reply = send("ZRANGE", set_key, *args, **{NEVER_DECODE: True})  # type: ignore[no-untyped-call]
        return cast(list[bytes], reply)

    def _prepare(self, member: bytes) -> Move:
        job = payload.decode(quarantine.text(member))
        queue = str(job.get("queue") or "default")
        job["enqueued_at"] = payload.timestamp(self.settings.timestamp_format)
        try:
            queued = payload.encode(job).encode()
        except (ArgumentError, UnicodeEncodeError) as exc:
            raise PayloadError(f"job cannot be written back as JSON ({exc})") from None
        return (member, queued, self.keys.queue(queue), queue)

    def _bury(self, set_key: str, member: bytes, exc: PayloadError) -> None:
        """Move ``member`` to the dead set in a wrapper that keeps its bytes."""
        now = time.time()
        reason = f'{exc}; found in the "{set_key}" set'
        dead = quarantine.wrap(member, "default", reason, self.settings.timestamp_format, now)
        if not self.scripts.zmove(set_key, self.keys.dead, member, dead, now):
            return  # another poller (or a dashboard action) took it first
        log.error("a member of %s is not a job that can be moved; dead set: %s", set_key, exc)
        pipe = self.redis.pipeline(transaction=False)
        pipe.zremrangebyscore(self.keys.dead, "-inf", now - self.settings.dead_timeout)
        pipe.zremrangebyrank(self.keys.dead, 0, -self.settings.dead_max_jobs - 1)
        pipe.execute()

    def _next_wait(self, now: float) -> float:
        interval = self.settings.poll_interval * random.uniform(0.5, 1.5)
        pipe = self.redis.pipeline(transaction=False)
        for set_key in self.sets:
            pipe.execute_command(  # type: ignore[no-untyped-call]
                "ZRANGE", set_key, 0, 0, "WITHSCORES", **{NEVER_DECODE: True}
            )
        for reply in pipe.execute():
            if reply:
                interval = min(interval, max(0.0, _score(reply) - now))
        return interval


def _score(reply: list[Any]) -> float:
    """The score of a one-member ZRANGE WITHSCORES reply: redis-py gives [[member, score]]
    or, in older versions, the flat [member, score]."""
    first = reply[0]
    return float(first[1] if isinstance(first, list | tuple) else reply[1])
