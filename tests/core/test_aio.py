"""``workhorse.aio.AsyncClient``: the sync client's payloads, written through redis.asyncio."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
import redis

import workhorse
from workhorse import testing
from workhorse.aio import AsyncClient, for_loop
from workhorse.client import Client
from workhorse.config import Settings
from workhorse.errors import ArgumentError, RedisUnavailable
from workhorse.handle import JobHandle
from workhorse.types import JobPayload


@workhorse.job(name="aio.work", queue="aio")
def work(n: int) -> None:
    pass


def test_bulk_pushes_keep_order_and_chunk(wh_client: Client, r: redis.Redis) -> None:
    async def scenario() -> list[str | None]:
        aio = AsyncClient(wh_client)
        try:
            return await aio.push_bulk(
                ({"class": "aio.work", "args": [n], "queue": "aio"} for n in range(5)), chunk_size=2
            )
        finally:
            await aio.aclose()

    jids = asyncio.run(scenario())
    assert [json.loads(x)["jid"] for x in reversed(r.lrange("queue:aio", 0, -1))] == jids


def test_middleware_can_drop_a_job_and_nothing_is_written(
    settings: Settings, r: redis.Redis
) -> None:
    def drop(job: JobPayload, call_next: Callable[[JobPayload], JobPayload | None]) -> None:
        return None

    client = Client(settings=settings, middleware=[drop])  # type: ignore[list-item]

    async def scenario() -> str | None:
        aio = AsyncClient(client)
        try:
            return await aio.perform_async(work, 1)
        finally:
            await aio.aclose()

    assert asyncio.run(scenario()) is None
    assert r.llen("queue:aio") == 0


def test_bad_arguments_fail_before_any_io(wh_client: Client) -> None:
    with pytest.raises(ArgumentError):
        asyncio.run(AsyncClient(wh_client).perform_async(work, object()))


def test_fake_mode_receives_async_pushes() -> None:
    with testing.fake() as fake:
        asyncio.run(AsyncClient().enqueue("aio.work", [7], queue="aio"))
        assert fake.args("aio.work") == [[7]]


def test_an_unreachable_redis_says_which_and_what_to_do() -> None:
    client = Client(settings=Settings(redis_url="redis://127.0.0.1:1/0"))
    with pytest.raises(RedisUnavailable, match=r"127\.0\.0\.1:1"):
        asyncio.run(AsyncClient(client).perform_async(work, 1))


def test_an_error_reply_is_raised_and_the_next_push_still_lands(
    wh_client: Client, r: redis.Redis
) -> None:
    async def scenario() -> None:
        aio = AsyncClient(wh_client)
        try:
            r.set("queue:aio", "not a list")
            with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
                await aio.perform_async(work, 1)
            r.delete("queue:aio")
            await aio.perform_async(work, 2)
        finally:
            await aio.aclose()

    asyncio.run(scenario())
    assert [json.loads(x)["args"] for x in r.lrange("queue:aio", 0, -1)] == [[2]]
    assert r.smembers("queues") == {"aio"}


def test_scheduled_pushes_land_in_the_schedule(wh_client: Client, r: redis.Redis) -> None:
    async def scenario() -> None:
        aio = AsyncClient(wh_client)
        try:
            await aio.perform_in(work, 60, 3)
        finally:
            await aio.aclose()

    asyncio.run(scenario())
    ((raw, score),) = r.zrange("schedule", 0, -1, withscores=True)
    assert json.loads(raw)["args"] == [3] and score > 1_000_000_000


def test_aperform_async_pushes_what_perform_async_pushes(wh_client: Client, r: redis.Redis) -> None:
    async def scenario() -> list[str | None]:
        first = await work.aperform_async(1)
        second = await work.set(queue="aio-critical").aperform_async(2)
        return [first, second]

    first, second = asyncio.run(scenario())
    (raw,) = r.lrange("queue:aio", 0, -1)
    job = json.loads(raw)
    assert (job["class"], job["args"], job["jid"]) == ("aio.work", [1], first)
    assert json.loads(r.lindex("queue:aio-critical", 0))["jid"] == second
    assert r.smembers("queues") == {"aio", "aio-critical"}
    assert isinstance(first, JobHandle) and first.client is wh_client


def test_aperform_async_keeps_one_async_client_per_loop(wh_client: Client) -> None:
    async def clients() -> tuple[AsyncClient, AsyncClient]:
        return for_loop(wh_client), for_loop(wh_client)

    a, b = asyncio.run(clients())
    c, _ = asyncio.run(clients())
    assert a is b, "pushes on one loop share its connections"
    assert c is not a, "a connection of a finished loop is never reused on another"


def test_aperform_async_in_fake_mode_and_with_bad_arguments() -> None:
    with testing.fake() as fake:
        asyncio.run(work.aperform_async(5))
        assert fake.args("aio.work") == [[5]]
        with pytest.raises(ArgumentError, match="argument 1 cannot be sent"):
            asyncio.run(work.aperform_async({1, 2}))  # type: ignore[arg-type]
