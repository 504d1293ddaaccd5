"""What the CLI and the dashboard show about reliable fetch."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import cast

import redis

from workhorse.client import Client, default_client
from workhorse.keys import Keys
from workhorse_pro.reliable.keys import ReliableKeys
from workhorse_pro.reliable.lease import registered_queues
from workhorse_pro.reliable.scripts import ReliableScripts


@dataclass(frozen=True, slots=True)
class ProcessLease:
    identity: str
    alive: bool
    lease_ms_left: int  # -2 when the lease is gone (recovery pending)
    in_progress: int


@dataclass(frozen=True, slots=True)
class ReliableStatus:
    processes: list[ProcessLease] = field(default_factory=list)
    recovered: int = 0
    poisoned: int = 0
    expired: int = 0
    paused: list[str] = field(default_factory=list)
    read_at: float = 0.0

    @property
    def in_progress(self) -> int:
        return sum(p.in_progress for p in self.processes)

    def as_dict(self) -> dict[str, object]:
        return {
            "in_progress": self.in_progress,
            "recovered": self.recovered,
            "poisoned": self.poisoned,
            "expired": self.expired,
            "paused": self.paused,
            "processes": [
                {
                    "identity": p.identity,
                    "alive": p.alive,
                    "lease_ms_left": p.lease_ms_left,
                    "in_progress": p.in_progress,
                }
                for p in self.processes
            ],
        }


def read_status(client: Client | None = None) -> ReliableStatus:
    c = client or default_client()
    return status_of(c.redis, c.keys)


def status_of(redis_client: redis.Redis, core_keys: Keys) -> ReliableStatus:
    """Reliable fetch's state in one Redis: leases, jobs in progress, recovery counters."""
    keys = ReliableKeys(core_keys)
    registered = cast(dict[str, str], redis_client.hgetall(keys.processes))
    hashes = {
        identity: [keys.in_progress(identity, q) for q in registered_queues(info)]
        for identity, info in registered.items()
    }
    pipe = redis_client.pipeline(transaction=False)
    for identity in registered:
        pipe.pttl(keys.lease(identity))
    pipe.hgetall(keys.stats)
    pipe.smembers(keys.paused)
    *ttls, stats, paused = pipe.execute()
    counts = iter(
        ReliableScripts(redis_client, keys).counts(
            [key for keys_of in hashes.values() for key in keys_of]
        )
    )
    processes = [
        ProcessLease(identity, int(ttl) > 0, int(ttl), sum(next(counts) for _ in keys_of))
        for (identity, keys_of), ttl in zip(hashes.items(), ttls, strict=True)
    ]
    return ReliableStatus(
        processes,
        int(stats.get("recovered", 0)),
        int(stats.get("poisoned", 0)),
        int(stats.get("expired", 0)),
        sorted(paused),
        time.time(),
    )


def unfinished_jobs(identity: str, queue: str, client: Client | None = None) -> list[str]:
    """The jobs ``identity`` took from ``queue`` and has not finished, oldest first."""
    c = client or default_client()
    keys = ReliableKeys(c.keys)
    return ReliableScripts(c.redis, keys).unfinished(keys.in_progress(identity, queue))
