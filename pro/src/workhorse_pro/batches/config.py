"""Batch settings: lifetimes and the default callback queue (issue 8).

They live in ``Settings.extras`` (filled by the plugin's defaults in workers),
from ``WORKHORSE_BATCH_TTL`` / ``WORKHORSE_BATCH_LINGER`` /
``WORKHORSE_BATCH_CALLBACK_QUEUE``, or per batch (``Batch(ttl=..., linger=...)``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from workhorse.config import Settings
from workhorse.errors import ConfigError

DEFAULT_TTL = 30 * 24 * 3600.0  # an unfinished batch's data lives 30 days after its last change
DEFAULT_LINGER = 24 * 3600.0  # a successful batch stays readable for a day, then expires


@dataclass(frozen=True, slots=True)
class BatchConfig:
    ttl: float = DEFAULT_TTL
    linger: float = DEFAULT_LINGER
    callback_queue: str = "default"

    @classmethod
    def from_settings(cls, settings: Settings) -> BatchConfig:
        merged = {**defaults(), **settings.extras}
        return cls(
            ttl=_seconds(merged, "batch_ttl"),
            linger=_seconds(merged, "batch_linger"),
            callback_queue=str(merged["batch_callback_queue"]),
        )


def defaults(env: Mapping[str, str] | None = None) -> dict[str, object]:
    env = os.environ if env is None else env
    return {
        "batch_ttl": env.get("WORKHORSE_BATCH_TTL") or DEFAULT_TTL,
        "batch_linger": env.get("WORKHORSE_BATCH_LINGER") or DEFAULT_LINGER,
        "batch_callback_queue": env.get("WORKHORSE_BATCH_CALLBACK_QUEUE") or "default",
    }


def _seconds(values: Mapping[str, object], name: str) -> float:
    raw = values[name]
    try:
        seconds = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    return check_lifetime(name, seconds)


def check_lifetime(name: str, seconds: float) -> float:
    if seconds < 1:
        raise ConfigError(f"{name} must be at least 1 second, got {seconds!r}")
    return seconds
