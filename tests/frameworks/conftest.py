"""Framework tests: a real PostgreSQL (127.0.0.1:5432, trust auth) with a database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

# Django's own test runner runs these (test_django.py), with the project's settings.
collect_ignore = ["django_project"]

PG = {
    "host": os.environ.get("WH_TEST_PGHOST", "127.0.0.1"),
    "port": int(os.environ.get("WH_TEST_PGPORT", "5432")),
    "user": os.environ.get("WH_TEST_PGUSER", "postgres"),
}


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=10, **PG)
    except psycopg.OperationalError as exc:
        # PostgreSQL is part of these machines: its absence is a failure, never a skip.
        pytest.fail(f"PostgreSQL at {PG['host']}:{PG['port']} is needed and not reachable: {exc}")


@pytest.fixture
def pg_name() -> str:
    """A database name unique to this test (Django's test runner creates and drops it)."""
    return f"wh_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def pg_url(pg_name: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(pg_name)))
    try:
        yield f"postgresql+psycopg://{PG['user']}@{PG['host']}:{PG['port']}/{pg_name}"
    finally:
        with _admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(pg_name)))
