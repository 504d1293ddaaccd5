"""How one dashboard instance is configured: mount point, access control, refresh rate."""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request

from workhorse.errors import ConfigError

# An authorization hook: True lets the request in. It may be sync or async.
Authorizer = Callable[[Request], bool | Awaitable[bool]]

SECRET_ENV = "WORKHORSE_WEB_SECRET"


@dataclass(frozen=True)
class DashboardOptions:
    """Everything about the dashboard that is not the Redis it shows."""

    base_path: str = ""
    read_only: bool = False
    auth: Authorizer | None = None
    # Signs the CSRF tokens. Several dashboard processes behind one load
    # balancer need the same secret, or a form served by one fails on another.
    secret: bytes = field(default_factory=lambda: _secret_from_env() or secrets.token_bytes(32))
    poll_interval: float = 5.0
    page_size: int = 25
    title: str = "workhorse"

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_path", normalize_base_path(self.base_path))
        if self.poll_interval <= 0:
            raise ConfigError(f"poll interval must be > 0 seconds, got {self.poll_interval}")
        if not 1 <= self.page_size <= 1000:
            raise ConfigError(f"page size must be between 1 and 1000, got {self.page_size}")
        if len(self.secret) < 16:
            raise ConfigError("the dashboard secret must be at least 16 bytes; use a random string")


def normalize_base_path(path: str) -> str:
    """``sidekiq/`` -> ``/sidekiq``; ``/`` and ``""`` -> ``""`` (served at the root)."""
    path = path.strip()
    if not path or path == "/":
        return ""
    if any(c in path for c in "?#\\ ") or "//" in path or ".." in path:
        raise ConfigError(f"invalid base path {path!r}: use a plain URL path such as /sidekiq")
    return "/" + path.strip("/")


def _secret_from_env() -> bytes | None:
    value = os.environ.get(SECRET_ENV)
    return value.encode() if value else None
