"""Security: hostile data renders inert, cross-site POSTs fail, strict headers, auth, read-only."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
import redis
from jobdata import HOSTILE, HOSTILE_QUEUE, add_to_set, failed, job, process, push
from starlette.applications import Starlette
from starlette.requests import Request
from web_client import DashboardClient

from workhorse import stats
from workhorse.keys import Keys
from workhorse.payload import compress_backtrace
from workhorse.web import BasicAuth
from workhorse.web.guard import MAX_BODY

PAGES = ["/", "/busy", "/queues", "/retries", "/scheduled", "/dead", "/metrics"]


class InlineCodeFinder(HTMLParser):
    """Collects anything a strict CSP would have to allow: inline script, style, handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script":
            self._in_script = True
            if "src" not in names:
                self.problems.append("<script> without src")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if (
                name in ("href", "src", "action")
                and value
                and value.strip().lower().startswith(("javascript:", "data:text"))
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline script text")


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.problems


@pytest.fixture
def hostile(rr: redis.Redis, keys: Keys) -> dict[str, str]:
    """Attacker-controlled markup in job names, args, errors, queue names and process info."""
    trace = compress_backtrace([HOSTILE, "line 2"])
    item = failed(
        HOSTILE,
        [HOSTILE, {HOSTILE: HOSTILE}],
        queue=HOSTILE_QUEUE,
        error_class=HOSTILE,
        error_message=HOSTILE,
        error_backtrace=trace,
        display_class=HOSTILE,
    )
    keys_by_set = {
        name: add_to_set(rr, keys, name, dict(item), time.time() + 60)
        for name in ("retry", "schedule", "dead")
    }
    push(rr, keys, job(HOSTILE, [HOSTILE], queue=HOSTILE_QUEUE))
    process(
        rr,
        keys,
        "evil:1:0123456789ab",
        {
            "hostname": HOSTILE,
            "pid": 1,
            "tag": HOSTILE,
            "version": HOSTILE,
            "queues": [HOSTILE_QUEUE],
        },
        work={HOSTILE: {"queue": HOSTILE_QUEUE, "payload": item, "run_at": time.time()}},
    )
    rr.hset(keys.metrics(stats.minute_bucket()), mapping={f"{HOSTILE}|p": 3})
    return {
        "retries": keys_by_set["retry"],
        "scheduled": keys_by_set["schedule"],
        "dead": keys_by_set["dead"],
    }


def test_hostile_data_renders_as_text_on_every_page(
    client: DashboardClient, hostile: dict[str, str]
) -> None:
    pages = PAGES + [f"/{slug}/{key}" for slug, key in hostile.items()]
    pages.append("/queues/" + quote(HOSTILE_QUEUE, safe=""))
    for path in pages:
        answer = client.get(path)
        assert answer.status_code == 200, path
        html = answer.text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        if path != "/":  # the first page shows only numbers
            assert "&lt;script&gt;" in html, f"{path} does not show the hostile text at all"
        assert inline_code(html) == [], path


def test_hostile_queue_name_links_lead_to_that_queue(
    client: DashboardClient, hostile: dict[str, str]
) -> None:
    html = client.get("/queues").text
    [link] = re.findall(r'href="(/queues/[^"]+)"', html)
    assert "<" not in link and '"' not in link and "/" not in link[len("/queues/") :]
    page = client.get(unquote_html(link))
    assert page.status_code == 200
    assert 'Queue <span class="name">&lt;script&gt;q&lt;/script&gt;' in page.text


def unquote_html(link: str) -> str:
    return link.replace("&amp;", "&")


def test_json_endpoints_are_json_and_not_sniffed(
    client: DashboardClient, hostile: dict[str, str]
) -> None:
    for path in ("/api/stats", "/api/history", "/api/metrics"):
        answer = client.get(path)
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_every_response_carries_strict_headers(client: DashboardClient) -> None:
    for path in [*PAGES, "/api/stats", "/nowhere", "/static/dashboard.js"]:
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        expected = "no-cache" if path.startswith("/static/") else "no-store"
        assert headers["cache-control"] == expected, path


def test_csrf_cookie_is_http_only_and_scoped(client: DashboardClient) -> None:
    cookie = client.get("/").headers["set-cookie"]
    assert cookie.startswith("workhorse_csrf=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie


@pytest.mark.parametrize("site", ["cross-site", "same-site", "none"])
def test_cross_site_post_is_refused_even_with_a_token(
    client: DashboardClient, rr: redis.Redis, keys: Keys, site: str
) -> None:
    key = add_to_set(rr, keys, "dead", failed())
    answer = client.submit(f"/dead/{key}", {"action": "delete"}, headers={"sec-fetch-site": site})
    assert answer.status_code == 403
    assert "cross-site request refused" in answer.text
    assert rr.zcard(keys.dead) == 1


def test_same_origin_post_with_token_is_accepted(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    key = add_to_set(rr, keys, "dead", failed())
    answer = client.submit(
        f"/dead/{key}", {"action": "delete"}, headers={"sec-fetch-site": "same-origin"}
    )
    assert answer.status_code == 303
    assert rr.zcard(keys.dead) == 0


def test_post_without_or_with_a_wrong_token_is_refused(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    key = add_to_set(rr, keys, "dead", failed())
    client.get("/")  # has the cookie
    missing = client.post(f"/dead/{key}", data={"action": "delete"})
    wrong = client.post(f"/dead/{key}", data={"action": "delete", "csrf_token": "0" * 64})
    assert missing.status_code == wrong.status_code == 403
    assert "CSRF token" in missing.text
    assert rr.zcard(keys.dead) == 1


def test_token_is_bound_to_the_browser_cookie(
    make_app: Callable[..., Starlette], rr: redis.Redis, keys: Keys
) -> None:
    key = add_to_set(rr, keys, "dead", failed())
    app = make_app()
    with DashboardClient(app) as attacker, DashboardClient(app) as victim:
        token = attacker.token()
        victim.get("/")
        answer = victim.post(f"/dead/{key}", data={"action": "delete", "csrf_token": token})
    assert answer.status_code == 403
    assert rr.zcard(keys.dead) == 1


def test_token_in_a_header_works_for_scripts(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    key = add_to_set(rr, keys, "dead", failed())
    token = client.token()
    answer = client.post(
        f"/dead/{key}",
        data={"action": "delete"},
        headers={"x-csrf-token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_oversized_post_is_refused(client: DashboardClient) -> None:
    token = client.token()
    answer = client.post(
        "/queues/x",
        content=b"a" * (MAX_BODY + 1),
        headers={"x-csrf-token": token, "content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 413


def test_read_only_mode_hides_actions_and_refuses_posts(
    make_app: Callable[..., Starlette], rr: redis.Redis, keys: Keys
) -> None:
    key = add_to_set(rr, keys, "dead", failed())
    push(rr, keys, job())
    with DashboardClient(make_app(read_only=True)) as c:
        for path in [*PAGES, f"/dead/{key}", "/queues/default"]:
            html = c.get(path).text
            assert 'method="post"' not in html, path
        assert "read-only" in c.get("/").text
        answer = c.submit(f"/dead/{key}", {"action": "delete"})
        assert answer.status_code == 403 and "read-only" in answer.text
    assert rr.zcard(keys.dead) == 1


def test_auth_hook_refuses_requests_it_does_not_allow(make_app: Callable[..., Starlette]) -> None:
    def only_admins(request: Request) -> bool:
        return request.headers.get("x-user") == "admin"

    with DashboardClient(make_app(auth=only_admins)) as c:
        assert c.get("/").status_code == 403
        assert c.get("/", headers={"x-user": "admin"}).status_code == 200
        assert c.get("/static/dashboard.css").status_code == 403


def test_async_auth_hook_is_awaited(make_app: Callable[..., Starlette]) -> None:
    async def allow(request: Request) -> bool:
        return request.query_params.get("key") == "yes"

    with DashboardClient(make_app(auth=allow)) as c:
        assert c.get("/?key=no").status_code == 403
        assert c.get("/?key=yes").status_code == 200


def test_basic_auth_challenges_and_checks_the_password(make_app: Callable[..., Starlette]) -> None:
    with DashboardClient(make_app(auth=BasicAuth("admin", "s3cret"))) as c:
        refused = c.get("/")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith('Basic realm="workhorse"')
        assert c.get("/", auth=("admin", "wrong")).status_code == 401
        assert c.get("/", auth=("admin", "s3cret")).status_code == 200
        assert c.get("/", headers={"authorization": "Basic !!!"}).status_code == 401
