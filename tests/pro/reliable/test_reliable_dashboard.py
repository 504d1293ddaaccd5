"""The dashboard's Reliable tab: in-progress and recovered counts, pause buttons."""

from __future__ import annotations

import json
import re

import redis
from starlette.testclient import TestClient

from workhorse.api import Inspector
from workhorse.client import Client
from workhorse.config import QueueWeight
from workhorse.keys import Keys
from workhorse.web import create_app
from workhorse_pro.reliable.config import ReliableConfig
from workhorse_pro.reliable.fetch import ReliableFetch
from workhorse_pro.reliable.web import tab


def test_the_reliable_tab_shows_counts_and_pauses_queues(
    pro_license: str, r: redis.Redis, wh_client: Client
) -> None:
    wh_client.enqueue("reliable.noop", [])
    fetch = ReliableFetch(
        r, Keys(), "host:7:abcabcabcabc", (QueueWeight("default"),), ReliableConfig(lease=5)
    )
    assert len(fetch.fetch(1, 0)) == 1
    r.hset("reliable:stats", mapping={"recovered": 4, "poisoned": 1})
    app = create_app(Inspector(wh_client.redis, Keys(), wh_client.settings), tabs=[tab()])
    try:
        with TestClient(app) as web:
            page = web.get("/reliable/")
            assert page.status_code == 200
            assert re.search(r'data-stat="in_progress">1<', page.text)
            assert re.search(r'data-stat="recovered">4<', page.text)
            assert "host:7:abcabcabcabc" in page.text and "Pause" in page.text
            token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
            assert token is not None
            done = web.post(
                "/reliable/",
                data={"csrf_token": token.group(1), "action": "pause", "queue": "default"},
            )
            assert done.status_code == 200 and "Paused queue default." in done.text
            assert r.smembers("paused") == {"default"}
            assert "/reliable/" in web.get("/").text, "the tab is in the navigation"
            assert web.post("/reliable/", data={"action": "pause", "queue": "x"}).status_code == 403
            forged = web.get(
                "/reliable/",
                params={
                    "notice": "Call 555-0100 now",
                    "did": "pause",
                    "queue": "Call 555-0100 now",
                },
            )
            assert forged.status_code == 200 and "555-0100" not in forged.text
            assert "Paused queue." in forged.text, "the code's sentence, without the free text"
    finally:
        fetch.lease.release()
    assert json.loads(r.hget("reliable:processes", "host:7:abcabcabcabc") or "null") is None
