"""A unique job removed by an operator (API, CLI, dashboard) gives its lock up at once.

Core fires ``workhorse_jobs_removed`` after a deletion, clear or kill; Enterprise
releases the removed jobs' locks there.
"""

from __future__ import annotations

import json

import pytest
import redis
import unique_jobs as jobs

from workhorse.api import Inspector
from workhorse.keys import Keys

pytestmark = pytest.mark.usefixtures("uclient")


def locks(rc: redis.Redis) -> set[str]:
    return {rc.get(key) for key in rc.keys("unique:*")}


@pytest.fixture
def api(rc: redis.Redis) -> Inspector:
    return Inspector(rc, Keys())


def test_deleting_a_queued_job_releases_its_lock(rc: redis.Redis, api: Inspector) -> None:
    jid = jobs.record.perform_async("a")
    queue = api.queues["default"]
    record = queue.find(str(jid))
    assert record is not None and queue.delete(record)
    assert locks(rc) == set()
    assert jobs.record.perform_async("a") is not None


@pytest.mark.parametrize("how", ["delete", "kill", "delete_all", "kill_all"])
def test_removing_a_scheduled_job_releases_its_lock(
    rc: redis.Redis, api: Inspector, how: str
) -> None:
    jid = jobs.record.perform_in(600, "a")
    other = jobs.record.perform_in(600, "b")
    record = api.scheduled.find(str(jid))
    assert record is not None
    if how in ("delete", "kill"):
        assert getattr(api.scheduled, how)(record)
        assert locks(rc) == {other}
    else:
        assert getattr(api.scheduled, how)() == 2
        assert locks(rc) == set()
    assert jobs.record.perform_async("a") is not None


def test_clearing_a_queue_releases_every_lock_and_skips_garbage(
    rc: redis.Redis, api: Inspector
) -> None:
    rc.lpush(
        "queue:default",
        b"\xff\xfe not json",
        "[]",
        json.dumps(
            {"class": "u.record", "args": ["x"], "jid": "f" * 24, "unique_digest": "../../x"}
        ),
    )
    pushed = [jobs.record.perform_async(str(n)) for n in range(2500)]  # three chunks
    assert None not in pushed and len(locks(rc)) == 2500
    assert api.queues["default"].clear() == 2503
    assert locks(rc) == set() and rc.llen("queue:default") == 0
    assert not rc.keys("*removing*")  # the set-aside copy is gone too
    assert "default" not in rc.smembers("queues")


def test_a_lock_held_by_a_newer_job_survives_deleting_an_old_copy(
    rc: redis.Redis, api: Inspector
) -> None:
    jid = jobs.record.perform_async("a")
    (key,) = rc.keys("unique:*")
    rc.set(key, "n" * 24)  # the lock expired and a newer push took it
    record = api.queues["default"].find(str(jid))
    assert record is not None and api.queues["default"].delete(record)
    assert locks(rc) == {"n" * 24}


def test_deleting_from_the_retry_set_releases_the_lock(rc: redis.Redis, api: Inspector) -> None:
    jid = jobs.record.perform_async("a")
    raw = rc.rpop("queue:default")
    rc.zadd("retry", {raw: 1})  # as if it had failed and waits for its retry
    record = api.retries.find(str(jid))
    assert record is not None and api.retries.delete(record)
    assert locks(rc) == set()
