"""``workhorse demo``: a real subprocess on a private embedded Redis, stopped two ways."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import pytest

from workhorse import embedded


@pytest.fixture
def demo_env() -> Iterator[dict[str, str]]:
    data_dir = tempfile.mkdtemp(prefix="whd-")
    env = {**os.environ, "WORKHORSE_DATA_DIR": data_dir, "WORKHORSE_EMBEDDED_LINGER": "0.3"}
    for name in ("WORKHORSE_REDIS_URL", "REDIS_URL"):
        env.pop(name, None)
    yield env
    embedded.stop(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)


def demo(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "workhorse", "demo", "--plain", "--port", "0", *args],
        env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def test_demo_runs_jobs_on_the_embedded_redis_and_stops_after_duration(
        demo_env: dict[str, str]) -> None:
    process = demo(demo_env, "--duration", "2")
    try:
        out, err = process.communicate(timeout=90)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "embedded redis-server" in out or "embedded valkey-server" in out
    assert f"data in {demo_env['WORKHORSE_DATA_DIR']}" in out
    assert "enqueued 42 example jobs" in out
    assert re.search(r"dashboard: (http://127\.0\.0\.1:\d+/|not installed)", out)
    processed = int(re.search(r"done: (\d+) processed", out).group(1))  # type: ignore[union-attr]
    assert processed > 0


def test_demo_exits_cleanly_on_ctrl_c(demo_env: dict[str, str]) -> None:
    process = demo(demo_env)
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        while "processed=" not in (process.stdout.readline() or ""):
            assert process.poll() is None and time.monotonic() < deadline, \
                "the demo did not start showing progress"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "stopping (Ctrl-C)" in out and "done:" in out
    assert "Traceback" not in err
