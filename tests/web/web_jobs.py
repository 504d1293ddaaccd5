"""Jobs the browser tests run in an in-process worker."""

from __future__ import annotations

import workhorse
from workhorse.client import default_client

RAN = "web:ran"


@workhorse.job(name="web.Record")
def record(value: str) -> None:
    default_client().redis.rpush(RAN, value)
