"""``workhorse job JID`` and ``workhorse cancel JID`` (issue 18)."""

from __future__ import annotations

import json

import pytest
import redis
from cli_support import Invoke, add, as_json, failed, job  # type: ignore[import-not-found]

from workhorse import payload, results
from workhorse.keys import Keys


def test_job_shows_a_retrying_job_with_its_attempt_and_error(cli: Invoke, r: redis.Redis) -> None:
    item = {**failed("HardJob", ["bob"]), "retry_count": 2}
    add(r, "retry", item)
    result = cli("job", item["jid"])
    assert result.exit_code == 0, result.output
    assert f"job {item['jid']}: retrying" in result.output
    assert "attempt  3" in result.output and "ValueError: boom" in result.output
    data = as_json(cli("job", item["jid"], "--json"))
    assert (data["state"], data["attempt"], data["class"]) == ("retrying", 3, "HardJob")


def test_job_shows_a_stored_result_and_a_backtrace(cli: Invoke, r: redis.Redis) -> None:
    ok = {"jid": "a" * 24, "class": "Adder", "retry_count": 0}
    r.set(Keys().result("a" * 24), results.finish(results.success(ok, {"total": 3})))
    shown = cli("job", "a" * 24)
    assert "succeeded" in shown.output and '{"total": 3}' in shown.output
    assert "attempt  2" in shown.output
    try:
        raise KeyError("lost")
    except KeyError as exc:
        r.set(Keys().result("b" * 24), results.failure({"jid": "b" * 24}, "dead", exc))
    dead = cli("job", "b" * 24)
    assert "dead" in dead.output and "KeyError: 'lost'" in dead.output
    assert 'raise KeyError("lost")' in dead.output


def test_an_unknown_job_exits_3_and_says_why(cli: Invoke) -> None:
    result = cli("job", "f" * 24)
    assert result.exit_code == 3
    assert "finished without storing a result" in result.output


@pytest.mark.parametrize("jid", ["*", "a b", "x" * 101, "../etc", "[a-z]", "\u00e9t\u00e9"])
def test_a_malformed_jid_is_refused_before_redis(cli: Invoke, r: redis.Redis, jid: str) -> None:
    r.zadd("cancelled", {"keep": 1})
    for command in ("job", "cancel"):
        result = cli(command, jid)
        assert result.exit_code == 2 and "is not a job id" in result.output
    assert r.zrange("cancelled", 0, -1) == ["keep"]  # nothing was written


def test_cancel_removes_a_queued_job(cli: Invoke, r: redis.Redis) -> None:
    item = job("HardJob", [1])
    r.lpush("queue:default", payload.encode(item))
    r.sadd("queues", "default")
    assert "has been removed" in cli("cancel", item["jid"]).output
    assert r.llen("queue:default") == 0
    assert as_json(cli("job", item["jid"], "--json"))["state"] == "cancelled"
    again = json.loads(cli("cancel", item["jid"], "--json").stdout)
    assert again == {"jid": item["jid"], "outcome": "finished"}


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan"])
def test_a_bad_worker_job_timeout_is_refused(cli: Invoke, value: str) -> None:
    result = cli("worker", "--job-timeout", value)
    assert result.exit_code == 2 and "--job-timeout" in result.output


def test_a_bad_job_timeout_in_the_environment_says_what_is_wrong(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKHORSE_JOB_TIMEOUT", "later")
    result = cli("status")
    assert result.exit_code == 2
    assert "WORKHORSE_JOB_TIMEOUT='later' is not a number" in result.output
