"""Redis passwords never reach a log line, CLI output, an error or a page; every place that
names a Redis says where its URL came from."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from click.testing import CliRunner
from support.redis_server import RedisServer, free_port

from workhorse import connection
from workhorse.cli import main
from workhorse.client import Client
from workhorse.config import Settings
from workhorse.connection import LOCALHOST, RedisTarget, redact, resolve
from workhorse.errors import RedisUnavailable, WorkhorseError
from workhorse.worker.launcher import WorkerProcess

SECRET = "s3cret-Pw"
USER = "wh_secret_test"


@pytest.mark.parametrize(
    "url",
    [
        f"redis://:{SECRET}@cache.internal:6379/0",
        f"redis://app:{SECRET}@cache.internal:6379/0",
        f"rediss://{SECRET}@cache.internal:6380",
        f"redis://cache.internal:6379/0?password={SECRET}",
        f"redis://cache.internal/0?db=1&sentinel_password={SECRET}&socket_timeout=5",
        f"redis+sentinel://:{SECRET}@s1:26379,s2:26379/mymaster?sentinel_password={SECRET}",
        f"unix:///run/redis.sock?db=0&password={SECRET}",
        f"redis://cache.internal/0?auth_token={SECRET}&client_secret={SECRET}",
        f"redis://cache.internal/0?pass%77ord={SECRET}",
        f"redis://:{SECRET}@[::1/0",  # urlsplit refuses it: the fallback still hides the password
        f"redis://:p@ss:{SECRET}@cache.internal:6379/0",
    ],
)
def test_redact_hides_every_password_and_keeps_the_server(url: str) -> None:
    shown = redact(url)
    assert SECRET not in shown
    assert "***" in shown
    assert any(host in shown for host in ("cache.internal", "s1:26379", "/run/redis.sock", "::1"))


def test_redact_leaves_a_url_without_secrets_alone() -> None:
    url = "redis://cache.internal:6379/3?socket_timeout=5&db=3"
    assert redact(url) == url
    assert redact("") == ""


def test_settings_repr_leaves_the_url_out() -> None:
    settings = Settings(redis_url=f"redis://:{SECRET}@cache.internal/0")
    assert SECRET not in repr(settings) and "redis_url_source" in repr(settings)


def test_resolution_says_where_the_url_came_from(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKHORSE_REDIS_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://from-redis-url/0")
    assert resolve(None) == RedisTarget("redis://from-redis-url/0", "REDIS_URL")
    monkeypatch.setenv("WORKHORSE_REDIS_URL", "redis://from-workhorse/0")
    assert resolve(None) == RedisTarget("redis://from-workhorse/0", "WORKHORSE_REDIS_URL")
    assert resolve("redis://given/0") == RedisTarget("redis://given/0", "argument")
    assert resolve(Settings.from_env()).source == "WORKHORSE_REDIS_URL"
    assert resolve(Settings.from_env(redis_url="redis://given/0")).source == "argument"
    assert resolve(Settings(redis_url="redis://built/0")).source == "settings"


def test_resolution_names_localhost_when_nothing_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("WORKHORSE_REDIS_URL", "REDIS_URL", "WORKHORSE_NO_LOCALHOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(connection, "_answers", lambda url: True)  # no probe of the real 6379
    assert resolve(None) == RedisTarget(connection.LOCAL_DEFAULT, LOCALHOST)


@pytest.fixture
def secret_url(redis_srv: RedisServer, redis_url: str) -> Iterator[str]:
    """A URL to this test's database that logs in as an ACL user with a password."""
    admin = redis.Redis.from_url(redis_url)
    admin.acl_setuser(
        USER, enabled=True, passwords=[f"+{SECRET}"], keys=["*"], channels=["*"], commands=["+@all"]
    )
    db = redis_url.rsplit("db=", 1)[1]
    yield f"redis://{USER}:{SECRET}@127.0.0.1:{redis_srv.port}/{db}"
    admin.acl_deluser(USER)
    admin.close()


def test_worker_start_line_names_the_redacted_redis_and_its_source(
    secret_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    settings: Settings,
) -> None:
    monkeypatch.setenv("WORKHORSE_REDIS_URL", secret_url)
    worker = WorkerProcess(
        Settings.from_env().with_changes(
            fetch_timeout=settings.fetch_timeout, shutdown_timeout=settings.shutdown_timeout
        )
    )
    with caplog.at_level(logging.INFO, logger="workhorse.worker"):
        worker.start()
        worker.stop()
        worker.shutdown()
    started = next(r.getMessage() for r in caplog.records if " started: " in r.getMessage())
    assert f"Redis redis://{USER}:***@127.0.0.1" in started
    assert "(from WORKHORSE_REDIS_URL)" in started
    assert SECRET not in caplog.text


