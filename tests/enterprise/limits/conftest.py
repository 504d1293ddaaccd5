"""Fixtures for the rate-limiting tests: an Enterprise license, a client, in-process workers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis
from support.licenses import licensed

from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess


@pytest.fixture
def enterprise() -> Iterator[None]:
    """This process holds a valid Enterprise license for the test."""
    with licensed(("enterprise",)):
        yield


@pytest.fixture
def rc(wh_client: Client) -> redis.Redis:
    """The default client's Redis (decoded strings)."""
    return wh_client.redis


@pytest.fixture
def start_worker(
    start_worker: Callable[..., WorkerProcess], enterprise: None
) -> Callable[..., WorkerProcess]:
    """The root factory, inside an Enterprise license."""
    return start_worker
