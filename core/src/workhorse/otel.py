"""OpenTelemetry tracing (extra ``workhorse[otel]``): a span per push and per execution.

Spans follow the OpenTelemetry messaging conventions: a PRODUCER span
``send <queue>`` when a job is pushed and a CONSUMER span ``process <queue>``
when it runs, with ``messaging.system=workhorse``, the queue as
``messaging.destination.name`` and the jid as ``messaging.message.id``.

The trace context travels in the job payload as top-level ``traceparent``
(and ``tracestate``) fields, written by the configured propagator (W3C by
default): Ruby Sidekiq ignores them, and Ruby's own OpenTelemetry Sidekiq
instrumentation reads and writes the same fields, so traces cross languages.

Tracing costs nothing until :func:`instrument` is called (``workhorse worker
--otel`` or ``WORKHORSE_OTEL=1`` call it): it registers the two middlewares
through the plugin seams. Exporters are configured with the OpenTelemetry SDK
as usual; workhorse uses only the API.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

try:
    from opentelemetry import context, propagate, trace
    from opentelemetry.trace import Link, SpanKind, Status, StatusCode
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    from workhorse.errors import ConfigError

    raise ConfigError(
        "tracing needs the OpenTelemetry API: pip install 'workhorse[otel]' "
        "(and opentelemetry-sdk plus an exporter to send spans somewhere)"
    ) from exc

from workhorse import plugins, tracelinks
from workhorse.hookspecs import hookimpl
from workhorse.middleware import (
    AsyncRunNext,
    ClientMiddleware,
    JobContext,
    PushNext,
    RunNext,
    ServerMiddleware,
)
from workhorse.types import JobPayload
from workhorse.version import __version__

SYSTEM = "workhorse"
# Payload fields that carry a *related* trace, linked rather than parented: the
# batch's and the periodic tick's context, when the tier that creates them stores one.
LINK_FIELDS = ("batch_traceparent", "cron_traceparent")
_PLUGIN_NAME = "workhorse-otel"
TRACEPARENT = TraceContextTextMapPropagator()


def _tracer() -> trace.Tracer:
    return trace.get_tracer("workhorse", __version__)


def _attributes(job: Mapping[str, Any], queue: str, operation: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "messaging.system": SYSTEM,
        "messaging.operation.type": operation,
        "messaging.operation.name": operation,
        "messaging.destination.name": queue,
        "messaging.message.id": str(job.get("jid", "")),
        "workhorse.job.class": str(job.get("class", "")),
    }
    if job.get("retry_count") is not None:
        attrs["workhorse.job.retry_count"] = str(job.get("retry_count"))
    if job.get("bid"):
        attrs["workhorse.batch.id"] = str(job["bid"])
    return attrs


def _carrier(job: Mapping[str, Any]) -> dict[str, str]:
    """The payload's string fields only: bytes from Redis may be anything."""
    return {k: v for k, v in job.items() if isinstance(k, str) and isinstance(v, str)}


def _links(job: Mapping[str, Any]) -> list[Link]:
    links = []
    for name in LINK_FIELDS:
        value = job.get(name)
        if isinstance(value, str):
            ctx = TRACEPARENT.extract({"traceparent": value})
            span_context = trace.get_current_span(ctx).get_span_context()
            if span_context.is_valid:
                links.append(Link(span_context, {"workhorse.link": name}))
    return links


class TracingClientMiddleware:
    """PRODUCER span per push; writes the trace context into the payload."""

    def __call__(self, job: JobPayload, call_next: PushNext) -> JobPayload | None:
        queue = str(job.get("queue", "default"))
        with _tracer().start_as_current_span(
            f"send {queue}",
            kind=SpanKind.PRODUCER,
            attributes=_attributes(job, queue, "send"),
            links=_links(job),
        ):
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            job.update(carrier)  # type: ignore[typeddict-item]
            return call_next(job)


class TracingServerMiddleware:
    """CONSUMER span per execution, a child of the push's span; errors recorded."""

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:
        with _consumer_span(ctx):
            return call_next()

    async def call_async(self, ctx: JobContext, call_next: AsyncRunNext) -> object:
        with _consumer_span(ctx):  # attached to this task's own context
            return await call_next()


@contextmanager
def _consumer_span(ctx: JobContext) -> Iterator[None]:
    token = context.attach(propagate.extract(_carrier(ctx.job)))
    try:
        with _tracer().start_as_current_span(
            f"process {ctx.queue}",
            kind=SpanKind.CONSUMER,
            attributes=_attributes(ctx.job, ctx.queue, "process"),
            links=_links(ctx.job),
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield
            except BaseException as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
                raise
    finally:
        context.detach(token)


class _LinkTracer:
    """Spans for batches and periodic ticks (see ``workhorse.tracelinks``)."""

    _KINDS = {"internal": SpanKind.INTERNAL, "producer": SpanKind.PRODUCER}

    @contextmanager
    def span(
        self, name: str, kind: tracelinks.Kind, attributes: Mapping[str, str | int]
    ) -> Iterator[str | None]:
        attrs = {"messaging.system": SYSTEM, **attributes}
        with _tracer().start_as_current_span(name, kind=self._KINDS[kind], attributes=attrs):
            carrier: dict[str, str] = {}
            # Only the trace id and span id matter to a link: the W3C field, not the
            # configured propagator (which may write other formats).
            TRACEPARENT.inject(carrier)
            yield carrier.get("traceparent")


class _TracingPlugin:
    @hookimpl
    def workhorse_client_middleware(self) -> list[ClientMiddleware]:
        return [TracingClientMiddleware()]

    @hookimpl
    def workhorse_server_middleware(self) -> list[ServerMiddleware]:
        return [TracingServerMiddleware()]


_plugin: _TracingPlugin | None = None


def instrument() -> None:
    """Trace every push and execution from now on (clients and workers created after)."""
    global _plugin
    if _plugin is None:
        _plugin = _TracingPlugin()
        plugins.register(_plugin, _PLUGIN_NAME)
        tracelinks.install(_LinkTracer())


def uninstrument() -> None:
    global _plugin
    if _plugin is not None:
        plugins.unregister(_plugin)
        _plugin = None
        tracelinks.install(None)
