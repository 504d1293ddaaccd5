"""Ask the private index whether a customer's credentials work and what they cover.

pip turns every refusal into "No matching distribution found", so the index's
own explanation never reaches the customer (issue 16). This asks the index's
``/api/entitlements`` endpoint directly and turns the answer into one
sentence. The download token is never part of anything printed.

The answer is read as untrusted bytes: anything other than the expected small
JSON object (a proxy's HTML page, a truncated or huge body, odd types) gives a
clear sentence, never a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

if TYPE_CHECKING:
    import httpx

from .advice import CONTACT

ENDPOINT = "api/entitlements"
MAX_ANSWER_BYTES = 64 * 1024
FREE = ("workhorse", "workhorse-licensing")


class IndexCheckError(ValueError):
    """The URL or the credentials given cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class IndexTarget:
    """Where to ask and as whom; ``shown`` is the URL without any credentials."""

    endpoint: str
    shown: str
    customer: str
    token: str


@dataclass(frozen=True)
class IndexCheck:
    ok: bool
    sentence: str


def target(url: str, customer: str | None = None, token: str | None = None) -> IndexTarget:
    """Split ``url`` (``https://ID:TOKEN@host/simple/``) into endpoint and credentials.

    Explicit ``customer``/``token`` win over those in the URL.
    """
    try:
        parts = urlsplit(url.strip())
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unbalanced "[" in the host
        valid = False
    if not valid:
        raise IndexCheckError(
            f"{_without_credentials(url)!r} is not an index URL; expected"
            " https://<customer id>:<download token>@<host>/simple/"
        )
    customer = customer or unquote(parts.username or "")
    token = token or unquote(parts.password or "")
    if not customer or not token:
        raise IndexCheckError(
            "no credentials: put them in the URL"
            " (https://<customer id>:<download token>@<host>/simple/) or pass"
            " --customer and --token (or WORKHORSE_INDEX_CUSTOMER and"
            " WORKHORSE_INDEX_TOKEN)"
        )
    host = parts.netloc.rpartition("@")[2]
    path = parts.path.rstrip("/").removesuffix("/simple")
    shown = urlunsplit((parts.scheme, host, parts.path or "/", "", ""))
    endpoint = urlunsplit((parts.scheme, host, f"{path}/{ENDPOINT}", "", ""))
    return IndexTarget(endpoint, shown, customer, token)


def check_index(
    where: IndexTarget, *, timeout: float = 10.0, transport: httpx.BaseTransport | None = None
) -> IndexCheck:
    """Ask the index; never raises for anything the network or the server does."""
    import httpx  # here, not at the top: every worker loads this module with the CLI

    try:
        with (
            httpx.Client(timeout=timeout, transport=transport) as client,
            client.stream(
                "GET",
                where.endpoint,
                auth=(where.customer, where.token),
                headers={"Accept": "application/json"},
            ) as response,
        ):
            body = _read_bounded(response)
            moved = response.headers.get("location", "")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return IndexCheck(
            False,
            f"could not reach the index at {where.shown}"
            f" ({_reason(exc)}); check the host name and your network",
        )
    if response.is_redirect:
        # Not followed: credentials must not travel to wherever a redirect points.
        return IndexCheck(
            False,
            f"{where.shown} redirects to {_without_credentials(moved)!r};"
            " use the index's own https:// URL",
        )
    return _interpret(where, response.status_code, body)


def _read_bounded(response: httpx.Response) -> bytes | None:
    """The body, or None if it is larger than any honest answer."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _interpret(where: IndexTarget, status: int, body: bytes | None) -> IndexCheck:
    who = f"customer id {where.customer!r}"
    if status == 401:
        return IndexCheck(
            False,
            f"{where.shown} refused the credentials of {who}: the customer"
            " id or download token is wrong, or the token was revoked;"
            f" copy both again, or ask {CONTACT} for a new token",
        )
    if status != 200:
        return IndexCheck(
            False,
            f"{where.shown} answered HTTP {status} to {where.endpoint}:"
            " it does not look like a workhorse private index; check the URL"
            " (it ends in /simple/)",
        )
    answer = _parse(body)
    if answer is None:
        return IndexCheck(
            False,
            f"{where.shown} sent an answer that is not a workhorse index"
            " entitlement (not the expected JSON); check the URL, or a proxy"
            " in between",
        )
    packages, problem = answer
    if problem is not None:
        return IndexCheck(
            False, f"the credentials of {who} work, but the index serves them nothing: {problem}"
        )
    paid = [p for p in packages if p not in FREE]
    if not paid:
        return IndexCheck(
            False,
            f"the credentials of {who} work, but the plan covers no paid"
            f" package; contact {CONTACT}",
        )
    return IndexCheck(
        True,
        f"the credentials of {who} work; the plan covers {', '.join(paid)}"
        f" (and the free {', '.join(FREE)}) from {where.shown}",
    )


def _parse(body: bytes | None) -> tuple[list[str], str | None] | None:
    if body is None:
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    packages, problem = data.get("packages"), data.get("problem")
    if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
        return None
    if problem is not None and not isinstance(problem, str):
        return None
    # Printed to a terminal: keep it one short line of plain text.
    return [_printable(p, 100) for p in packages], (
        None if problem is None else _printable(problem, 300)
    )


def _printable(text: str, limit: int) -> str:
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _without_credentials(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url.rpartition("@")[2]
