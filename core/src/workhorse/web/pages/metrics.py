"""Metrics: executions, failures and run time per job name, from the core's minute buckets."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workhorse.web.pages import prometheus_export
from workhorse.web.rendering import render
from workhorse.web.state import dashboard_of

WINDOWS = (60, 240, 480)  # minutes; the core keeps 8 hours of buckets


def rows(metrics: dict[str, dict[str, float]]) -> list[dict[str, float | str]]:
    table: list[dict[str, float | str]] = []
    for name, row in metrics.items():
        runs, fails = row.get("p", 0.0), row.get("f", 0.0)
        table.append({
            "name": name, "runs": runs, "failures": fails,
            "failure_pct": 100.0 * fails / runs if runs else 0.0,
            "mean_ms": row.get("mean_ms", 0.0), "total_s": row.get("ms", 0.0) / 1000.0,
        })
    table.sort(key=lambda r: (-float(r["total_s"]), -float(r["runs"]), str(r["name"])))
    return table


def index(request: Request) -> Response:
    if prometheus_export.wanted(request):
        return prometheus_export.respond(request)
    try:
        minutes = int(request.query_params.get("minutes", 60))
    except ValueError:
        minutes = 60
    if minutes not in WINDOWS:
        minutes = 60
    report = dashboard_of(request).inspector.stats.job_metrics_report(minutes)
    table = rows(report.jobs)
    busiest = max((float(r["total_s"]) for r in table), default=0.0)
    warnings = [f"{report.unreadable} stored metric value(s) were not numbers and are left "
                "out of these figures."] if report.unreadable else []
    return render(request, "metrics.html", {
        "rows": table, "minutes": minutes, "windows": WINDOWS, "busiest": busiest,
        "warnings": warnings, "active": "metrics",
    })


routes = [Route("/metrics", index, methods=["GET"], name="metrics")]
