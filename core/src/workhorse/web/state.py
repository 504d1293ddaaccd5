"""The per-app state every page reaches through its request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import jinja2
from starlette.requests import Request

from workhorse.api import Inspector
from workhorse.web.options import DashboardOptions

if TYPE_CHECKING:
    from workhorse.web.tab import DashboardTab

STATE_ATTR = "workhorse_dashboard"
ROOT_SCOPE_KEY = "workhorse.root"
CSRF_SCOPE_KEY = "workhorse.csrf"


@dataclass
class Dashboard:
    inspector: Inspector
    options: DashboardOptions
    templates: jinja2.Environment
    tabs: list[DashboardTab] = field(default_factory=list)


def dashboard_of(request: Request) -> Dashboard:
    dashboard: Dashboard = getattr(request.app.state, STATE_ATTR)
    return dashboard


def root_of(request: Request) -> str:
    """Where the dashboard is mounted (set by the guard before any page runs)."""
    return str(request.scope.get(ROOT_SCOPE_KEY, request.scope.get("root_path", "")))


def csrf_token_of(request: Request) -> str:
    return str(request.scope.get(CSRF_SCOPE_KEY, ""))
