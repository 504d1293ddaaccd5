"""``/metrics`` for Prometheus: the same path as the Metrics page, chosen by ``Accept``.

Prometheus asks for ``application/openmetrics-text`` or ``text/plain``; browsers
ask for ``text/html``. ``?format=prometheus`` forces the export (for curl).
The export holds the installation-wide gauges read from Redis at scrape time.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from workhorse.errors import ConfigError
from workhorse.web.state import dashboard_of


def wanted(request: Request) -> bool:
    if request.query_params.get("format") == "prometheus":
        return True
    accept = request.headers.get("accept", "").lower()
    return "text/html" not in accept and ("openmetrics" in accept or "text/plain" in accept)


def respond(request: Request) -> Response:
    try:
        from workhorse.prometheus import WorkhorseCollector, exposition
    except ConfigError as exc:  # the extra is not installed: say which
        return PlainTextResponse(f"{exc}\n", status_code=501)
    inspector = dashboard_of(request).inspector
    content_type, body = exposition(WorkhorseCollector(inspector=lambda: inspector))
    return Response(body, media_type=content_type)
