"""Issue 18: a job that needs nothing around its body (no middleware, time limit) is called
directly; every other job still goes through the middleware chain."""

from __future__ import annotations

from collections.abc import Iterator

import jobs_for_tests as jobs
import pytest
import redis

from workhorse import hookimpl, payload, plugins
from workhorse.client import Client
from workhorse.middleware import JobContext, RunNext, only_with
from workhorse.stats import ThreadStats, snapshot
from workhorse.types import UnitOfWork
from workhorse.worker.async_runner import AsyncRunner
from workhorse.worker.launcher import WorkerProcess
from workhorse.worker.processor import Processor


class _NoFetch:
    acknowledges = False

    def acknowledge(self, unit: UnitOfWork[None]) -> None:
        pass


class _Tagging:
    """A plugin whose middleware wraps only jobs that carry a ``tagged`` field."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def workhorse_server_middleware(self) -> list[object]:
        def note(ctx: JobContext, call_next: RunNext) -> object:
            self.seen.append(str(ctx.job["args"][0]))  # type: ignore[typeddict-item]
            return call_next()

        return [only_with("tagged", note)]


@pytest.fixture
def tagging() -> Iterator[_Tagging]:
    plugin = _Tagging()
    plugins.register(plugin)
    yield plugin
    plugins.unregister(plugin)


def _processor(client: Client) -> Processor:
    return Processor(WorkerProcess(client.settings, client.redis), _NoFetch(), AsyncRunner())  # type: ignore[arg-type]


def _run(processor: Processor, value: str, **fields: object) -> ThreadStats:
    job = {"class": jobs.record.name, "args": [value], "jid": payload.new_jid(), **fields}
    stats = ThreadStats()
    processor.process_unit(UnitOfWork("default", payload.encode(job)), stats)
    return stats


def test_a_job_no_middleware_or_limit_concerns_runs_without_the_chain(
    wh_client: Client, r: redis.Redis, tagging: _Tagging, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor = _processor(wh_client)
    chained: list[str] = []
    run_chain = processor.run_chain

    def counting(ctx: JobContext, invoke: RunNext) -> object:
        chained.append(str(ctx.job["args"][0]))  # type: ignore[typeddict-item]
        return run_chain(ctx, invoke)

    monkeypatch.setattr(processor, "run_chain", counting)
    assert snapshot([_run(processor, "plain")]).processed == 1
    assert snapshot([_run(processor, "stored", store_result=True)]).processed == 1
    _run(processor, "limited", timeout=30)
    _run(processor, "tagged", tagged=True)
    assert r.lrange("test:ran", 0, -1) == ["plain", "stored", "limited", "tagged"]
    assert chained == ["limited", "tagged"]  # the plain and the stored one were called directly
    assert tagging.seen == ["tagged"]


def test_middleware_for_every_job_wraps_every_job(wh_client: Client, r: redis.Redis) -> None:
    seen: list[str] = []

    class Audit:
        @hookimpl
        def workhorse_server_middleware(self) -> list[object]:
            def audit(ctx: JobContext, call_next: RunNext) -> object:
                seen.append(str(ctx.job["args"][0]))  # type: ignore[typeddict-item]
                return call_next()

            return [audit]

    plugin = Audit()
    plugins.register(plugin)
    try:
        processor = _processor(wh_client)
        _run(processor, "plain")
        _run(processor, "stored", store_result=True)
    finally:
        plugins.unregister(plugin)
    assert seen == ["plain", "stored"] and r.lrange("test:ran", 0, -1) == ["plain", "stored"]


def test_a_directly_called_job_that_fails_is_retried_as_any_job(
    wh_client: Client, r: redis.Redis
) -> None:
    processor = _processor(wh_client)
    job = {"class": jobs.always_fails.name, "args": ["x"], "jid": payload.new_jid(), "retry": 3}
    stats = ThreadStats()
    processor.process_unit(UnitOfWork("default", payload.encode(job)), stats)
    assert snapshot([stats]).failed == 1
    (retried,) = r.zrange("retry", 0, -1)
    assert payload.decode(retried)["jid"] == job["jid"]
