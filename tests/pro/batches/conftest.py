"""Fixtures for the batch tests: a licensed process, a default client, in-process
workers, real worker subprocesses, and a clock that makes retries due at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from batch_support import RetryClock, Workers
from support.licenses import licensed

from workhorse.config import Settings
from workhorse.keys import Keys


@pytest.fixture(autouse=True)
def pro_license() -> Iterator[None]:
    """Every batch test runs with a valid Pro license unless it leaves this block itself."""
    with licensed(("pro",)):
        yield


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return Settings(
        redis_url=redis_url,
        fetch_timeout=1.0,
        shutdown_timeout=2.0,
        heartbeat_interval=0.5,
        poll_interval=0.05,
    )


@pytest.fixture
def fast_retries(r: redis.Redis, settings: Settings) -> Iterator[RetryClock]:
    clock = RetryClock(r, Keys(settings.prefix))
    clock.thread.start()
    yield clock
    clock.stop.set()
    clock.thread.join(5)


@pytest.fixture
def workers(redis_url: str, r: redis.Redis) -> Iterator[Workers]:
    found = Workers(redis_url, r)
    yield found
    found.reap()
