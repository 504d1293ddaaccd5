"""Unique jobs on a real 3-master Redis Cluster with a hash-tagged prefix: the lock, the
push, the release by a worker and by the API, the listing and clearing of locks.
A CROSSSLOT (or any) error fails the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import cluster_servers
from support.licenses import licensed
from support.waiting import wait_for

import workhorse
from workhorse.api import Inspector
from workhorse.client import Client, default_client, set_default_client
from workhorse.connection import connect
from workhorse.keys import Keys
from workhorse.worker.launcher import WorkerProcess
from workhorse_enterprise import unique

PREFIX = "{wh}"


@workhorse.job(name="cluster.unique_note", unique_for=600)
def note(tag: str) -> None:
    default_client().redis.rpush(f"{PREFIX}test:noted", tag)


@workhorse.job(name="cluster.unique_secret", unique_for=600, encrypt=True)
def secret(tag: str, pin: str) -> None:
    default_client().redis.rpush(f"{PREFIX}test:noted", tag)


@pytest.fixture
def cluster_client(
    cluster: cluster_servers.Cluster, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Client]:
    monkeypatch.setenv("WORKHORSE_ENCRYPTION_KEYS", "1:" + "A" * 43 + "=")
    settings = cluster_servers.fast_settings(cluster, PREFIX)
    connect(settings).flushall()
    with licensed(("pro", "enterprise")):
        client = Client(settings=settings)
        previous = set_default_client(client)
        try:
            yield client
        finally:
            set_default_client(previous)


def test_unique_pushes_releases_and_lock_admin_work_on_a_cluster(cluster_client: Client) -> None:
    r, keys = cluster_client.redis, Keys(PREFIX)
    first = note.perform_async("a")
    assert first is not None and note.perform_async("a") is None
    assert note.perform_in(300, "s") is not None and note.perform_in(300, "s") is None
    assert secret.perform_async("e", "0420") is not None
    assert secret.perform_async("e", "0420") is None
    assert note.perform_bulk([("b",), ("b",)])[1] is None
    held = unique.held(r, keys)
    assert len(held) == 4 and first in {lock.jid for lock in held}
    assert all(r.exists(unique.locks.lock_key(keys, lock.digest)) for lock in held)

    api = Inspector(r, keys, cluster_client.settings)
    assert api.scheduled.delete_all() == 1  # the API's release, through the removal hook
    assert note.perform_in(300, "s") is not None

    worker = WorkerProcess(cluster_client.settings)
    worker.start()
    try:
        wait_for(lambda: r.llen(f"{PREFIX}test:noted") == 3, "the three queued jobs", 30)
        wait_for(lambda: len(unique.held(r, keys)) == 1, "their locks to be released", 30)
    finally:
        worker.stop()
        worker.shutdown()
    assert note.perform_async("a") is not None  # released by the run
    assert unique.clear_all(r, keys) == 2 and unique.held(r, keys) == []
    assert api.queues["default"].clear() == 1
    assert r.keys(f"{PREFIX}*removing*") == []
