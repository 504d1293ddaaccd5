"""License keys for tests of the paid tiers.

The product trusts only its built-in vendor keys; tests trust a throwaway key
through ``workhorse_testkeys`` (code, never environment). For worker
subprocesses, ``licensed_workhorse.py`` does the same in the child before it
runs the ``workhorse`` CLI.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from workhorse_testkeys import SigningKey, sample_license, trusted_keys

TEST_KEY = SigningKey.generate("test-key")
LICENSED_CLI = str(Path(__file__).with_name("licensed_workhorse.py"))
TRUSTING = str(Path(__file__).with_name("trusting"))  # its sitecustomize trusts TEST_KEY


def token(tiers: Sequence[str] = ("pro",), **changes: object) -> str:
    return TEST_KEY.issue(sample_license(tiers=tuple(tiers), **changes))


@contextmanager
def licensed(tiers: Sequence[str] = ("pro",), **changes: object) -> Iterator[str]:
    """Inside the block this process holds a valid license for ``tiers``."""
    previous = os.environ.get("WORKHORSE_LICENSE")
    os.environ["WORKHORSE_LICENSE"] = tok = token(tiers, **changes)
    try:
        with trusted_keys(TEST_KEY):
            yield tok
    finally:
        if previous is None:
            os.environ.pop("WORKHORSE_LICENSE", None)
        else:
            os.environ["WORKHORSE_LICENSE"] = previous


def worker_command(*args: str) -> list[str]:
    """argv for a ``workhorse`` subprocess that trusts TEST_KEY (see subprocess_env)."""
    return [sys.executable, LICENSED_CLI, *args]


def subprocess_env(tiers: Sequence[str] | None = ("pro",), **extra: str) -> dict[str, str]:
    """Environment for ``worker_command``: the test public key and, if tiers, a license."""
    env = {**os.environ, "WH_TEST_TRUSTED_KEY": f"{TEST_KEY.key_id}:{TEST_KEY.public_text()}"}
    env.pop("WORKHORSE_LICENSE", None)
    if tiers:
        env["WORKHORSE_LICENSE"] = token(tiers)
    env.update(extra)
    return env


def process_tree_env(license_token: str, pythonpath: str = "", **extra: str) -> dict[str, str]:
    """Environment in which every Python process (children of ``-p N`` too) trusts TEST_KEY
    and holds ``license_token``."""
    env = subprocess_env(None, **extra)
    env["WORKHORSE_LICENSE"] = license_token
    env["PYTHONPATH"] = os.pathsep.join(p for p in (TRUSTING, pythonpath) if p)
    return env
