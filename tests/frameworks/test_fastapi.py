"""FastAPI through httpx's ASGI transport: lifespan, async enqueue, the guarded dashboard."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
import redis
from fastapi import Depends, FastAPI, HTTPException, Request

import workhorse
from workhorse.aio import AsyncClient
from workhorse.contrib.fastapi import aio, mount_dashboard, workhorse_lifespan

Jobs = Annotated[AsyncClient, Depends(aio)]


@workhorse.job(name="fa.welcome", queue="mail")
def welcome(address: str) -> None:
    pass


def require_admin(request: Request) -> bool:
    if request.headers.get("x-user") is None:
        raise HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})
    return request.headers["x-user"] == "admin"


def make_app(redis_url: str) -> FastAPI:
    app = FastAPI(lifespan=workhorse_lifespan(redis_url=redis_url, prefix="{fa}"))
    mount_dashboard(app, "/jobs", auth=require_admin, redis_url=redis_url, prefix="{fa}", tabs=[])

    @app.post("/signup")
    async def signup(address: str, jobs: Jobs) -> dict[str, Any]:
        return {"jid": await jobs.perform_async(welcome, address)}

    @app.post("/signup-later")
    async def later(address: str, jobs: Jobs) -> dict[str, Any]:
        return {"jid": await jobs.perform_in(welcome.set(queue="slow"), 600, address)}

    return app


async def with_app(redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(redis_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as c:
            yield c


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_an_endpoint_enqueues_through_the_async_client(redis_url: str, r: redis.Redis) -> None:
    async def scenario() -> tuple[Any, Any]:
        async for c in with_app(redis_url):
            now = (await c.post("/signup", params={"address": "a@b.c"})).json()
            later = (await c.post("/signup-later", params={"address": "d@e.f"})).json()
            return now, later
        raise AssertionError("lifespan did not start")

    now, later = run(scenario())
    [raw] = r.lrange("{fa}:queue:mail", 0, -1)
    job = json.loads(raw)
    assert job["jid"] == now["jid"] and job["args"] == ["a@b.c"] and job["class"] == "fa.welcome"
    assert r.sismember("{fa}:queues", "mail")
    [(scheduled, _)] = r.zrange("{fa}:schedule", 0, -1, withscores=True)
    assert json.loads(scheduled)["jid"] == later["jid"]
    assert json.loads(scheduled)["queue"] == "slow"


def test_the_lifespan_also_configures_plain_perform_async(redis_url: str, r: redis.Redis) -> None:
    async def scenario() -> str | None:
        async for _ in with_app(redis_url):
            return welcome.perform_async("sync@b.c")
        return None

    jid = run(scenario())
    assert [json.loads(x)["jid"] for x in r.lrange("{fa}:queue:mail", 0, -1)] == [jid]


def test_the_async_write_never_runs_redis_io_on_the_sync_client(
    redis_url: str, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workhorse.client import Client

    def blocking_write(self: Client, *args: object, **kwargs: object) -> None:
        raise AssertionError("the blocking client wrote to Redis inside the event loop")

    monkeypatch.setattr(Client, "write", blocking_write)

    async def scenario() -> Any:
        async for c in with_app(redis_url):
            return (await c.post("/signup", params={"address": "a@b.c"})).json()
        return None

    assert run(scenario())["jid"]
    assert r.llen("{fa}:queue:mail") == 1


@pytest.mark.parametrize(
    ("headers", "status"), [({}, 401), ({"x-user": "mallory"}, 403), ({"x-user": "admin"}, 200)]
)
def test_the_dashboard_answers_only_when_the_dependency_allows(
    redis_url: str, headers: dict[str, str], status: int
) -> None:
    async def scenario() -> httpx.Response:
        async for c in with_app(redis_url):
            return await c.get("/jobs/queues", headers=headers)
        raise AssertionError("lifespan did not start")

    answer = run(scenario())
    assert answer.status_code == status
    if status == 401:
        assert answer.headers["www-authenticate"] == "Bearer"
    if status == 200:
        assert 'href="/jobs/' in answer.text


def test_aio_without_the_lifespan_says_how_to_configure(redis_url: str) -> None:
    app = FastAPI()

    @app.get("/")
    async def home(jobs: Jobs) -> None:
        pass

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as c:
            await c.get("/")

    with pytest.raises(RuntimeError, match="lifespan=workhorse_lifespan"):
        run(scenario())
