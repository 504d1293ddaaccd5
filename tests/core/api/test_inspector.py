"""``workhorse.api.Inspector``: what the CLI and dashboard read and do, on a real Redis."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import pytest
import redis

from workhorse import payload
from workhorse.api import Inspector
from workhorse.config import Settings
from workhorse.keys import Keys


@pytest.fixture
def api(redis_url: str) -> Inspector:
    return Inspector.from_url(redis_url)


def job(n: int = 0, **fields: Any) -> dict[str, Any]:
    return {
        "class": "HardJob",
        "args": [n],
        "jid": payload.new_jid(),
        "queue": "default",
        "enqueued_at": int(time.time() * 1000) - 5000,
        **fields,
    }


def test_queue_size_latency_and_run_order(api: Inspector, r: redis.Redis) -> None:
    r.lpush("queue:default", *(json.dumps(job(n)) for n in range(3)))
    r.sadd("queues", "default")
    queue = api.queues["default"]
    assert queue.size() == 3 and 4 < queue.latency() < 60
    assert [rec.args[0] for rec in queue.page(0, 2)] == [0, 1]
    [summary] = api.queues.summaries()
    assert (summary.name, summary.size) == ("default", 3)


def test_queue_iteration_is_paged_and_covers_every_job(api: Inspector, r: redis.Redis) -> None:
    r.lpush("queue:big", *(json.dumps(job(n)) for n in range(250)))
    assert [rec.args[0] for rec in api.queues["big"]] == list(range(250))


def test_deleting_uses_the_exact_stored_bytes(api: Inspector, r: redis.Redis) -> None:
    original = job(1)
    r.lpush("queue:default", json.dumps(original))
    record = api.queues["default"].find(original["jid"])
    assert record is not None
    # Someone changes the job between our read and our delete: their version survives.
    r.lset("queue:default", 0, json.dumps({**original, "note": "changed"}))
    assert not api.queues["default"].delete(record)
    assert r.llen("queue:default") == 1
    assert api.queues["default"].delete_jid(original["jid"])
    assert r.llen("queue:default") == 0


def test_sorted_set_delete_does_not_clobber_a_concurrent_change(
    api: Inspector, r: redis.Redis
) -> None:
    item = job(1, retry_count=0)
    r.zadd("retry", {json.dumps(item): 100})
    record = api.retries.find(item["jid"])
    assert record is not None
    r.zrem("retry", record.raw)
    r.zadd("retry", {json.dumps({**item, "retry_count": 1}): 200})
    assert not api.retries.delete(record)
    assert api.retries.size() == 1


def test_retry_now_pushes_to_the_queue_without_using_up_a_retry(
    api: Inspector, r: redis.Redis
) -> None:
    item = job(1, retry_count=2, queue="critical")
    r.zadd("retry", {json.dumps(item): time.time() + 3600})
    record = api.retries.find(item["jid"])
    assert record is not None and api.retries.retry_now(record)
    [raw] = r.lrange("queue:critical", 0, -1)
    assert json.loads(raw)["retry_count"] == 1
    assert "critical" in r.smembers("queues")


def test_kill_moves_to_dead_with_an_explanation(api: Inspector, r: redis.Redis) -> None:
    item = job(1)
    r.zadd("schedule", {json.dumps(item): time.time() + 60})
    record = api.scheduled.find(item["jid"])
    assert record is not None and api.scheduled.kill(record)
    [dead] = api.dead.page()
    assert dead.jid == item["jid"] and dead.error_class == "workhorse.Killed"


def test_bulk_retry_all_moves_every_job_in_pages(api: Inspector, r: redis.Redis) -> None:
    r.zadd("retry", {json.dumps(job(n, retry_count=0)): 1000 + n for n in range(230)})
    assert api.retries.retry_all() == 230
    assert r.llen("queue:default") == 230 and api.retries.size() == 0


def test_search_and_get_by_row_key(api: Inspector, r: redis.Redis) -> None:
    needle = job(7, error_message="card declined")
    r.zadd("dead", {json.dumps(needle): 1234.5, json.dumps(job(8)): 1300})
    [found] = api.dead.search("declined")
    assert found.jid == needle["jid"]
    assert api.dead.get(found.key) == found


def test_stats_summary_and_daily_history(api: Inspector, r: redis.Redis) -> None:
    r.set("stat:processed", 10)
    r.set("stat:failed", 2)
    r.set("stat:processed:2030-01-02", 7)
    summary = api.stats.summary()
    assert (summary.processed, summary.failed) == (10, 2)
    history = api.stats.history(days=2, end=date(2030, 1, 2))
    assert history == [
        {"date": "2030-01-01", "processed": 0, "failed": 0},
        {"date": "2030-01-02", "processed": 7, "failed": 0},
    ]


def test_processes_can_be_signalled_one_or_all(redis_url: str, r: redis.Redis) -> None:
    api = Inspector.from_url(redis_url, prefix="{wh}")
    keys = Keys("{wh}")
    for identity in ("h:1:aaa", "h:2:bbb"):
        r.sadd(keys.processes, identity)
        r.hset(
            keys.process(identity),
            mapping={"info": json.dumps({"pid": 1}), "busy": 0, "beat": time.time()},
        )
    api.processes.quiet("h:1:aaa")
    assert r.lrange(keys.signals("h:1:aaa"), 0, -1) == ["TSTP"]
    assert api.processes.stop_all() == 2
    assert r.lrange(keys.signals("h:2:bbb"), 0, -1) == ["TERM"]
    assert 0 < r.ttl(keys.signals("h:2:bbb")) <= 60


def test_inspector_uses_the_given_settings(redis_url: str) -> None:
    api = Inspector.from_url(redis_url, prefix="{app}")
    assert api.keys.prefix == "{app}" and isinstance(api.settings, Settings)
    assert api.job_set("retries") is api.retries and api.job_set("schedule") is api.scheduled


def test_search_treats_glob_characters_literally(api: Inspector, r: redis.Redis) -> None:
    plain, bracketed = job(1, error_message="report-2024"), job(2, error_message="report-[2024]*?")
    r.zadd("retry", {json.dumps(plain): 1, json.dumps(bracketed): 2})
    assert [rec.jid for rec in api.retries.search("report-[2024]*?")] == [bracketed["jid"]]
    assert len(api.retries.search("report-")) == 2
