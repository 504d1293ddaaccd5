"""A dashboard over several shards: an index with each shard's totals, a dashboard per shard."""

from __future__ import annotations

import redis
from starlette.testclient import TestClient

from workhorse.api import Inspector
from workhorse.config import Settings
from workhorse.keys import Keys
from workhorse.sharding import ShardedClient, Shards
from workhorse.web.guard import CSP
from workhorse.web.shards import create_sharded_app


def test_sharded_dashboard_lists_shards_and_serves_each(redis_srv: object) -> None:
    urls = [redis_srv.url(1950), redis_srv.url(1951)]  # type: ignore[attr-defined]
    for url in urls:
        redis.Redis.from_url(url).flushdb()
    client = ShardedClient(Shards.from_urls(urls))
    for i in range(8):
        client.enqueue("X", [], queue=f"q{i}")
    inspectors = {
        f"shard{i}": Inspector(
            redis.Redis.from_url(u, decode_responses=True), Keys(), Settings(redis_url=u)
        )
        for i, u in enumerate(urls)
    }
    with TestClient(create_sharded_app(inspectors)) as http:
        index = http.get("/")
        assert index.status_code == 200
        assert 'href="/shard0/"' in index.text and 'href="/shard1/"' in index.text
        assert index.headers["content-security-policy"] == CSP, "the dashboards' own policy"
        for name in inspectors:
            page = http.get(f"/{name}/queues")
            assert page.status_code == 200 and f"/{name}/queues/" in page.text
