"""FastAPI + workhorse: ``hatch run python examples/fastapi_app/app.py`` (then open
http://127.0.0.1:8000/docs; the dashboard is at /jobs/ with header ``x-user: admin``)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request

import workhorse
from workhorse.aio import AsyncClient
from workhorse.client import default_client
from workhorse.config import Settings
from workhorse.contrib.fastapi import aio, mount_dashboard, workhorse_lifespan
from workhorse.demo.runner import resolve_redis
from workhorse.worker.launcher import WorkerProcess

REDIS_URL, WHERE = resolve_redis(os.environ.get("WORKHORSE_REDIS_URL"))
PREFIX = "{example-fastapi}"


@workhorse.job(name="examples.fastapi.welcome")
def welcome(address: str) -> None:
    default_client().redis.rpush(f"{PREFIX}:welcomed", address)
    print(f"welcome mail sent to {address}")


def require_admin(request: Request) -> bool:
    if "x-user" not in request.headers:
        raise HTTPException(401, "send the header x-user: admin")
    return request.headers["x-user"] == "admin"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with workhorse_lifespan(redis_url=REDIS_URL, prefix=PREFIX)(app):
        worker = WorkerProcess(Settings.from_env(None, redis_url=REDIS_URL, prefix=PREFIX))
        worker.start()  # in-process for the example; production runs `workhorse worker`
        try:
            yield
        finally:
            worker.stop()
            worker.shutdown()


app = FastAPI(lifespan=lifespan)
mount_dashboard(app, "/jobs", auth=require_admin, redis_url=REDIS_URL, prefix=PREFIX)


@app.post("/signup")
async def signup(address: str, jobs: Annotated[AsyncClient, Depends(aio)]) -> dict[str, str | None]:
    return {"jid": await jobs.perform_async(welcome, address)}


async def check() -> None:
    import httpx

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            jid = (await client.post("/signup", params={"address": "ada@example.com"})).json()
            print(f"enqueued {jid}")
            assert (await client.get("/jobs/")).status_code == 401
            redis = default_client().redis
            for _ in range(500):
                if "ada@example.com" in redis.lrange(f"{PREFIX}:welcomed", 0, -1):
                    print("check passed: the worker ran the job")
                    return
                await asyncio.sleep(0.02)
    raise SystemExit("check failed: the job did not run")


if __name__ == "__main__":
    print(f"Redis: {WHERE}")
    if "--check" in sys.argv:
        asyncio.run(check())
    else:
        import uvicorn

        uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
