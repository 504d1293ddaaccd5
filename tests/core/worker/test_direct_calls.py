"""Issue 18: a job that needs nothing around its body (no middleware, time limit) is called
directly; every other job still goes through the middleware chain."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

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

P = TypeVar("P")


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


@contextmanager
def _plugged_in(plugin: P) -> Iterator[P]:
    """``plugin`` registered for the duration."""
    plugins.register(plugin)
    try:
        yield plugin
    finally:
        plugins.unregister(plugin)


@pytest.fixture
def tagging() -> Iterator[_Tagging]:
    with _plugged_in(_Tagging()) as plugin:
        yield plugin


def _processor(client: Client) -> Processor:
    return Processor(WorkerProcess(client.settings, client.redis), _NoFetch(), AsyncRunner())  # type: ignore[arg-type]


def _run(processor: Processor, value: str, **fields: object) -> ThreadStats:
    job = {"class": jobs.record.name, "args": [value], "jid": payload.new_jid(), **fields}
    stats = ThreadStats()
    processor.process_unit(UnitOfWork("default", payload.encode(job)), stats)
    return stats


def _chained_jobs(processor: Processor, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first argument of every job ``processor`` runs through its chain, from now on."""
    chained: list[str] = []
    run_chain = processor.run_chain

    def counting(ctx: JobContext, invoke: RunNext) -> object:
        chained.append(str(ctx.job["args"][0]))  # type: ignore[typeddict-item]
        return run_chain(ctx, invoke)

    monkeypatch.setattr(processor, "run_chain", counting)
    return chained


def test_a_job_no_middleware_or_limit_concerns_runs_without_the_chain(
    wh_client: Client, r: redis.Redis, tagging: _Tagging, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor = _processor(wh_client)
    chained = _chained_jobs(processor, monkeypatch)
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

    with _plugged_in(Audit()):
        processor = _processor(wh_client)
        _run(processor, "plain")
        _run(processor, "stored", store_result=True)
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


class _Upper:
    """An ``only_with("shout")`` middleware that only swaps the job's first argument for
    the call, offering the argument-opener form besides ``__call__``."""

    def __init__(self) -> None:
        self.opened: list[object] = []

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:
        token = self.open_arguments(ctx.job)
        try:
            return call_next()
        finally:
            self.restore_arguments(ctx.job, token)

    def open_arguments(self, job: dict[str, object]) -> object:
        args: list[object] = job["args"]  # type: ignore[assignment]
        if args[0] == "unopenable":
            job["retry"] = 0
            raise ValueError("cannot open")
        fetched, args[0] = args[0], str(args[0]).upper()
        self.opened.append(fetched)
        return fetched

    def restore_arguments(self, job: dict[str, object], token: object) -> None:
        job["args"][0] = token  # type: ignore[index]


class _Shouting:
    def __init__(self) -> None:
        self.upper = _Upper()

    @hookimpl(tryfirst=True)  # innermost, within the middleware of installed plugins
    def workhorse_server_middleware(self) -> list[object]:
        return [only_with("shout", self.upper)]


@pytest.fixture
def shouting() -> Iterator[_Shouting]:
    with _plugged_in(_Shouting()) as plugin:
        yield plugin


def test_an_innermost_argument_opener_is_applied_around_the_call_without_its_chain(
    wh_client: Client, r: redis.Redis, shouting: _Shouting, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor = _processor(wh_client)
    chained = _chained_jobs(processor, monkeypatch)
    _run(processor, "direct", shout=True)
    _run(processor, "stored", shout=True, store_result=True)
    _run(processor, "limited", shout=True, timeout=30)  # watched, opened around the call
    assert r.lrange("test:ran", 0, -1) == ["DIRECT", "STORED", "LIMITED"]
    assert chained == []
    assert shouting.upper.opened == ["direct", "stored", "limited"]


def test_a_job_an_opener_failed_or_that_failed_opened_is_recorded_as_fetched(
    wh_client: Client, r: redis.Redis, shouting: _Shouting
) -> None:
    processor = _processor(wh_client)
    job = {"class": jobs.always_fails.name, "args": ["x"], "jid": payload.new_jid(), "retry": 3}
    stats = ThreadStats()
    processor.process_unit(UnitOfWork("default", payload.encode({**job, "shout": True})), stats)
    unopenable = {**job, "args": ["unopenable"], "jid": payload.new_jid(), "shout": True}
    processor.process_unit(UnitOfWork("default", payload.encode(unopenable)), stats)
    assert snapshot([stats]).failed == 2
    (retried,) = r.zrange("retry", 0, -1)
    (dead,) = r.zrange("dead", 0, -1)
    assert payload.decode(retried)["args"] == ["x"]  # put back after the failed call
    assert payload.decode(dead)["args"] == ["unopenable"] and "cannot open" in dead


def test_an_opener_field_beside_another_middleware_field_goes_through_the_chain(
    wh_client: Client, r: redis.Redis, tagging: _Tagging, shouting: _Shouting
) -> None:
    processor = _processor(wh_client)
    _run(processor, "both", shout=True, tagged=True)
    assert r.lrange("test:ran", 0, -1) == ["BOTH"] and len(tagging.seen) == 1
