"""Limiter names, their Redis keys and interval words.

Keys follow core's prefix rule (``workhorse.keys.Keys.key``), so with a
hash-tagged prefix such as ``{wh}`` every limiter key lands in the
installation's one Cluster slot. Names may not contain braces or spaces: a
brace would start a hash tag of its own and move the key to another slot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from workhorse.errors import ConfigError
from workhorse.keys import Keys

Kind = Literal["concurrent", "bucket", "window", "leaky", "points"]
Per = Literal["second", "minute", "hour", "day"]

PER_SECONDS: dict[str, float] = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
# One letter per kind keeps the state keys short: lmtr-c-stripe, lmtr-b-stripe...
_KIND_LETTER: dict[str, str] = {
    "concurrent": "c",
    "bucket": "b",
    "window": "w",
    "leaky": "l",
    "points": "p",
}
_NAME = re.compile(r"^[A-Za-z0-9_.:@-]{1,200}$")


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"invalid limiter name {name!r}: use 1-200 letters, digits and _ . : @ - "
            '(e.g. f"stripe-{account_id}")'
        )
    return name


def interval_seconds(per: Per | float) -> float:
    """``"second"|"minute"|"hour"|"day"`` or a positive number of seconds."""
    if isinstance(per, str):
        if per not in PER_SECONDS:
            raise ConfigError(
                f"unknown interval {per!r}: use second, minute, hour, day or a number of seconds"
            )
        return PER_SECONDS[per]
    if isinstance(per, bool) or not isinstance(per, int | float) or per <= 0:
        raise ConfigError(f"interval must be a positive number of seconds, got {per!r}")
    return float(per)


@dataclass(frozen=True, slots=True)
class LimiterKeys:
    """Every key of one limiter."""

    state: str
    wake: str
    metrics: str
    index: str

    @classmethod
    def of(cls, prefix: str, kind: Kind, name: str) -> LimiterKeys:
        keys = Keys(prefix)
        letter = _KIND_LETTER[kind]
        return cls(
            state=keys.key(f"lmtr-{letter}-{name}"),
            wake=keys.key(f"lmtr-{letter}w-{name}"),
            metrics=metrics_key(prefix, name),
            index=index_key(prefix),
        )


def metrics_key(prefix: str, name: str) -> str:
    return Keys(prefix).key(f"lmtr-m-{name}")


def index_key(prefix: str) -> str:
    """Zset of limiter names scored by the epoch ms at which their data expires."""
    return Keys(prefix).key("lmtr-index")


def state_key(prefix: str, kind: Kind, name: str) -> str:
    return LimiterKeys.of(prefix, kind, name).state
