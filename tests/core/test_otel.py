"""OpenTelemetry: spans per push and execution, captured with the SDK's in-memory exporter."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import jobs_for_tests as jobs
import pytest
import redis
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from support.spans import EXPORTER, install_provider
from support.waiting import wait_for

from workhorse import otel
from workhorse.client import Client, set_default_client
from workhorse.config import Settings
from workhorse.payload import loads
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]


@pytest.fixture(scope="module", autouse=True)
def provider() -> None:
    install_provider()


@pytest.fixture
def traced(settings: Settings) -> Iterator[Client]:
    """Tracing on, and a default client built after it (chains are built once)."""
    otel.instrument()
    EXPORTER.clear()
    client = Client(settings=settings)
    previous = set_default_client(client)
    yield client
    otel.uninstrument()
    set_default_client(previous)


def spans(kind: SpanKind) -> list[trace.Span]:
    return [s for s in EXPORTER.get_finished_spans() if s.kind == kind]  # type: ignore[misc]


def test_push_and_execution_share_one_trace(
    traced: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jid = jobs.record.perform_async("hello")
    stored = loads(r.lindex("queue:default", 0))
    assert stored["traceparent"].startswith("00-")
    start_worker()
    wait_for(lambda: spans(SpanKind.CONSUMER), "the execution span")
    (send,), (process,) = spans(SpanKind.PRODUCER), spans(SpanKind.CONSUMER)
    assert (send.name, process.name) == ("send default", "process default")
    assert process.context.trace_id == send.context.trace_id
    assert process.parent is not None and process.parent.span_id == send.context.span_id
    assert process.attributes["messaging.system"] == "workhorse"
    assert process.attributes["messaging.message.id"] == jid
    assert process.attributes["messaging.destination.name"] == "default"
    assert process.attributes["workhorse.job.class"] == jobs.record.name


def test_a_failing_job_records_the_error_on_its_span(
    traced: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    jobs.always_fails.perform_async(1)
    start_worker()
    wait_for(lambda: spans(SpanKind.CONSUMER), "the execution span")
    (span,) = spans(SpanKind.CONSUMER)
    assert span.status.status_code == StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]


def test_a_job_without_or_with_garbage_context_starts_its_own_trace(
    traced: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    r.lpush(
        "queue:default",
        json.dumps(
            {
                "class": "HardJob",
                "args": ["x", 1],
                "jid": "a" * 24,
                "queue": "default",
                "traceparent": "00-zzzz-not-a-trace",
                "tracestate": 7,
                "batch_traceparent": "00-" + "0" * 32 + "-" + "0" * 16 + "-01",  # invalid ids
                "cron_traceparent": ["00-not", {"a": "string"}],
            }
        ),
    )
    start_worker()
    wait_for(lambda: spans(SpanKind.CONSUMER), "the execution span")
    (span,) = spans(SpanKind.CONSUMER)
    assert span.parent is None and span.context.is_valid
    assert span.links == ()


def test_batch_and_tick_contexts_become_links(
    traced: Client, r: redis.Redis, start_worker: StartWorker
) -> None:
    batch = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
    r.lpush(
        "queue:default",
        json.dumps(
            {
                "class": "HardJob",
                "args": ["x", 1],
                "jid": "b" * 24,
                "queue": "default",
                "bid": "B1",
                "batch_traceparent": batch,
            }
        ),
    )
    start_worker()
    wait_for(lambda: spans(SpanKind.CONSUMER), "the execution span")
    (span,) = spans(SpanKind.CONSUMER)
    assert [link.context.trace_id for link in span.links] == [int("1" * 32, 16)]
    assert span.attributes["workhorse.batch.id"] == "B1"


def test_without_instrument_no_middleware_is_installed(wh_client: Client) -> None:
    from workhorse import plugins

    assert not any(
        isinstance(m, otel.TracingServerMiddleware)
        for m in plugins.server_middleware(WorkerProcess(wh_client.settings, wh_client.redis))
    )
