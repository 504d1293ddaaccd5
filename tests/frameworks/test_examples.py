"""Each framework example runs with one command and its scripted check passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("example", ["fastapi_app", "flask_app", "sqlalchemy_app"])
def test_the_example_runs_and_its_job_runs(example: str, redis_url: str) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / example / "app.py"), "--check"],
        env={**os.environ, "WORKHORSE_REDIS_URL": redis_url},
        cwd=EXAMPLES.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "check passed" in done.stdout, done.stdout + done.stderr


def test_the_django_example_runs_its_demo(redis_url: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "django_shop" / "manage.py"), "shopdemo"],
        env={
            **os.environ,
            "WORKHORSE_REDIS_URL": redis_url,
            "EXAMPLE_SQLITE": str(tmp_path / "shop.db"),
        },
        cwd=EXAMPLES.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "check passed" in done.stdout, done.stdout + done.stderr
    assert "vase: rolled back" in done.stdout
