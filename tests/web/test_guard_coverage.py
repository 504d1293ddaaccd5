"""Every path of every app ``workhorse web`` serves passes the auth hook and carries the
security headers; redirects never point at the Host a client sent; no page shows a Redis URL
or echoes free text from the query string."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient
from starlette.types import ASGIApp
from support.redis_server import RedisServer, free_port

from workhorse.api import Inspector
from workhorse.cli.web_cmd import build_app
from workhorse.config import Settings
from workhorse.connection import connect
from workhorse.keys import Keys
from workhorse.web import BasicAuth, create_app
from workhorse.web.guard import SECURITY_HEADERS, relative_location

USER, PASSWORD = "admin", "pw-for-tests"
GOOD = {"authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
SECRET = "s3cret-Pw"


def paths(routes: list[BaseRoute], prefix: str = "") -> Iterator[str]:
    """A concrete path for every route and mount, parameters filled in."""
    for route in routes:
        if isinstance(route, Mount):
            inner = prefix + re.sub(r"{[^}]+}", "x", route.path)
            yield inner + "/"
            yield inner + "/static/dashboard.css"
            yield from paths(list(route.routes), inner)
        elif isinstance(route, Route):
            yield prefix + re.sub(r"{[^}]+}", "x", route.path)


def every_path(app: Any) -> list[str]:
    found = set(paths(app.routes)) | {"/", "/no-such-page", "/no/such/page/", "/queues/"}
    return sorted(found)


@pytest.fixture
def served(redis_srv: RedisServer, redis_url: str) -> dict[str, ASGIApp]:
    """What ``workhorse web --basic-auth`` serves: plain, under a base path, sharded."""
    shards = (redis_srv.url(1990), redis_srv.url(1991))
    settings = Settings.from_env(redis_url=redis_url)
    options: dict[str, Any] = {
        "base_path": "",
        "read_only": False,
        "poll_interval": 5.0,
        "auth": BasicAuth(USER, PASSWORD),
    }
    return {
        "single": build_app(settings, (), options)[0],
        "base path": build_app(settings, (), {**options, "base_path": "/jobs"})[0],
        "sharded": build_app(settings, shards, options)[0],
        "sharded, base path": build_app(settings, shards, {**options, "base_path": "/jobs"})[0],
    }


@pytest.mark.parametrize("kind", ["single", "base path", "sharded", "sharded, base path"])
def test_every_path_of_every_served_app_needs_auth_and_has_security_headers(
    served: dict[str, ASGIApp], kind: str
) -> None:
    app = served[kind]
    checked = every_path(app)
    assert len(checked) > 20, checked
    with TestClient(app) as http:
        for path in checked:
            for method in ("GET", "POST"):
                refused = http.request(method, path, follow_redirects=False)
                assert refused.status_code == 401, (method, path, refused.status_code)
                allowed = http.request(method, path, headers=GOOD, follow_redirects=False)
                assert allowed.status_code != 401, (method, path)
                for response in (refused, allowed):
                    missing = [h for h in SECURITY_HEADERS if h not in response.headers]
                    assert not missing, (method, path, response.status_code, missing)


def test_the_shard_index_names_no_redis_host(
    served: dict[str, ASGIApp], redis_srv: RedisServer
) -> None:
    with TestClient(served["sharded"]) as http:
        index = http.get("/", headers=GOOD)
    assert index.status_code == 200 and 'href="/shard1/"' in index.text
    assert str(redis_srv.socket_path) not in index.text and "redis" not in index.text.lower()


@pytest.mark.parametrize("kind", ["single", "base path", "sharded"])
def test_trailing_slash_redirects_do_not_reflect_the_host_header(
    served: dict[str, ASGIApp], kind: str
) -> None:
    prefix = "/jobs" if kind == "base path" else "/shard0" if kind == "sharded" else ""
    with TestClient(served[kind]) as http:
        for path in (
            f"{prefix}/metrics/",
            f"{prefix}/busy/",
            "//evil.example/",
            f"{prefix}//evil.example/",
        ):
            moved = http.get(path, headers={**GOOD, "host": "evil.example"}, follow_redirects=False)
            if moved.status_code in (301, 302, 303, 307, 308):
                location = moved.headers["location"]
                assert location.startswith("/") and not location.startswith("//"), location
                assert "evil.example" not in location.split("/")[2:3], location
        moved = http.get(
            f"{prefix}/busy/", headers={**GOOD, "host": "evil.example"}, follow_redirects=False
        )
        assert moved.status_code == 307 and moved.headers["location"] == f"{prefix}/busy"


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("http://evil.example/queues", "/queues"),
        ("http://evil.example//evil.example/x", "/evil.example/x"),
        ("http://evil.example", "/"),
        ("http://evil.example?x=1", "/?x=1"),
        ("http://evil.example.other/q", "http://evil.example.other/q"),
        ("https://docs.example/help", "https://docs.example/help"),
        ("/queues", "/queues"),
    ],
)
def test_relative_location(location: str, expected: str) -> None:
    assert relative_location(location, "http://evil.example") == expected


def test_the_503_page_shows_no_redis_url_password_or_host(keys: Keys) -> None:
    port = free_port()
    settings = Settings(redis_url=f"redis://:{SECRET}@127.0.0.1:{port}/0?password={SECRET}")
    app = create_app(Inspector(connect(settings), keys, settings), tabs=[])
    with TestClient(app) as http:
        page = http.get("/retries")
    assert page.status_code == 503 and "did not answer" in page.text
    assert SECRET not in page.text and str(port) not in page.text
    assert "redis://" not in page.text and "127.0.0.1" not in page.text


def test_a_shard_that_does_not_answer_is_a_row_not_a_500(redis_url: str) -> None:
    from workhorse.web.shards import create_sharded_app

    down = Settings(redis_url=f"redis://:{SECRET}@127.0.0.1:{free_port()}/0")
    up = Settings(redis_url=redis_url)
    app = create_sharded_app(
        {
            "up": Inspector(connect(up), Keys(), up),
            "down": Inspector(connect(down), Keys(), down),
        }
    )
    with TestClient(app) as http:
        index = http.get("/")
    assert index.status_code == 200 and "Redis did not answer" in index.text
    assert SECRET not in index.text


def test_redis_client_error_on_an_unreachable_shard_is_logged_redacted(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from workhorse.web.shards import create_sharded_app

    down = Settings(redis_url=f"redis://:{SECRET}@127.0.0.1:{free_port()}/0")
    app = create_sharded_app(
        {"down": Inspector(redis.Redis.from_url(down.redis_url or ""), Keys(), down)}
    )
    with TestClient(app) as http:
        http.get("/")
    assert "did not answer" in caplog.text and SECRET not in caplog.text
