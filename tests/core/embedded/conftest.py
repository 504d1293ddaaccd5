"""Embedded-server tests: a short private data directory, and every spawned process reaped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from embedded_support import CHILD, Child  # type: ignore[import-not-found]

from workhorse import embedded


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Short: a unix socket path must fit in ~100 bytes. Never the user's real directory.
    path = Path(tempfile.mkdtemp(prefix="whe-"))
    yield path
    embedded.stop(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def child_env(data_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "WORKHORSE_DATA_DIR": str(data_dir),
        "WORKHORSE_EMBEDDED_LINGER": "0.3",
        "WORKHORSE_NO_LOCALHOST": "1",
    }
    for name in ("WORKHORSE_REDIS_URL", "REDIS_URL", "WORKHORSE_REDIS_SERVER"):
        env.pop(name, None)
    return env


@pytest.fixture
def spawn_child(child_env: dict[str, str]) -> Iterator[Callable[..., Child]]:
    children: list[subprocess.Popen[str]] = []

    def spawn(*args: str, env: dict[str, str] | None = None) -> Child:
        process = subprocess.Popen(
            [sys.executable, CHILD, *args],
            env=env or child_env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        children.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"child exited without a URL: {process.communicate(timeout=10)[1]}")
        info = json.loads(line)
        return Child(process, info["url"], info["pid"])

    yield spawn
    for process in children:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)
