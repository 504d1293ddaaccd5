"""The plugin seam: paid packages add dashboard tabs with routes, templates and assets.

A plugin answers the ``workhorse_dashboard_tabs`` hook with ``DashboardTab``
objects; core knows nothing else about them (issue 5)::

    from starlette.routing import Route
    from workhorse.hookspecs import hookimpl
    from workhorse.web.tabs import DashboardTab, inspector, render

    def batches(request):
        api = inspector(request)
        return render(request, "batches/index.html", {"count": api.redis.scard("batches")})

    @hookimpl
    def workhorse_dashboard_tabs():
        return [DashboardTab("batches", "Batches", [Route("/", batches)],
                             templates_dir=Path(__file__).parent / "templates")]

The tab is served under ``<dashboard>/<name>/``, its templates are named
``<name>/<file>`` and may ``{% extends "base.html" %}``, its static files are
at ``<dashboard>/<name>/static/<file>``. The dashboard's auth hook, read-only
mode, CSRF checks and security headers apply to its routes too.
"""

from __future__ import annotations

import logging

from starlette.requests import Request

from workhorse import plugins
from workhorse.api import Inspector
from workhorse.client import Client
from workhorse.web.links import Links
from workhorse.web.pages.common import Pager, pager
from workhorse.web.rendering import render
from workhorse.web.state import csrf_token_of, dashboard_of, root_of
from workhorse.web.tab import DashboardTab

__all__ = [
    "DashboardTab",
    "Pager",
    "client_for",
    "collect",
    "csrf_token",
    "inspector",
    "pager",
    "read_only",
    "render",
    "url",
]

log = logging.getLogger(__name__)


def collect() -> list[DashboardTab]:
    """Tabs from every plugin, valid ones only, sorted; problems are logged, not raised.

    A broken plugin must not take the dashboard down with it.
    """
    try:
        offered = plugins.dashboard_tabs()
    except Exception:
        log.exception("a plugin failed while listing its dashboard tabs; showing core pages only")
        return []
    tabs: dict[str, DashboardTab] = {}
    for tab in offered:
        if not isinstance(tab, DashboardTab):
            log.error(
                "ignoring dashboard tab %r: plugins must return workhorse.web.tabs."
                "DashboardTab objects",
                tab,
            )
            continue
        problem = tab.problem() or (
            f"two plugins offer a tab named {tab.name!r}" if tab.name in tabs else None
        )
        if problem:
            log.error("ignoring dashboard tab: %s", problem)
            continue
        tabs[tab.name] = tab
    return sorted(tabs.values(), key=lambda t: (t.order, t.title))


def inspector(request: Request) -> Inspector:
    """The dashboard's :class:`workhorse.api.Inspector` (its Redis, keys and settings)."""
    return dashboard_of(request).inspector


def client_for(request: Request) -> Client:
    """A :class:`workhorse.client.Client` on the dashboard's Redis and settings, for tabs
    that call a plugin API taking one (pushes go through the usual client middleware)."""
    api = inspector(request)
    return Client(api.redis, api.settings)


def read_only(request: Request) -> bool:
    """Hide your tab's buttons when True (state-changing POSTs are refused anyway)."""
    return dashboard_of(request).options.read_only


def csrf_token(request: Request) -> str:
    """The token a POST must carry as form field ``csrf_token`` or header ``X-CSRF-Token``.

    Templates rendered with :func:`render` already have it as ``csrf_token``.
    """
    return csrf_token_of(request)


def url(request: Request, *segments: object, **query: object) -> str:
    """A link inside the dashboard, e.g. ``url(request, "batches", bid, page=2)``.

    Segments are percent-encoded one by one, so data can never change the path.
    """
    return Links(root_of(request))(*segments, **query)
