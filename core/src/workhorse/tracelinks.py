"""Spans that other traces link to (a batch's creation, a periodic tick), free until tracing is on.

Batches (Pro) and periodic ticks (Enterprise) start a short span and keep its
W3C ``traceparent`` string, which they stamp on their jobs as
``batch_traceparent`` / ``cron_traceparent``; the consumer span of each job then
links to it. This module imports no OpenTelemetry: until
:func:`workhorse.otel.instrument` installs a tracer here, :func:`span` yields None
at the cost of one global lookup, so the tiers never import the OTel API.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Literal, Protocol

Kind = Literal["internal", "producer"]


class LinkTracer(Protocol):
    def span(
        self, name: str, kind: Kind, attributes: Mapping[str, str | int]
    ) -> AbstractContextManager[str | None]: ...


_tracer: LinkTracer | None = None


def install(tracer: LinkTracer | None) -> None:
    """Set (or with None, remove) the tracer; called by ``workhorse.otel``."""
    global _tracer
    _tracer = tracer


def active() -> bool:
    return _tracer is not None


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def span(
    name: str, kind: Kind = "internal", attributes: Mapping[str, str | int] | None = None
) -> AbstractContextManager[str | None]:
    """A span (child of the current one) while the block runs, yielding its traceparent;
    without tracing, no span and None."""
    if _tracer is None:
        return _nothing()
    return _tracer.span(name, kind, attributes or {})
