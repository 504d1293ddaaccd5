"""``ReliableFetch``: jobs move atomically from ``queue:<q>`` into this process's
in-progress hash and leave it only when they finished (issue 7).

Speed: one round trip (fetch.lua) moves up to as many jobs as there are idle
threads (RPOP count + one HSET per queue) and carries the acknowledgements of
the jobs finished since the last fetch (one HDEL), so acking costs no round
trip of its own and Redis runs a handful of commands per fetch, not two per job.
Each job gets a per-process sequence number as its field, so identical payloads
never collide. When the queues are empty the fetch waits in a "blocking peek"
(``BLMOVE q q RIGHT RIGHT``, a rotation that leaves the list unchanged) on one
queue at a time, flushing pending acks with it, then fetches for real.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from workhorse.config import QueueWeight
from workhorse.keys import Keys
from workhorse.types import UnitOfWork
from workhorse_pro.reliable import expiry
from workhorse_pro.reliable.config import ReliableConfig
from workhorse_pro.reliable.keys import ReliableKeys
from workhorse_pro.reliable.lease import Lease
from workhorse_pro.reliable.order import QueueOrder
from workhorse_pro.reliable.scripts import ReliableScripts

log = logging.getLogger(__name__)
_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
SINGLE_QUEUE_BLOCK = 1.0  # cap so acks of jobs finishing while idle wait at most this long
_EXPIRY_MARKER = '"expires_'


@dataclass(frozen=True, slots=True)
class FetchPlan:
    """Keys and names of fetch.lua for one queue order (built once per order)."""

    names: list[str]
    keys: list[str]
    index: dict[str, int]  # queue name -> 1-based index in this order
    no_acks: list[str]  # the ack arguments when there is nothing to acknowledge


class ReliableFetch:
    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        identity: str,
        queues: Sequence[QueueWeight],
        config: ReliableConfig,
    ) -> None:
        self.redis = client
        self.keys = ReliableKeys(keys)
        self.identity = identity
        self.config = config
        self.order = QueueOrder(queues)
        self.private = {q: self.keys.in_progress(identity, q) for q in self.order.names}
        self.scripts = ReliableScripts(client, self.keys)
        self.lease = Lease(client, self.keys, identity, self.order.names, config)
        self._plans: dict[tuple[str, ...], FetchPlan] = {}
        self._next_seq = 1
        # Finished (queue, field) pairs whose HDEL is not sent yet. Worker threads append,
        # only the fetch thread drains: a deque needs no lock (append/popleft are atomic).
        self._acks: deque[tuple[str, int]] = deque()
        self._expired = 0
        # Sequence numbers reserved by fetches whose reply never arrived: Redis may hold
        # those jobs in our hashes although no thread got them (reconcile() returns them).
        self._lost: list[range] = []
        self._paused: frozenset[str] = frozenset()
        self._registered = False

    # -- Fetcher protocol ---------------------------------------------------
    def fetch(self, max_jobs: int, timeout: float) -> list[UnitOfWork]:
        if not self._registered:
            self.register()
        if self._lost:
            self.reconcile()
        plan = self._plan(self.order())
        units, took = self._fetch_now(plan, max_jobs)
        if took or timeout <= 0:
            return units  # may be empty when every job taken had expired: fetch again at once
        return self._block(plan, max_jobs, timeout)

    def acknowledge(self, unit: UnitOfWork) -> None:
        self._acks.append((unit.queue, unit.token))  # type: ignore[arg-type]

    def requeue(self, units: Sequence[UnitOfWork]) -> None:
        # RPUSH the newest first so the oldest ends up at the very head, as it was.
        jobs = [(self.keys.queue(u.queue), self.private[u.queue], str(u.token))
                for u in reversed(units) if u.queue in self.private]
        self.scripts.requeue(jobs)

    def close(self) -> None:
        """Flush acks, push anything still in progress back to its queue, unregister."""
        self._flush_acks()
        leftovers = self._listed()
        self._lost.clear()
        moved = self.scripts.requeue(sorted(leftovers, key=_newest_first))
        if moved:
            log.warning("pushed %d unfinished job(s) back to their queues at shutdown", moved)
        self.lease.release()
        self._registered = False

    # -- registration -------------------------------------------------------
    def register(self) -> None:
        self.lease.acquire()
        self._registered = True
        log.info(
            "reliable fetch on for %s: lease %.0f s, in-progress hashes %s",
            self.identity, self.config.lease, self.keys.in_progress(self.identity, "<queue>"),
        )

    # -- fetching -----------------------------------------------------------
    def _plan(self, names: list[str]) -> FetchPlan:
        if names is self.order.names:  # strict order: the same list every time
            plan = self._plans.get(())
            if plan is None:
                plan = self._plans[()] = self._plan(list(names))
            return plan
        plan = self._plans.get(tuple(names))
        if plan is None:
            keys = [self.keys.paused, self.keys.stats, *map(self.keys.queue, names),
                    *(self.private[n] for n in names)]
            index = {n: i + 1 for i, n in enumerate(names)}
            plan = FetchPlan(names, keys, index, [""] * len(names))
            if len(self._plans) >= 256:  # weighted order with many queues: bound the cache
                self._plans.clear()
            self._plans[tuple(names)] = plan
        return plan

    def _fetch_now(self, plan: FetchPlan, want: int) -> tuple[list[UnitOfWork], bool]:
        acks, expired = self._take_acks()
        if not acks:
            joined = plan.no_acks
        elif len(plan.names) == 1:
            joined = [",".join([str(seq) for _, seq in acks])]
        else:
            per_queue: list[list[str]] = [[] for _ in plan.names]
            for queue, seq in acks:
                per_queue[plan.index[queue] - 1].append(str(seq))
            joined = [",".join(fields) for fields in per_queue]
        # Reserve `want` sequence numbers before the call: if its reply is lost,
        # the next call must still never reuse a field the script may have written.
        first, self._next_seq = self._next_seq, self._next_seq + want
        try:
            paused, counts, jobs = self.scripts.fetch(
                plan.keys, plan.names, want, first, joined, expired
            )
        except _REDIS_DOWN:
            self._lost.append(range(first, first + want))
            self._failed(acks, expired)
            raise
        if paused or self._paused:
            self._paused = frozenset(plan.names[int(i) - 1] for i in paused)
        return self._hand_out(plan, counts, jobs, first), bool(jobs)

    def _block(self, plan: FetchPlan, want: int, timeout: float) -> list[UnitOfWork]:
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
        acks, expired = self._take_acks()
        pipe = self.redis.pipeline(transaction=False)
        for queue, seq in acks:
            pipe.hdel(self.private[queue], str(seq))
        if expired:
            pipe.hincrby(self.keys.stats, "expired", expired)
        queue_key = self.keys.queue(name)
        timeout: Any = round(wait, 3)  # Redis takes fractions; redis-py types it as int
        pipe.blmove(queue_key, queue_key, timeout, "RIGHT", "RIGHT")
        try:
            found = pipe.execute()[-1]
        except _REDIS_DOWN:
            self._failed(acks, expired)
            raise
        return found is not None

    def _hand_out(
        self, plan: FetchPlan, counts: list[Any], jobs: list[str], seq: int
    ) -> list[UnitOfWork]:
        units = []
        at = 0
        for queue, count in zip(plan.names, counts, strict=True):
            for raw in jobs[at : at + int(count)]:
                if _EXPIRY_MARKER in raw and expiry.is_expired(raw, time.time()):
                    self._discard_expired(queue, seq)
                else:
                    units.append(UnitOfWork(queue, raw, seq))
                seq += 1
            at += int(count)
        return units

    def _discard_expired(self, queue: str, seq: int) -> None:
        self._acks.append((queue, seq))
        self._expired += 1
        log.info("discarded an expired job from queue %s (expires_in passed)", queue)

    # -- acknowledgement bookkeeping ---------------------------------------
    def _take_acks(self) -> tuple[list[tuple[str, int]], int]:
        acks, pop = [], self._acks.popleft
        try:
            while True:
                acks.append(pop())
        except IndexError:
            pass
        expired, self._expired = self._expired, 0
        return acks, expired

    def _failed(self, acks: list[tuple[str, int]], expired: int) -> None:
        """A round trip failed: keep its acks for the next one and reconcile before fetching."""
        self._acks.extendleft(reversed(acks))
        self._expired += expired

    def _flush_acks(self) -> None:
        """Send pending acks now."""
        acks, expired = self._take_acks()
        if acks or expired:
            pipe = self.redis.pipeline(transaction=False)
            for queue, seq in acks:
                pipe.hdel(self.private[queue], str(seq))
            if expired:
                pipe.hincrby(self.keys.stats, "expired", expired)
            try:
                pipe.execute()
            except _REDIS_DOWN:
                self._failed(acks, expired)
                raise

    def _listed(self) -> list[tuple[str, str, str]]:
        """Every job in this process's in-progress hashes as (queue key, hash key, field)."""
        pipe = self.redis.pipeline(transaction=False)
        for key in self.private.values():
            pipe.hkeys(key)
        found = []
        for (queue, key), fields in zip(self.private.items(), pipe.execute(), strict=True):
            found += [(self.keys.queue(queue), key, field) for field in fields]
        return found

    def reconcile(self) -> int:
        """Push back the jobs of fetches whose reply was lost (they ran in Redis, but no
        thread got their jobs). Only their reserved sequence numbers can hold such jobs."""
        self._flush_acks()
        fields = [str(seq) for lost in self._lost for seq in reversed(lost)]
        strays = [(self.keys.queue(queue), key, field)
                  for queue, key in self.private.items() for field in fields]
        moved = self.scripts.requeue(strays)
        self._lost.clear()
        if moved:
            log.warning("pushed %d job(s) back to their queues after a Redis outage", moved)
        return moved


def _newest_first(job: tuple[str, str, str]) -> int:
    try:
        return -int(job[2])
    except ValueError:
        return 0
