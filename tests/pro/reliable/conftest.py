"""Fixtures for reliable-fetch tests: licensed in-process workers and real worker processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from reliable_support import Workers
from support.licenses import licensed

from workhorse.config import Settings
from workhorse.worker.launcher import WorkerProcess

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
    return Settings(
        redis_url=redis_url,
        fetch_timeout=1.0,
        shutdown_timeout=2.0,
        heartbeat_interval=0.5,
        poll_interval=0.1,
        extras=dict(FAST),
    )


@pytest.fixture
def workers(redis_url: str, tmp_path: Path) -> Iterator[Workers]:
    group = Workers(redis_url, tmp_path)
    yield group
    group.stop_all()


@pytest.fixture
def start_worker(start_worker: Callable[..., WorkerProcess]) -> Callable[..., WorkerProcess]:
    """The root factory, with this directory's jobs registered (licensed only inside
    a ``pro_license`` test)."""
    import reliable_jobs  # noqa: F401 - registers the jobs

    return start_worker
