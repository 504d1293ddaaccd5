"""Tracing: a batch keeps the trace it was created in; its jobs and callbacks link to it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from batch_jobs import on_event, record
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from support.spans import finished, linked_traces, tracing

from workhorse import otel
from workhorse.client import Client
from workhorse.keys import Keys
from workhorse.worker.launcher import WorkerProcess
from workhorse_pro.batches import Batch
from workhorse_pro.batches.callback import NAME as CALLBACK
from workhorse_pro.batches.keys import BatchKeys

Waiter = Callable[..., object]


@pytest.fixture(autouse=True)
def traced() -> Iterator[None]:
    """Autouse, so it is set up before the default client (chains are built once)."""
    with tracing():
        yield


def processed(job_class: str) -> list[Any]:
    return [
        s
        for s in finished(SpanKind.CONSUMER)
        if s.attributes is not None and s.attributes.get("workhorse.job.class") == job_class
    ]


def queued(r: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in r.lrange("queue:default", 0, -1)]


def test_jobs_and_callbacks_of_a_batch_link_to_the_trace_that_created_it(
    r: redis.Redis, start_worker: Callable[..., WorkerProcess], waiter: Waiter
) -> None:
    tracer = trace.get_tracer("app")
    with (
        tracer.start_as_current_span("nightly import") as parent,
        Batch(on_complete=on_event, on_success=on_event) as batch,
    ):
        record.perform_async(1)
        record.perform_async(2)
    trace_id = parent.get_span_context().trace_id
    (create,) = finished(name="create batch")
    assert create.context is not None and create.context.trace_id == trace_id
    assert create.attributes is not None and create.attributes["workhorse.batch.id"] == batch.bid
    stored = r.hget(BatchKeys(Keys("")).hash(batch.bid), "traceparent")
    assert str(stored).startswith(f"00-{trace_id:032x}-{create.context.span_id:016x}-")
    start_worker()
    waiter(lambda: len(processed(CALLBACK)) == 2, "the complete and success callbacks")
    runs = processed(record.name)
    assert len(runs) == 2
    for span in [*runs, *processed(CALLBACK)]:
        assert linked_traces(span, "batch_traceparent") == [trace_id]


def test_jobs_added_by_reopening_the_batch_carry_the_same_link(
    r: redis.Redis, wh_client: Client
) -> None:
    with Batch() as batch:
        record.perform_async(1)
    with Batch.reopen(batch.bid):
        record.perform_async(2)
    links = {job["batch_traceparent"] for job in queued(r)}
    assert links == {r.hget(BatchKeys(Keys("")).hash(batch.bid), "traceparent")}


def test_without_tracing_a_batch_stores_and_stamps_no_trace(
    r: redis.Redis, wh_client: Client
) -> None:
    otel.uninstrument()
    with Batch() as batch:
        record.perform_async(1)
    assert r.hget(BatchKeys(Keys("")).hash(batch.bid), "traceparent") is None
    assert "batch_traceparent" not in queued(r)[0]
    assert finished(name="create batch") == []


def test_a_garbage_trace_in_the_batch_hash_is_ignored_by_its_callback(
    r: redis.Redis, start_worker: Callable[..., WorkerProcess], waiter: Waiter
) -> None:
    with Batch(on_complete=on_event) as batch:
        record.perform_async(1)
    r.hset(BatchKeys(Keys("")).hash(batch.bid), "traceparent", "00-\u00ff-garbage-\x00")
    start_worker()
    waiter(lambda: len(processed(CALLBACK)) == 2, "the complete and success callbacks")
    assert [span.links for span in processed(CALLBACK)] == [(), ()]
