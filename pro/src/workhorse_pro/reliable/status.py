"""What the CLI and the dashboard show about reliable fetch."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import cast

from workhorse.client import Client, default_client
from workhorse_pro.reliable.keys import ReliableKeys
from workhorse_pro.reliable.lease import registered_queues


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
            "in_progress": self.in_progress, "recovered": self.recovered,
            "poisoned": self.poisoned, "expired": self.expired, "paused": self.paused,
            "processes": [
                {"identity": p.identity, "alive": p.alive, "lease_ms_left": p.lease_ms_left,
                 "in_progress": p.in_progress} for p in self.processes
            ],
        }


def read_status(client: Client | None = None) -> ReliableStatus:
    c = client or default_client()
    keys = ReliableKeys(c.keys)
    registered = cast(dict[str, str], c.redis.hgetall(keys.processes))
    pipe = c.redis.pipeline(transaction=False)
    for identity, info in registered.items():
        pipe.pttl(keys.lease(identity))
        for queue in registered_queues(info):
            pipe.hlen(keys.in_progress(identity, queue))
    pipe.hgetall(keys.stats)
    pipe.smembers(keys.paused)
    results = pipe.execute()
    processes = []
    at = 0
    for identity, info in registered.items():
        ttl = int(results[at])
        count = len(registered_queues(info))
        in_progress = sum(int(n) for n in results[at + 1 : at + 1 + count])
        at += 1 + count
        processes.append(ProcessLease(identity, ttl > 0, ttl, in_progress))
    stats: dict[str, str] = results[at]
    return ReliableStatus(
        processes, int(stats.get("recovered", 0)), int(stats.get("poisoned", 0)),
        int(stats.get("expired", 0)), sorted(results[at + 1]), time.time(),
    )
