"""Core's fetch strategy: pop jobs with weighted or strict queue order."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import redis
import redis.asyncio as aioredis

from workhorse import async_redis, quarantine
from workhorse.config import QueueWeight
from workhorse.dedicated import DedicatedConnection
from workhorse.keys import Keys
from workhorse.scripts import Scripts
from workhorse.types import UnitOfWork


class QueueOrder:
    """Strict priority (no weights) or weighted random order, as Sidekiq does it.

    Each queue appears as ``label(name)``: core's fetch pops queue keys, Pro's
    reliable fetch works with names. Calling it gives the order for one fetch.
    """

    def __init__(self, queues: Sequence[QueueWeight], label: Callable[[str], str] = str) -> None:
        self.strict = all(q.weight == 0 for q in queues)
        # Priority order; strict order returns this very list on every call.
        self.queues = [label(q.name) for q in queues]
        self._weighted = [label(q.name) for q in queues for _ in range(max(q.weight, 1))]

    def __call__(self) -> list[str]:
        if self.strict or len(self.queues) == 1:
            return self.queues
        pool = self._weighted[:]
        random.shuffle(pool)
        return list(dict.fromkeys(pool))


class BasicFetch:
    """Pop up to as many jobs as there are idle threads in one round trip; block when empty.

    A fetched job lives only in this process until it finishes, so a crash loses
    it (Sidekiq's trade-off). workhorse-pro replaces this with reliable fetch.
    """

    acknowledges = False  # see types.Fetcher: nothing is held back for a result write

    def __init__(self, client: redis.Redis, keys: Keys, queues: Sequence[QueueWeight]) -> None:
        self.redis = client
        self.keys = keys
        self.order = QueueOrder(queues, keys.queue)
        self.scripts = Scripts(client)
        # Only the fetch thread calls fetch(). Replies stay bytes, decoded job by job
        # (issue 17: one job that is not UTF-8 used to fail the whole reply, after
        # every job in it had left Redis).
        self._send = DedicatedConnection(client, decode=False)

    def fetch(self, max_jobs: int, timeout: float) -> list[UnitOfWork[None]]:
        return self.pop_now(max_jobs) or self.pop_waiting(timeout)

    # types.SplitFetcher: the executor may run the two halves of fetch() on two threads
    # (never at once: one waits for the other), so the connection still has one user.
    def pop_now(self, max_jobs: int) -> list[UnitOfWork[None]]:
        return self._pop_now(self.order(), max_jobs)

    def pop_waiting(self, timeout: float) -> list[UnitOfWork[None]]:
        return self._blocked(self._send("BRPOP", *self.order(), max(1, round(timeout))))

    def _pop_now(self, queue_keys: list[str], max_jobs: int) -> list[UnitOfWork[None]]:
        if len(queue_keys) == 1:
            popped = cast(list[bytes], self._send("RPOP", queue_keys[0], max_jobs) or [])
            return quarantine.units(self.keys.queue_name(queue_keys[0]), popped)
        return self._from_pairs(self.scripts.fetch_many(queue_keys, max_jobs, self._send))

    def _from_pairs(self, pairs: list[tuple[str, bytes]]) -> list[UnitOfWork[None]]:
        """Units of (queue key, job) pairs, as the fetch_many script pops them."""
        return [quarantine.unit(self.keys.queue_name(key), raw, None) for key, raw in pairs]

    def _blocked(self, popped: object) -> list[UnitOfWork[None]]:
        """The unit a blocking pop's reply holds ((key, job), or none if it timed out)."""
        if not popped:
            return []
        key, raw = cast(list[bytes], popped)
        return [quarantine.unit(self.keys.queue_name(key.decode()), raw, None)]

    def on_loop(self) -> LoopFetch | None:
        """The same fetch over a ``redis.asyncio`` client of its own, for the async lane
        to fetch on its event loop (``AsyncLane.fetch_here``); None if this client's
        connections have no async twin (Sentinel's, a cluster client), or for a subclass
        that fetches its own way (its jobs must not be popped by this one)."""
        if type(self).fetch is not BasicFetch.fetch or not isinstance(self.redis, redis.Redis):
            return None
        try:
            return LoopFetch(self, async_redis.like(self.redis, decode=False))
        except RuntimeError:
            return None

    async def fetch_async(
        self, client: aioredis.Redis, max_jobs: int, timeout: float
    ) -> list[UnitOfWork[None]]:
        """:meth:`fetch` over ``client``, awaited on its event loop."""
        queue_keys = self.order()
        send = cast(Callable[..., Awaitable[Any]], client.execute_command)  # untyped upstream
        if len(queue_keys) == 1:
            popped = await send("RPOP", queue_keys[0], max_jobs)
            units = quarantine.units(self.keys.queue_name(queue_keys[0]), popped or [])
        else:
            units = self._from_pairs(
                await self.scripts.fetch_many_async(queue_keys, max_jobs, client)
            )
        if units:
            return units
        return self._blocked(await send("BRPOP", *queue_keys, max(1, round(timeout))))

    def acknowledge(self, unit: UnitOfWork[None]) -> None:  # noqa: ARG002
        return None  # nothing to do: the job left Redis when it was popped

    def requeue(self, units: Sequence[UnitOfWork[None]]) -> None:
        # RPUSH the last-fetched first, so the first-fetched ends up next in line; each
        # exactly as it was stored, bytes that are not UTF-8 included.
        self.scripts.requeue_front([(self.keys.queue(u.queue), u.stored) for u in reversed(units)])

    def close(self) -> None:
        self._send.close()


class LoopFetch:
    """A fetcher's pops awaited on an event loop, over a client of their own (one
    connection: the lane's fetch is one command at a time)."""

    def __init__(self, fetcher: BasicFetch, client: aioredis.Redis) -> None:
        self._fetcher = fetcher
        self._client = client

    async def fetch(self, max_jobs: int, timeout: float) -> list[UnitOfWork[None]]:
        return await self._fetcher.fetch_async(self._client, max_jobs, timeout)

    async def close(self) -> None:
        await self._client.aclose()
