"""Batch settings: lifetimes and the default callback queue (issue 8).

Read with :class:`workhorse.plugin_settings.PluginSettings` (prefix ``batch``): the
first of ``Settings.extras["batch_ttl"]`` (or a worker's ``--set batch_ttl=...``),
``WORKHORSE_BATCH_TTL``, the default; likewise ``batch_linger`` and
``batch_callback_queue``. A batch may also set its own (``Batch(ttl=..., linger=...)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.plugin_settings import PluginSettings

DEFAULT_TTL = 30 * 24 * 3600.0  # an unfinished batch's data lives 30 days after its last change
DEFAULT_LINGER = 24 * 3600.0  # a successful batch stays readable for a day, then expires


@dataclass(frozen=True, slots=True)
class BatchConfig:
    ttl: float = DEFAULT_TTL
    linger: float = DEFAULT_LINGER
    callback_queue: str = "default"

    def __post_init__(self) -> None:
        check_lifetime("batch_ttl", self.ttl)
        check_lifetime("batch_linger", self.linger)
        if not self.callback_queue.strip():
            raise ConfigError("batch_callback_queue must name a queue, got an empty string")

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str] | None = None) -> BatchConfig:
        return SETTINGS.read(settings, env)


def check_lifetime(name: str, seconds: float) -> float:
    if seconds < 1:
        raise ConfigError(f"{name} must be at least 1 second, got {seconds!r}")
    return seconds


SETTINGS = PluginSettings("batch", BatchConfig)
