"""``workhorse_jobs_removed``: plugins hear of every job an operator deletes, clears or kills."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from support.removals import RemovalListener, listening_for_removals

from workhorse import plugins
from workhorse.api import Inspector
from workhorse.hookspecs import hookimpl


@pytest.fixture
def listener() -> Iterator[RemovalListener]:
    with listening_for_removals() as plugin:
        yield plugin


@pytest.fixture
def api(redis_url: str) -> Inspector:
    return Inspector.from_url(redis_url)


def job(jid: str, **fields: Any) -> str:
    return json.dumps({"class": "HardJob", "args": [], "jid": jid, "queue": "default", **fields})


def test_a_deleted_job_is_announced_once_and_a_vanished_one_not_at_all(
    api: Inspector, r: redis.Redis, listener: RemovalListener
) -> None:
    r.lpush("queue:default", job("a" * 24))
    (record,) = api.queues["default"].page()
    assert api.queues["default"].delete(record)
    assert not api.queues["default"].delete(record)  # already gone: nothing to announce
    assert listener.heard == [("deleted", ["a" * 24])]


def test_killing_and_clearing_sets_are_announced_with_their_reason(
    api: Inspector, r: redis.Redis, listener: RemovalListener
) -> None:
    r.zadd("schedule", {job("k" * 24): 1, job("c" * 24): 2})
    (first, _) = api.scheduled.page()
    assert api.scheduled.kill(first)
    assert api.dead.delete_all() == 1
    assert api.scheduled.delete_all() == 1
    assert listener.heard == [
        ("killed", ["k" * 24]),
        ("cleared", ["k" * 24]),
        ("cleared", ["c" * 24]),
    ]


def test_clearing_reads_in_chunks_skips_garbage_and_leaves_nothing_aside(
    api: Inspector, r: redis.Redis, listener: RemovalListener
) -> None:
    r.lpush("queue:big", b"\xff\x00 not a job", "[1]", *(job(f"{n:024x}") for n in range(2100)))
    r.sadd("queues", "big")
    assert api.queues["big"].clear() == 2102
    assert [len(jids) for _, jids in listener.heard] == [1000, 1000, 100]
    assert r.keys("*removing*") == []
    assert not r.exists("queue:big") and not r.sismember("queues", "big")


def test_a_failing_listener_is_logged_and_the_removal_stands(
    api: Inspector, r: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        @hookimpl
        def workhorse_jobs_removed(self) -> None:
            raise RuntimeError("plugin bug")

    plugin = Broken()
    plugins.register(plugin, name="test-broken-removals")
    try:
        r.lpush("queue:default", job("b" * 24))
        assert api.queues["default"].clear() == 1
    finally:
        plugins.unregister(plugin)
    assert r.llen("queue:default") == 0 and "plugin bug" in caplog.text


def test_clearing_an_empty_queue_with_a_listener_is_zero_and_harmless(
    api: Inspector, r: redis.Redis, listener: RemovalListener
) -> None:
    assert api.queues["nothing"].clear() == 0 and api.dead.delete_all() == 0
    assert listener.heard == [] and r.keys("*removing*") == []
