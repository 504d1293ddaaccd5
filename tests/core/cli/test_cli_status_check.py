"""``workhorse status --check``: silent and 0 when queues are fresh, 1 and a reason when late."""

from __future__ import annotations

import json
import time

import redis
from cli_support import Invoke, job  # type: ignore[import-not-found]


def enqueue(r: redis.Redis, queue: str, age: float) -> None:
    r.sadd("queues", queue)
    enqueued_at = int((time.time() - age) * 1000)
    r.lpush(f"queue:{queue}", json.dumps(job(queue=queue, enqueued_at=enqueued_at)))


def test_fresh_queues_pass_silently(cli: Invoke, r: redis.Redis) -> None:
    enqueue(r, "default", age=5)
    result = cli("status", "--check", "--max-latency", "60")
    assert (result.exit_code, result.output) == (0, "")


def test_a_queue_older_than_the_limit_fails_and_names_it(cli: Invoke, r: redis.Redis) -> None:
    enqueue(r, "default", age=5)
    enqueue(r, "mailers", age=900)
    result = cli("status", "--check", "--max-latency", "300")
    assert result.exit_code == 1
    assert "queue mailers: oldest job waited 900s (limit 300s, 1 waiting)" in result.output
    assert "default" not in result.output


def test_an_empty_redis_passes(cli: Invoke) -> None:
    assert cli("status", "--check").exit_code == 0


def test_garbage_in_a_queue_does_not_break_the_check(cli: Invoke, r: redis.Redis) -> None:
    r.sadd("queues", "junk")
    r.lpush("queue:junk", b"\xff not json")
    assert cli("status", "--check").exit_code == 0  # unreadable age counts as fresh, no crash


def test_a_bad_threshold_is_a_usage_error(cli: Invoke) -> None:
    result = cli("status", "--check", "--max-latency", "-5")
    assert result.exit_code == 2 and "--max-latency" in result.output
