"""The Django integration, run by Django's own test runner on PostgreSQL (django_project/)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
from conftest import PG

PROJECT = Path(__file__).parent / "django_project"


def django_env(redis_url: str, db: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "djangoproj.settings",
        "WH_TEST_REDIS_URL": redis_url,
        "WH_TEST_DB": db,
        "PYTHONPATH": str(PROJECT),
    }


def run_django_tests(label: str, redis_url: str, db: str, minimum: int) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "test", label, "--noinput", "-v", "2"],
        cwd=PROJECT, env=django_env(redis_url, db), capture_output=True, text=True,
        timeout=240, check=False,
    )
    assert done.returncode == 0, f"Django's test runner failed:\n{done.stdout}\n{done.stderr}"
    ran = re.search(r"^Ran (\d+) tests?", done.stderr, re.M)
    assert ran and int(ran.group(1)) >= minimum, f"too few tests ran:\n{done.stderr}"
    assert re.search(r"^OK\b", done.stderr, re.M), done.stderr


def database_exists(name: str) -> bool:
    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as admin:
        return admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def test_on_commit_enqueue_on_postgresql(redis_url: str, pg_name: str) -> None:
    run_django_tests("shop.test_on_commit", redis_url, pg_name, 6)
    assert not database_exists(pg_name), "Django's test runner must drop its database"


def test_tasks_backend_on_postgresql(redis_url: str, pg_name: str) -> None:
    run_django_tests("shop.test_tasks_backend", redis_url, pg_name, 8)


def test_dashboard_behind_django_login(redis_url: str, pg_name: str) -> None:
    run_django_tests("shop.test_dashboard", redis_url, pg_name, 3)
