"""The dashboard's Starlette application factory.

>>> app = create_app(redis_url="redis://localhost:6379/0")  # doctest: +SKIP
>>> Mount("/jobs", app)  # inside your Starlette/FastAPI app  # doctest: +SKIP
>>> wsgi_app(redis_url="redis://localhost:6379/0")  # inside Flask/Django  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import redis
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from workhorse.api import Inspector
from workhorse.config import Settings
from workhorse.connection import connect, where
from workhorse.keys import Keys
from workhorse.web import tabs as tab_seam
from workhorse.web.guard import DashboardGuard
from workhorse.web.options import Authorizer, DashboardOptions
from workhorse.web.pages import api, busy, jobsets, jobstatus, metrics, overview, queues
from workhorse.web.rendering import make_environment, render
from workhorse.web.state import STATE_ATTR, Dashboard

if TYPE_CHECKING:
    from a2wsgi import ASGIMiddleware

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"


def create_app(
    inspector: Inspector | None = None,
    *,
    redis_url: str | None = None,
    prefix: str | None = None,
    base_path: str = "",
    read_only: bool = False,
    auth: Authorizer | None = None,
    secret: str | bytes | None = None,
    poll_interval: float = 5.0,
    page_size: int = 25,
    title: str = "workhorse",
    tabs: Sequence[tab_seam.DashboardTab] | None = None,
) -> Starlette:
    """A dashboard over ``inspector`` (or a Redis built from ``redis_url``/``prefix``).

    ``base_path`` serves it under a path prefix (behind a reverse proxy that
    forwards the full path); when you mount it yourself, leave it empty.
    ``auth`` is a hook ``(request) -> bool`` (sync or async), e.g. ``BasicAuth``.
    ``tabs`` replaces the plugin tabs (default: every installed plugin's).
    """
    options = DashboardOptions(
        base_path=base_path,
        read_only=read_only,
        auth=auth,
        poll_interval=poll_interval,
        page_size=page_size,
        title=title,
        **({"secret": secret.encode() if isinstance(secret, str) else secret} if secret else {}),
    )
    inspector = inspector or _inspector(redis_url, prefix)
    offered = tab_seam.collect() if tabs is None else [t for t in tabs if not t.problem()]
    templates = make_environment(
        {t.name: Path(t.templates_dir) for t in offered if t.templates_dir is not None}
    )
    app = Starlette(
        routes=_routes(offered),
        middleware=[Middleware(DashboardGuard, options=options)],
        exception_handlers={HTTPException: _http_error, redis.RedisError: _redis_error},
    )
    setattr(app.state, STATE_ATTR, Dashboard(inspector, options, templates, offered))
    if not options.base_path:
        return app
    return under_base_path(app, options)


def under_base_path(app: ASGIApp, options: DashboardOptions) -> Starlette:
    """``app`` served at ``options.base_path``; ``/`` redirects there. Every other path of the
    wrapper (its 404s included) passes the same auth and gets the same headers."""
    return Starlette(
        routes=[
            Route("/", RedirectResponse(options.base_path + "/")),
            Mount(options.base_path, app),
        ],
        middleware=[Middleware(DashboardGuard, options=options, csrf=False)],
    )


def wsgi_app(**kwargs: object) -> ASGIMiddleware:
    """The dashboard for a WSGI host (Flask, Django): ``create_app`` behind a2wsgi."""
    from a2wsgi import ASGIMiddleware

    return ASGIMiddleware(create_app(**kwargs))  # type: ignore[arg-type]


def _inspector(redis_url: str | None, prefix: str | None) -> Inspector:
    settings = Settings.from_env(redis_url=redis_url, prefix=prefix)
    return Inspector(connect(settings), Keys(settings.prefix), settings)


def _routes(offered: Sequence[tab_seam.DashboardTab]) -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        *overview.routes,
        *busy.routes,
        *queues.routes,
        *jobsets.routes,
        *metrics.routes,
        *jobstatus.routes,
        *api.routes,
        Route("/morgue", RedirectResponse("dead", status_code=301)),  # Sidekiq's old name
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    routes += [tab.mount() for tab in offered]
    return routes


def _http_error(request: Request, exc: Exception) -> Response:
    status = int(getattr(exc, "status_code", 500))
    message = str(getattr(exc, "detail", "")) or "Something went wrong."
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def _redis_error(request: Request, exc: Exception) -> Response:
    # Which Redis and why go to the log only: a page must never show the URL (it may carry
    # a password) nor redis-py's text (hosts and ports) to whoever can reach the dashboard.
    settings = getattr(request.app.state, STATE_ATTR).inspector.settings
    log.warning("dashboard request failed: Redis at %s: %s", where(settings), exc)
    message = (
        f"Redis did not answer ({type(exc).__name__}). Check that it is running and "
        "reachable (the dashboard's log names the server), then reload this page."
    )
    return render(request, "error.html", {"status": 503, "message": message}, status=503)
