"""The pytest plugin: fixtures used directly, and a user's test file run in a fresh pytest."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import redis
import testing_jobs as jobs  # type: ignore[import-not-found]

from workhorse.client import Client, default_client
from workhorse.testing import Fake, Inline


def test_workhorse_fake_fixture_collects(workhorse_fake: Fake) -> None:
    jobs.send_welcome.perform_async("a")
    assert workhorse_fake.args(jobs.send_welcome) == [["a"]]


def test_workhorse_inline_fixture_runs(workhorse_inline: Inline) -> None:
    jobs.calls.clear()
    jobs.send_welcome.perform_async("b")
    assert jobs.calls == [("welcome", "b")]


def test_workhorse_client_writes_to_a_private_empty_redis(
    workhorse_client: Client, workhorse_redis_url: str
) -> None:
    assert default_client() is workhorse_client
    jid = jobs.send_welcome.perform_async("c")
    raw = redis.Redis.from_url(workhorse_redis_url).lrange("queue:mail", 0, -1)
    assert len(raw) == 1 and jid is not None and jid.encode() in raw[0]
    assert ":6379" not in workhorse_redis_url


USER_TEST = """
    import workhorse
    import redis

    @workhorse.job
    def send_welcome(email):
        SENT.append(email)

    SENT = []

    def test_fake(workhorse_fake):
        send_welcome.perform_async("ada@example.com")
        assert workhorse_fake.args(send_welcome) == [["ada@example.com"]]
        workhorse_fake.drain()
        assert SENT == ["ada@example.com"]

    def test_inline(workhorse_inline):
        send_welcome.perform_async("bob@example.com")
        assert SENT[-1] == "bob@example.com"

    def test_real_redis(workhorse_client, workhorse_redis_url):
        send_welcome.perform_async("cy@example.com")
        assert redis.Redis.from_url(workhorse_redis_url).llen("queue:default") == 1
"""


def test_a_users_project_gets_the_fixtures_without_any_conftest(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TEST))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
