"""Fixtures for the worker's behaviour tests (an in-process worker: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis


@pytest.fixture
def ran(r: redis.Redis) -> Callable[[], list[str]]:
    """What the test jobs recorded, in the order they ran (jobs_for_tests.record)."""
    return lambda: r.lrange("test:ran", 0, -1)
