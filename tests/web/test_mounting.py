"""Mounting: inside a host ASGI app, under a base path, and in a WSGI app through a2wsgi."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import redis
from jobdata import add_to_set, failed
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from web_client import DashboardClient

from workhorse.api import Inspector
from workhorse.keys import Keys
from workhorse.web import create_app, wsgi_app


def test_mounted_in_a_host_app_every_link_keeps_the_mount_path(
    make_app: Callable[..., Starlette], rr: redis.Redis, keys: Keys
) -> None:
    key = add_to_set(rr, keys, "dead", failed())
    host = Starlette(
        routes=[
            Route("/", lambda request: PlainTextResponse("host home")),
            Mount("/admin/jobs", make_app()),
        ]
    )
    with DashboardClient(host) as c:
        assert c.get("/").text == "host home"
        page = c.get("/admin/jobs/dead")
        assert page.status_code == 200
        links = re.findall(r'(?:href|src|action)="([^"]+)"', page.text)
        assert links and all(link.startswith("/admin/jobs/") for link in links), links
        assert "Path=/admin/jobs" in page.headers["set-cookie"]
        assert c.get("/admin/jobs/static/dashboard.js").status_code == 200
        answer = c.submit(f"/admin/jobs/dead/{key}", {"action": "delete"}, page="/admin/jobs/")
        assert answer.headers["location"] == "/admin/jobs/dead?did=delete&n=1"
    assert rr.zcard(keys.dead) == 0


def test_base_path_serves_the_dashboard_under_a_prefix(make_app: Callable[..., Starlette]) -> None:
    with DashboardClient(make_app(base_path="sidekiq/")) as c:
        assert c.get("/", follow_redirects=False).headers["location"] == "/sidekiq/"
        page = c.get("/sidekiq/retries")
        assert page.status_code == 200
        assert 'href="/sidekiq/dead"' in page.text
        assert c.get("/retries").status_code == 404
        assert c.get("/sidekiq/api/stats").json()["dead"] == 0


def test_wsgi_adapter_serves_pages_and_accepts_posts(
    inspector: Inspector, rr: redis.Redis, keys: Keys
) -> None:
    key = add_to_set(rr, keys, "dead", failed())
    dashboard = wsgi_app(inspector=inspector, tabs=[])

    def host(environ: Any, start_response: Any) -> Any:
        # What werkzeug's DispatcherMiddleware does for a Flask app mounting it at /jobs.
        path = environ["PATH_INFO"]
        if not path.startswith("/jobs/"):
            start_response("404 Not Found", [("content-type", "text/plain")])
            return [b"host 404"]
        environ["SCRIPT_NAME"] += "/jobs"
        environ["PATH_INFO"] = path[len("/jobs") :]
        return dashboard(environ, start_response)

    with httpx.Client(transport=httpx.WSGITransport(app=host), base_url="http://flask.local") as c:
        page = c.get("/jobs/dead")
        assert page.status_code == 200 and key in page.text
        assert 'action="/jobs/dead"' in page.text
        token = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page.text)
        assert token
        answer = c.post(
            f"/jobs/dead/{key}", data={"action": "delete", "csrf_token": token.group(1)}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/jobs/dead?did=delete&n=1"
    assert rr.zcard(keys.dead) == 0


def test_create_app_builds_its_own_connection_from_a_url(redis_url: str, r: redis.Redis) -> None:
    r.zadd("{wh}:dead", {'{"class":"X","args":[],"jid":"abc"}': 1})
    with DashboardClient(create_app(redis_url=redis_url, prefix="{wh}", tabs=[])) as c:
        assert c.get("/api/stats").json()["dead"] == 1
