"""Connecting a command to Redis with an error that says what to do."""

from __future__ import annotations

import redis

from workhorse.api import Inspector
from workhorse.client import Client
from workhorse.config import Settings
from workhorse.connection import check, connect, resolved
from workhorse.keys import Keys


def settings_for(redis_url: str | None, prefix: str) -> Settings:
    """Settings with the Redis URL resolved once (flag, env, localhost or embedded)."""
    return resolved(Settings.from_env(redis_url=redis_url, prefix=prefix))


def _checked(settings: Settings) -> redis.Redis:
    client = connect(settings)
    check(client, settings)
    return client


def open_inspector(redis_url: str | None, prefix: str) -> Inspector:
    """An :class:`Inspector` on a Redis that answered PING (else ``RedisUnavailable``)."""
    settings = settings_for(redis_url, prefix)
    return Inspector(_checked(settings), Keys(settings.prefix), settings)


def open_client(redis_url: str | None, prefix: str) -> Client:
    """A :class:`Client` on a Redis that answered PING, for plugin commands built on
    ``redis_options`` (the same URL resolution and errors as core's commands)."""
    settings = settings_for(redis_url, prefix)
    return Client(_checked(settings), settings)
