"""Health probes of a worker (``--health-port``): liveness and readiness over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import redis
from support.waiting import wait_for

from workhorse.worker import health
from workhorse.worker.launcher import WorkerProcess

StartWorker = Callable[..., WorkerProcess]


def probe(port: int, path: str) -> tuple[int, dict[str, object]]:
    response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
    return response.status_code, response.json()


def test_a_running_worker_is_live_and_ready(start_worker: StartWorker) -> None:
    worker = start_worker(health_port=0, http_host="127.0.0.1")
    port = worker.servers[0].port
    assert probe(port, "/livez")[0] == 200
    status, body = probe(port, "/readyz")
    assert (status, body["status"], body["redis"]) == (200, "ok", "ok")


def test_a_quiet_worker_is_live_but_not_ready(start_worker: StartWorker) -> None:
    worker = start_worker(health_port=0, http_host="127.0.0.1")
    worker.set_quiet()
    port = worker.servers[0].port
    assert probe(port, "/livez")[0] == 200
    status, body = probe(port, "/readyz")
    assert (status, body["quiet"]) == (503, True)


def test_a_stalled_heartbeat_fails_liveness(start_worker: StartWorker) -> None:
    worker = start_worker()
    assert health.liveness(worker)[0]
    late = worker.beat_attempted_at + worker.settings.heartbeat_interval * 3 + 6
    ok, details = health.liveness(worker, now=late)
    assert not ok and details["heartbeat_age"] > details["heartbeat_limit"]  # type: ignore[operator]


def test_lost_redis_fails_readiness_only(start_worker: StartWorker) -> None:
    worker = start_worker()
    dead = redis.Redis(port=1, socket_connect_timeout=0.5)  # nothing listens on port 1
    worker._redis = dead
    ok, details = health.readiness(worker)
    assert not ok and str(details["redis"]).startswith("unreachable")
    assert health.liveness(worker)[0]


def test_unknown_paths_get_404_naming_the_probes(start_worker: StartWorker) -> None:
    worker = start_worker(health_port=0, http_host="127.0.0.1")
    response = httpx.get(f"http://127.0.0.1:{worker.servers[0].port}/../etc/passwd", timeout=5)
    assert response.status_code == 404 and "/livez" in response.text


@pytest.mark.slow
def test_with_processes_the_supervisor_answers_for_all(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]], unused_port: int
) -> None:
    env = {**os.environ, "WORKHORSE_HEARTBEAT_INTERVAL": "0.5"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workhorse",
            "worker",
            "-p",
            "2",
            "-c",
            "1",
            "--health-port",
            str(unused_port),
            "--redis-url",
            redis_url,
        ],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    procs.append(proc)

    def ready() -> dict[str, object] | None:
        try:
            status, body = probe(unused_port, "/readyz")
        except httpx.TransportError:
            return None
        return body if status == 200 else None

    body = wait_for(ready, "both worker processes to be ready", timeout=30)
    assert (body["processes"], body["wanted"], body["redis"]) == (2, 2, "ok")
    wait_for(lambda: r.scard("processes") == 2, "both workers to register")
    child = r.smembers("processes").pop().split(":")[1]
    os.kill(int(child), signal.SIGKILL)
    wait_for(lambda: probe(unused_port, "/readyz")[0] == 503, "readiness to drop with one down")
    assert probe(unused_port, "/livez")[0] == 200
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0


def test_with_processes_quiet_children_make_the_supervisor_not_ready(
    redis_url: str, r: redis.Redis, procs: list[subprocess.Popen[bytes]], unused_port: int
) -> None:
    env = {**os.environ, "WORKHORSE_HEARTBEAT_INTERVAL": "0.5"}
    argv = ["worker", "-p", "2", "-c", "1", "--health-port", str(unused_port)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "workhorse", *argv, "--redis-url", redis_url],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    procs.append(proc)

    def readiness() -> tuple[int, dict[str, object]]:
        try:
            return probe(unused_port, "/readyz")
        except httpx.TransportError:
            return 0, {}

    wait_for(lambda: readiness()[0] == 200, "both worker processes to be ready", 30)
    wait_for(lambda: r.scard("processes") == 2, "both workers to register")
    # Quiet from a dashboard goes to one child through Redis; the supervisor never sees it.
    r.lpush(f"{sorted(r.smembers('processes'))[0]}-signals", "TSTP")
    wait_for(lambda: readiness()[1].get("quiet") == 1, "one quiet child to show", 30)
    status, body = readiness()
    assert (status, body["processes"], body["quiet_requested"]) == (503, 2, False)
    assert probe(unused_port, "/livez")[0] == 200
    proc.send_signal(signal.SIGTSTP)  # quiet for all: passed on to both children
    wait_for(lambda: readiness()[1].get("quiet") == 2, "both children quiet", 30)
    status, body = readiness()
    assert (status, body["quiet_requested"]) == (503, True)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0


def test_the_supervisor_counts_only_running_children_as_quiet(tmp_path: Path) -> None:
    (tmp_path / "101").touch()
    (tmp_path / "102").touch()  # a child that has exited since: not counted
    assert health.quiet_children(tmp_path, [101, 103]) == [101]
    assert health.quiet_children(None, [101]) == []


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_probe_bodies_are_json(start_worker: StartWorker) -> None:
    worker = start_worker(health_port=0, http_host="127.0.0.1")
    raw = httpx.get(f"http://127.0.0.1:{worker.servers[0].port}/livez", timeout=5).text
    assert json.loads(raw)["threads_alive"] is True


def test_ports_with_shards_are_refused_with_a_reason(redis_url: str) -> None:
    from click.testing import CliRunner

    from workhorse.cli import main

    result = CliRunner().invoke(
        main, ["worker", "--shard", redis_url, "--shard", redis_url, "--health-port", "8081"]
    )
    assert result.exit_code == 2 and "run one worker per shard" in result.output
