"""Session-wide fixtures: one private Redis for the whole run, a database per test."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).parent))

import redis_server
from support.waiting import wait_for

_db_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def redis_srv() -> Iterator[redis_server.RedisServer]:
    server = redis_server.start()
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("WORKHORSE_REDIS_URL", None)
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_srv: redis_server.RedisServer) -> str:
    """A URL to an empty database of the private server, unique to this test."""
    db = next(_db_numbers)
    url = redis_srv.url(db)
    redis.Redis.from_url(url).flushdb()  # our private server only
    return url


@pytest.fixture
def r(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def waiter() -> Callable[..., object]:
    return wait_for