def test_status_shows_the_redacted_url_and_its_source(secret_url: str) -> None:
    runner = CliRunner()
    text = runner.invoke(main, ["status", "--redis-url", secret_url], catch_exceptions=False)
    assert text.exit_code == 0, text.output
    assert SECRET not in text.output and "***" in text.output and "(from argument)" in text.output
    data = runner.invoke(
        main, ["status", "--json", "--redis-url", secret_url], catch_exceptions=False
    )
    assert SECRET not in data.output
    assert json.loads(data.stdout)["redis_url_source"] == "argument"


def test_doctor_shows_the_redacted_url_and_its_source(
    secret_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKHORSE_REDIS_URL", secret_url)
    result = CliRunner().invoke(main, ["doctor", "--json"], catch_exceptions=False)
    detail = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "redis")["detail"]
    assert SECRET not in result.output
    assert "***" in detail and "(from WORKHORSE_REDIS_URL)" in detail


def test_doctor_hides_the_password_of_a_redis_that_does_not_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://:{SECRET}@127.0.0.1:{free_port()}/0")
    result = CliRunner().invoke(main, ["doctor", "--json"], catch_exceptions=False)
    assert result.exit_code == 1
    assert SECRET not in result.output and "(from REDIS_URL)" in result.output


def unreachable(monkeypatch: pytest.MonkeyPatch, via_env: bool) -> Client:
    url = f"redis://:{SECRET}@127.0.0.1:{free_port()}/0?password={SECRET}"
    if via_env:
        monkeypatch.setenv("WORKHORSE_REDIS_URL", url)
        return Client(settings=Settings.from_env(), middleware=[])
    return Client(settings=Settings.from_env(redis_url=url), middleware=[])


@pytest.mark.parametrize(
    ("via_env", "source"), [(False, "argument"), (True, "WORKHORSE_REDIS_URL")]
)
def test_enqueue_with_redis_down_raises_redis_unavailable_naming_url_and_source(
    monkeypatch: pytest.MonkeyPatch, via_env: bool, source: str
) -> None:
    client = unreachable(monkeypatch, via_env)
    with pytest.raises(RedisUnavailable) as caught:
        client.enqueue("HardJob", [1])
    message = str(caught.value)
    assert SECRET not in message
    assert "redis://:***@127.0.0.1:" in message and f"(from {source})" in message
    assert "WORKHORSE_REDIS_URL" in message, "says what to do"
    # Callers that already retry on redis-py's connection errors keep working.
    assert isinstance(caught.value, redis.ConnectionError | WorkhorseError)
    assert isinstance(caught.value, redis.ConnectionError)


def test_perform_async_with_redis_down_raises_redis_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import workhorse
    from workhorse import client as client_module

    @workhorse.job(name="secrets.Noop")
    def noop(*args: Any) -> None:
        del args

    previous = client_module.set_default_client(unreachable(monkeypatch, via_env=False))
    try:
        with pytest.raises(RedisUnavailable, match=r"\(from argument\)"):
            noop.perform_async(1)
        with pytest.raises(RedisUnavailable):
            noop.perform_bulk([[1], [2]])
    finally:
        client_module.set_default_client(previous)


def test_a_client_built_on_a_given_redis_still_says_which_server(redis_srv: RedisServer) -> None:
    port = free_port()
    client = Client(redis.Redis(host="127.0.0.1", port=port), Settings(), middleware=[])
    with pytest.raises(RedisUnavailable, match=f"127.0.0.1:{port}"):
        client.enqueue("HardJob", [1])


def test_a_command_on_a_redis_that_does_not_answer_names_it_redacted_with_its_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://:{SECRET}@127.0.0.1:{free_port()}/0")
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code != 0
    assert SECRET not in result.output and "(from REDIS_URL)" in result.output
    assert "redis://:***@127.0.0.1" in result.output


def test_a_worker_whose_redis_does_not_answer_says_which_and_from_where(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WORKHORSE_REDIS_URL", f"redis://:{SECRET}@127.0.0.1:{free_port()}/0")
    worker = WorkerProcess(Settings.from_env())
    with pytest.raises(RedisUnavailable) as caught:
        worker.start()
    assert SECRET not in str(caught.value) and "(from WORKHORSE_REDIS_URL)" in str(caught.value)
