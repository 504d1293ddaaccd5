"""``--metrics-port``: serve Prometheus ``/metrics`` from a worker or the ``-p`` supervisor."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from workhorse import metrics
from workhorse.httpd import Response, RouteServer
from workhorse.types import ProcessContext

if TYPE_CHECKING:
    from workhorse.config import Settings
    from workhorse.prometheus import WorkhorseCollector


class ExportedProcess(ProcessContext, metrics.MeteredProcess, Protocol):
    """A worker process, as its ``/metrics`` endpoint reads it."""


def _route(collector: WorkhorseCollector) -> Response:
    from workhorse.prometheus import exposition

    content_type, body = exposition(collector)
    return 200, content_type, body


def _serve(collector: WorkhorseCollector, port: int, host: str) -> RouteServer:
    server = RouteServer(port, {"/metrics": lambda: _route(collector)}, host)
    server.start("workhorse-metrics")
    return server


def serve_process(process: ExportedProcess, port: int) -> RouteServer:
    """This process's job metrics plus the installation's Redis gauges."""
    from workhorse.api import Inspector
    from workhorse.prometheus import WorkhorseCollector

    inspector = Inspector(process.redis, process.keys, process.settings)
    collector = WorkhorseCollector(lambda: metrics.of_process(process), lambda: inspector)
    return _serve(collector, port, process.settings.http_host)


def serve_supervisor(settings: Settings, share: Path) -> RouteServer:
    """``-p N``: the children's snapshots summed, plus Redis gauges when a URL was given."""
    from workhorse.prometheus import WorkhorseCollector

    inspector = None
    if settings.redis_url:
        from workhorse.api import Inspector

        api = Inspector.from_url(settings.redis_url, settings.prefix)
        inspector = lambda: api  # noqa: E731
    collector = WorkhorseCollector(lambda: metrics.read_shared(share), inspector)
    return _serve(collector, settings.metrics_port or 0, settings.http_host)
