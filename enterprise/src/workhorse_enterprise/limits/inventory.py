"""Reading limiter metrics back: what ``workhorse limits`` and the dashboard show."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

import redis

from workhorse_enterprise.limits.names import Kind, LimiterKeys, index_key, metrics_key


@dataclass(frozen=True, slots=True)
class LimiterStats:
    name: str
    kind: str
    limit: int
    interval: float  # seconds (lock_timeout for concurrent limiters)
    admitted: int
    waited: int
    over: int
    reclaimed: int
    last_used: float  # server epoch seconds
    held: int | None = None  # concurrent limiters: holders right now


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _stats(name: str, raw: dict[Any, Any], held: int | None) -> LimiterStats:
    fields = {_text(k): _text(v) for k, v in raw.items()}

    def number(field: str) -> int:
        return int(float(fields.get(field, "0")))

    return LimiterStats(
        name=name,
        kind=fields.get("type", "?"),
        limit=number("limit"),
        interval=number("interval_us") / 1e6,
        admitted=number("admitted"),
        waited=number("waited"),
        over=number("over"),
        reclaimed=number("reclaimed"),
        last_used=number("last_us") / 1e6,
        held=held,
    )


def list_limiters(client: redis.Redis, prefix: str = "") -> list[LimiterStats]:
    """Every limiter whose data has not expired, by name."""
    seconds, micros = client.time()
    now_ms = int(seconds) * 1000 + int(micros) // 1000
    index = index_key(prefix)
    names = sorted(_text(n) for n in cast(list[Any], client.zrangebyscore(index, now_ms, "+inf")))
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.hgetall(metrics_key(prefix, name))
    metrics = pipe.execute()
    found: list[LimiterStats] = []
    for name, raw in zip(names, metrics, strict=True):
        if not raw:
            continue  # expired between the two reads
        stats = _stats(name, raw, None)
        if stats.kind == "concurrent":
            stats = replace(stats, held=_held(client, prefix, name))
        found.append(stats)
    return found


def _held(client: redis.Redis, prefix: str, name: str) -> int:
    holders = LimiterKeys.of(prefix, "concurrent", name).state
    seconds, micros = client.time()
    now_us = int(seconds) * 1_000_000 + int(micros)
    return int(client.zcount(holders, f"({now_us}", "+inf"))


def delete_limiter(client: redis.Redis, prefix: str, name: str) -> bool:
    """Forget a limiter's state and metrics; True if it existed."""
    kinds: tuple[Kind, ...] = ("concurrent", "bucket", "window", "leaky", "points")
    keys = {metrics_key(prefix, name)}
    for kind in kinds:
        lk = LimiterKeys.of(prefix, kind, name)
        keys |= {lk.state, lk.wake}
    pipe = client.pipeline(transaction=True)
    pipe.delete(*sorted(keys))
    pipe.zrem(index_key(prefix), name)
    deleted, _ = pipe.execute()
    return bool(deleted)
