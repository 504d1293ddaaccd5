"""Framework tests: a real PostgreSQL (127.0.0.1:5432, trust auth) with a database per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from frameworks_pg import PG, admin_connection
from psycopg import sql

# Django's own test runner runs these (test_django.py), with the project's settings.
collect_ignore = ["django_project"]


@pytest.fixture
def pg_name() -> str:
    """A database name unique to this test (Django's test runner creates and drops it)."""
    return f"wh_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def pg_url(pg_name: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    with admin_connection() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(pg_name)))
    try:
        yield f"postgresql+psycopg://{PG['user']}@{PG['host']}:{PG['port']}/{pg_name}"
    finally:
        with admin_connection() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(pg_name))
            )
