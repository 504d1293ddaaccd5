"""Helpers shared by the CLI tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import redis
from click.testing import Result

from workhorse import payload

Invoke = Callable[..., Result]


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def job(name: str = "HardJob", args: list[Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "class": name,
        "args": args if args is not None else [1],
        "jid": payload.new_jid(),
        "queue": "default",
        "retry": True,
        "created_at": int(time.time() * 1000),
        **fields,
    }


def failed(name: str = "HardJob", args: list[Any] | None = None, **fields: Any) -> dict[str, Any]:
    return job(
        name,
        args,
        retry_count=0,
        failed_at=int(time.time() * 1000),
        error_class="ValueError",
        error_message="boom",
        **fields,
    )


def add(r: redis.Redis, key: str, item: dict[str, Any], score: float | None = None) -> str:
    raw = payload.encode(item)
    r.zadd(key, {raw: time.time() + 60 if score is None else score})
    return raw
