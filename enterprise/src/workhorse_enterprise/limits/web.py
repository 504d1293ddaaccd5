"""The dashboard's Limits tab: every live limiter with its metrics (HTML and JSON)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workhorse.web.tabs import DashboardTab, inspector, render
from workhorse_enterprise.limits.inventory import list_limiters

TEMPLATES = Path(__file__).with_name("templates")


def _stats(request: Request) -> list[dict[str, object]]:
    api = inspector(request)
    return [asdict(s) for s in list_limiters(api.redis, api.keys.prefix)]


def index(request: Request) -> Response:
    return render(request, "limits/index.html", {"limiters": _stats(request), "active": "limits"})


def as_json(request: Request) -> Response:
    return JSONResponse(_stats(request))


def tab() -> DashboardTab:
    return DashboardTab(
        "limits",
        "Limits",
        [Route("/", index), Route("/json", as_json)],
        templates_dir=TEMPLATES,
        order=60,
    )
