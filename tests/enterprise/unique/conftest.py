"""Fixtures for unique jobs and encrypted arguments: an Enterprise license, keys, workers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis
import unique_jobs  # noqa: F401 - registers the test jobs
from support.licenses import licensed
from unique_keys import KEY_1, KEY_2  # noqa: F401 - re-exported for older imports

from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess


@pytest.fixture
def enterprise() -> Iterator[None]:
    with licensed(("pro", "enterprise")):
        yield


@pytest.fixture
def keys_v1(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WORKHORSE_ENCRYPTION_KEYS", KEY_1)
    return KEY_1


@pytest.fixture
def rc(wh_client: Client) -> redis.Redis:
    return wh_client.redis


@pytest.fixture
def uclient(enterprise: None, keys_v1: str, wh_client: Client) -> Client:
    """A client built inside the license (its middleware is chosen at construction)."""
    from workhorse import client as client_module

    c = Client(settings=wh_client.settings)
    client_module.set_default_client(c)
    return c


@pytest.fixture
def start_worker(
    start_worker: Callable[..., WorkerProcess], uclient: Client
) -> Callable[..., WorkerProcess]:
    return start_worker
