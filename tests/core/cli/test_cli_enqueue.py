"""``workhorse enqueue``: push by name, schedule, and refuse bad input with a hint."""

from __future__ import annotations

import json
import time

import redis
from cli_support import Invoke, as_json  # type: ignore[import-not-found]


def test_enqueue_pushes_a_job_by_any_name_such_as_a_ruby_class(cli: Invoke, r: redis.Redis) -> None:
    result = cli("enqueue", "HardJob", '["bob", 5]')
    assert result.exit_code == 0, result.output
    assert "enqueued HardJob jid=" in result.output
    [raw] = r.lrange("queue:default", 0, -1)
    item = json.loads(raw)
    assert (item["class"], item["args"], item["queue"]) == ("HardJob", ["bob", 5], "default")
    assert r.smembers("queues") == {"default"}


def test_enqueue_json_reports_the_jid_and_honours_queue_and_retry(
    cli: Invoke, r: redis.Redis
) -> None:
    out = as_json(cli("enqueue", "Report", "[]", "--queue", "critical", "--retry", "3", "--json"))
    [raw] = r.lrange("queue:critical", 0, -1)
    item = json.loads(raw)
    assert item["jid"] == out["jid"] and item["retry"] == 3 and item["args"] == []


def test_enqueue_in_schedules_the_job(cli: Invoke, r: redis.Redis) -> None:
    before = time.time()
    assert cli("enqueue", "HardJob", "[1]", "--in", "30").exit_code == 0
    [(raw, score)] = r.zrange("schedule", 0, -1, withscores=True)
    assert before + 29 < score < time.time() + 31
    assert "enqueued_at" not in json.loads(raw)
    assert r.llen("queue:default") == 0


def test_enqueue_at_accepts_iso_8601_with_an_offset(cli: Invoke, r: redis.Redis) -> None:
    assert cli("enqueue", "HardJob", "--at", "2099-01-01T00:00:00+00:00").exit_code == 0
    [(_, score)] = r.zrange("schedule", 0, -1, withscores=True)
    assert score == 4070908800.0


def test_enqueue_at_a_future_time_says_when_it_runs(cli: Invoke) -> None:
    result = cli("enqueue", "HardJob", "--at", "2099-01-01T00:00:00+00:00")
    assert "(scheduled for 2099-01-01 " in result.output and "runs now" not in result.output


def test_enqueue_at_a_time_that_has_passed_says_the_job_runs_now(
    cli: Invoke, r: redis.Redis
) -> None:
    result = cli("enqueue", "HardJob", "--at", "2020-01-01T00:00:00+00:00")
    assert result.exit_code == 0, result.output
    assert "(queue default: 2020-01-0" in result.output
    assert "has passed, so it runs now)" in result.output and "scheduled" not in result.output
    assert r.llen("queue:default") == 1 and r.zcard("schedule") == 0
    data = as_json(cli("enqueue", "HardJob", "--at", "1577836800", "--json"))
    assert data["at"] is None and data["queue"] == "default"


def test_enqueue_at_without_offset_is_a_usage_error(cli: Invoke) -> None:
    result = cli("enqueue", "HardJob", "--at", "2099-01-01T00:00:00")
    assert result.exit_code == 2 and "UTC offset" in result.output


def test_bad_json_args_exit_2_and_show_an_example(cli: Invoke, r: redis.Redis) -> None:
    result = cli("enqueue", "HardJob", "[1,")
    assert result.exit_code == 2
    assert "not valid JSON" in result.output and "e.g. '[42" in result.output
    assert r.dbsize() == 0


def test_args_that_are_not_a_list_exit_2_and_suggest_brackets(cli: Invoke) -> None:
    result = cli("enqueue", "HardJob", '{"id": 1}')
    assert result.exit_code == 2 and """wrap it in brackets: '[{"id": 1}]'""" in result.output


def test_with_require_an_unknown_name_is_refused_with_close_matches(
    cli: Invoke, r: redis.Redis
) -> None:
    result = cli("enqueue", "workhorse.demo.jobs.fasst", "[1]", "-r", "workhorse.demo.jobs")
    assert result.exit_code == 1
    assert 'no job named "workhorse.demo.jobs.fasst"' in result.output
    assert "did you mean workhorse.demo.jobs.fast" in result.output
    assert r.dbsize() == 0


def test_with_require_a_known_job_keeps_its_own_queue_and_retry(
    cli: Invoke, r: redis.Redis
) -> None:
    assert (
        cli(
            "enqueue", "workhorse.demo.jobs.flaky", '["t", 1]', "-r", "workhorse.demo.jobs"
        ).exit_code
        == 0
    )
    [raw] = r.lrange("queue:critical", 0, -1)
    assert json.loads(raw)["retry"] == 5


def test_an_unreachable_redis_exits_1_and_says_what_to_do(cli: Invoke) -> None:
    result = cli("enqueue", "HardJob", "[1]", "--redis-url", "redis://127.0.0.1:1/0")
    assert result.exit_code == 1
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in result.output
    assert "WORKHORSE_REDIS_URL" in result.output


def test_a_bad_url_scheme_exits_1_and_lists_the_supported_ones(cli: Invoke) -> None:
    result = cli("status", "--redis-url", "http://localhost:6379")
    assert result.exit_code == 1 and "redis://" in result.output and "unix://" in result.output
