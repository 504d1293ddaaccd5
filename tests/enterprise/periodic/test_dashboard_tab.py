"""The Periodic dashboard tab: lists entries with leader, next run and results; acts on them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import redis
from periodic_jobs import beat
from starlette.testclient import TestClient

from workhorse.api import Inspector
from workhorse.client import Client
from workhorse.keys import Keys
from workhorse.web import create_app
from workhorse_enterprise import periodic
from workhorse_enterprise.periodic.web import tab

_TOKEN = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')


@pytest.fixture
def browser(wh_client: Client) -> Iterator[TestClient]:
    app = create_app(Inspector(wh_client.redis, Keys(), wh_client.settings), tabs=[tab()])
    with TestClient(app) as client:
        yield client


def post(browser: TestClient, path: str, action: str) -> int:
    found = _TOKEN.search(browser.get("/periodic/").text)
    assert found, "no CSRF token on the Periodic page"
    response = browser.post(
        path, data={"csrf_token": found.group(1), "action": action}, follow_redirects=False
    )
    return response.status_code


def test_tab_lists_entries_and_pauses_resumes_and_runs_them(
    browser: TestClient, rc: redis.Redis, enterprise: None
) -> None:
    periodic.register("15 4 * * *", beat, args=["tab"], tz="Europe/Berlin", name="nightly")
    rc.set("dear-leader", "host:7:abcdefabcdef")
    page = browser.get("/periodic/")
    assert page.status_code == 200
    assert "nightly" in page.text and "host:7:abcdefabcdef" in page.text
    assert re.search(r"\d{4}-\d\d-\d\d 04:15:00 CES?T", page.text)  # next run, Berlin time
    assert post(browser, "/periodic/nightly", "pause") == 303
    assert rc.hget("periodic-state:nightly", "paused") == "1"
    assert "Resume" in browser.get("/periodic/").text
    assert post(browser, "/periodic/nightly", "resume") == 303
    assert post(browser, "/periodic/nightly", "run") == 303
    (raw,) = rc.lrange("queue:cron", 0, -1)
    assert json.loads(raw)["periodic"] == "nightly"
    assert "pending" in browser.get("/periodic/?did=run").text
    assert post(browser, "/periodic/ghost", "run") == 404


def test_tab_without_a_license_explains_what_is_wrong(browser: TestClient) -> None:
    page = browser.get("/periodic/")
    assert page.status_code == 200 and "enterprise" in page.text.lower()
    assert "Run now" not in page.text
