"""Templates: one autoescaping Jinja environment for core pages and plugin tabs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from workhorse.version import __version__
from workhorse.web.formatting import FILTERS
from workhorse.web.links import Links
from workhorse.web.state import csrf_token_of, dashboard_of, root_of

TEMPLATES_DIR = Path(__file__).parent / "templates"


def make_environment(tab_templates: Mapping[str, Path]) -> jinja2.Environment:
    """Core templates by name; a tab's templates as ``<tab name>/<file>``.

    Autoescape is on for every template whatever its extension: job args,
    error messages and queue names are attacker-controlled (issue 5).
    """
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(TEMPLATES_DIR),
            jinja2.PrefixLoader(
                {name: jinja2.FileSystemLoader(path) for name, path in tab_templates.items()}
            ),
        ]
    )
    env = jinja2.Environment(
        loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True, auto_reload=False
    )
    env.filters.update(FILTERS)
    return env


def page_context(request: Request) -> dict[str, Any]:
    """What every page (core or plugin) gets: links, CSRF token, tabs, mode."""
    dashboard = dashboard_of(request)
    return {
        "request": request,
        "url": Links(root_of(request)),
        "csrf_token": csrf_token_of(request),
        "read_only": dashboard.options.read_only,
        "tabs": dashboard.tabs,
        "title": dashboard.options.title,
        "version": __version__,
        # Sentences about data in Redis the page had to leave out (malformed records).
        "warnings": [],
        # Highlights the navigation entry of the page's first path segment
        # (a plugin tab's name); core pages pass their own.
        "active": _first_segment(request),
    }


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """Render ``template`` inside the dashboard layout (``{% extends "base.html" %}``)."""
    env = dashboard_of(request).templates
    html = env.get_template(template).render({**page_context(request), **(context or {})})
    return HTMLResponse(html, status_code=status)


def _first_segment(request: Request) -> str:
    path = str(request.scope.get("path", ""))[len(root_of(request)) :]
    return path.strip("/").split("/", 1)[0]
