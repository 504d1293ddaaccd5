"""Server middleware wraps every job; handlers see errors, deaths and events."""

from __future__ import annotations

from collections.abc import Callable

import jobs_for_tests as jobs
import redis
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]
Ran = Callable[[], list[str]]


def test_server_middleware_wraps_execution(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker, ran: Ran
) -> None:
    from workhorse import hookimpl, plugins

    seen: list[str] = []

    class AuditPlugin:
        @hookimpl
        def workhorse_server_middleware(self):  # type: ignore[no-untyped-def]
            def audit(ctx, call_next):  # type: ignore[no-untyped-def]
                seen.append(f"before {ctx.name} {ctx.jid}")
                result = call_next()
                seen.append("after")
                return result

            return [audit]

    plugin = AuditPlugin()
    plugins.register(plugin)
    try:
        jid = jobs.record.perform_async("mw")
        start_worker()
        wait_for(lambda: ran() == ["mw"] and len(seen) == 2, "the job through the middleware")
        assert seen == [f"before jobs_for_tests.record {jid}", "after"]
    finally:
        plugins.unregister(plugin)


def test_handlers_registered_in_code_see_errors_deaths_and_events(
    wh_client: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    import workhorse.handlers as wh

    seen: list[str] = []
    wh.on_error(lambda ctx, error: seen.append(f"error {ctx.name} {type(error).__name__}"))
    wh.on_death(lambda job, error: seen.append(f"death {job['class']}"))
    wh.on("startup", lambda process: seen.append("startup"))
    wh.on_error(lambda ctx, error: 1 / 0)  # a broken handler is logged, not fatal
    try:
        jobs.dies_at_once.perform_async()
        start_worker()
        wait_for(lambda: r.zcard("dead") == 1 and len(seen) == 3, "the death to be handled")
        assert seen == [
            "startup",
            "error jobs_for_tests.dies_at_once RuntimeError",
            "death jobs_for_tests.dies_at_once",
        ]
    finally:
        wh.clear()
