"""The cron ticker: a worker ``Service`` that enqueues due ticks while this process leads.

Every process runs one; only the leader's does anything. It sleeps exactly
until the next tick of any entry (at most ``max_sleep``), then, per entry,
enqueues every tick after the entry's ``last_tick`` in Redis: ticks up to
``grace`` seconds late as usual, older (missed) ones by the entry's policy.
The push, the tick-key dedup, the last-tick update and the leader check are
one Lua call, so a leadership change cannot enqueue a tick twice.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis

from workhorse import tracelinks
from workhorse.client import Client
from workhorse.keys import Keys
from workhorse_enterprise.leader.elector import LeaderElector
from workhorse_enterprise.license_gate import PERIODIC_JOBS
from workhorse_enterprise.periodic.entry import Entry
from workhorse_enterprise.periodic.jobs import build_job
from workhorse_enterprise.periodic.schedule import next_tick
from workhorse_enterprise.periodic.store import PeriodicStore, RunKind

log = logging.getLogger("workhorse_enterprise.periodic")
_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError, OSError)


class _LostLeadership(Exception):
    """A fenced script said another process holds the lease."""


@dataclass
class Due:
    """What one pass found for an entry: ticks to push, and the newest tick seen."""

    missed: list[int] = field(default_factory=list)
    on_time: list[int] = field(default_factory=list)
    skipped_from: int | None = None
    newest: int | None = None


def due_ticks(entry: Entry, cursor: int, now: float) -> Due:
    """Ticks in ``(cursor, now]``, split by ``grace`` and trimmed by the missed-run policy."""
    assert entry.schedule is not None  # only valid entries reach the ticker
    limit = {"skip": 0, "once": 1, "all": entry.max_missed}[entry.missed]
    found = Due()
    for raw in entry.schedule.preceding(now):
        tick = int(raw)
        if tick <= cursor:
            break
        found.newest = tick if found.newest is None else found.newest
        if tick >= now - entry.grace:
            found.on_time.append(tick)
        elif len(found.missed) < limit:
            found.missed.append(tick)
        else:
            found.skipped_from = tick
            break
    found.missed.reverse()
    found.on_time.reverse()
    return found


class PeriodicTicker:
    """The ``periodic`` service of one worker process."""

    name = "periodic"

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        entries: Sequence[Entry],
        elector: LeaderElector,
        job_client: Client,
        clock: Callable[[], float] = time.time,
        max_sleep: float = 1.0,
    ) -> None:
        PERIODIC_JOBS.require()
        self.store = PeriodicStore(client, keys)
        self.keys = keys
        self.all_entries = list(entries)
        self.entries = [e for e in entries if e.schedule is not None]
        self.elector = elector
        self.job_client = job_client
        self.clock = clock
        self.max_sleep = max_sleep
        self._cursors: dict[str, int] = {}
        self._next: dict[str, float] = {}
        self._new_term = threading.Event()
        self._new_term.set()
        self._redis_down = False
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="workhorse-periodic", daemon=True)
        elector.subscribe(self._leadership_changed)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _leadership_changed(self, _elected: bool) -> None:
        # Runs on the leader-events thread: only flag it; the ticker thread resets.
        self._new_term.set()
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            wait = self.tick_once() if self.elector.is_leader else self.max_sleep
            self._wake.wait(wait)
            self._wake.clear()

    def tick_once(self, now: float | None = None) -> float:
        """Enqueue whatever is due; return seconds until the next tick (for the loop)."""
        try:
            self._tick(self.clock() if now is None else now)
        except _LostLeadership:
            self.elector.recheck()
            return 0.05
        except _REDIS_DOWN as exc:
            if not self._redis_down:
                log.warning("periodic: Redis unreachable (%s); ticks wait for it", exc)
                self._redis_down = True
            self._new_term.set()  # Redis may come back with older data: re-read it
            return min(self.max_sleep, 0.5)
        if self._redis_down:
            log.warning("periodic: Redis reachable again; catching up")
            self._redis_down = False
        upcoming = min(self._next.values(), default=math.inf)
        return max(0.0, min(self.max_sleep, upcoming - self.clock()))

    def _tick(self, now: float) -> None:
        if self._new_term.is_set():
            # A new term starts from what Redis says, never from a stale local cache.
            self._new_term.clear()
            self._cursors.clear()
            self._next.clear()
            self.store.publish(self.all_entries)
        for entry in self.entries:
            if self._next.get(entry.name, -math.inf) <= now:
                self._process(entry, now)
                assert entry.schedule is not None
                self._next[entry.name] = next_tick(entry.schedule, now)

    def _process(self, entry: Entry, now: float) -> None:
        cursor = self._cursor(entry, now)
        due = due_ticks(entry, cursor, now)
        if due.newest is None:
            return
        if due.skipped_from is not None:
            log.warning(
                "periodic entry %s: missed ticks up to %s skipped (missed=%r)",
                entry.name,
                _iso(due.skipped_from),
                entry.missed,
            )
        for tick in due.missed:
            self._push(entry, tick, "missed")
        for tick in due.on_time:
            self._push(entry, tick, "tick")
        if self.store.advance(entry.name, due.newest, self.elector.identity) == "not_leader":
            raise _LostLeadership
        self._cursors[entry.name] = due.newest

    def _cursor(self, entry: Entry, now: float) -> int:
        if entry.name in self._cursors:
            return self._cursors[entry.name]
        cursor = self.store.last_tick(entry.name)
        if cursor is None:
            # First sight of this entry: start now (a tick this very second still runs).
            cursor = math.floor(now) - 1
            if self.store.advance(entry.name, cursor, self.elector.identity) == "not_leader":
                raise _LostLeadership
        self._cursors[entry.name] = cursor
        return cursor

    def _push(self, entry: Entry, tick: int, kind: RunKind) -> None:
        # INTERNAL, not PRODUCER: the push inside makes the messaging PRODUCER span
        # ("send <queue>"); the job's own span links back here through cron_traceparent.
        attributes: dict[str, str | int] = {
            "workhorse.periodic.entry": entry.name,
            "workhorse.periodic.tick": tick,
        }
        with tracelinks.span(f"{entry.name} tick", "internal", attributes) as link:
            self._push_traced(entry, tick, kind, link)

    def _push_traced(self, entry: Entry, tick: int, kind: RunKind, link: str | None) -> None:
        try:
            job = build_job(self.job_client, entry, tick, kind, link)
        except _REDIS_DOWN:
            raise
        except Exception:
            log.exception(
                "periodic entry %s: could not build the job for %s; tick skipped",
                entry.name,
                _iso(tick),
            )
            return
        if job is None:
            log.info(
                "periodic entry %s: tick %s dropped by client middleware", entry.name, _iso(tick)
            )
            return
        result = self.store.enqueue_tick(entry, tick, job, self.elector.identity, kind)
        if result == "not_leader":
            raise _LostLeadership
        if result == "locked":
            log.info(
                "periodic entry %s: tick %s not enqueued: an earlier run of the unique job "
                "%s still holds its lock",
                entry.name,
                _iso(tick),
                job["class"],
            )
        if result == "pushed":
            log.debug(
                "periodic entry %s: enqueued %s jid=%s (%s)",
                entry.name,
                job["class"],
                job["jid"],
                kind,
            )


def _iso(tick: int) -> str:
    return datetime.fromtimestamp(tick, UTC).isoformat()
