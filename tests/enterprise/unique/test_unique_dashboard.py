"""The Unique dashboard tab: held locks with jid and TTL, clearing one or all (POST + CSRF)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import redis
import unique_jobs as jobs
from starlette.testclient import TestClient

from workhorse.api import Inspector
from workhorse.client import Client
from workhorse.keys import Keys
from workhorse.web import create_app
from workhorse_enterprise.unique.web import tab

_TOKEN = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')


@pytest.fixture
def browser(wh_client: Client) -> Iterator[TestClient]:
    app = create_app(Inspector(wh_client.redis, Keys(), wh_client.settings), tabs=[tab()])
    with TestClient(app) as client:
        yield client


def post(browser: TestClient, path: str, token: bool = True) -> int:
    found = _TOKEN.search(browser.get("/unique/").text)
    assert found, "no CSRF token on the Unique page"
    data = {"csrf_token": found.group(1)} if token else {}
    return browser.post(path, data=data, follow_redirects=False).status_code


def digests(rc: redis.Redis) -> list[str]:
    return sorted(key.removeprefix("unique:") for key in rc.keys("unique:*"))


@pytest.mark.usefixtures("uclient")
def test_the_tab_lists_held_locks_and_clears_one_then_all(
    browser: TestClient, rc: redis.Redis
) -> None:
    jid = jobs.record.perform_async("a")
    jobs.record.perform_async("b")
    first, second = digests(rc)
    page = browser.get("/unique/")
    assert page.status_code == 200
    assert first in page.text and str(jid) in page.text and re.search(r"\b(59|60) s\b", page.text)
    assert post(browser, f"/unique/{first}") == 303
    assert digests(rc) == [second]
    assert "Lock cleared" in browser.get("/unique/?did=clear").text
    assert post(browser, f"/unique/{first}") == 303  # already gone: says so, no error
    assert "already released" in browser.get("/unique/?did=gone").text
    assert post(browser, "/unique/clear-all") == 303
    assert digests(rc) == [] and rc.llen("queue:default") == 2  # the jobs stay queued
    assert "1 lock(s) cleared" in browser.get("/unique/?did=clear-all&n=1").text


@pytest.mark.usefixtures("uclient")
def test_posts_without_the_csrf_token_or_with_a_bad_digest_change_nothing(
    browser: TestClient, rc: redis.Redis
) -> None:
    jobs.record.perform_async("a")
    (digest,) = digests(rc)
    assert post(browser, f"/unique/{digest}", token=False) == 403
    assert post(browser, "/unique/clear-all", token=False) == 403
    assert post(browser, "/unique/not-a-digest") == 404
    assert post(browser, "/unique/" + "A" * 64) == 404
    assert digests(rc) == [digest]
    assert "<script>" not in browser.get("/unique/?did=clear-all&n=<script>").text


@pytest.mark.usefixtures("uclient")
def test_hostile_lock_contents_in_redis_are_shown_escaped_and_never_break_the_page(
    browser: TestClient, redis_url: str
) -> None:
    raw = redis.Redis.from_url(redis_url)  # bytes in, bytes out: anything another program wrote
    good = "c" * 64
    raw.set(b"unique:" + good.encode(), b"\xff\xfe<script>alert(1)</script>", px=30_000)
    raw.set(b"unique:\xff\xfenot-utf8", b"x" * 10_000)  # no TTL, not a digest
    raw.rpush(b"unique:" + b"d" * 64, b"a list, not a lock")
    raw.set(b"unique:<b>bold</b>", b"")
    page = browser.get("/unique/")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    assert "\\xff\\xfe" in page.text and "never (not set by workhorse)" in page.text
    assert "<b>bold</b>" not in page.text and "x" * 200 not in page.text
    assert page.text.count('value="clear"') == 1  # only the real digest can be cleared
    assert post(browser, f"/unique/{good}") == 303
    assert raw.exists(b"unique:\xff\xfenot-utf8") and not raw.exists(b"unique:" + good.encode())
    assert post(browser, "/unique/clear-all") == 303  # leaves what is not a lock of ours
    assert raw.exists(b"unique:\xff\xfenot-utf8")


def test_the_tab_without_a_license_explains_what_is_wrong(browser: TestClient) -> None:
    page = browser.get("/unique/")
    assert page.status_code == 200 and "enterprise" in page.text.lower()
    assert 'value="clear"' not in page.text
