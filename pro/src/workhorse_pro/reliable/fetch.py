"""``ReliableFetch``: jobs move atomically from ``queue:<q>`` into lists this process
holds in progress, and leave them only when they finished (issue 7).

Speed: one round trip (fetch.lua, and an LRANGE pipelined behind it) moves a fetch
of jobs per queue into a list of its own without passing them through Lua, and
carries the acknowledgements of the jobs finished since the last fetch, one entry
per fetch (see ``inflight``), so acking costs no round trip of its own and Redis
runs a handful of commands per fetch, not two per job. The round trip goes over a
connection the fetch thread keeps for itself (``workhorse.dedicated``). When the
queues are empty the fetch waits in a "blocking peek" (``BLMOVE q q RIGHT RIGHT``,
a rotation that leaves the list unchanged) on one queue at a time, writing pending
acks with it, then fetches for real.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from workhorse import quarantine
from workhorse.config import QueueWeight
from workhorse.fetch import QueueOrder
from workhorse.keys import Keys
from workhorse.types import UnitOfWork
from workhorse_pro.license_gate import RELIABLE_FETCH
from workhorse_pro.reliable import expiry
from workhorse_pro.reliable.config import ReliableConfig
from workhorse_pro.reliable.inflight import AckBook, Change, FetchList, Token, finished
from workhorse_pro.reliable.keys import ReliableKeys
from workhorse_pro.reliable.lease import ProcessLease
from workhorse_pro.reliable.scripts import HeldJob, ReliableScripts

log = logging.getLogger(__name__)
_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
SINGLE_QUEUE_BLOCK = 1.0  # cap so acks of jobs finishing while idle wait at most this long
_EXPIRY_MARKER = b'"expires_'


@dataclass(frozen=True, slots=True)
class FetchPlan:
    """Keys and names of fetch.lua for one queue order (built once per order)."""

    names: list[str]
    keys: list[str]
    index: dict[str, int]  # queue name -> 1-based index in this order
    no_acks: list[str]  # the ack arguments when there is nothing to acknowledge
    fetch_lists: list[str]  # per queue, the prefix of the names of its fetch lists


class ReliableFetch:
    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        identity: str,
        queues: Sequence[QueueWeight],
        config: ReliableConfig,
    ) -> None:
        RELIABLE_FETCH.require()
        self.redis = client
        self.keys = ReliableKeys(keys)
        self.identity = identity
        self.config = config
        self.order = QueueOrder(queues)
        self.private = {q: self.keys.in_progress(identity, q) for q in self.order.queues}
        self.scripts = ReliableScripts(client, self.keys)
        self.lease = ProcessLease(client, self.keys, identity, self.order.queues, config)
        self._plans: dict[tuple[str, ...], FetchPlan] = {}
        self._next_seq = 1
        self._acks = AckBook()
        # Sequence numbers reserved by fetches whose reply never arrived: Redis may hold
        # those jobs in our hashes although no thread got them (reconcile() returns them).
        self._lost: list[range] = []
        self._paused: frozenset[str] = frozenset()
        self._registered = False

    # -- Fetcher protocol ---------------------------------------------------
    def fetch(self, max_jobs: int, timeout: float) -> list[UnitOfWork[Token]]:
        plan = self._ready()
        units, took = self._fetch_now(plan, max_jobs)
        if took or timeout <= 0:
            return units  # may be empty when every job taken had expired: fetch again at once
        return self._block(plan, max_jobs, timeout)

    # workhorse.types.SplitFetcher: the worker may run the two halves on two threads
    # (an idle job thread waits; never both at once), so this object's state and its
    # dedicated connection still have one user at a time.
    def pop_now(self, max_jobs: int) -> list[UnitOfWork[Token]]:
        # Empty also when every job taken had expired: the waiting pop's peek then
        # returns at once if the queue holds more.
        return self._fetch_now(self._ready(), max_jobs)[0]

    def pop_waiting(self, timeout: float) -> list[UnitOfWork[Token]]:
        return self._block(self._plan(self.order()), 1, timeout)

    def _ready(self) -> FetchPlan:
        """Registered, lost fetches reconciled: the plan for this fetch's queue order."""
        if not self._registered:
            self.register()
        if self._lost:
            self.reconcile()
        return self._plan(self.order())

    def acknowledge(self, unit: UnitOfWork[Token]) -> None:
        token = unit.token
        token[0].done.append(token[1])  # inflight.finished, inlined: this runs once per job

    def requeue(self, units: Sequence[UnitOfWork[Token]]) -> None:
        """Called by the fetch thread, or by the shutdown thread once it stopped."""
        # A unit another fetcher made (a shutdown sentinel) has no token of ours.
        tokens = [u.token for u in units if isinstance(u.token, tuple) and u.queue in self.private]
        # RPUSH the newest first so the oldest ends up at the very head, as it was.
        jobs = [self._held(fetch, offset) for fetch, offset in reversed(tokens)]
        self.scripts.requeue(jobs)
        for token in tokens:  # done in Redis now: later writes of the done list keep them
            finished(token)

    def close(self) -> None:
        """Flush acks, push anything still in progress back to its queue, unregister."""
        self._write_acks()
        self._lost.clear()
        # Every job our hashes hold, newest first; the script skips the finished ones.
        moved = self.scripts.requeue(self._newest_first(self._held_fields()))
        if moved:
            log.warning("pushed %d unfinished job(s) back to their queues at shutdown", moved)
        self.lease.release()
        self.scripts.close()
        self._registered = False

    # -- registration -------------------------------------------------------
    def register(self) -> None:
        self.lease.acquire()
        self._registered = True
        log.info(
            "reliable fetch on for %s: lease %.0f s, in-progress hashes %s",
            self.identity,
            self.config.lease,
            self.keys.in_progress(self.identity, "<queue>"),
        )

    # -- fetching -----------------------------------------------------------
    def _plan(self, names: list[str]) -> FetchPlan:
        if names is self.order.queues:  # strict order: the same list every time
            plan = self._plans.get(())
            if plan is None:
                plan = self._plans[()] = self._plan(list(names))
            return plan
        plan = self._plans.get(tuple(names))
        if plan is None:
            keys = [
                self.keys.paused,
                self.keys.stats,
                *map(self.keys.queue, names),
                *(self.private[n] for n in names),
            ]
            index = {n: i + 1 for i, n in enumerate(names)}
            fetch_lists = [self.keys.fetch_lists(self.identity, n) for n in names]
            plan = FetchPlan(names, keys, index, [""] * len(names), fetch_lists)
            if len(self._plans) >= 256:  # weighted order with many queues: bound the cache
                self._plans.clear()
            self._plans[tuple(names)] = plan
        return plan

    def _fetch_now(self, plan: FetchPlan, want: int) -> tuple[list[UnitOfWork[Token]], bool]:
        changes, expired = self._acks.take()
        acks = self._ack_args(plan, changes)
        # Reserve `want` sequence numbers per queue before the call: if its reply is
        # lost, the next call must still never reuse a fetch the script may have made.
        first, self._next_seq = self._next_seq, self._next_seq + want * len(plan.names)
        lists = [f"{prefix}{first + i * want}" for i, prefix in enumerate(plan.fetch_lists)]
        try:
            paused, counts, taken = self.scripts.fetch(
                plan.keys, lists, plan.names, want, first, acks, expired
            )
        except _REDIS_DOWN:
            self._lost.append(range(first, self._next_seq))
            self._acks.failed(expired)
            raise
        self._acks.written(changes)
        if paused or self._paused:
            self._paused = frozenset(plan.names[int(i) - 1] for i in paused)
        return self._hand_out(plan, counts, taken, first, want), any(counts)

    @staticmethod
    def _ack_args(plan: FetchPlan, changes: list[Change]) -> list[str]:
        """fetch.lua's ack lists, one per queue of ``plan``."""
        if not changes:
            return plan.no_acks
        per_queue: list[list[str]] = [[] for _ in plan.names]
        for fetch, done, end in changes:
            per_queue[plan.index[fetch.queue] - 1].append(fetch.ack_entry(done, end))
        return [";".join(entries) for entries in per_queue]

    def _block(self, plan: FetchPlan, want: int, timeout: float) -> list[UnitOfWork[Token]]:
        deadline = time.monotonic() + timeout
        turn = 0
        while (remaining := deadline - time.monotonic()) > 0.005:
            active = [n for n in plan.names if n not in self._paused]
            if not active:
                time.sleep(min(remaining, 0.5))  # every queue paused: look again soon
            else:
                slice_ = SINGLE_QUEUE_BLOCK if len(active) == 1 else self.config.multi_queue_block
                name = active[turn % len(active)]
                turn += 1
                if not self._peek(name, min(slice_, remaining)):
                    continue
            units, took = self._fetch_now(plan, want)
            if took:
                return units
        return []

    def _peek(self, name: str, wait: float) -> bool:
        """Block until ``name`` has a job (or ``wait`` passed), leaving the queue unchanged."""
        self._write_acks()
        queue_key = self.keys.queue(name)
        timeout: Any = round(wait, 3)  # Redis takes fractions; redis-py types it as int
        return self.redis.blmove(queue_key, queue_key, timeout, "RIGHT", "RIGHT") is not None

    def _write_acks(self) -> None:
        """Write pending acks now (fetch.lua taking no jobs). Any thread may call it."""
        changes, expired = self._acks.take()
        if not changes and not expired:
            return
        plan = self._plan(self.order.queues)
        try:
            self.scripts.write_acks(
                plan.keys, plan.fetch_lists, plan.names, self._ack_args(plan, changes), expired
            )
        except _REDIS_DOWN:
            self._acks.failed(expired)
            raise
        self._acks.written(changes)

    def _hand_out(
        self, plan: FetchPlan, counts: list[Any], taken: list[list[bytes]], first: int, want: int
    ) -> list[UnitOfWork[Token]]:
        units: list[UnitOfWork[Token]] = []
        for i, (queue, count) in enumerate(zip(plan.names, counts, strict=True)):
            if not count:
                continue
            fetch = FetchList(queue, first + i * want, int(count))
            self._acks.opened(fetch)
            jobs = taken[i][::-1]  # the list keeps the queue's order: newest first
            try:  # decoded here, job by job (issue 17); inlined: this runs once per job
                batch_units = [
                    UnitOfWork(queue, raw.decode(), (fetch, n)) for n, raw in enumerate(jobs, 1)
                ]
            except UnicodeDecodeError:  # one is not UTF-8: it becomes a unit for the dead set
                batch_units = [
                    quarantine.unit(queue, raw, (fetch, n)) for n, raw in enumerate(jobs, 1)
                ]
            if _EXPIRY_MARKER in b"\n".join(jobs):  # one C-level scan for the whole fetch
                batch_units = self._unexpired(batch_units)
            units += batch_units
        return units

    def _unexpired(self, batch_units: list[UnitOfWork[Token]]) -> list[UnitOfWork[Token]]:
        units, now = [], time.time()
        for unit in batch_units:
            if unit.undecodable is None and expiry.is_expired(unit.raw, now):
                self._acks.expired(unit.token)
                log.info("discarded an expired job from queue %s (expires_in passed)", unit.queue)
            else:
                units.append(unit)
        return units

    # -- what Redis still holds for us ---------------------------------------
    def _held_fields(self) -> list[tuple[str, str, int, int]]:
        """Every fetch field in this process's in-progress hashes, as
        (queue, field, first sequence number, size)."""
        pipe = self.redis.pipeline(transaction=False)
        for key in self.private.values():
            pipe.hkeys(key)
        found = []
        for queue, fields in zip(self.private, pipe.execute(), strict=True):
            for field in fields:
                if not field.endswith(":done"):  # "<first>+<size>" or "<seq>"
                    first, _, size = field.partition("+")
                    found.append((queue, field, _int(first), _int(size or "1")))
        return found

    def _newest_first(self, fields: list[tuple[str, str, int, int]]) -> list[HeldJob]:
        jobs = [
            (first + offset, self._held_at(queue, field, offset + 1))
            for queue, field, first, size in fields
            for offset in range(size)
        ]
        return [job for _, job in sorted(jobs, key=lambda pair: -pair[0])]

    def _held_at(self, queue: str, field: str, offset: int) -> HeldJob:
        return HeldJob(self.keys.queue(queue), self.private[queue], field, offset)

    def _held(self, fetch: FetchList, offset: int) -> HeldJob:
        return self._held_at(fetch.queue, fetch.field, offset)

    def reconcile(self) -> int:
        """Push back the jobs of fetches whose reply was lost (they ran in Redis, but no
        thread got their jobs). Only their reserved sequence numbers can hold such jobs."""
        self._write_acks()
        lost = [f for f in self._held_fields() if any(f[2] in span for span in self._lost)]
        moved = self.scripts.requeue(self._newest_first(lost))
        self._lost.clear()
        if moved:
            log.warning("pushed %d job(s) back to their queues after a Redis outage", moved)
        return moved


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0
