"""Fixtures for the licensing tests: a trusted test key, a clean environment.

Trusted keys are injected in code (``workhorse_testkeys``), never
through the environment, exactly as DESIGN.md section 5 requires.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import workhorse_testkeys as testing
from workhorse_testkeys import SigningKey

# Inside sample_license()'s year: issued 2026-01-01, expires 2027-01-01.
MID_TERM = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def vendor_key() -> SigningKey:
    return SigningKey.generate("test-2026")


@pytest.fixture(scope="session")
def stranger_key() -> SigningKey:
    """A well-formed key the product does not trust."""
    return SigningKey.generate("test-2026")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No license from the machine running the tests; a fresh per-process cache."""
    for name in (
        "WORKHORSE_LICENSE",
        "WORKHORSE_LICENSE_FILE",
        "WORKHORSE_LICENSE_REVOCATIONS",
        "XDG_CACHE_HOME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    testing.reset()
    yield
    testing.reset()


@pytest.fixture
def trusted(vendor_key: SigningKey) -> Iterator[SigningKey]:
    with testing.trusted_keys(vendor_key), testing.frozen_clock(MID_TERM):
        yield vendor_key
