"""``workhorse unique list|clear``: the held locks with jid and TTL; clearing one or all."""

from __future__ import annotations

import json

import pytest
import redis
import unique_jobs as jobs
from click.testing import CliRunner

from workhorse.cli import main

pytestmark = pytest.mark.usefixtures("uclient")


def run(redis_url: str, *argv: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["unique", *argv, "--redis-url", redis_url])
    return result.exit_code, result.output


def digests(rc: redis.Redis) -> list[str]:
    return sorted(key.removeprefix("unique:") for key in rc.keys("unique:*"))


def test_list_shows_each_lock_with_its_jid_and_ttl(rc: redis.Redis, redis_url: str) -> None:
    assert run(redis_url, "list") == (0, "no unique locks are held\n")
    jid = jobs.record.perform_async("a")
    (digest,) = digests(rc)
    code, out = run(redis_url, "list")
    assert code == 0 and digest in out and str(jid) in out and ("60s" in out or "59s" in out)
    code, out = run(redis_url, "list", "--json")
    (row,) = json.loads(out)
    assert row["digest"] == digest and row["jid"] == jid and 0 < row["ttl"] <= 60
    assert row["clearable"] is True


def test_clear_releases_one_lock_and_all_of_them(rc: redis.Redis, redis_url: str) -> None:
    jobs.record.perform_async("a")
    jobs.record.perform_async("b")
    first, second = digests(rc)
    assert run(redis_url, "clear", first) == (0, f"cleared unique lock {first}\n")
    assert digests(rc) == [second]
    assert jobs.record.perform_async("a") is not None  # that identity goes through again
    assert run(redis_url, "clear", "--all") == (0, "cleared 2 unique lock(s)\n")
    assert digests(rc) == [] and rc.llen("queue:default") == 3


@pytest.mark.parametrize(
    "argv, complaint",
    [
        (("clear",), "give a lock DIGEST"),
        (("clear", "../../queue:default"), "is not a unique lock digest"),
        (("clear", "e" * 64), "no unique lock"),
    ],
)
def test_clear_with_a_bad_or_unknown_digest_says_what_to_do_and_touches_nothing(
    rc: redis.Redis, redis_url: str, argv: tuple[str, ...], complaint: str
) -> None:
    jobs.record.perform_async("a")
    code, out = run(redis_url, *argv)
    assert code != 0 and complaint in out
    assert len(digests(rc)) == 1 and rc.llen("queue:default") == 1


def test_list_reads_hostile_contents_without_failing(redis_url: str) -> None:
    raw = redis.Redis.from_url(redis_url)
    raw.set(b"unique:\xff\xfe", b"\xff" * 3)
    raw.hset(b"unique:" + b"a" * 64, b"f", b"v")  # not a string: not a lock
    code, out = run(redis_url, "list")
    assert code == 0 and "\\xff\\xfe" in out and "never expires" in out
    assert "a" * 64 not in out
    assert run(redis_url, "clear", "--all") == (0, "cleared 0 unique lock(s)\n")
