"""Signed revocation lists: parse, and load from a file or an https URL.

Set ``WORKHORSE_LICENSE_REVOCATIONS`` to a path or URL. The list is signed by
a workhorse key like a license, so pointing the variable elsewhere can only
revoke, never grant. Failing to get a list never disables a valid license
(DESIGN.md section 5): the problem is reported and the newest list seen
before, cached on disk for URLs, still applies.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from .claims import IDENTIFIER
from .envelope import open_envelope
from .errors import InvalidLicense, LicenseError
from .keyring import Keyring

MAX_LIST_CHARS = 4 * 1024 * 1024
FETCH_TIMEOUT = 5.0
Fetch = Callable[[str], str]


@dataclass(frozen=True)
class RevocationList:
    issued_at: datetime
    revoked: frozenset[str]


@dataclass(frozen=True)
class RevocationCheck:
    """What the process knows about revocations, plus any problem to report."""

    revoked: frozenset[str] = frozenset()
    problem: str | None = None


def parse_revocation_list(text: object, keyring: Keyring) -> RevocationList:
    sealed = open_envelope(text, "revocations", MAX_LIST_CHARS)
    keyring.verify(sealed)
    body: dict[str, Any] = sealed.body
    issued, revoked = body.get("issued_at"), body.get("revoked")
    if (
        set(body) != {"issued_at", "revoked"}
        or not isinstance(issued, int) or isinstance(issued, bool) or not 0 <= issued < 2**34
        or not isinstance(revoked, list)
        or not all(isinstance(i, str) and IDENTIFIER.fullmatch(i) for i in revoked)
    ):
        raise InvalidLicense("the revocation list body is malformed; download it again")
    return RevocationList(datetime.fromtimestamp(issued, UTC), frozenset(revoked))


def fetch_url(url: str) -> str:
    with httpx.Client(timeout=FETCH_TIMEOUT, follow_redirects=True) as client:
        response = client.get(url)
        response.raise_for_status()
        if len(response.content) > MAX_LIST_CHARS:
            raise InvalidLicense("the revocation list is larger than allowed")
        return response.text


def load_revocations(source: str | None, keyring: Keyring, cache_dir: Path,
                     fetch: Fetch = fetch_url) -> RevocationCheck:
    if not source:
        return RevocationCheck()
    if source.startswith(("https://", "http://")):
        return _load_url(source, keyring, cache_dir, fetch)
    try:
        listed = parse_revocation_list(_read_text(Path(source)), keyring)
    except (OSError, UnicodeDecodeError, LicenseError) as exc:
        return RevocationCheck(problem=f"could not read the revocation list {source}: {_why(exc)}")
    return RevocationCheck(listed.revoked)


def _load_url(url: str, keyring: Keyring, cache_dir: Path, fetch: Fetch) -> RevocationCheck:
    cache = cache_dir / f"revocations-{hashlib.sha256(url.encode()).hexdigest()[:16]}.wh"
    cached = _read_cached(cache, keyring)
    try:
        text = fetch(url)
        fetched = parse_revocation_list(text, keyring)
    except (httpx.HTTPError, LicenseError, UnicodeDecodeError) as exc:
        fallback = (f"using the copy from {cached.issued_at:%Y-%m-%d}" if cached
                    else "no earlier copy is cached, so revocations are not checked")
        return RevocationCheck(
            cached.revoked if cached else frozenset(),
            f"could not fetch the revocation list from {url} ({_why(exc)}); {fallback}",
        )
    if cached and cached.issued_at > fetched.issued_at:
        # An older list served later (a stale mirror, a replay) must not un-revoke.
        return RevocationCheck(cached.revoked)
    _write_cache(cache, text)
    return RevocationCheck(fetched.revoked)


def _read_cached(cache: Path, keyring: Keyring) -> RevocationList | None:
    try:
        return parse_revocation_list(_read_text(cache), keyring)
    except (OSError, UnicodeDecodeError, LicenseError):
        return None


def _read_text(path: Path) -> str:
    with path.open("rb") as handle:
        return handle.read(MAX_LIST_CHARS + 1).decode("utf-8")


def _write_cache(cache: Path, text: str) -> None:
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(cache)
    except OSError:
        pass  # a read-only home only costs the offline fallback


def _why(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return str(exc) or type(exc).__name__
