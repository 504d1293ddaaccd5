"""Fixtures for periodic jobs and leader election: a license, clients, electors, workers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis
from support.licenses import licensed

from workhorse.client import Client
from workhorse.config import Settings
from workhorse.keys import Keys
from workhorse.worker.launcher import WorkerProcess
from workhorse_enterprise.leader import LeaderConfig, LeaderElector
from workhorse_enterprise.periodic import registry

FAST = LeaderConfig(lease=1.0, renew_every=0.3, retry_every=0.2)


@pytest.fixture
def enterprise() -> Iterator[None]:
    """This process holds a valid Enterprise license for the test."""
    with licensed(("enterprise",)):
        yield


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """Each test registers its own periodic entries."""
    registry.clear()
    yield
    registry.clear()


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return Settings(
        redis_url=redis_url,
        fetch_timeout=1.0,
        shutdown_timeout=2.0,
        heartbeat_interval=0.5,
        poll_interval=0.1,
        extras={"leader_lease": 1.0, "leader_renew": 0.3, "leader_retry": 0.2},
    )


@pytest.fixture
def rc(wh_client: Client) -> redis.Redis:
    return wh_client.redis


@pytest.fixture
def make_elector(rc: redis.Redis) -> Iterator[Callable[..., LeaderElector]]:
    """Start electors (each a would-be worker process) on this test's Redis; stopped after."""
    started: list[LeaderElector] = []

    def make(
        identity: str, config: LeaderConfig = FAST, start: bool = True, keys: Keys | None = None
    ) -> LeaderElector:
        elector = LeaderElector(rc, keys or Keys(), identity, config)
        if start:
            elector.start()
        started.append(elector)
        return elector

    yield make
    for elector in started:
        elector.stop(2.0)


@pytest.fixture
def start_worker(
    start_worker: Callable[..., WorkerProcess], enterprise: None
) -> Callable[..., WorkerProcess]:
    """The root factory, inside an Enterprise license."""
    return start_worker
