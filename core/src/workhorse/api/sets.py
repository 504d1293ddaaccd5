"""The scheduled, retry and dead sets: paged, searchable, and actions on exact members."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from typing import Any, cast

import redis

from workhorse import payload
from workhorse.api import removal
from workhorse.api.records import JobRecord, paged
from workhorse.config import Settings
from workhorse.keys import Keys
from workhorse.scripts import Scripts

PAGE = 100
_GLOB_SPECIAL = frozenset("*?[]\\^-")
SetName = str  # "schedule" | "retry" | "dead"


def parse_key(key: str) -> tuple[float, str] | None:
    """``"<score>-<jid>"`` -> ``(score, jid)``; the score may itself hold a dash (``-1.5``,
    ``1e-05``), so the first split whose left side is a number wins."""
    at = key.find("-", 1)
    while at > 0:
        try:
            score = float(key[:at])
        except ValueError:
            at = key.find("-", at + 1)
            continue
        return None if math.isnan(score) or "_" in key[:at] else (score, key[at + 1 :])
    return None


class JobSet:
    """One of ``schedule``, ``retry``, ``dead`` (sorted by time)."""

    def __init__(self, client: redis.Redis, keys: Keys, name: SetName, settings: Settings) -> None:
        self.redis = client
        self.keys = keys
        self.name = name
        self.key = keys.sorted_set(name)
        self.settings = settings
        self.scripts = Scripts(client)

    def size(self) -> int:
        return int(self.redis.zcard(self.key))

    def page(
        self, offset: int = 0, limit: int = 25, newest_first: bool | None = None
    ) -> list[JobRecord]:
        """A page in display order: dead newest first; schedule and retry soonest first."""
        reverse = self.name == "dead" if newest_first is None else newest_first
        rows = self.redis.zrange(
            self.key, offset, offset + limit - 1, desc=reverse, withscores=True
        )
        return [JobRecord(raw, float(score)) for raw, score in cast(list[tuple[str, float]], rows)]

    def __iter__(self) -> Iterator[JobRecord]:
        return paged(self.page, PAGE)

    def search(self, text: str, limit: int = 100) -> list[JobRecord]:
        """Jobs whose stored JSON contains ``text`` (ZSCAN MATCH, paged on the server)."""
        # Backslash-escape glob characters: "[]]" would be an empty class to Redis.
        pattern = "*" + "".join("\\" + c if c in _GLOB_SPECIAL else c for c in text) + "*"
        found = []
        for raw, score in self.redis.zscan_iter(self.key, match=pattern, count=500):
            found.append(JobRecord(raw, float(score)))
            if len(found) >= limit:
                break
        return found

    def find(self, jid: str) -> JobRecord | None:
        return next((rec for rec in self.search(jid, limit=10) if rec.jid == jid), None)

    def get(self, key: str) -> JobRecord | None:
        """By dashboard row key ``<score>-<jid>``; None if there is none or the key is
        malformed (it comes from a URL or a form: only a number reaches Redis)."""
        parsed = parse_key(key)
        if parsed is None:
            return None
        score, jid = parsed
        rows = self.redis.zrange(self.key, score, score, byscore=True, withscores=True)
        for raw, score in cast(list[tuple[str, float]], rows):
            record = JobRecord(raw, float(score))
            if record.jid == jid:
                return record
        return None

    def delete(self, record: JobRecord, reason: str = "deleted") -> bool:
        """Remove exactly this job; False if it already left. Plugins hear of it with
        ``reason`` (``workhorse_jobs_removed``)."""
        if not self.redis.zrem(self.key, record.raw):
            return False
        removal.announce(self.redis, self.keys, [record.raw], reason)
        return True

    def retry_now(self, record: JobRecord) -> bool:
        """Push the job to its queue now (manual retries don't use up a retry)."""
        item = record.item
        if item is None:
            return False
        if self.name == "retry" and isinstance(item.get("retry_count"), int):
            item["retry_count"] -= 1
        item.pop("at", None)
        item["enqueued_at"] = payload.timestamp(self.settings.timestamp_format)
        queue = str(item.get("queue") or "default")
        move = (record.raw, payload.encode(item), self.keys.queue(queue), queue)
        return self.scripts.move_due(self.key, self.keys.queues, [move]) == 1

    def kill(self, record: JobRecord, now: float | None = None) -> bool:
        """Move to the dead set (from schedule or retry)."""
        now = time.time() if now is None else now
        item: dict[str, Any] = record.item or {}
        if item and self.name != "dead":
            item.setdefault("error_class", "workhorse.Killed")
            item.setdefault("error_message", "killed from the dashboard or API")
            new = payload.encode(item)
        else:
            new = record.raw
        moved = bool(self.scripts.zmove(self.key, self.keys.dead, record.raw, new, now))
        if moved and self.name != "dead":
            removal.announce(self.redis, self.keys, [new], "killed")
        return moved

    def retry_all(self) -> int:
        return self._each(self.retry_now)

    def kill_all(self) -> int:
        return self._each(self.kill)

    def delete_all(self) -> int:
        """Remove every job of the set (plugins hear of each: ``workhorse_jobs_removed``)."""
        return removal.clear(self.redis, self.keys, self.key, sorted_set=True)

    def _each(self, action: Any) -> int:
        done = 0
        while True:
            batch = self.page(0, PAGE)
            if not batch:
                return done
            moved = sum(1 for record in batch if action(record))
            done += moved
            if moved == 0:
                return done

    def act(self, records: Iterable[JobRecord], action: str) -> int:
        """Bulk ``retry``, ``delete`` or ``kill`` on selected records."""
        fn = {"retry": self.retry_now, "delete": self.delete, "kill": self.kill}[action]
        return sum(1 for record in records if fn(record))
