"""An in-process worker factory for engine tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from workhorse import client as client_module
from workhorse.client import Client
from workhorse.config import Settings, parse_queues
from workhorse.worker.launcher import WorkerProcess


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
def wh_client(settings: Settings) -> Iterator[Client]:
    """The default client (what perform_async uses) pointed at this test's database."""
    c = Client(settings=settings)
    previous = client_module.set_default_client(c)
    yield c
    client_module.set_default_client(previous)


@pytest.fixture
def start_worker(settings: Settings, wh_client: Client) -> Iterator[Callable[..., WorkerProcess]]:
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
