"""Strict decoding of the pieces a signed token is made of.

Tokens arrive from environment variables, files and URLs, so every decoder
here accepts exactly one spelling of a value: unpadded base64url with no
stray bits, JSON objects without duplicate keys or non-finite numbers. Being
this strict means the bytes that were signed are the only bytes that verify
(issue 6: "any malformed, truncated, oversized or re-signed token is
rejected").
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from .errors import InvalidLicense

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, what: str) -> bytes:
    """Decode unpadded base64url, refusing anything but the canonical form."""
    problem = f"the {what} is not valid base64url; copy the whole key again"
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise InvalidLicense(problem)
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):  # pragma: no cover - the regex excludes these
        raise InvalidLicense(problem) from None
    # Leftover bits in the last character would give several spellings of one
    # value; only the canonical one is accepted.
    if b64url_encode(data) != text:
        raise InvalidLicense(f"the {what} is not canonical base64url; copy the whole key again")
    return data


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidLicense(f"field {key!r} appears twice; ask for a reissued key")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise InvalidLicense(f"{name} is not allowed in a license; ask for a reissued key")


def json_object(data: bytes, what: str) -> dict[str, Any]:
    """Parse UTF-8 JSON that must be an object."""
    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidLicense(f"the {what} is not valid JSON; copy the whole key again") from None
    if not isinstance(value, dict):
        raise InvalidLicense(f"the {what} is not a JSON object; copy the whole key again")
    return value


def canonical_json(value: dict[str, Any]) -> bytes:
    """The one byte form we sign: sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
