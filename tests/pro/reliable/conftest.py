"""Fixtures for reliable-fetch tests: licensed in-process workers and real worker processes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.licenses import licensed

from workhorse import client as client_module
from workhorse.client import Client
from workhorse.config import Settings, parse_queues
from workhorse.worker.launcher import WorkerProcess

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from reliable_support import Workers  # noqa: E402

FAST = {
    "reliable_lease": 1.5,
    "reliable_recovery_interval": 0.3,
}


@pytest.fixture
def pro_license() -> Iterator[str]:
    with licensed(("pro",)) as token:
        yield token


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return Settings(redis_url=redis_url, fetch_timeout=1.0, shutdown_timeout=2.0,
                    heartbeat_interval=0.5, poll_interval=0.1, extras=dict(FAST))


@pytest.fixture
def wh_client(settings: Settings) -> Iterator[Client]:
    c = Client(settings=settings)
    previous = client_module.set_default_client(c)
    yield c
    client_module.set_default_client(previous)


@pytest.fixture
def start_worker(settings: Settings, wh_client: Client) -> Iterator[Callable[..., WorkerProcess]]:
    """In-process worker factory (licensed only inside a ``pro_license`` test)."""
    import reliable_jobs  # noqa: F401 - registers the jobs

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


@pytest.fixture
def workers(redis_url: str, tmp_path: Path) -> Iterator[Workers]:
    group = Workers(redis_url, tmp_path)
    yield group
    group.stop_all()
