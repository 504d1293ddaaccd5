"""Each limiter's admission rule, its metrics, its keys and its errors."""

from __future__ import annotations

import asyncio
import pickle
import time

import pytest
import redis
from support.waiting import blocked_on, wait_for

from workhorse.client import Client
from workhorse.errors import ConfigError
from workhorse_enterprise import limits
from workhorse_enterprise.limits.names import LimiterKeys

pytestmark = pytest.mark.usefixtures("enterprise", "wh_client")


def metrics(rc: redis.Redis, name: str) -> dict[str, str]:
    return rc.hgetall(f"lmtr-m-{name}")  # type: ignore[return-value]


def test_bucket_admits_its_limit_then_raises_over_limit_with_the_window_end() -> None:
    limiter = limits.bucket("api", 3, per="minute", wait_timeout=0)
    for _ in range(3):
        limiter.acquire()
    with pytest.raises(limits.OverLimit) as caught:
        limiter.acquire()
    # the next minute starts within 60 s, and retry_at says when
    assert 0 < caught.value.retry_in <= 60
    assert caught.value.retry_at == pytest.approx(time.time() + caught.value.retry_in, abs=1)
    assert 'bucket limiter "api"' in str(caught.value)
    copy = pickle.loads(pickle.dumps(caught.value))  # crosses process boundaries intact
    assert (copy.name, copy.retry_at, str(copy)) == (
        "api",
        caught.value.retry_at,
        str(caught.value),
    )


def test_bucket_waits_for_the_next_second_when_the_wait_fits_the_timeout(
    rc: redis.Redis,
) -> None:
    limiter = limits.bucket("per-second", 2, per="second", wait_timeout=2)
    leases = [limiter.acquire() for _ in range(3)]
    seconds = [int(lease.admitted_at) for lease in leases]
    assert seconds[2] == seconds[1] + 1 or seconds[0] != seconds[1]
    assert leases[2].waited > 0 or seconds[0] != seconds[1]
    assert int(metrics(rc, "per-second")["admitted"]) == 3


def test_window_slides_instead_of_resetting_on_the_clock() -> None:
    limiter = limits.window("slide", 2, 0.5, wait_timeout=0)
    first = limiter.acquire()
    limiter.acquire()
    with pytest.raises(limits.OverLimit) as caught:
        limiter.acquire()
    # room appears exactly when the first admission leaves the window
    assert caught.value.retry_in == pytest.approx(first.admitted_at + 0.5 - time.time(), abs=0.1)
    time.sleep(caught.value.retry_in + 0.01)
    limiter.acquire()


def test_leaky_bursts_to_its_limit_then_drips_at_limit_per_interval() -> None:
    limiter = limits.leaky("drip", 4, 2.0, wait_timeout=0)
    for _ in range(4):
        limiter.acquire()
    with pytest.raises(limits.OverLimit) as caught:
        limiter.acquire()
    # one unit drains every 2.0 / 4 = 0.5 s
    assert 0.3 < caught.value.retry_in <= 0.5


def test_points_spend_their_cost_and_refuse_a_cost_above_the_budget() -> None:
    limiter = limits.points("graphql", 10, per="hour", wait_timeout=0)
    limiter.acquire(cost=6)
    limiter.acquire(cost=4)
    with pytest.raises(limits.OverLimit):
        limiter.acquire(cost=1)
    with pytest.raises(ConfigError, match="cost must be"):
        limiter.acquire(cost=11)


def test_concurrent_admits_limit_holders_and_frees_a_slot_on_release(rc: redis.Redis) -> None:
    limiter = limits.concurrent("db", 2, wait_timeout=0)
    with limiter, limiter:
        assert rc.zcard("lmtr-c-db") == 2
        with pytest.raises(limits.OverLimit):
            limiter.acquire()
    assert rc.zcard("lmtr-c-db") == 0
    with limiter.acquire() as lease:
        assert lease.token
    counts = metrics(rc, "db")
    assert (counts["admitted"], counts["over"], counts["type"]) == ("3", "1", "concurrent")


