"""A killed test session leaves nothing running: its Redis servers and its xdist workers
die with it (tests/support/lifetime.py), so a CI runner never fills up with them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "-p", "conftest"]

# Runs with the suite's own conftest (-p conftest): `redis_srv` is the real session server.
HOLDS_A_SERVER = """
import os, time

def test_holds_the_session_server(redis_srv):
    with open(os.environ["WH_TEST_PIDS"], "w") as fh:
        fh.write(f"{redis_srv.process.pid} {os.getpid()}")
    time.sleep(120)
"""


def running(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its reaper has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal: Linux")
@pytest.mark.parametrize("workers", [[], ["-n", "1"]], ids=["one-process", "xdist"])
def test_a_sigkilled_session_leaves_no_redis_server_or_worker_behind(
    tmp_path: Path, workers: list[str]
) -> None:
    test = tmp_path / "test_holds_a_server.py"
    test.write_text(HOLDS_A_SERVER)
    pids = tmp_path / "pids"
    session = subprocess.Popen(
        [*PYTEST, "-p", "no:cacheprovider", "-q", *workers, str(test)],
        env={**os.environ, "WH_TEST_PIDS": str(pids)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        text = wait_for(lambda: pids.exists() and pids.read_text(), "the session's server", 60)
        server, runner = (int(pid) for pid in str(text).split())
        assert running(server)
    finally:
        session.kill()
        session.wait(10)
    wait_for(lambda: not running(server), "the redis-server to die with its session", 5)
    wait_for(lambda: not running(runner), "the xdist worker to die with its controller", 5)
