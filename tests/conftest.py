"""Session-wide fixtures: one private Redis for the whole run, a database per test."""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from support import lifetime, redis_server
from support.processes import stop
from support.waiting import wait_for

from workhorse import client as client_module
from workhorse.client import Client
from workhorse.config import Settings, parse_queues
from workhorse.worker.launcher import WorkerProcess

_db_numbers = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):  # a worker of `pytest -n N` (tests/run.py)
        lifetime.end_with_parent()


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


@pytest.fixture
def settings(redis_url: str) -> Settings:
    """Worker settings tuned for tests: short fetch blocks, fast beats and polls.

    Directories override this fixture to add their plugin's extras.
    """
    return Settings(
        redis_url=redis_url,
        fetch_timeout=1.0,
        shutdown_timeout=2.0,
        heartbeat_interval=0.5,
        poll_interval=0.1,
    )


@pytest.fixture
def wh_client(settings: Settings) -> Iterator[Client]:
    """The default client (what perform_async uses) pointed at this test's database."""
    c = Client(settings=settings)
    previous = client_module.set_default_client(c)
    yield c
    client_module.set_default_client(previous)


@pytest.fixture
def start_worker(settings: Settings, wh_client: Client) -> Iterator[Callable[..., WorkerProcess]]:
    """``start_worker(queues, **setting_changes)``: an in-process worker, stopped after the test."""
    started: list[WorkerProcess] = []

    def start(queues: tuple[str, ...] = ("default",), **changes: Any) -> WorkerProcess:
        worker = WorkerProcess(settings.with_changes(queues=parse_queues(queues), **changes))
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if not worker.stopped.is_set():
            worker.stop()
            worker.shutdown()
    client_module.set_default_client(wh_client)


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Subprocesses a test starts; each is stopped (SIGTERM, then SIGKILL after 10 s) and
    reaped after it. Not SIGKILL at once: a supervisor killed so leaves its children running."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        stop(p, 10)
