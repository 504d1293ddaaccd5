"""The leader lease in Redis: ``SET NX PX`` to take it, Lua to renew and release it.

The key is ``dear-leader`` (under the key prefix) holding the leader's process
identity, which is where Sidekiq Enterprise keeps it, so either dashboard can
show the leader of a shared Redis.
"""

from __future__ import annotations

import redis
from redis.commands.core import Script

from workhorse.keys import Keys
from workhorse.scripts import source

LEADER_KEY = "dear-leader"
_PACKAGE = "workhorse_enterprise.leader"


def leader_key(keys: Keys) -> str:
    return keys.key(LEADER_KEY)


def current_leader(client: redis.Redis, keys: Keys | None = None) -> str | None:
    """The identity of the current leader, or None if no process holds the lease."""
    value = client.get(leader_key(keys or Keys()))
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


class Lease:
    """One process's handle on the lease; safe to call from one thread at a time."""

    def __init__(self, client: redis.Redis, keys: Keys, identity: str, ttl: float) -> None:
        self.client = client
        self.key = leader_key(keys)
        self.identity = identity
        self.ttl_ms = max(1, int(ttl * 1000))
        self._renew: Script = client.register_script(source("renew", _PACKAGE))
        self._release: Script = client.register_script(source("release", _PACKAGE))

    def acquire(self) -> bool:
        """Take the lease if it is free, or keep it if already ours (e.g. after a Redis restart)."""
        if self.client.set(self.key, self.identity, nx=True, px=self.ttl_ms):
            return True
        return self.renew()

    def renew(self) -> bool:
        return bool(self._renew(keys=[self.key], args=[self.identity, self.ttl_ms]))

    def release(self) -> bool:
        return bool(self._release(keys=[self.key], args=[self.identity]))

    def remaining(self) -> float:
        """Seconds until the current lease (anyone's) expires; 0 if none."""
        pttl = int(self.client.pttl(self.key))
        return max(0.0, pttl / 1000.0)
