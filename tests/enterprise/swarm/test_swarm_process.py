"""The swarm with real processes and real signals (issue 22): recycling and rolling
restarts lose no job and never leave the swarm without a working child."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
import redis
from support.licenses import process_tree_env, token
from support.processes import CORE_TESTS, stop
from support.waiting import wait_for

from workhorse.client import Client
from workhorse.config import Settings


def spawn_swarm(
    url: str, *args: str, licensed: bool = True, path: Path | None = None, **env_extra: str
) -> subprocess.Popen[bytes]:
    pythonpath = os.pathsep.join(str(p) for p in (CORE_TESTS, path) if p)
    env = process_tree_env(
        token(("pro", "enterprise")) if licensed else "",
        pythonpath=pythonpath,
        WORKHORSE_HEARTBEAT_INTERVAL="0.5",
        **env_extra,
    )
    # A file, not a pipe: nobody reads a pipe while the test runs, and a full one blocks.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - read back by output()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workhorse",
            "swarm",
            "-r",
            "jobs_for_tests",
            "--redis-url",
            url,
            "-t",
            "1",
            *args,
        ],
        cwd=CORE_TESTS,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _logs[proc.pid] = log
    return proc


_logs: dict[int, IO[bytes]] = {}


def output(proc: subprocess.Popen[bytes]) -> str:
    log = _logs[proc.pid]
    log.seek(0)
    return log.read().decode(errors="replace")


def live(r: redis.Redis) -> set[str]:
    return {i for i in r.smembers("processes") if r.exists(i)}


class Watch:
    """Samples the live processes in Redis on a thread: the fewest seen, every one seen."""

    def __init__(self, r: redis.Redis) -> None:
        self.r, self.fewest, self.seen = r, 10**6, set[str]()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.wait(0.05):
            now = live(self.r)
            self.fewest = min(self.fewest, len(now))
            self.seen |= now

    def __enter__(self) -> Watch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


@pytest.fixture
def swarms() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        stop(p, 30)


def ran(r: redis.Redis) -> list[str]:
    return r.lrange("test:ran", 0, -1)


def test_swarm_forks_n_children_that_work_and_count_against_the_license(
    redis_url: str, r: redis.Redis, swarms: list[subprocess.Popen[bytes]]
) -> None:
    swarms.append(spawn_swarm(redis_url, "-p", "3", "-c", "2"))
    children = wait_for(lambda: len(live(r)) == 3 and live(r), "three children to register", 30)
    infos = [json.loads(r.hget(i, "info")) for i in children]
    assert {info["supervisor_pid"] for info in infos} == {swarms[0].pid}
    assert len({info["pid"] for info in infos}) == 3
    # Each child counts as a process of the license (Pro's usage zset, one per license).
    wait_for(lambda: r.zcard("license:lic_123:processes") == 3, "three processes counted")
    Client(settings=Settings(redis_url=redis_url)).push_bulk(
        {"class": "jobs_for_tests.record", "args": [n]} for n in range(20)
    )
    wait_for(lambda: len(ran(r)) == 20, "the jobs to run")
    assert stop(swarms[0]) == 0


def test_a_child_over_max_jobs_is_replaced_first_and_finishes_its_jobs(
    redis_url: str, r: redis.Redis, swarms: list[subprocess.Popen[bytes]]
) -> None:
    client = Client(settings=Settings(redis_url=redis_url))
    swarms.append(spawn_swarm(redis_url, "-p", "2", "-c", "2", "--max-jobs", "10"))
    wait_for(lambda: len(live(r)) == 2, "two children to register", 30)
    total = 100  # 0.1 s each on 4 threads: 2.5 s, limits are checked every second
    with Watch(r) as watch:
        client.push_bulk(
            {"class": "jobs_for_tests.slow", "args": [0.1, str(n)]} for n in range(total)
        )
        wait_for(lambda: len(ran(r)) >= total, "every job to run", 90)
    assert sorted(ran(r), key=int) == [str(n) for n in range(total)], "each job ran once"
    assert watch.fewest >= 2, "a successor was working before its predecessor left"
    assert len(watch.seen) >= 4, "children were recycled"
    assert stop(swarms[0]) == 0
    assert "took over from" in output(swarms[0])


def test_a_child_over_max_memory_is_recycled_and_loses_nothing(
    redis_url: str, r: redis.Redis, swarms: list[subprocess.Popen[bytes]]
) -> None:
    client = Client(settings=Settings(redis_url=redis_url))
    swarms.append(spawn_swarm(redis_url, "-p", "1", "-c", "2", "--max-memory", "150"))
    (first,) = wait_for(lambda: len(live(r)) == 1 and live(r), "the child to register", 30)
    with Watch(r) as watch:
        client.enqueue("jobs_for_tests.slow", [2.0, "running-while-recycled"])
        wait_for(lambda: r.llen("test:started") == 1, "the slow job to start")
        client.enqueue("jobs_for_tests.hog", [200])
        wait_for(lambda: first not in live(r), "the grown child to be replaced", 60)
    assert watch.fewest >= 1, "never without a working child"
    assert ran(r).count("running-while-recycled") == 1, "its running job finished, once"
    assert r.llen("queue:default") == 0
    assert stop(swarms[0]) == 0
    assert "memory" in output(swarms[0])


def test_a_rolling_restart_under_load_loses_nothing_and_always_has_children(
    redis_url: str, r: redis.Redis, swarms: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    client = Client(settings=Settings(redis_url=redis_url))
    pidfile = tmp_path / "swarm.pid"
    swarms.append(spawn_swarm(redis_url, "-p", "2", "-c", "2", "--pidfile", str(pidfile)))
    old = wait_for(lambda: len(live(r)) == 2 and live(r), "two children to register", 30)
    client.enqueue("jobs_for_tests.slow", [4.0, "longer-than-the-timeout"])  # -t is 1
    wait_for(lambda: r.llen("test:started") == 1, "the long job to start")
    stop_feeding, fed = threading.Event(), [0]

    def feed() -> None:
        while not stop_feeding.wait(0.02):
            client.enqueue("jobs_for_tests.record", [f"fed-{fed[0]}"])
            fed[0] += 1

    feeder = threading.Thread(target=feed, daemon=True)
    with Watch(r) as watch:
        feeder.start()
        restarted = subprocess.run(
            [sys.executable, "-m", "workhorse", "restart", "--pidfile", str(pidfile)],
            env=process_tree_env(token(("pro", "enterprise"))),
            capture_output=True,
            check=False,
        )
        assert restarted.returncode == 0, restarted.stderr
        wait_for(lambda: len(live(r)) == 2 and not (live(r) & old), "a new generation only", 60)
        stop_feeding.set()
        feeder.join()
        wait_for(lambda: len(ran(r)) == fed[0] + 1, "every job to run", 60)
    assert watch.fewest >= 2, "the old children left only once the new ones worked"
    assert ran(r).count("longer-than-the-timeout") == 1, "not cut short, not run twice"
    assert sorted(x for x in ran(r) if x.startswith("fed-")) == sorted(
        f"fed-{n}" for n in range(fed[0])
    )
    assert swarms[0].poll() is None, "the same parent (pid) carries on"
    swarms[0].send_signal(signal.SIGTERM)
    assert swarms[0].wait(30) == 0


def test_swarm_refuses_to_start_without_an_enterprise_license(redis_url: str) -> None:
    proc = spawn_swarm(redis_url, "-p", "2", licensed=False)
    assert proc.wait(30) == 1
    text = output(proc)
    assert "workhorse-enterprise feature 'swarm' is not available" in text
    assert "Traceback" not in text


def test_systemd_hears_ready_after_the_children_then_watchdog_reloading_and_stopping(
    redis_url: str, r: redis.Redis, swarms: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(30)
    swarms.append(
        spawn_swarm(
            redis_url, "-p", "2", NOTIFY_SOCKET=str(tmp_path / "notify"), WATCHDOG_USEC="400000"
        )
    )
    heard: list[bytes] = []

    def hear(prefix: bytes) -> bytes:
        while True:
            message = sock.recv(4096)
            heard.append(message)
            if message.startswith(prefix):
                return message

    assert hear(b"READY=1") == b"READY=1\nSTATUS=2 children working"
    assert len(live(r)) == 2, "ready only once both children work"
    hear(b"WATCHDOG=1")
    swarms[0].send_signal(signal.SIGUSR2)
    hear(b"RELOADING=1")
    hear(b"READY=1")
    assert len(live(r)) >= 2
    swarms[0].send_signal(signal.SIGTERM)
    hear(b"STOPPING=1")
    try:
        assert swarms[0].wait(30) == 0
    except BaseException:
        print(output(swarms[0]))
        raise


def test_children_stop_when_the_parent_dies(
    redis_url: str, r: redis.Redis, swarms: list[subprocess.Popen[bytes]]
) -> None:
    swarms.append(spawn_swarm(redis_url, "-p", "2"))
    children = wait_for(lambda: len(live(r)) == 2 and live(r), "two children to register", 30)
    pids = [int(i.rsplit(":", 2)[1]) for i in children]
    swarms[0].kill()
    swarms[0].wait(10)
    wait_for(lambda: not live(r), "the orphaned children to stop and leave", 30)
    for pid in pids:
        wait_for(
            lambda pid=pid: (
                not Path(f"/proc/{pid}").exists()  # type: ignore[misc]
                or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
            ),
            f"pid {pid} to exit",
        )


def test_a_rolling_restart_to_code_that_does_not_import_keeps_the_old_children(
    redis_url: str, r: redis.Redis, swarms: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    app = tmp_path / "swarm_deploy_app.py"
    app.write_text("VERSION = 1\n")
    swarms.append(spawn_swarm(redis_url, "-p", "2", "-r", "swarm_deploy_app", path=tmp_path))
    old = wait_for(lambda: len(live(r)) == 2 and live(r), "two children to register", 30)
    app.write_text("this is not python\n")
    swarms[0].send_signal(signal.SIGUSR2)
    wait_for(
        lambda: "rolling restart failed: the new code does not import" in output(swarms[0]),
        "the new image to report the import error",
        30,
    )
    Client(settings=Settings(redis_url=redis_url)).enqueue("jobs_for_tests.record", ["after"])
    wait_for(lambda: ran(r) == ["after"], "the old children to keep working", 30)
    assert live(r) == old and swarms[0].poll() is None
    app.write_text("VERSION = 2\n")
    swarms[0].send_signal(signal.SIGUSR2)
    wait_for(lambda: len(live(r)) == 2 and not (live(r) & old), "the fixed code to roll out", 60)
    swarms[0].send_signal(signal.SIGTERM)
    assert swarms[0].wait(30) == 0


def test_a_second_usr2_while_the_parent_re_executes_does_not_kill_it(
    redis_url: str, r: redis.Redis, swarms: list[subprocess.Popen[bytes]]
) -> None:
    swarms.append(spawn_swarm(redis_url, "-p", "1"))
    old = wait_for(lambda: len(live(r)) == 1 and live(r), "the child to register", 30)
    swarms[0].send_signal(signal.SIGUSR2)
    time.sleep(0.05)  # inside the new interpreter's start-up, before it has handlers
    swarms[0].send_signal(signal.SIGUSR2)
    wait_for(lambda: len(live(r)) == 1 and not (live(r) & old), "a new generation", 60)
    assert swarms[0].poll() is None, "the parent survived both"
    swarms[0].send_signal(signal.SIGTERM)
    assert swarms[0].wait(30) == 0


def test_tstp_to_the_parent_quiets_every_child(
    redis_url: str, r: redis.Redis, swarms: list[subprocess.Popen[bytes]]
) -> None:
    swarms.append(spawn_swarm(redis_url, "-p", "2"))
    children = wait_for(lambda: len(live(r)) == 2 and live(r), "two children to register", 30)
    swarms[0].send_signal(signal.SIGTSTP)
    wait_for(lambda: all(r.hget(i, "quiet") == "true" for i in children), "both to go quiet", 30)
    assert stop(swarms[0]) == 0
