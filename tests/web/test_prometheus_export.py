"""The dashboard's /metrics answers Prometheus with the exposition format, browsers with HTML."""

from __future__ import annotations

import json
from collections.abc import Callable

import redis
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.testclient import TestClient

PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
)


def test_prometheus_gets_redis_gauges_parsed_by_the_client_library(
    make_app: Callable[..., Starlette], rr: redis.Redis
) -> None:
    rr.sadd("queues", "mail")
    rr.lpush(
        "queue:mail", json.dumps({"class": "X", "args": [], "jid": "a" * 24, "enqueued_at": 1_000})
    )
    rr.lpush("queue:mail", b"\xff\xfe not utf-8")
    rr.zadd("dead", {"{}": 1})
    with TestClient(make_app()) as http:
        response = http.get("/metrics", headers={"Accept": PROMETHEUS_ACCEPT})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(response.text)
        for s in f.samples
    }
    assert samples[("workhorse_queue_size", (("queue", "mail"),))] == 2
    assert samples[("workhorse_queue_latency_seconds", (("queue", "mail"),))] > 0
    assert samples[("workhorse_dead_jobs", ())] == 1


def test_browsers_still_get_the_metrics_page(make_app: Callable[..., Starlette]) -> None:
    with TestClient(make_app()) as http:
        page = http.get("/metrics", headers={"Accept": "text/html,*/*;q=0.8"})
        forced = http.get("/metrics?format=prometheus", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "# TYPE workhorse_queue_size gauge" in forced.text


def test_the_export_sits_behind_the_dashboards_auth(make_app: Callable[..., Starlette]) -> None:
    app = make_app(auth=lambda request: False)
    with TestClient(app) as http:
        response = http.get("/metrics", headers={"Accept": PROMETHEUS_ACCEPT})
    assert response.status_code in (401, 403)
