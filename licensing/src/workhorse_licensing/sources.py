"""Where a process finds its license key and revocation list.

``WORKHORSE_LICENSE`` holds the key itself and wins; otherwise the file named
by ``WORKHORSE_LICENSE_FILE`` (default ``~/.config/workhorse/license``) is
read. Only the key is configurable this way, never a trusted signing key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

LICENSE_ENV = "WORKHORSE_LICENSE"
LICENSE_FILE_ENV = "WORKHORSE_LICENSE_FILE"
REVOCATIONS_ENV = "WORKHORSE_LICENSE_REVOCATIONS"
_READ_LIMIT = 64 * 1024  # well past the token cap, so oversize is reported, not truncated


@dataclass(frozen=True)
class FoundKey:
    """The key text (None when there is none), where it came from, and why it failed."""

    token: str | None
    origin: str
    problem: str | None = None


def default_license_file(environ: Mapping[str, str]) -> Path:
    home = Path(environ.get("HOME") or Path.home())
    return home / ".config" / "workhorse" / "license"


def license_file(environ: Mapping[str, str]) -> Path:
    named = environ.get(LICENSE_FILE_ENV, "").strip()
    return Path(os.path.expanduser(named)) if named else default_license_file(environ)


def find_key(environ: Mapping[str, str]) -> FoundKey:
    inline = environ.get(LICENSE_ENV, "").strip()
    if inline:
        return FoundKey(inline, LICENSE_ENV)
    path = license_file(environ)
    try:
        with path.open("rb") as handle:
            text = handle.read(_READ_LIMIT).decode("utf-8").strip()
    except FileNotFoundError:
        return FoundKey(None, str(path))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        return FoundKey(None, str(path), f"the license file {path} cannot be read ({reason})")
    return FoundKey(text or None, str(path))


def revocation_source(environ: Mapping[str, str]) -> str | None:
    return environ.get(REVOCATIONS_ENV, "").strip() or None


def cache_dir(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "workhorse"
