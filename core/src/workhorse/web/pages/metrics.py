"""Metrics: executions, failures and run time per job name, from the core's minute buckets."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workhorse import stats
from workhorse.web.pages import prometheus_export
from workhorse.web.rendering import render
from workhorse.web.state import dashboard_of

# Minutes; minute buckets cover 8 hours, the 10-minute rollups 72.
WINDOWS = (60, 240, 480, 1440, 4320)
# Per-minute execution-time histograms are kept 8 hours.
HISTOGRAM_WINDOWS = (60, 240, 480)


def rows(metrics: dict[str, dict[str, float]]) -> list[dict[str, float | str]]:
    table: list[dict[str, float | str]] = []
    for name, row in metrics.items():
        runs, fails = row.get("p", 0.0), row.get("f", 0.0)
        table.append(
            {
                "name": name,
                "runs": runs,
                "failures": fails,
                "failure_pct": 100.0 * fails / runs if runs else 0.0,
                "mean_ms": row.get("mean_ms", 0.0),
                "total_s": row.get("ms", 0.0) / 1000.0,
            }
        )
    table.sort(key=lambda r: (-float(r["total_s"]), -float(r["runs"]), str(r["name"])))
    return table


def _window(request: Request) -> int:
    try:
        minutes = int(request.query_params.get("minutes", 60))
    except ValueError:
        return 60
    return minutes if minutes in WINDOWS else 60


def index(request: Request) -> Response:
    if prometheus_export.wanted(request):
        return prometheus_export.respond(request)
    minutes = _window(request)
    report = dashboard_of(request).inspector.stats.job_metrics_report(minutes)
    table = rows(report.jobs)
    busiest = max((float(r["total_s"]) for r in table), default=0.0)
    warnings = (
        [
            f"{report.unreadable} stored metric value(s) were not numbers and are left "
            "out of these figures."
        ]
        if report.unreadable
        else []
    )
    return render(
        request,
        "metrics.html",
        {
            "rows": table,
            "minutes": minutes,
            "windows": WINDOWS,
            "busiest": busiest,
            "warnings": warnings,
            "active": "metrics",
        },
    )


def job(request: Request) -> Response:
    """One job's execution-time histogram over the window, at most the last 8 hours
    (Sidekiq 8 keeps its per-minute histograms that long)."""
    name = request.path_params["name"]
    minutes = _window(request)
    shown = min(minutes, HISTOGRAM_WINDOWS[-1])
    counts = dashboard_of(request).inspector.stats.job_histogram(name, shown)
    return render(
        request,
        "metrics_job.html",
        {
            "name": name,
            "minutes": shown,
            "windows": HISTOGRAM_WINDOWS,
            "clamped": shown < minutes,
            "active": "metrics",
            "buckets": list(zip(bucket_labels(), counts, strict=True)),
            "most": max(counts, default=0),
            "total": sum(counts),
        },
    )


def bucket_labels() -> list[str]:
    """ "< 20 ms" ... "< 335 s", then "≥ 335 s": Sidekiq's buckets, bounds exclusive."""
    bounds = stats.HISTOGRAM_MS
    return [*(f"< {_ms(b)}" for b in bounds), f"≥ {_ms(bounds[-1])}"]


def _ms(bound: int) -> str:
    return f"{bound} ms" if bound < 1000 else f"{bound / 1000:g} s"


routes = [
    Route("/metrics", index, methods=["GET"], name="metrics"),
    Route("/metrics/{name:path}", job, methods=["GET"], name="metrics_job"),
]
