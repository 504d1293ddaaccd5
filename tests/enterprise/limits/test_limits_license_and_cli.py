"""The Enterprise gate, the plugin's hooks, and `workhorse limits`."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import redis
from click.testing import CliRunner
from support.licenses import licensed

import workhorse_licensing
from workhorse.cli import main
from workhorse.config import Settings
from workhorse.keys import Keys
from workhorse.worker.launcher import WorkerProcess
from workhorse_enterprise import limits
from workhorse_enterprise.limits import plugin
from workhorse_enterprise.limits.middleware import LimitsMiddleware


@pytest.fixture
def pro_only() -> Iterator[None]:
    with licensed(("pro",)):
        yield


@pytest.mark.usefixtures("pro_only", "wh_client")
def test_a_limiter_can_be_declared_but_not_used_without_an_enterprise_license() -> None:
    limiter = limits.concurrent("stripe", 5)  # job modules still import on unlicensed workers
    with pytest.raises(workhorse_licensing.FeatureNotLicensed, match="enterprise"):
        limiter.acquire()
    with pytest.raises(workhorse_licensing.FeatureNotLicensed):
        limits.bucket("stripe-b", 5).acquire()


@pytest.mark.usefixtures("enterprise", "wh_client")
def test_using_a_limiter_checks_the_license_too(monkeypatch: pytest.MonkeyPatch) -> None:
    limiter = limits.window("later", 5, 1)
    monkeypatch.setattr(workhorse_licensing, "require", _refuse)
    with pytest.raises(workhorse_licensing.FeatureNotLicensed):
        limiter.acquire()


def _refuse(tier: str, feature: str | None = None) -> None:
    raise workhorse_licensing.FeatureNotLicensed(f"no {tier} license for {feature}")


@pytest.mark.usefixtures("pro_only")
def test_an_unlicensed_worker_warns_at_startup_and_adds_no_middleware(
    caplog: pytest.LogCaptureFixture, settings: Settings, rc: redis.Redis
) -> None:
    assert plugin.workhorse_server_middleware(WorkerProcess(settings, rc)) == []
    with caplog.at_level(logging.WARNING):
        plugin.workhorse_startup()
    assert "rate limiting is off" in caplog.text


@pytest.mark.usefixtures("enterprise", "wh_client")
def test_a_licensed_worker_gets_the_limits_middleware_and_the_limiter_option(
    settings: Settings, rc: redis.Redis
) -> None:
    (middleware,) = plugin.workhorse_server_middleware(WorkerProcess(settings, rc))
    assert isinstance(middleware, LimitsMiddleware) and middleware.max_reschedules == 20
    assert plugin.workhorse_job_options() == {"limiter": False}


@pytest.mark.usefixtures("enterprise", "wh_client")
def test_workhorse_limits_lists_each_limiter_with_its_metrics(
    redis_url: str,
    rc: redis.Redis,
) -> None:
    pool = limits.concurrent("pool", 2, wait_timeout=0)
    held = pool.acquire()
    pool.acquire().release()
    api = limits.bucket("api", 1, per="minute", wait_timeout=0)
    api.acquire()
    with pytest.raises(limits.OverLimit):
        api.acquire()
    result = CliRunner().invoke(main, ["limits", "--redis-url", redis_url])
    assert result.exit_code == 0, result.output
    header, api_row, pool_row = result.output.splitlines()
    assert header.split() == [
        "name",
        "type",
        "limit",
        "per",
        "held",
        "admitted",
        "waited",
        "over",
        "reclaimed",
    ]
    assert api_row.split() == ["api", "bucket", "1", "60s", "-", "1", "0", "1", "0"]
    assert pool_row.split() == ["pool", "concurrent", "2", "30s", "1", "2", "0", "0", "0"]
    as_json = json.loads(
        CliRunner().invoke(main, ["limits", "--redis-url", redis_url, "--json"]).output
    )
    assert [entry["name"] for entry in as_json] == ["api", "pool"]
    held.release()
    deleted = CliRunner().invoke(main, ["limits", "--redis-url", redis_url, "--delete", "api"])
    assert "deleted limiter 'api'" in deleted.output
    assert [s.name for s in limits.list_limiters(rc)] == ["pool"]
    again = CliRunner().invoke(main, ["limits", "--redis-url", redis_url, "--delete", "api"])
    assert again.exit_code == 3 and "no limiter named 'api'" in again.output


@pytest.mark.usefixtures("pro_only")
def test_workhorse_limits_without_a_license_says_what_is_missing(redis_url: str) -> None:
    result = CliRunner().invoke(main, ["limits", "--redis-url", redis_url])
    assert result.exit_code == 1 and "enterprise" in result.output.lower()


@pytest.mark.usefixtures("enterprise", "wh_client")
def test_the_dashboard_limits_tab_shows_each_limiter(rc: redis.Redis) -> None:
    from starlette.testclient import TestClient

    from workhorse.api import Inspector
    from workhorse.web import create_app
    from workhorse_enterprise.limits import web

    limits.bucket("shown", 5, per="minute").acquire()
    (tab,) = plugin.workhorse_dashboard_tabs()
    assert tab.name == "limits"  # type: ignore[attr-defined]
    with TestClient(create_app(Inspector(rc), tabs=[web.tab()])) as browser:
        page = browser.get("/limits/")
        assert page.status_code == 200, page.text
        assert 'data-limiter="shown"' in page.text and "bucket" in page.text
        (entry,) = browser.get("/limits/json").json()
        assert (entry["name"], entry["admitted"], entry["limit"]) == ("shown", 1, 5)


@pytest.mark.usefixtures("enterprise", "wh_client")
def test_each_limiter_reaches_prometheus_as_gauges_labelled_by_name(rc: redis.Redis) -> None:
    pool = limits.concurrent("pool", 2, wait_timeout=0)
    held = pool.acquire()
    api = limits.bucket("api", 1, per="minute", wait_timeout=0)
    api.acquire()
    with pytest.raises(limits.OverLimit):
        api.acquire()
    samples = {(s.name, s.labels["limiter"]): s.value for s in plugin.workhorse_metrics(rc, Keys())}
    held.release()
    assert samples[("workhorse_limiter_held", "pool")] == 1
    assert samples[("workhorse_limiter_limit", "pool")] == 2
    assert samples[("workhorse_limiter_admitted", "api")] == 1
    assert samples[("workhorse_limiter_over", "api")] == 1
    assert ("workhorse_limiter_held", "api") not in samples  # a bucket holds no slots


@pytest.mark.usefixtures("pro_only", "wh_client")
def test_without_an_enterprise_license_no_limiter_gauges_are_reported(rc: redis.Redis) -> None:
    assert plugin.workhorse_metrics(rc, Keys()) == []
