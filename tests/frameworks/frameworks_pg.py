"""PostgreSQL for the framework tests: 127.0.0.1:5432 with trust auth (part of these machines)."""

from __future__ import annotations

import os

import psycopg
import pytest

PG = {
    "host": os.environ.get("WH_TEST_PGHOST", "127.0.0.1"),
    "port": int(os.environ.get("WH_TEST_PGPORT", "5432")),
    "user": os.environ.get("WH_TEST_PGUSER", "postgres"),
}


def admin_connection() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=10, **PG)
    except psycopg.OperationalError as exc:
        # PostgreSQL is part of these machines: its absence is a failure, never a skip.
        pytest.fail(f"PostgreSQL at {PG['host']}:{PG['port']} is needed and not reachable: {exc}")
