"""One OpenTelemetry SDK provider for the whole test process, exporting to memory.

The global tracer provider can be set once per process, so every test module
that inspects spans shares this exporter (and clears it before each test).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from workhorse import otel

EXPORTER = InMemorySpanExporter()
_installed = False


def install_provider() -> None:
    global _installed
    if not _installed:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
        _installed = True


@contextmanager
def tracing() -> Iterator[None]:
    """``workhorse.otel`` instrumented, and an empty exporter, for the block."""
    install_provider()
    otel.instrument()
    EXPORTER.clear()
    try:
        yield
    finally:
        otel.uninstrument()


def finished(kind: SpanKind | None = None, name: str | None = None) -> list[ReadableSpan]:
    return [
        s
        for s in EXPORTER.get_finished_spans()
        if (kind is None or s.kind == kind) and (name is None or s.name == name)
    ]


def linked_traces(span: ReadableSpan, field: str) -> list[int]:
    """Trace ids of ``span``'s links made from payload field ``field``."""
    return [
        link.context.trace_id
        for link in span.links
        if link.attributes is not None and link.attributes.get("workhorse.link") == field
    ]
