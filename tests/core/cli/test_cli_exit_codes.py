"""Exit codes as docs/cli.md lists them: 1 failure, 2 bad usage or input, 3 the thing named
does not exist. Each case also says what was wrong, without a traceback. Issue 17."""

from __future__ import annotations

import pytest
import redis
from cli_support import Invoke, add, failed  # type: ignore[import-not-found]

BAD_INPUT = [
    (["worker", "-q", "x,bad"], "invalid queue weight in 'x,bad'"),
    (["worker", "-q", "critical,0"], "the weight must be 1 or more"),
    (["worker", "-q", "no spaces!"], "invalid queue"),
    (["enqueue", "HardJob", '{"a": 1}'], "expected a JSON list"),
    (["enqueue", "HardJob", "[1", "--at", "2030-01-01T00:00:00+00:00"], "is not valid JSON"),
    (["enqueue", "HardJob", "--in", "5", "--at", "1893488400"], "give --in or --at, not both"),
    (["enqueue", "HardJob", "--at", "next tuesday"], "neither epoch seconds nor an ISO 8601"),
    (["retries", "retry"], "give one or more JIDs or --all"),
    (["quiet"], "give a process IDENTITY or --all"),
    (["status", "--no-such-option"], "No such option"),
    (["queues", "jobs"], "Missing argument 'NAME'"),
]


@pytest.mark.parametrize(
    ("args", "says"), BAD_INPUT, ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_bad_input_exits_2_and_says_what_is_wrong(cli: Invoke, args: list[str], says: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output


def test_a_malformed_number_in_the_environment_is_bad_input(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKHORSE_CONCURRENCY", "ten")
    result = cli("status")
    assert result.exit_code == 2
    assert "WORKHORSE_CONCURRENCY='ten' is not a number" in result.output


NOT_FOUND = [
    (["queues", "jobs", "nosuchqueue"], "no queue named 'nosuchqueue'; known queues: default"),
    (["queues", "delete", "default", "0123456789abcdef01234567"], "no job 0123456789abcdef"),
    (["queues", "clear", "nosuchqueue", "--yes"], "no queue named 'nosuchqueue'"),
    (["retries", "show", "0123456789abcdef01234567"], "no job 0123456789abcdef01234567 in"),
    (["dead", "retry", "0123456789abcdef01234567"], "no job 0123456789abcdef01234567 in"),
    (["scheduled", "delete", "0123456789abcdef01234567"], "no job 0123456789abcdef01234567"),
    (["quiet", "nosuchhost:1"], "no live process 'nosuchhost:1'"),
]


@pytest.mark.parametrize(
    ("args", "says"), NOT_FOUND, ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_naming_something_that_does_not_exist_exits_3(
    cli: Invoke, r: redis.Redis, args: list[str], says: str
) -> None:
    r.sadd("queues", "default")
    add(r, "retry", failed())  # the sets are not empty: only the named job is missing
    result = cli(*args)
    assert result.exit_code == 3, result.output
    assert says in result.output and "Traceback" not in result.output


def test_a_known_queue_with_no_jobs_is_not_missing(cli: Invoke, r: redis.Redis) -> None:
    r.sadd("queues", "low")
    result = cli("queues", "jobs", "low")
    assert result.exit_code == 0, result.output


def test_an_unreachable_redis_is_a_failure_exit_1(cli: Invoke) -> None:
    result = cli("status", url="redis://127.0.0.1:1/0")
    assert result.exit_code == 1
    assert "cannot reach Redis" in result.output
