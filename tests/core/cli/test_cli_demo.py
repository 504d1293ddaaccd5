"""``workhorse demo``: a real subprocess on a private embedded Redis, stopped two ways."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Iterator

import httpx
import pytest
from support.terminal import replay

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
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_demo_runs_jobs_on_the_embedded_redis_and_stops_after_duration(
    demo_env: dict[str, str],
) -> None:
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
    processed = int(re.search(r"done: this run processed (\d+) jobs", out).group(1))  # type: ignore[union-attr]
    assert processed > 0


def test_demo_exits_cleanly_on_ctrl_c(demo_env: dict[str, str]) -> None:
    process = demo(demo_env)
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        while "processed=" not in (process.stdout.readline() or ""):
            assert process.poll() is None and time.monotonic() < deadline, (
                "the demo did not start showing progress"
            )
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "stopping (Ctrl-C)" in out and "done:" in out
    assert "Traceback" not in err


def summary(out: str) -> dict[str, int]:
    found = re.search(
        r"done: this run processed (\d+) jobs \((\d+) failed\); of the (\d+) it "
        r"enqueued, (\d+) wait to retry, (\d+) are scheduled and (\d+) died",
        out,
    )
    assert found, out
    return dict(
        zip(
            ("processed", "failed", "enqueued", "retries", "scheduled", "dead"),
            map(int, found.groups()),
            strict=True,
        )
    )


def test_the_summary_counts_this_run_only(demo_env: dict[str, str]) -> None:
    runs = []
    for _ in range(2):
        process = demo(demo_env, "--duration", "2", "--no-dashboard")
        out, err = process.communicate(timeout=90)
        assert process.returncode == 0, err
        runs.append(summary(out))
    status = subprocess.run(
        [sys.executable, "-m", "workhorse", "status", "--prefix", "demo", "--json"],
        env={**demo_env, "WORKHORSE_NO_LOCALHOST": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    totals = json.loads(status.stdout)["totals"]
    assert runs[0]["processed"] > 0 and runs[1]["processed"] > 0
    # Redis counts both runs; each summary counts its own.
    assert runs[0]["processed"] + runs[1]["processed"] == totals["processed"]
    assert runs[0]["failed"] + runs[1]["failed"] == totals["failed"]
    assert all(run["enqueued"] >= 42 for run in runs)
    assert runs[1]["retries"] + runs[1]["scheduled"] + runs[1]["dead"] <= runs[1]["enqueued"]


def test_a_busy_dashboard_port_gets_a_true_message_and_a_free_port(
    demo_env: dict[str, str],
) -> None:
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        busy = other_program.getsockname()[1]
        process = demo(demo_env, "--duration", "3", "--port", str(busy))
        try:
            assert process.stdout is not None
            deadline = time.monotonic() + 60
            line = ""
            while not line.startswith("dashboard:"):
                assert process.poll() is None and time.monotonic() < deadline, (
                    "waiting for the dashboard line"
                )
                line = process.stdout.readline()
            found = re.fullmatch(
                r"dashboard: (http://127\.0\.0\.1:(\d+)/) \(port (\d+) is in "
                r"use by another program, so the dashboard took a free port; "
                r"--port chooses one\)\n",
                line,
            )
            assert found, line
            assert int(found.group(3)) == busy and int(found.group(2)) != busy
            assert httpx.get(found.group(1), timeout=10).status_code == 200
            out, err = process.communicate(timeout=60)
        finally:
            process.kill()
    assert process.returncode == 0, err
    assert "not installed" not in out and "Errno" not in err


def run_in_terminal(env: dict[str, str], *args: str) -> str:
    """Everything the demo writes when stdout and stderr are one 100-column terminal."""
    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "workhorse", "demo", *args],
        stdin=subprocess.DEVNULL,
        stdout=child_fd,
        stderr=child_fd,
        env={**env, "TERM": "xterm", "COLUMNS": "100"},
    )
    os.close(child_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            if select.select([main_fd], [], [], 1.0)[0]:
                try:
                    data = os.read(main_fd, 65536)
                except OSError:  # EIO: every writer has closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        os.close(main_fd)
    return b"".join(chunks).decode("utf-8", "replace")


def test_the_live_view_leaves_one_clean_frame_with_log_lines_above_it(
    demo_env: dict[str, str],
) -> None:
    output = run_in_terminal(demo_env, "--live", "--duration", "6", "--no-dashboard")
    first_frame = output.index("workhorse demo, running")
    during = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output[first_frame:])
    assert re.search(r"(WARNING|ERROR) +fail workhorse\.demo", during), (
        "no job failed while the live view was up, so nothing here could tear it"
    )
    screen = replay(output)
    headers = [i for i, line in enumerate(screen) if "workhorse demo, running" in line]
    assert len(headers) == 1, "\n".join(screen)  # earlier frames were all redrawn in place
    frame = screen[headers[0] :]
    assert "processed" in frame[1] and "known jobs succeeded" in frame[4]
    assert frame[5].startswith("queues: ") and frame[6].startswith("done: this run processed")
    logs = screen[: headers[0]]
    assert any("fail workhorse.demo.jobs" in line for line in logs)
    assert not any("queues: " in line for line in logs)  # no torn frame among the log lines
