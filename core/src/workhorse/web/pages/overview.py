"""The first page: totals, a live throughput chart and the daily history chart."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workhorse.api.server import server_info
from workhorse.web.pages.common import int_param, unreadable_processes
from workhorse.web.rendering import render
from workhorse.web.state import dashboard_of

HISTORY_CHOICES = (7, 30, 90, 180)


def index(request: Request) -> Response:
    dashboard = dashboard_of(request)
    api = dashboard.inspector
    days = int_param(request, "days", 30, 1, 180)
    if days not in HISTORY_CHOICES:
        days = 30
    summary = api.stats.summary()
    return render(
        request,
        "dashboard.html",
        {
            "summary": summary,
            "warnings": unreadable_processes(summary.unreadable_processes),
            "days": days,
            "history_choices": HISTORY_CHOICES,
            "poll_ms": int(dashboard.options.poll_interval * 1000),
            "server": server_info(api.redis),
            "active": "dashboard",
        },
    )


routes = [Route("/", index, methods=["GET"], name="dashboard")]
