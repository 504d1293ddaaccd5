"""Leader election: one lease holder, ownership-checked renew/release, fast handover, events."""

from __future__ import annotations

import threading
from collections.abc import Callable

import redis
from support.waiting import wait_for

from workhorse.keys import Keys
from workhorse_enterprise.leader import (
    LeaderConfig,
    LeaderElector,
    LeaderOnly,
    Lease,
    current_leader,
    is_leader,
    on_leader,
    remove_listener,
)

MakeElector = Callable[..., LeaderElector]


def test_lease_is_taken_once_and_only_its_holder_can_renew_or_release(rc: redis.Redis) -> None:
    a = Lease(rc, Keys(), "host:1:aaaaaaaaaaaa", ttl=5.0)
    b = Lease(rc, Keys(), "host:2:bbbbbbbbbbbb", ttl=5.0)
    assert a.acquire() and not b.acquire()
    assert rc.get("dear-leader") == "host:1:aaaaaaaaaaaa"
    assert not b.renew() and not b.release()
    assert a.renew() and 4.0 < a.remaining() <= 5.0
    assert a.release() and current_leader(rc) is None
    assert b.acquire() and current_leader(rc) == "host:2:bbbbbbbbbbbb"


def test_lease_key_follows_the_prefix_for_redis_cluster(rc: redis.Redis) -> None:
    Lease(rc, Keys("{wh}"), "me", ttl=5.0).acquire()
    assert rc.get("{wh}:dear-leader") == "me" and current_leader(rc, Keys("{wh}")) == "me"


def test_exactly_one_of_several_processes_leads(make_elector: MakeElector, rc: redis.Redis) -> None:
    electors = [make_elector(f"host:{n}:000000000000") for n in range(3)]
    wait_for(lambda: any(e.is_leader for e in electors), "a leader to be elected")
    leaders = [e for e in electors if e.is_leader]
    assert len(leaders) == 1 and current_leader(rc) == leaders[0].identity
    assert is_leader(leaders[0].identity) and not is_leader("host:9:nobody")


def test_clean_stop_hands_over_at_once(make_elector: MakeElector, rc: redis.Redis) -> None:
    slow = LeaderConfig(lease=30.0, renew_every=10.0, retry_every=0.2)
    first = make_elector("host:1:000000000000", slow)
    assert first.wait_for(True, 5.0)
    second = make_elector("host:2:000000000000", slow)
    first.stop(2.0)
    # Well inside the 30 s lease: the step-down deleted it.
    assert second.wait_for(True, 3.0), "the follower did not take over after a clean stop"
    assert current_leader(rc) == second.identity


def test_crashed_leader_is_replaced_when_its_lease_expires(
    make_elector: MakeElector, rc: redis.Redis
) -> None:
    # A crash is a leader that stops renewing without stepping down: its key stays
    # until the lease expires, then a follower takes it.
    rc.set("dear-leader", "host:dead:000000000000", px=1000)
    follower = make_elector("host:2:000000000000")
    assert not follower.is_leader
    assert follower.wait_for(True, 5.0)
    assert current_leader(rc) == follower.identity


def test_leader_that_loses_its_lease_steps_down(make_elector: MakeElector, rc: redis.Redis) -> None:
    elector = make_elector("host:1:000000000000")
    assert elector.wait_for(True, 5.0)
    rc.set("dear-leader", "host:usurper:000000000000")  # e.g. an operator reset it
    assert elector.wait_for(False, 5.0)


def test_on_leader_callbacks_and_leader_only_services_follow_leadership(
    make_elector: MakeElector,
) -> None:
    seen: list[bool] = []
    on_leader(seen.append)

    class Recorder:
        name = "recorder"
        running = threading.Event()

        def start(self) -> None:
            self.running.set()

        def stop(self, timeout: float) -> None:  # noqa: ARG002
            self.running.clear()

    inner = Recorder()
    service = LeaderOnly(inner)
    service.start()
    try:
        elector = make_elector("host:1:000000000000")
        wait_for(lambda: inner.running.is_set(), "the leader-only service to start")
        elector.stop(2.0)
        wait_for(lambda: not inner.running.is_set(), "the leader-only service to stop")
        wait_for(lambda: seen == [True, False], "both leadership callbacks")
    finally:
        remove_listener(seen.append)
        service.stop(1.0)


def test_leader_hook_fires_for_plugins(start_worker: Callable[..., object]) -> None:
    from workhorse import hookimpl, plugins

    events: list[bool] = []

    class Plugin:
        @hookimpl
        def workhorse_leader(self, elected: bool) -> None:
            events.append(elected)

    plugin = Plugin()
    plugins.register(plugin, name="leader-hook-test")
    try:
        worker = start_worker()
        wait_for(lambda: events == [True], "the leader hook after election")
        worker.stop()  # type: ignore[attr-defined]
        worker.shutdown()  # type: ignore[attr-defined]
        assert events == [True, False]
    finally:
        plugins.unregister(plugin)
