"""One dashboard over several Redis shards: a dashboard per shard, and an index of them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from html import escape
from typing import Any

import redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route

from workhorse.api import Inspector
from workhorse.connection import where
from workhorse.web.app import create_app, under_base_path
from workhorse.web.guard import DashboardGuard
from workhorse.web.options import Authorizer, DashboardOptions

log = logging.getLogger(__name__)

# No Redis URL or host on the page: it may carry a password, and the shard names say
# enough to whoever may see the dashboards (the guard's auth hook decides who).
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>workhorse shards</title>
<link rel="stylesheet" href="{first}/static/dashboard.css"></head>
<body><main class="page"><h1>Shards</h1><table class="table">
<thead><tr><th>shard</th><th>processed</th><th>enqueued</th><th>busy</th>
<th>retries</th><th>dead</th></tr></thead><tbody>{rows}</tbody></table></main></body></html>"""


def create_sharded_app(
    inspectors: Mapping[str, Inspector],
    *,
    base_path: str = "",
    read_only: bool = False,
    auth: Authorizer | None = None,
    **options: Any,
) -> Starlette:
    """``/`` lists the shards with their totals; ``/<shard>/`` is that shard's dashboard.

    Every path, the index and 404s included, passes the same auth hook and read-only rule
    and gets the same security headers as the dashboards themselves.
    """
    names = list(inspectors)
    guard = DashboardOptions(base_path=base_path, read_only=read_only, auth=auth)

    def index(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        rows = "".join(_row(root, name, inspectors[name]) for name in names)
        return HTMLResponse(_PAGE.format(first=f"{escape(root)}/{escape(names[0])}", rows=rows))

    routes: list[BaseRoute] = [Route("/", index, methods=["GET"])]
    for name in names:
        dashboard = create_app(
            inspectors[name], title=f"workhorse · {name}", read_only=read_only, auth=auth, **options
        )
        routes.append(Mount(f"/{name}", dashboard))
    if guard.base_path:
        return under_base_path(Starlette(routes=routes), guard)
    return Starlette(
        routes=routes, middleware=[Middleware(DashboardGuard, options=guard, csrf=False)]
    )


def _row(root: str, name: str, api: Inspector) -> str:
    link = f'<td><a href="{escape(root)}/{escape(name)}/">{escape(name)}</a></td>'
    try:
        s = api.stats.summary()
    except redis.RedisError as exc:
        log.warning("shard %s: Redis at %s did not answer: %s", name, where(api.settings), exc)
        return f'<tr>{link}<td colspan="5">Redis did not answer</td></tr>'
    return (
        f"<tr>{link}<td>{s.processed:,}</td><td>{s.enqueued:,}</td><td>{s.busy}</td>"
        f"<td>{s.retries:,}</td><td>{s.dead:,}</td></tr>"
    )
