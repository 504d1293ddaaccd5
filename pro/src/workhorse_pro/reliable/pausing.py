"""Pause and unpause queues cluster-wide.

A paused queue name is a member of the ``paused`` set (the key Sidekiq Pro uses,
which Sidekiq's own dashboard reads). Pushes are still accepted; every
reliable-fetch process checks the set inside each fetch script, so no job of a
paused queue starts once ``pause`` returned (well within issue 7's 1 s).
"""

from __future__ import annotations

from typing import cast

from workhorse.client import Client, default_client
from workhorse_pro.license_gate import RELIABLE_FETCH


def pause(queue: str, client: Client | None = None) -> bool:
    """Stop every worker taking jobs from ``queue``; True if it was not paused before."""
    RELIABLE_FETCH.require()
    c = client or default_client()
    return bool(c.redis.sadd(c.keys.paused, _checked(queue)))


def unpause(queue: str, client: Client | None = None) -> bool:
    """Let workers take jobs from ``queue`` again; True if it was paused."""
    RELIABLE_FETCH.require()
    c = client or default_client()
    return bool(c.redis.srem(c.keys.paused, _checked(queue)))


def paused_queues(client: Client | None = None) -> set[str]:
    c = client or default_client()
    return cast(set[str], c.redis.smembers(c.keys.paused))


def _checked(queue: str) -> str:
    if not isinstance(queue, str) or not queue:
        from workhorse.errors import ConfigError

        raise ConfigError(f"queue must be a non-empty name, got {queue!r}")
    return queue
