"""JSON endpoints the dashboard's script polls (and other tools may read)."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workhorse.web.pages.common import int_param
from workhorse.web.state import dashboard_of


def stats(request: Request) -> Response:
    summary = dashboard_of(request).inspector.stats.summary()
    return JSONResponse({**summary.to_dict(), "time": time.time()})


def history(request: Request) -> Response:
    days = int_param(request, "days", 30, 1, 180)
    return JSONResponse({"days": dashboard_of(request).inspector.stats.history(days)})


def metrics(request: Request) -> Response:
    minutes = int_param(request, "minutes", 60, 1, 4320)  # > 480: the 10-minute rollups
    report = dashboard_of(request).inspector.stats.job_metrics_report(minutes)
    return JSONResponse({"minutes": minutes, "jobs": report.jobs, "unreadable": report.unreadable})


routes = [
    Route("/api/stats", stats, methods=["GET"], name="api_stats"),
    Route("/api/history", history, methods=["GET"], name="api_history"),
    Route("/api/metrics", metrics, methods=["GET"], name="api_metrics"),
]
