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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .claims import IDENTIFIER
from .envelope import open_envelope
from .errors import InvalidLicense, LicenseError
from .keyring import Keyring

MAX_LIST_CHARS = 4 * 1024 * 1024
# Wall-clock seconds for the whole download, however the server paces its bytes:
# worker start-up waits for it once per process.
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
        or not isinstance(issued, int)
        or isinstance(issued, bool)
        or not 0 <= issued < 2**34
        or not isinstance(revoked, list)
        or not all(isinstance(i, str) and IDENTIFIER.fullmatch(i) for i in revoked)
    ):
        raise InvalidLicense("the revocation list body is malformed; download it again")
    return RevocationList(datetime.fromtimestamp(issued, UTC), frozenset(revoked))


def fetch_url(url: str, deadline: float = FETCH_TIMEOUT) -> str:
    """The body at ``url``, within ``deadline`` seconds in total and ``MAX_LIST_CHARS`` bytes.

    httpx's timeouts bound each read, not the sum (a server sending a byte every
    two seconds never trips them), so the download runs on a daemon thread that
    the caller stops waiting for at the deadline; the thread itself gives up at
    its next read after the deadline or past the size cap.
    """
    import httpx  # here, not at the top: a worker that fetches no list never pays for httpx

    outcome: list[str | Exception] = []

    def download() -> None:
        try:
            outcome.append(_download(url, time.monotonic() + deadline, deadline))
        except Exception as exc:  # noqa: BLE001 - handed to the waiting caller
            outcome.append(exc)

    worker = threading.Thread(target=download, name="workhorse-revocations", daemon=True)
    worker.start()
    worker.join(deadline)
    if not outcome:
        raise httpx.TimeoutException(f"no complete answer within {deadline:g}s")
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]


def _download(url: str, ends: float, deadline: float) -> str:
    import httpx

    too_big = InvalidLicense(f"the revocation list is larger than {MAX_LIST_CHARS} bytes")
    with (
        httpx.Client(timeout=deadline, follow_redirects=True) as client,
        # identity: the cap then counts what the server sends, not a decompressed bomb
        client.stream("GET", url, headers={"Accept-Encoding": "identity"}) as response,
    ):
        response.raise_for_status()
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_LIST_CHARS:
            raise too_big  # refused before reading a byte of the body
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_LIST_CHARS:
                raise too_big
            if time.monotonic() > ends:
                raise httpx.TimeoutException(f"no complete answer within {deadline:g}s")
    return body.decode("utf-8")


def load_revocations(
    source: str | None, keyring: Keyring, cache_dir: Path, fetch: Fetch = fetch_url
) -> RevocationCheck:
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
    import httpx

    cache = cache_dir / f"revocations-{hashlib.sha256(url.encode()).hexdigest()[:16]}.wh"
    cached = _read_cached(cache, keyring)
    try:
        text = fetch(url)
        fetched = parse_revocation_list(text, keyring)
    except (httpx.HTTPError, LicenseError, UnicodeDecodeError) as exc:
        fallback = (
            f"using the copy from {cached.issued_at:%Y-%m-%d}"
            if cached
            else "no earlier copy is cached, so revocations are not checked"
        )
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
    import httpx

    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return str(exc) or type(exc).__name__
