"""Spreading queues over several independent Redis servers.

Each queue lives on exactly one shard, chosen by an explicit map or else by
consistent hashing of its name, so adding a shard moves only about 1/N of the
queues. A job's queue decides its shard; its scheduled and retry entries stay
on that shard too, where that shard's workers' pollers move them.

>>> shards = Shards({"a": "redis://r1:6379/0", "b": "redis://r2:6379/0"},
...                 routes={"critical": "a"})                  # doctest: +SKIP
>>> workhorse.client.set_default_client(ShardedClient(shards))  # doctest: +SKIP
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

import redis

from workhorse.client import Client
from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.types import JobPayload

VIRTUAL_NODES = 160


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class Shards:
    """Named Redis URLs plus the rule that maps a queue to one of them."""

    def __init__(self, urls: Mapping[str, str], routes: Mapping[str, str] | None = None) -> None:
        if not urls:
            raise ConfigError("sharding needs at least one Redis URL")
        self.urls = dict(urls)
        self.routes = dict(routes or {})
        unknown = sorted(set(self.routes.values()) - set(self.urls))
        if unknown:
            raise ConfigError(
                f"queue routes name unknown shard(s) {', '.join(unknown)}; "
                f"known shards: {', '.join(self.urls)}"
            )
        ring = sorted(
            (_hash(f"{name}#{i}"), name) for name in self.urls for i in range(VIRTUAL_NODES)
        )
        self._points = [point for point, _ in ring]
        self._owners = [name for _, name in ring]

    @classmethod
    def from_urls(cls, urls: Sequence[str], routes: Mapping[str, str] | None = None) -> Shards:
        """Shards named ``shard0``, ``shard1``... in the given order."""
        return cls({f"shard{i}": url for i, url in enumerate(urls)}, routes)

    def shard_for(self, queue: str) -> str:
        routed = self.routes.get(queue)
        if routed is not None:
            return routed
        index = bisect.bisect(self._points, _hash(queue)) % len(self._points)
        return self._owners[index]

    def queues_on(self, shard: str, queues: Sequence[str]) -> list[str]:
        return [q for q in queues if self.shard_for(q) == shard]


class ShardedClient(Client):
    """A client that sends each job to the shard that owns its queue."""

    def __init__(self, shards: Shards, settings: Settings | None = None) -> None:
        super().__init__(settings=settings)
        self.shards = shards
        self.clients = {
            name: Client(settings=self.settings.with_changes(redis_url=url), middleware=[])
            for name, url in shards.urls.items()
        }

    @property
    def redis(self) -> redis.Redis:
        """The first shard (for callers that need *a* connection, e.g. job recorders)."""
        return next(iter(self.clients.values())).redis

    def client_for(self, queue: str) -> Client:
        return self.clients[self.shards.shard_for(queue)]

    def target_for(self, job: JobPayload) -> Client:
        return self.client_for(str(cast(dict[str, Any], job).get("queue", "default")))

    def write(self, jobs: Sequence[JobPayload], *, atomic: bool = False) -> None:
        """Write jobs to their shards; ``atomic`` holds per shard, not across shards."""
        by_shard: dict[str, list[JobPayload]] = {}
        for job in jobs:
            queue = str(cast(dict[str, Any], job).get("queue", "default"))
            by_shard.setdefault(self.shards.shard_for(queue), []).append(job)
        for name, shard_jobs in by_shard.items():
            self.clients[name].write(shard_jobs, atomic=atomic)
