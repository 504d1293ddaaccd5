"""``.on_commit()`` and ``Client.defer``: the write waits for a hook; everything else is now."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import redis

import workhorse
from workhorse import testing
from workhorse.client import Client
from workhorse.types import JobPayload


@workhorse.job(name="oc.work", queue="oc")
def work(n: int) -> None:
    pass


class Transaction:
    """A stand-in for a database transaction's after-commit callbacks."""

    def __init__(self) -> None:
        self.callbacks: list[Callable[[], None]] = []

    def defer(self, write: Callable[[], None]) -> None:
        self.callbacks.append(write)

    def commit(self) -> None:
        for callback in self.callbacks:
            callback()
        self.callbacks.clear()


def queued(r: redis.Redis) -> list[str]:
    return [json.loads(raw)["jid"] for raw in reversed(r.lrange("queue:oc", 0, -1))]


def test_the_jid_is_known_at_once_and_the_write_waits_for_the_commit(
    wh_client: Client, r: redis.Redis
) -> None:
    tx = Transaction()
    jids = [work.on_commit(tx.defer).perform_async(n) for n in range(2)]
    jids += work.set(queue="oc").on_commit(tx.defer).perform_bulk([[2], [3]])
    scheduled = work.on_commit(tx.defer).perform_in(3600, 9)
    assert all(jids) and scheduled
    assert queued(r) == [] and r.zcard("schedule") == 0
    tx.commit()
    assert queued(r) == jids
    assert (
        r.zrange("schedule", 0, -1)
        and json.loads(r.zrange("schedule", 0, -1)[0])["jid"] == scheduled
    )


def test_client_middleware_runs_at_enqueue_time_not_at_commit(
    settings: workhorse.config.Settings, r: redis.Redis
) -> None:
    seen: list[str] = []

    def stamp(job: JobPayload, call_next: Callable[[JobPayload], JobPayload | None]) -> object:
        seen.append(job["jid"])
        return call_next(job)

    client = Client(settings=settings, middleware=[stamp])  # type: ignore[list-item]
    tx = Transaction()
    jid = work.set().via(client).on_commit(tx.defer).perform_async(1)
    assert seen == [jid] and queued(r) == []
    tx.commit()
    assert seen == [jid] and queued(r) == [jid]


def test_a_transaction_that_never_commits_writes_nothing(wh_client: Client, r: redis.Redis) -> None:
    work.on_commit(Transaction().defer).perform_async(1)
    assert queued(r) == []


def test_the_client_wide_switch_defers_every_push(wh_client: Client, r: redis.Redis) -> None:
    tx = Transaction()
    wh_client.defer = tx.defer
    jid = work.perform_async(1)
    other = wh_client.enqueue("RubyJob", [1], queue="oc")
    assert queued(r) == []
    tx.commit()
    assert queued(r) == [jid, other]


def test_fake_mode_sees_a_deferred_job_only_after_the_commit() -> None:
    tx = Transaction()
    with testing.fake() as fake:
        work.on_commit(tx.defer).perform_async(1)
        assert fake.jobs() == []
        tx.commit()
        assert [job["args"] for job in fake.jobs()] == [[1]]


def test_a_hook_that_refuses_leaves_nothing_half_written(wh_client: Client, r: redis.Redis) -> None:
    def broken(write: Callable[[], None]) -> None:
        raise RuntimeError("no transaction manager")

    with pytest.raises(RuntimeError):
        work.on_commit(broken).perform_async(1)
    assert queued(r) == []
    assert work.perform_async(2)  # the thread's capture stack is clean again
    assert len(queued(r)) == 1
