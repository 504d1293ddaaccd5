"""Build job payloads and fill Redis quickly: shared by the web tests and the web benchmark."""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from workhorse import payload
from workhorse.keys import Keys

# Markup and script in every field an attacker could control (issue 5).
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HOSTILE_QUEUE = "<script>q</script>\"'&/..%2F"


def job(
    klass: str = "web.Example", args: list[Any] | None = None, queue: str = "default", **fields: Any
) -> dict[str, Any]:
    now = time.time()
    item: dict[str, Any] = {
        "class": klass,
        "args": [] if args is None else args,
        "jid": payload.new_jid(),
        "queue": queue,
        "retry": True,
        "created_at": int(now * 1000),
        "enqueued_at": int(now * 1000),
    }
    item.update(fields)
    return item


def failed(
    klass: str = "web.Example", args: list[Any] | None = None, **fields: Any
) -> dict[str, Any]:
    defaults = {
        "error_class": "ValueError",
        "error_message": "boom",
        "retry_count": 2,
        "failed_at": int(time.time() * 1000),
    }
    return job(klass, args, **{**defaults, **fields})


def add_to_set(
    r: redis.Redis, keys: Keys, set_name: str, item: dict[str, Any], score: float | None = None
) -> str:
    """Store ``item`` in ``schedule``/``retry``/``dead``; returns the dashboard row key."""
    raw = payload.encode(item)
    score = time.time() if score is None else score
    r.zadd(keys.sorted_set(set_name), {raw: score})
    return f"{score!r}-{item['jid']}"


def push(r: redis.Redis, keys: Keys, item: dict[str, Any]) -> None:
    r.sadd(keys.queues, item["queue"])
    r.lpush(keys.queue(item["queue"]), payload.encode(item))


def fill_set(
    r: redis.Redis,
    keys: Keys,
    set_name: str,
    count: int,
    klass: str = "web.Bulk",
    start: float | None = None,
) -> list[str]:
    """``count`` distinct jobs one second apart, in pipelined batches; returns their jids
    in score order (oldest first)."""
    start = time.time() - count if start is None else start
    jids = []
    pipe = r.pipeline(transaction=False)
    for i in range(count):
        item = failed(klass, [i, f"payload-{i}"]) if set_name != "schedule" else job(klass, [i])
        jids.append(item["jid"])
        pipe.zadd(keys.sorted_set(set_name), {payload.encode(item): start + i})
        if i % 2000 == 1999:
            pipe.execute()
    pipe.execute()
    return jids


def fill_queue(r: redis.Redis, keys: Keys, queue: str, count: int, klass: str = "web.Bulk") -> None:
    r.sadd(keys.queues, queue)
    raws = [payload.encode(job(klass, [i], queue=queue)) for i in range(count)]
    for i in range(0, count, 2000):
        r.lpush(keys.queue(queue), *raws[i : i + 2000])


def process(
    r: redis.Redis,
    keys: Keys,
    identity: str,
    info: dict[str, Any],
    work: dict[str, dict[str, Any]] | None = None,
    busy: int = 0,
) -> None:
    """A live process as a heartbeat (workhorse's or Ruby Sidekiq's) writes it."""
    r.sadd(keys.processes, identity)
    r.hset(
        keys.process(identity),
        mapping={
            "info": json.dumps(info),
            "busy": busy,
            "beat": time.time(),
            "quiet": "false",
            "rss": 51200,
            "concurrency": info.get("concurrency", 10),
        },
    )
    r.expire(keys.process(identity), 60)
    if work:
        r.hset(keys.work(identity), mapping={tid: json.dumps(entry) for tid, entry in work.items()})
