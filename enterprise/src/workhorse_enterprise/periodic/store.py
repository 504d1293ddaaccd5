"""Periodic state in Redis: key names, the tick scripts, pause flags, history and the catalogue.

Keys (under the installation's prefix, so a ``{wh}`` hash tag keeps every
script Cluster-safe):

=================================  ====  =========================================
``periodic-entries``               hash  entry name -> definition JSON (published by the leader)
``periodic-state:<name>``          hash  ``last_tick``, ``last_jid``, ``last_enqueued_at``,
                                         ``paused``
``periodic-tick:<name>:<tick>``    str   the jid pushed for that tick (dedup guard, with a TTL)
``periodic-history:<name>``        list  recent runs, newest first (JSON)
``periodic-results:<name>``        list  how recent runs ended, newest first (JSON)
=================================  ====  =========================================
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypedDict, cast

import redis
from redis.client import NEVER_DECODE
from redis.commands.core import Script

from workhorse import payload
from workhorse.keys import Keys
from workhorse.scripts import source
from workhorse_enterprise.leader.lease import leader_key
from workhorse_enterprise.periodic.entry import Entry
from workhorse_enterprise.unique.locks import DIGEST, lock_key

HISTORY_LENGTH = 50
RunKind = Literal["tick", "missed", "manual"]
TickResult = Literal["pushed", "done", "not_leader", "paused", "locked"]
_RESULTS: dict[int, TickResult] = {
    1: "pushed",
    0: "done",
    -1: "not_leader",
    -2: "paused",
    -3: "locked",
}
_PACKAGE = "workhorse_enterprise.periodic"


class HistoryItem(TypedDict, total=False):
    tick: int | None
    jid: str
    at: int
    kind: RunKind
    result: str  # "ok" or "failed: <Error>" once the job ran (absent while pending)


class PeriodicKeys:
    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self.catalogue = keys.key("periodic-entries")
        self.leader = leader_key(keys)

    def state(self, name: str) -> str:
        return self.keys.key(f"periodic-state:{name}")

    def tick(self, name: str, tick: int) -> str:
        return self.keys.key(f"periodic-tick:{name}:{tick}")

    def history(self, name: str) -> str:
        return self.keys.key(f"periodic-history:{name}")

    def results(self, name: str) -> str:
        return self.keys.key(f"periodic-results:{name}")


def unique_lock(keys: Keys, job: Mapping[str, Any]) -> tuple[str, int] | None:
    """The unique lock key and TTL (ms) of a job built with ``unique_for``, else None."""
    digest, seconds = job.get("unique_digest"), job.get("unique_for")
    if not isinstance(digest, str) or not isinstance(seconds, int | float):
        return None
    if not DIGEST.fullmatch(digest):
        return None
    return lock_key(keys, digest), max(1, int(seconds * 1000))


def tick_ttl_ms(entry: Entry) -> int:
    """How long a tick key guards its tick: a day for cron, shorter for second schedules."""
    if entry.every is not None:
        return int(min(86_400, max(600, 100 * entry.every)) * 1000)
    return 86_400_000


class PeriodicStore:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = PeriodicKeys(keys)
        self._enqueue: Script = client.register_script(source("enqueue_tick", _PACKAGE))
        self._advance: Script = client.register_script(source("advance", _PACKAGE))

    # -- the leader's writes ----------------------------------------------------
    def enqueue_tick(
        self, entry: Entry, tick: int, job: dict[str, Any], identity: str, kind: RunKind
    ) -> TickResult:
        jid, queue = str(job["jid"]), str(job.get("queue") or entry.queue)
        now_ms = int(time.time() * 1000)
        item: HistoryItem = {"tick": tick, "jid": jid, "at": now_ms, "kind": kind}
        keys = [
            self.keys.state(entry.name),
            self.keys.tick(entry.name, tick),
            self.keys.keys.queue(queue),
            self.keys.keys.queues,
            self.keys.leader,
            self.keys.history(entry.name),
        ]
        args: list[Any] = [
            tick,
            tick_ttl_ms(entry),
            payload.encode(job),
            queue,
            identity,
            jid,
            now_ms,
            json.dumps(item),
            HISTORY_LENGTH,
        ]
        lock = unique_lock(self.keys.keys, job)
        if lock is not None:  # a unique job: the lock is taken in the same call as the push
            keys.append(lock[0])
            args.append(lock[1])
        result = self._enqueue(keys=keys, args=args)
        return _RESULTS[int(result)]

    def advance(self, name: str, tick: int, identity: str) -> TickResult:
        result = int(
            self._advance(keys=[self.keys.state(name), self.keys.leader], args=[tick, identity])
        )
        return "not_leader" if result == -1 else "done"

    def publish(self, entries: Iterable[Entry]) -> None:
        """Replace the catalogue with this leader's entries (so removed entries disappear)."""
        mapping: dict[Any, Any] = {e.name: e.to_json() for e in entries}
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.keys.catalogue)
        if mapping:
            pipe.hset(self.keys.catalogue, mapping=mapping)
        pipe.execute()

    # -- anyone's reads and commands -----------------------------------------------
    # State and history are read as bytes and parsed leniently: another program may have
    # written anything there, and one bad field must not stop the ticker or the cron page
    # (issue 17). A bad ``last_tick`` counts as absent; the tick scripts overwrite it.
    def last_tick(self, name: str) -> int | None:
        return tick_number(self.state(name).get("last_tick"))

    def state(self, name: str) -> dict[str, str]:
        raw = self.redis.execute_command(  # type: ignore[no-untyped-call]
            "HGETALL", self.keys.state(name), **{NEVER_DECODE: True}
        )
        return {_text(k): _text(v) for k, v in cast(dict[bytes, bytes], raw).items()}

    def history(self, name: str, count: int = 10) -> list[HistoryItem]:
        """Recent runs, newest first, each with its outcome once the job has run."""
        outcomes = self._results(name)
        items = []
        for data in self._json_list(self.keys.history(name), count):
            if isinstance(data.get("jid"), str):
                item = cast(HistoryItem, data)
                if item["jid"] in outcomes:
                    item["result"] = outcomes[item["jid"]]
                items.append(item)
        return items

    def _results(self, name: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for data in self._json_list(self.keys.results(name), HISTORY_LENGTH):
            if "jid" in data and "result" in data:
                found.setdefault(str(data["jid"]), str(data["result"]))
        return found

    def _json_list(self, key: str, count: int) -> list[dict[str, Any]]:
        """The JSON objects among a list's first ``count`` items; anything else is skipped."""
        raw = self.redis.execute_command(  # type: ignore[no-untyped-call]
            "LRANGE", key, 0, count - 1, **{NEVER_DECODE: True}
        )
        found = []
        for item in cast(list[bytes], raw):
            try:
                data = json.loads(item)
            except ValueError:
                continue
            if isinstance(data, dict):
                found.append(data)
        return found

    def catalogue(self) -> dict[str, Entry]:
        raw = cast(dict[str, str], self.redis.hgetall(self.keys.catalogue))
        return {name: Entry.from_json(value) for name, value in sorted(raw.items())}

    def set_paused(self, name: str, paused: bool) -> None:
        if paused:
            self.redis.hset(self.keys.state(name), "paused", "1")
        else:
            self.redis.hdel(self.keys.state(name), "paused")

    def enqueue_manual(self, entry: Entry, job: dict[str, Any]) -> None:
        """A "run now": pushed at once, recorded as the entry's last run, ticks untouched."""
        jid, queue = str(job["jid"]), str(job.get("queue") or entry.queue)
        now_ms = int(time.time() * 1000)
        item: HistoryItem = {"tick": None, "jid": jid, "at": now_ms, "kind": "manual"}
        pipe = self.redis.pipeline(transaction=True)
        pipe.lpush(self.keys.keys.queue(queue), payload.encode(job))
        pipe.sadd(self.keys.keys.queues, queue)
        pipe.hset(
            self.keys.state(entry.name), mapping={"last_jid": jid, "last_enqueued_at": now_ms}
        )
        pipe.lpush(self.keys.history(entry.name), json.dumps(item))
        pipe.ltrim(self.keys.history(entry.name), 0, HISTORY_LENGTH - 1)
        pipe.execute()


def tick_number(raw: str | None) -> int | None:
    """A stored tick as whole epoch seconds, or None when absent or not a finite number."""
    try:
        value = float(raw) if raw is not None else math.nan
    except ValueError:
        return None
    return int(value) if math.isfinite(value) else None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")
