"""Tracing: each periodic tick is a span, and the job it enqueues links to it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from opentelemetry.trace import SpanKind
from periodic_jobs import beat, touch
from support.spans import finished, linked_traces, tracing
from support.waiting import wait_for

from workhorse import otel
from workhorse.client import Client
from workhorse.keys import Keys
from workhorse.worker.launcher import WorkerProcess
from workhorse_enterprise import periodic
from workhorse_enterprise.leader import LeaderElector
from workhorse_enterprise.periodic import registry
from workhorse_enterprise.periodic.entry import Entry
from workhorse_enterprise.periodic.ticker import PeriodicTicker

StartWorker = Callable[..., WorkerProcess]
T0 = 1_800_000_000.0  # a whole minute


@pytest.fixture(autouse=True)
def traced() -> Iterator[None]:
    """Autouse, so it is set up before the default client (chains are built once)."""
    with tracing():
        yield


def test_a_tick_is_a_span_and_its_job_links_to_it(
    start_worker: StartWorker, rc: redis.Redis
) -> None:
    periodic.register(None, touch, every=1, args=["ran:traced"], name="heartbeat-check")
    start_worker()
    wait_for(lambda: finished(SpanKind.CONSUMER), "the first periodic run's span")
    ticks = finished(name="heartbeat-check tick")
    assert ticks and all(t.kind == SpanKind.INTERNAL for t in ticks)
    assert ticks[0].attributes is not None
    assert ticks[0].attributes["workhorse.periodic.entry"] == "heartbeat-check"
    run = finished(SpanKind.CONSUMER)[0]
    tick_traces = {t.context.trace_id for t in ticks if t.context is not None}
    assert set(linked_traces(run, "cron_traceparent")) <= tick_traces
    assert len(linked_traces(run, "cron_traceparent")) == 1


@pytest.fixture
def ticker(
    rc: redis.Redis, make_elector: Callable[..., LeaderElector], wh_client: Client, enterprise: None
) -> Callable[[Entry], PeriodicTicker]:
    """A leading ticker for one entry, driven by an injected clock."""
    leader = make_elector("host:1:aaaaaaaaaaaa")
    assert leader.wait_for(True, 5.0)
    return lambda entry: PeriodicTicker(rc, Keys(), [registry.resolve(entry)], leader, wh_client)


def queued(rc: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in rc.lrange("queue:cron", 0, -1)]


def test_the_enqueued_payload_carries_the_tick_span_context(
    rc: redis.Redis, ticker: Callable[[Entry], PeriodicTicker]
) -> None:
    entry = periodic.register("* * * * *", beat, name="minutely")
    ticker(entry).tick_once(now=T0 + 0.5)
    (tick,) = finished(name="minutely tick")
    (job,) = queued(rc)
    assert tick.context is not None and tick.attributes is not None
    assert job["cron_traceparent"].startswith(
        f"00-{tick.context.trace_id:032x}-{tick.context.span_id:016x}-"
    )
    assert tick.attributes["workhorse.periodic.tick"] == int(T0)


def test_without_tracing_a_tick_makes_no_span_and_adds_no_field(
    rc: redis.Redis, ticker: Callable[[Entry], PeriodicTicker]
) -> None:
    otel.uninstrument()
    entry = periodic.register("* * * * *", beat, name="untraced")
    ticker(entry).tick_once(now=T0 + 0.5)
    (job,) = queued(rc)
    assert "cron_traceparent" not in job
    assert finished(name="untraced tick") == []
