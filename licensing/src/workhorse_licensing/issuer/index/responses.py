"""HTTP plumbing shared by the index routes: Basic auth, challenges, caching.

Pages and files are per-customer, so every cacheable response is
``private``: a shared proxy must never hand one customer's page to another.
Files are immutable once published (no overwrite), hence a year of caching.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

REALM = 'Basic realm="workhorse", charset="UTF-8"'
PAGE_CACHE = "private, max-age=60"
FILE_CACHE = "private, max-age=31536000, immutable"
VARY = "Accept, Authorization"


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(user, password) from an ``Authorization: Basic`` header, or None if absent or malformed."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def challenge(message: str) -> Response:
    return PlainTextResponse(message + "\n", 401, headers={"WWW-Authenticate": REALM})


def refuse(status: int, message: str) -> Response:
    return PlainTextResponse(message + "\n", status, headers={"Cache-Control": "no-store"})


def _not_modified(request: Request, etag: str, cache: str) -> Response | None:
    wanted = request.headers.get("if-none-match", "")
    if etag in (tag.strip() for tag in wanted.split(",")) or wanted.strip() == "*":
        return Response(
            status_code=304, headers={"ETag": etag, "Cache-Control": cache, "Vary": VARY}
        )
    return None


def page(request: Request, body: bytes, media_type: str) -> Response:
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": PAGE_CACHE, "Vary": VARY}
    return _not_modified(request, etag, PAGE_CACHE) or Response(body, 200, headers, media_type)


def file(request: Request, path: Path, sha256: str, media_type: str) -> Response:
    """A stored file with a strong ETag (its sha256); Range and HEAD come from FileResponse."""
    etag = f'"{sha256}"'
    return _not_modified(request, etag, FILE_CACHE) or FileResponse(
        path,
        media_type=media_type,
        headers={"ETag": etag, "Cache-Control": FILE_CACHE, "Vary": VARY},
    )
