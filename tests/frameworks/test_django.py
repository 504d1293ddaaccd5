"""The Django integration, run by Django's own test runner on PostgreSQL (django_project/)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import redis
from frameworks_pg import PG

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
        cwd=PROJECT,
        env=django_env(redis_url, db),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"Django's test runner failed:\n{done.stdout}\n{done.stderr}"
    ran = re.search(r"^Ran (\d+) tests?", done.stderr, re.M)
    assert ran and int(ran.group(1)) >= minimum, f"too few tests ran:\n{done.stderr}"
    assert re.search(r"^OK\b", done.stderr, re.M), done.stderr


def database_exists(name: str) -> bool:
    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as admin:
        return (
            admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            is not None
        )


def test_on_commit_enqueue_on_postgresql(redis_url: str, pg_name: str) -> None:
    run_django_tests("shop.test_on_commit", redis_url, pg_name, 6)
    assert not database_exists(pg_name), "Django's test runner must drop its database"


def test_tasks_backend_on_postgresql(redis_url: str, pg_name: str) -> None:
    run_django_tests("shop.test_tasks_backend", redis_url, pg_name, 22)


def test_dashboard_behind_django_login(redis_url: str, pg_name: str) -> None:
    run_django_tests("shop.test_dashboard", redis_url, pg_name, 4)


def test_malformed_workhorse_settings_are_refused(redis_url: str, pg_name: str) -> None:
    run_django_tests("shop.test_settings", redis_url, pg_name, 2)


def manage(*args: str, redis_url: str, db: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=django_env(redis_url, db),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def test_manage_py_workhorse_runs_tasks_and_jobs_with_django_set_up(
    redis_url: str,
    pg_url: str,
    pg_name: str,
    r: redis.Redis,
    procs: list[subprocess.Popen[bytes]],
    waiter: Callable[..., object],
) -> None:
    manage("migrate", "--noinput", redis_url=redis_url, db=pg_name)
    procs.append(
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "workhorse",
                "-q",
                "default",
                "-q",
                "emails",
                "-c",
                "2",
                "-t",
                "2",
            ],
            cwd=PROJECT,
            env=django_env(redis_url, pg_name),
        )
    )
    result_id = manage(
        "shell",
        "-c",
        "from shop import tasks, jobs; from shop.models import Order;"
        "o = Order.objects.create(item='desk'); jobs.ship.perform_async(o.pk);"
        "print(tasks.record.enqueue('chair').id)",
        redis_url=redis_url,
        db=pg_name,
    ).split()[-1]  # after the shell's banner

    def items() -> set[str]:
        with psycopg.connect(dbname=pg_name, autocommit=True, **PG) as conn:
            return {row[0] for row in conn.execute("SELECT item FROM shop_order")}

    waiter(lambda: items() == {"shipped", "chair"}, timeout=60, what="the worker ran both")
    waiter(
        lambda: r.hget(f"{{dj}}:django:task:{result_id}", "status") == "SUCCESSFUL",
        timeout=30,
        what="the task result is recorded",
    )
    procs[-1].terminate()
    assert procs[-1].wait(30) == 0


def test_a_strict_order_worker_runs_high_priority_tasks_before_low(
    redis_url: str,
    pg_url: str,
    pg_name: str,
    r: redis.Redis,
    procs: list[subprocess.Popen[bytes]],
    waiter: Callable[..., object],
) -> None:
    manage("migrate", "--noinput", redis_url=redis_url, db=pg_name)
    # Enqueued low first, high last; no worker runs yet, so all three wait.
    manage(
        "shell",
        "-c",
        "from shop import tasks;"
        "[tasks.record.using(priority=p).enqueue(f'p{p}') for p in (-50, 0, 50)]",
        redis_url=redis_url,
        db=pg_name,
    )
    assert {q: r.llen(f"{{dj}}:queue:{q}") for q in ("default_high", "default", "default_low")} == {
        "default_high": 1,
        "default": 1,
        "default_low": 1,
    }
    procs.append(
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "workhorse",
                "-q",
                "default_high",
                "-q",
                "default",
                "-q",
                "default_low",
                "-c",
                "1",
            ],
            cwd=PROJECT,
            env=django_env(redis_url, pg_name),
        )
    )

    def items() -> list[str]:
        with psycopg.connect(dbname=pg_name, autocommit=True, **PG) as conn:
            return [row[0] for row in conn.execute("SELECT item FROM shop_order ORDER BY id")]

    waiter(lambda: len(items()) == 3, timeout=60, what="the worker ran all three tasks")
    assert items() == ["p50", "p0", "p-50"]
    procs[-1].terminate()
    assert procs[-1].wait(30) == 0
