"""``workhorse web``: a real server process, its options, and clear errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator

import httpx
import pytest
from click.testing import CliRunner
from support.redis_server import free_port
from support.waiting import wait_for

from workhorse.cli import main

Starter = Callable[..., tuple[subprocess.Popen[bytes], str]]


@pytest.fixture
def web_process() -> Iterator[Starter]:
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "workhorse", "web", "--port", str(port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        started.append(proc)
        return proc, f"http://127.0.0.1:{port}"

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def answers(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=1)
    except httpx.TransportError:
        return None


def test_web_command_serves_the_dashboard(web_process: Starter, redis_url: str) -> None:
    proc, base = web_process("--redis-url", redis_url, "--base-path", "/sidekiq", "--read-only")
    page = wait_for(lambda: answers(f"{base}/sidekiq/"), "workhorse web to answer", timeout=20)
    assert page.status_code == 200
    assert "Dashboard" in page.text and "read-only" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    proc.send_signal(signal.SIGINT)
    output = proc.communicate(timeout=10)[0].decode()
    assert "dashboard at http://127.0.0.1:" in output and "/sidekiq/" in output
    assert "read-only" in output


def test_web_command_says_when_redis_is_unreachable() -> None:
    result = CliRunner().invoke(main, ["web", "--redis-url", f"redis://127.0.0.1:{free_port()}/0"])
    assert result.exit_code == 1
    assert "cannot reach Redis" in result.output


def test_web_command_rejects_a_malformed_basic_auth(redis_url: str) -> None:
    result = CliRunner().invoke(main, ["web", "--redis-url", redis_url, "--basic-auth", "nocolon"])
    assert result.exit_code == 1
    assert "USER:PASSWORD" in result.output
