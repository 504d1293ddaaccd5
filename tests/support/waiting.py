"""Deadline-bound waiting for tests: every wait names what it waits for."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest
import redis

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T], what: str, timeout: float = 10.0, interval: float = 0.02
) -> T:
    """Poll ``predicate`` until truthy and return its value; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def blocked_on(client: redis.Redis, command: str) -> int:
    """How many connections to ``client``'s server are blocked in ``command`` (e.g. a
    fetcher in BLMOVE): what a test waits for instead of sleeping "until it blocks"."""
    return sum(
        1
        for c in client.client_list()
        if c.get("cmd", "").lower() == command.lower() and "b" in c.get("flags", "")
    )
