"""One dashboard over several Redis shards: a dashboard per shard, and an index of them."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

from workhorse.api import Inspector
from workhorse.connection import redact
from workhorse.web.app import create_app

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>workhorse shards</title>
<link rel="stylesheet" href="{first}/static/dashboard.css"></head>
<body><main class="page"><h1>Shards</h1><table class="table">
<thead><tr><th>shard</th><th>Redis</th><th>processed</th><th>enqueued</th><th>busy</th>
<th>retries</th><th>dead</th></tr></thead><tbody>{rows}</tbody></table></main></body></html>"""


_CSP = "default-src 'self'; script-src 'none'; object-src 'none'"


def create_sharded_app(inspectors: Mapping[str, Inspector], **options: Any) -> Starlette:
    """``/`` lists the shards with their totals; ``/<shard>/`` is that shard's dashboard."""
    names = list(inspectors)

    async def index(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        rows = []
        for name in names:
            api = inspectors[name]
            s = api.stats.summary()
            rows.append(
                f'<tr><td><a href="{escape(root)}/{escape(name)}/">{escape(name)}</a></td>'
                f"<td>{escape(redact(api.settings.redis_url or ''))}</td>"
                f"<td>{s.processed:,}</td><td>{s.enqueued:,}</td><td>{s.busy}</td>"
                f"<td>{s.retries:,}</td><td>{s.dead:,}</td></tr>"
            )
        page = _PAGE.format(first=f"{escape(root)}/{escape(names[0])}", rows="".join(rows))
        return HTMLResponse(
            page,
            headers={
                "Content-Security-Policy": _CSP,
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
            },
        )

    routes: list[Any] = [Route("/", index)]
    for name in names:
        routes.append(
            Mount(f"/{name}", create_app(inspectors[name], title=f"workhorse · {name}", **options))
        )
    return Starlette(routes=routes)
