"""Dashboard fixtures: an app over this test's Redis database, a client that speaks CSRF."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from starlette.applications import Starlette
from web_client import DashboardClient

from workhorse.api import Inspector
from workhorse.config import Settings
from workhorse.connection import connect
from workhorse.keys import Keys
from workhorse.web import create_app


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return Settings(
        redis_url=redis_url,
        fetch_timeout=1.0,
        shutdown_timeout=2.0,
        heartbeat_interval=0.5,
        poll_interval=0.1,
    )


@pytest.fixture
def inspector(settings: Settings, keys: Keys) -> Iterator[Inspector]:
    client = connect(settings)
    yield Inspector(client, keys, settings)
    client.close()


@pytest.fixture
def make_app(inspector: Inspector) -> Callable[..., Starlette]:
    def make(**options: Any) -> Starlette:
        options.setdefault("tabs", [])
        return create_app(inspector, **options)

    return make


@pytest.fixture
def client(make_app: Callable[..., Starlette]) -> Iterator[DashboardClient]:
    with DashboardClient(make_app()) as c:
        yield c


@pytest.fixture
def rr(inspector: Inspector) -> redis.Redis:
    """The dashboard's own Redis client (decoded strings)."""
    return inspector.redis
