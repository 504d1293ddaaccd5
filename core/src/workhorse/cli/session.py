"""Connecting a command to Redis with an error that says what to do."""

from __future__ import annotations

from workhorse.api import Inspector
from workhorse.config import Settings
from workhorse.connection import check, connect, resolve_url
from workhorse.keys import Keys


def settings_for(redis_url: str | None, prefix: str) -> Settings:
    """Settings with the Redis URL resolved once (flag, env, localhost or embedded)."""
    settings = Settings.from_env(redis_url=redis_url, prefix=prefix)
    return settings.with_changes(redis_url=resolve_url(settings.redis_url))


def open_inspector(redis_url: str | None, prefix: str) -> Inspector:
    """An :class:`Inspector` on a Redis that answered PING (else ``RedisUnavailable``)."""
    settings = settings_for(redis_url, prefix)
    client = connect(settings)
    check(client, settings.redis_url or "")
    return Inspector(client, Keys(settings.prefix), settings)
