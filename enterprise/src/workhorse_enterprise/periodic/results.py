"""Record how each periodic run ended, for ``cron list`` and the dashboard's "last runs".

A server middleware that only acts on jobs carrying the ``periodic`` field
(one dict lookup for every other job). Outcomes go to a capped list per
entry, ``periodic-results:<name>``, newest first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import redis

from workhorse.client import default_client
from workhorse.middleware import AsyncRunNext, JobContext, RunNext
from workhorse_enterprise.periodic.store import HISTORY_LENGTH, PeriodicKeys

log = logging.getLogger(__name__)


class RecordResults:
    """Server middleware: ``{"jid", "result": "ok" | "failed: <Error>", "at"}`` per run."""

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:
        name = ctx.job.get("periodic")
        if not isinstance(name, str):
            return call_next()
        try:
            value = call_next()
        except BaseException as exc:
            self._record(name, ctx.jid, f"failed: {type(exc).__name__}")
            raise
        self._record(name, ctx.jid, "ok")
        return value

    async def call_async(self, ctx: JobContext, call_next: AsyncRunNext) -> object:
        name = ctx.job.get("periodic")
        if not isinstance(name, str):
            return await call_next()
        try:
            value = await call_next()
        except BaseException as exc:
            await asyncio.to_thread(self._record, name, ctx.jid, f"failed: {type(exc).__name__}")
            raise
        await asyncio.to_thread(self._record, name, ctx.jid, "ok")
        return value

    def _record(self, name: str, jid: str, result: str) -> None:
        client = default_client()
        key = PeriodicKeys(client.keys).results(name)
        item = json.dumps({"jid": jid, "result": result, "at": int(time.time() * 1000)})
        try:
            pipe = client.redis.pipeline(transaction=True)
            pipe.lpush(key, item)
            pipe.ltrim(key, 0, HISTORY_LENGTH - 1)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("could not record the result of periodic job %s (%s)", jid, exc)
