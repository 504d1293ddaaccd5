"""Unique jobs: a second identical push is refused while the first is pending or running."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
import redis
import unique_jobs as jobs
from support.licenses import licensed
from support.waiting import wait_for

import workhorse
from workhorse.client import Client
from workhorse.keys import Keys
from workhorse.worker.launcher import WorkerProcess
from workhorse_enterprise import unique
from workhorse_enterprise.license_gate import FeatureNotLicensed

pytestmark = pytest.mark.usefixtures("uclient")
Start = Callable[..., WorkerProcess]


def lock_holders(rc: redis.Redis) -> list[str]:
    return [lock.jid for lock in unique.held(rc, Keys())]


def test_a_second_identical_push_returns_none_and_logs_the_holder(
    rc: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    first = jobs.record.perform_async("a")
    with caplog.at_level(logging.INFO, "workhorse_enterprise.unique"):
        assert jobs.record.perform_async("a") is None
    assert first is not None and f"jid={first}" in caplog.text
    assert rc.llen("queue:default") == 1
    assert jobs.record.perform_async("b") is not None  # other arguments: another identity
    assert jobs.record.set(queue="other").perform_async("a") is not None  # another queue


def test_the_lock_holds_the_jid_with_a_ttl_of_unique_for(rc: redis.Redis) -> None:
    jid = jobs.record.perform_async("a")
    (key,) = rc.keys("unique:*")
    assert rc.get(key) == jid
    assert 55_000 < rc.pttl(key) <= 60_000
    stored = json.loads(rc.lindex("queue:default", 0))
    assert stored["unique_for"] == 60 and stored["jid"] == jid


def test_unique_key_replaces_the_arguments_in_the_identity(rc: redis.Redis) -> None:
    assert jobs.by_user.perform_async(7, "first") is not None
    assert jobs.by_user.perform_async(7, "second note") is None
    assert jobs.by_user.perform_async(8, "first") is not None


def test_bulk_push_has_none_in_the_refused_slots(rc: redis.Redis) -> None:
    jids = jobs.record.perform_bulk([("a",), ("b",), ("a",), ("c",)])
    assert [j is None for j in jids] == [False, False, True, False]
    assert rc.llen("queue:default") == 3


def test_scheduled_jobs_hold_the_lock_until_they_run_plus_unique_for(rc: redis.Redis) -> None:
    assert jobs.record.perform_in(120, "later") is not None
    assert jobs.record.perform_async("later") is None
    assert rc.zcard("schedule") == 1 and rc.llen("queue:default") == 0
    (key,) = rc.keys("unique:*")
    assert 170_000 < rc.pttl(key) <= 180_000


def test_success_releases_the_lock_so_the_job_can_be_pushed_again(
    rc: redis.Redis, start_worker: Start
) -> None:
    start_worker()
    jobs.gate.perform_async("x")
    wait_for(lambda: rc.llen("test:started") == 1, "the job to start")
    assert jobs.gate.perform_async("x") is None  # running still holds it
    rc.rpush("test:go:x", "1")
    wait_for(lambda: rc.keys("unique:*") == [], "the lock to be released on success")
    assert jobs.gate.perform_async("x") is not None


def test_unique_until_start_releases_the_lock_when_the_job_starts(
    rc: redis.Redis, start_worker: Start
) -> None:
    start_worker()
    jobs.gate_start.perform_async("y")
    wait_for(lambda: rc.llen("test:started") == 1, "the job to start")
    assert rc.keys("unique:*") == []
    assert jobs.gate_start.perform_async("y") is not None  # while the first still runs
    rc.rpush("test:go:y", "1", "1")


def test_a_job_a_rate_limiter_reschedules_keeps_its_lock_until_it_runs(
    rc: redis.Redis, start_worker: Start
) -> None:
    """The lock is released by the job running, not by the limiter putting it off."""
    from workhorse_enterprise import limits

    limiter = limits.bucket("unique-daily", 1, per="day", wait_timeout=0)
    limiter.acquire()  # today's one admission is spent

    @workhorse.job(name="u.limited", unique_for=60, limiter=limiter)
    def limited(tag: str) -> None:
        rc.rpush("test:ran", tag)

    jid = limited.perform_async("z")
    start_worker()
    wait_for(lambda: rc.zcard("schedule") == 1, "the job to be rescheduled")
    assert lock_holders(rc) == [jid] and rc.llen("test:ran") == 0
    assert limited.perform_async("z") is None


def test_a_retrying_job_keeps_its_lock_and_a_dead_one_releases_it(
    rc: redis.Redis, start_worker: Start
) -> None:
    start_worker()
    jobs.flaky.perform_async("f")
    jobs.doomed.perform_async("d")
    wait_for(lambda: rc.zcard("retry") == 1 and rc.zcard("dead") == 1, "retry and death")
    holders = {json.loads(rc.zrange("retry", 0, 0)[0])["jid"]}
    # The dead job's lock goes in its death hook, just after the dead-set write.
    wait_for(lambda: set(lock_holders(rc)) == holders, "the dead job's lock to go")
    assert set(lock_holders(rc)) == holders  # and the retrying one kept its lock
    assert jobs.flaky.perform_async("f") is None
    assert jobs.doomed.perform_async("d") is not None


def test_a_lock_taken_by_a_newer_job_survives_the_older_job_finishing(
    rc: redis.Redis, start_worker: Start
) -> None:
    start_worker()
    jobs.gate.perform_async("z")
    wait_for(lambda: rc.llen("test:started") == 1, "the job to start")
    unique.clear_all(rc, Keys())  # the operator clears it; a new push takes it
    newer = jobs.gate.perform_async("z")
    rc.rpush("test:go:z", "1")
    wait_for(lambda: rc.llen("test:ran") == 1, "the first job to finish")
    assert lock_holders(rc) == [newer]
    rc.rpush("test:go:z", "1")


def test_garbage_unique_fields_from_redis_do_not_stop_the_job(
    rc: redis.Redis, start_worker: Start
) -> None:
    for digest in ("../../etc", 42, "ab" * 40, None):
        job = {
            "class": "u.record",
            "args": [str(digest)],
            "jid": "0" * 24,
            "queue": "default",
            "unique_for": 60,
            "unique_digest": digest,
        }
        rc.lpush("queue:default", json.dumps(job))
    start_worker()
    wait_for(lambda: rc.llen("test:ran") == 4, "every job to run")
    assert rc.zcard("dead") == 0 and rc.zcard("retry") == 0


def test_without_a_license_a_unique_push_raises_instead_of_pushing_unlocked(
    rc: redis.Redis, wh_client: Client
) -> None:
    with licensed(("pro",)), pytest.raises(FeatureNotLicensed, match="nterprise"):
        plain = Client(settings=wh_client.settings)
        jobs.record.set().via(plain).perform_async("a")
    assert rc.llen("queue:default") == 0


def test_inside_a_capture_the_job_is_written_by_the_capturer(
    rc: redis.Redis, uclient: Client
) -> None:
    client = Client(settings=uclient.settings)
    with client.capture() as captured:
        assert jobs.record.set().via(client).perform_async("cap") is not None
    assert len(captured) == 1 and rc.llen("queue:default") == 0


def everything_in_redis(rc: redis.Redis) -> str:
    """Every key name and every string, list and zset value Redis holds, as one text."""
    parts: list[str] = []
    for key in rc.scan_iter():
        parts.append(key)
        kind = rc.type(key)
        if kind == "string":
            parts.append(rc.get(key) or "")
        elif kind == "list":
            parts += rc.lrange(key, 0, -1)
        elif kind == "zset":
            parts += rc.zrange(key, 0, -1)
    return "\n".join(parts)


def test_an_encrypted_jobs_identity_is_not_a_plain_hash_of_its_secret(
    rc: redis.Redis, start_worker: Start
) -> None:
    """A 4-digit PIN hashed plainly falls to 10,000 guesses; keyed, it does not."""
    assert jobs.pin_once.perform_async(7, "0420") is not None
    assert jobs.pin_once.perform_async(7, "0420") is None  # still unique
    assert jobs.pin_once.perform_async(7, "0421") is not None
    stored = everything_in_redis(rc)
    guesses = {
        unique.identity.digest("s.pin_once", "default", [7, f"{pin:04}"]) for pin in range(10_000)
    }
    assert '"0420"' not in stored and not any(guess in stored for guess in guesses)
    start_worker()
    wait_for(lambda: rc.llen("test:ran") == 2, "both jobs to run")
    wait_for(lambda: not rc.keys("unique:*"), "both locks to be released")
    assert jobs.pin_once.perform_async(7, "0420") is not None


def test_the_keyed_identity_follows_the_newest_key_of_the_ring() -> None:
    from unique_keys import KEY_1, KEY_2

    from workhorse_enterprise.encryption import KeyRing

    old, rotated = KeyRing.parse(KEY_1, "t"), KeyRing.parse(f"{KEY_1},{KEY_2}", "t")
    digests = {
        unique.identity.digest("s.pin_once", "default", [7, "0420"], secret=ring.digest_key)
        for ring in (old, rotated, KeyRing.parse(KEY_1, "again"))
    }
    assert len(digests) == 2  # same ring, same digest; a rotation changes it


def test_unique_encrypted_jobs_without_an_encryption_license_are_refused(
    rc: redis.Redis, wh_client: Client
) -> None:
    from workhorse import client as client_module

    with licensed(("pro", "enterprise"), features=("unique_jobs",)):
        c = Client(settings=wh_client.settings)
    client_module.set_default_client(c)
    with (
        licensed(("pro", "enterprise"), features=("unique_jobs",)),
        pytest.raises(FeatureNotLicensed),
    ):
        jobs.pin_once.perform_async(7, "0420")
    assert not rc.keys("*")
