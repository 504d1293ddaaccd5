"""The limiter Lua scripts, one typed wrapper each; every operation is one atomic call.

Each script is ``lua/_common.lua`` followed by its own file (Redis scripts
cannot include one another). redis-py runs them with EVALSHA and reloads them
after a server restart (NOSCRIPT).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import redis
from redis.commands.core import Script

from workhorse.errors import ConfigError
from workhorse.memo import PerOwner
from workhorse_enterprise.license_gate import RATE_LIMITING
from workhorse_enterprise.limits.names import Kind, LimiterKeys

_RATE_SCRIPT: dict[str, str] = {
    "bucket": "bucket",
    "window": "window",
    "leaky": "leaky",
    "points": "leaky",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One answer of a limiter script, in server-clock microseconds."""

    admitted: bool
    next_at_us: int  # when this request could be admitted (== now_us when admitted)
    now_us: int
    reclaimed: int = 0
    expected_us: int = 0  # concurrent: the predicted next release (0: not predicted)

    @property
    def wait_us(self) -> int:
        return max(0, self.next_at_us - self.now_us)


@cache
def source(name: str) -> str:
    lua = resources.files("workhorse_enterprise.limits") / "lua"
    common = (lua / "_common.lua").read_text(encoding="utf-8")
    return common + "\n" + (lua / f"{name}.lua").read_text(encoding="utf-8")


def _verdict(reply: Any) -> Verdict:
    expected = int(reply[4]) if len(reply) > 4 else 0
    return Verdict(bool(int(reply[0])), int(reply[1]), int(reply[2]), int(reply[3]), expected)


def _conflict(exc: redis.ResponseError) -> Exception:
    text = str(exc)
    if "already used by" in text:
        return ConfigError(text.split("user_script")[0].rstrip(": "))
    return exc


class LimiterScripts:
    """The scripts registered on one Redis client."""

    def __init__(self, client: redis.Redis) -> None:
        RATE_LIMITING.require()
        self._rate: dict[str, Script] = {
            name: client.register_script(source(name)) for name in ("bucket", "window", "leaky")
        }
        self._acquire = client.register_script(source("concurrent_acquire"))
        self._release = client.register_script(source("concurrent_release"))

    def rate(
        self,
        kind: Kind,
        keys: LimiterKeys,
        name: str,
        limit: int,
        interval_us: int,
        cost: int,
        ttl_ms: int,
        waited: bool,
        max_wait_us: int,
    ) -> Verdict:
        args: list[str | int] = [
            name,
            limit,
            interval_us,
            cost,
            ttl_ms,
            int(waited),
            max_wait_us,
            secrets.token_hex(6),
            kind,
        ]
        try:
            reply = self._rate[_RATE_SCRIPT[kind]](
                keys=[keys.state, keys.metrics, keys.index], args=args
            )
        except redis.ResponseError as exc:
            raise _conflict(exc) from None
        return _verdict(reply)

    def acquire(
        self,
        keys: LimiterKeys,
        name: str,
        limit: int,
        lock_us: int,
        token: str,
        ttl_ms: int,
        waited: bool,
        max_wait_us: int,
    ) -> Verdict:
        args: list[str | int] = [name, limit, lock_us, token, ttl_ms, int(waited), max_wait_us]
        try:
            reply = self._acquire(keys=[keys.state, keys.wake, keys.metrics, keys.index], args=args)
        except redis.ResponseError as exc:
            raise _conflict(exc) from None
        return _verdict(reply)

    def release(
        self, keys: LimiterKeys, name: str, limit: int, token: str, ttl_ms: int, lock_us: int
    ) -> tuple[bool, int]:
        """(whether the lease was still held, server now in us)."""
        reply = self._release(
            keys=[keys.state, keys.wake, keys.metrics, keys.index],
            args=[name, limit, token, ttl_ms, lock_us],
        )
        return bool(int(reply[0])), int(reply[1])


# The scripts of a client, registered once per client.
scripts_for: PerOwner[redis.Redis, LimiterScripts] = PerOwner(LimiterScripts)