def test_concurrent_waiter_wakes_on_release_without_polling(rc: redis.Redis) -> None:
    limiter = limits.concurrent("mutex", 1, wait_timeout=5, lock_timeout=60)
    holder = limiter.acquire()
    woke: list[float] = []

    def wait_then_hold() -> None:
        with limiter.acquire() as lease:
            woke.append(lease.waited)

    import threading

    waiter = threading.Thread(target=wait_then_hold)
    waiter.start()
    wait_for(lambda: blocked_on(rc, "blpop"), "the waiter to block on the wake list")
    calls_before = int(rc.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))
    time.sleep(0.5)  # a polling waiter would be calling Redis now
    calls_after = int(rc.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))
    holder.release()
    waiter.join(5)
    assert calls_after == calls_before
    assert woke and 0.5 < woke[0] < 2.0
    assert metrics(rc, "mutex")["waited"] == "1"


def test_async_with_acquires_and_releases_without_blocking_the_loop(rc: redis.Redis) -> None:
    limiter = limits.concurrent("async", 1, wait_timeout=5)
    order: list[str] = []

    async def use(tag: str) -> None:
        async with limiter:
            order.append(f"{tag}+")
            await asyncio.sleep(0.1)
            order.append(f"{tag}-")

    async def main() -> None:
        await asyncio.gather(use("a"), use("b"), use("c"))

    asyncio.run(main())
    # strictly one at a time: every entry is followed by its own exit
    assert [order[i][0] for i in range(0, 6, 2)] == [order[i][0] for i in range(1, 6, 2)]
    assert rc.zcard("lmtr-c-async") == 0


def test_async_rate_limiter_sleeps_until_the_next_admission() -> None:
    limiter = limits.leaky("async-drip", 2, 0.4, wait_timeout=2)

    async def main() -> list[float]:
        leases = [await limiter.acquire_async() for _ in range(3)]
        return [lease.admitted_at for lease in leases]

    admitted = asyncio.run(main())
    # The third waited for the drip (never before it); how late it woke depends on the
    # machine's load, so no upper bound short of the wait timeout.
    assert 0.2 - 0.02 <= admitted[2] - admitted[0] < 2


def test_state_and_metrics_expire_after_the_idle_ttl(rc: redis.Redis) -> None:
    limits.bucket("short-lived", 5, per="second", ttl=1).acquire()
    limits.concurrent("short-held", 1, ttl=1, lock_timeout=0.2).acquire().release()
    assert 0 < rc.pttl("lmtr-m-short-lived") <= 1000
    assert 0 < rc.pttl("lmtr-b-short-lived") <= 2000
    assert 0 < rc.pttl("lmtr-m-short-held") <= 1000
    # no holder left: the holders zset is gone; the wake list (one free-slot token) expires
    assert rc.exists("lmtr-c-short-held") == 0
    assert 0 < rc.pttl("lmtr-cw-short-held") <= 1000


def test_a_name_used_by_one_kind_is_refused_to_another() -> None:
    limits.bucket("shared", 5).acquire()
    with pytest.raises(ConfigError, match='"shared" is already used by a bucket limiter'):
        limits.window("shared", 5, 1).acquire()


@pytest.mark.parametrize("name", ["", "has space", "{tag}", "x" * 201, "new\nline"])
def test_names_that_could_break_keys_are_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="invalid limiter name"):
        limits.bucket(name, 1)


def test_every_key_carries_the_hash_tagged_prefix(redis_url: str) -> None:
    client = Client(settings=Client().settings.with_changes(redis_url=redis_url, prefix="{wh}"))
    limiter = limits.concurrent("tagged", 1, redis_client=client.redis, prefix="{wh}")
    limiter.acquire().release()
    limits.window("tagged-w", 1, 1, redis_client=client.redis, prefix="{wh}").acquire()
    keys = set(client.redis.keys("*"))
    assert keys and all(key.startswith("{wh}:lmtr-") for key in keys)
    assert LimiterKeys.of("{wh}", "bucket", "x").state == "{wh}:lmtr-b-x"
