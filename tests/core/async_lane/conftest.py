from __future__ import annotations

from collections.abc import Iterator

import async_lane_jobs as jobs
import pytest


@pytest.fixture(autouse=True)
def gate() -> Iterator[None]:
    """Held jobs wait until a test opens the gate; it is opened afterwards in any case."""
    jobs.gate.clear()
    jobs.running.clear()
    yield
    jobs.gate.set()
