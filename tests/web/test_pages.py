"""Every page renders what is in Redis: totals, queues, the three job sets, processes, metrics."""

from __future__ import annotations

import time

import redis
from jobdata import add_to_set, failed, fill_set, job, process, push
from web_client import DashboardClient

from workhorse import stats
from workhorse.keys import Keys


def test_dashboard_shows_every_total(client: DashboardClient, rr: redis.Redis, keys: Keys) -> None:
    rr.set(keys.stat("processed"), 12345)
    rr.set(keys.stat("failed"), 67)
    for _ in range(3):
        add_to_set(rr, keys, "retry", failed())
    add_to_set(rr, keys, "dead", failed())
    push(rr, keys, job())
    page = client.get("/")
    assert page.status_code == 200
    text = page.text
    assert 'data-stat="processed">12,345<' in text
    assert 'data-stat="failed">67<' in text
    assert 'data-stat="retries">3<' in text
    assert 'data-stat="dead">1<' in text
    assert 'data-stat="enqueued">1<' in text
    assert 'id="live-chart"' in text and 'id="history-chart"' in text


def test_stats_endpoint_feeds_the_live_chart(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    rr.set(keys.stat("processed"), 10)
    body = client.get("/api/stats").json()
    assert body["processed"] == 10
    assert body["time"] > 0
    assert set(body) >= {"failed", "busy", "enqueued", "retries", "scheduled", "dead"}


def test_history_endpoint_returns_the_chosen_number_of_days(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    from datetime import UTC, datetime

    today = datetime.now(UTC).date()
    rr.set(keys.stat("processed", today), 42)
    for days in (7, 30, 90, 180):
        rows = client.get(f"/api/history?days={days}").json()["days"]
        assert len(rows) == days
        assert rows[-1] == {"date": today.isoformat(), "processed": 42, "failed": 0}
    assert len(client.get("/api/history?days=9999").json()["days"]) == 180


def test_history_range_links_switch_the_chart(client: DashboardClient) -> None:
    page = client.get("/?days=90").text
    assert 'data-src="/api/history?days=90"' in page
    assert 'href="/?days=180"' in page


def test_retries_page_lists_jobs_with_their_errors(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    item = failed(
        "billing.Charge",
        [42, "eur"],
        error_class="TimeoutError",
        error_message="gateway took too long",
    )
    add_to_set(rr, keys, "retry", item, time.time() + 60)
    page = client.get("/retries").text
    assert "billing.Charge" in page
    assert "TimeoutError" in page and "gateway took too long" in page
    assert "42, &#34;eur&#34;" in page
    assert item["jid"] in page


def test_job_detail_shows_args_error_and_backtrace(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    from workhorse.payload import compress_backtrace

    item = failed(
        "billing.Charge",
        [{"amount": 5}],
        error_message="card declined",
        error_backtrace=compress_backtrace(["app.py:10 in charge", "gw.py:3 in post"]),
    )
    key = add_to_set(rr, keys, "dead", item)
    page = client.get(f"/dead/{key}")
    assert page.status_code == 200
    assert "card declined" in page.text
    assert "app.py:10 in charge\ngw.py:3 in post" in page.text
    assert "&#34;amount&#34;: 5" in page.text


def test_missing_job_detail_says_it_is_gone(client: DashboardClient) -> None:
    page = client.get("/dead/123.0-doesnotexist")
    assert page.status_code == 404
    assert "no longer in Dead" in page.text


def test_dead_page_is_paged_newest_first(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    jids = fill_set(rr, keys, "dead", 60)
    first = client.get("/dead").text
    assert jids[-1] in first and jids[-25] in first and jids[-26] not in first
    assert "Page <strong data-page>1</strong> of 3" in first
    last = client.get("/dead?page=3").text
    assert jids[0] in last and jids[9] in last and jids[10] not in last
    assert "rows 51\u201360 of 60" in last
    assert "Page <strong data-page>3</strong>" in client.get("/dead?page=999").text


def test_filter_finds_jobs_by_substring(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    fill_set(rr, keys, "retry", 30)
    wanted = failed("reports.Build", ["quarterly-[2024]*"])
    add_to_set(rr, keys, "retry", wanted)
    page = client.get("/retries", params={"q": "quarterly-[2024]*"}).text
    assert wanted["jid"] in page
    assert page.count('name="key"') == 1
    assert "No job matches" in client.get("/retries", params={"q": "nothing-like-this"}).text


def test_scheduled_page_shows_future_jobs(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    item = job("mail.Reminder", ["tomorrow"])
    add_to_set(rr, keys, "schedule", item, time.time() + 3600)
    page = client.get("/scheduled").text
    assert "mail.Reminder" in page and "in 1 h" in page
    assert ">Run now</button>" in page


def test_queues_page_shows_sizes_and_a_queue_pages_its_jobs(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    for i in range(30):
        push(rr, keys, job("web.Q", [i], queue="critical"))
    index = client.get("/queues").text
    assert 'href="/queues/critical"' in index and ">30<" in index
    first = client.get("/queues/critical").text
    assert '<code class="args">0</code>' in first
    second = client.get("/queues/critical?page=2").text
    assert '<code class="args">29</code>' in second


def test_busy_page_shows_python_and_ruby_processes(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    running = job("HardJob", ["bob", 5])
    process(
        rr,
        keys,
        "rubyhost:99:0123456789ab",
        {
            "hostname": "rubyhost",
            "pid": 99,
            "version": "7.2.4",
            "queues": ["default"],
            "concurrency": 5,
            "started_at": time.time() - 100,
            "tag": "billing",
        },
        work={"tid-1": {"queue": "default", "payload": running, "run_at": time.time()}},
        busy=1,
    )
    process(
        rr,
        keys,
        "pyhost:7:abcdef012345",
        {
            "hostname": "pyhost",
            "pid": 7,
            "version": "workhorse-1.0.0",
            "queues": ["critical", "default"],
            "concurrency": 10,
            "started_at": time.time(),
        },
    )
    page = client.get("/busy").text
    assert "Ruby Sidekiq" in page and "7.2.4" in page
    assert "Python" in page and "workhorse-1.0.0" in page
    assert "HardJob" in page and "&#34;bob&#34;, 5" in page
    assert "billing" in page
    assert "1 of 15 threads busy" in page


def test_metrics_page_lists_jobs_by_time_spent(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    bucket = keys.metrics(stats.minute_bucket())
    rr.hset(
        bucket,
        mapping={
            "fast.Job|p": 100,
            "fast.Job|ms": 500,
            "slow.Job|p": 10,
            "slow.Job|f": 2,
            "slow.Job|ms": 8000,
        },
    )
    page = client.get("/metrics").text
    assert page.index("slow.Job") < page.index("fast.Job")
    assert "20.0 %" in page
    assert client.get("/metrics?minutes=480").status_code == 200


def test_unknown_page_is_a_404_in_the_layout(client: DashboardClient) -> None:
    page = client.get("/nowhere")
    assert page.status_code == 404
    assert "Back to the dashboard" in page.text


def test_unreadable_payload_is_shown_not_crashed_on(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    rr.zadd(keys.dead, {"{not json": time.time()})
    page = client.get("/dead")
    assert page.status_code == 200
    assert "not valid JSON" in page.text


def test_redis_outage_shows_a_clear_503(keys: Keys) -> None:
    from support.redis_server import free_port

    from workhorse.api import Inspector
    from workhorse.config import Settings
    from workhorse.connection import connect
    from workhorse.web import create_app

    settings = Settings(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    app = create_app(Inspector(connect(settings), keys, settings), tabs=[])
    with DashboardClient(app) as c:
        page = c.get("/retries")
    assert page.status_code == 503
    assert "did not answer" in page.text and "Check that it is running" in page.text


def test_busy_page_lists_each_capsule_of_a_process(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    capsules = {
        "default": {"concurrency": 20, "mode": "strict", "weights": {"default": 0}},
        "serial": {"concurrency": 1, "mode": "strict", "weights": {"payments": 0}},
        "garbled": ["written", "by", "someone", "else"],
        "no-threads": {"concurrency": True, "weights": {"x": 0}},
    }
    process(
        rr,
        keys,
        "pyhost:8:abcdef012345",
        {
            "hostname": "pyhost",
            "pid": 8,
            "version": "workhorse-1.0.0",
            "queues": ["default", "payments"],
            "concurrency": 21,
            "started_at": time.time(),
            "capsules": capsules,
        },
    )
    page = client.get("/busy").text
    assert "default · 20</span> default" in page and "serial · 1</span> payments" in page
    assert "garbled" not in page and "no-threads" not in page
