"""The dashboard's Batches tab (through the plugin tab seam): list, search, one batch."""

from __future__ import annotations

import redis
from batch_jobs import record
from starlette.testclient import TestClient

from workhorse.api import Inspector
from workhorse.client import Client
from workhorse.keys import Keys
from workhorse.web import create_app
from workhorse_pro.batches import Batch
from workhorse_pro.batches.web import tab


def test_the_batches_tab_lists_searches_and_shows_a_batch(
    r: redis.Redis, wh_client: Client
) -> None:
    with Batch(description="nightly import") as batch:
        for i in range(4):
            record.perform_async(i)
    with Batch(description="other"):
        pass
    app = create_app(Inspector(wh_client.redis, Keys(), wh_client.settings), tabs=[tab()])
    with TestClient(app) as web:
        page = web.get("/batches/")
        assert page.status_code == 200
        assert batch.bid in page.text and "nightly import" in page.text and "0/4" in page.text
        found = web.get("/batches/", params={"q": "NIGHTLY"})
        assert batch.bid in found.text and "other" not in found.text
        shown = web.get(f"/batches/{batch.bid}")
        assert shown.status_code == 200 and "0 of 4 jobs succeeded" in shown.text
        assert web.get("/batches/nosuchbatch").status_code == 404
        assert "/batches/" in web.get("/").text, "the tab is in the navigation"
