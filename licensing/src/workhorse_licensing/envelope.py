"""The signed envelope shared by license keys and revocation lists.

Wire form (issue 6)::

    wh1.<b64url header>.<b64url body>.<b64url Ed25519 signature>

The header is ``{"alg": "Ed25519", "kid": <key id>, "typ": "license" |
"revocations"}``; the signature covers the ASCII text before the last dot,
version prefix included, so neither the version nor the header can be
swapped. ``typ`` stops a revocation list from being replayed as a license
and the reverse. This module checks form only; ``keyring`` checks the
signature and ``claims`` the body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .codec import b64url_decode, b64url_encode, canonical_json, json_object
from .errors import InvalidLicense

Kind = Literal["license", "revocations"]

VERSION = "wh1"
ALGORITHM = "Ed25519"
SIGNATURE_BYTES = 64
KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
NAMES: dict[Kind, str] = {"license": "license key", "revocations": "revocation list"}
_OTHER_VERSION = re.compile(r"wh\d+")


@dataclass(frozen=True)
class Sealed:
    """A structurally valid envelope whose signature is not yet checked."""

    kind: Kind
    key_id: str
    body: dict[str, Any]
    signed: bytes
    signature: bytes


def seal(kind: Kind, body: dict[str, Any], key_id: str, sign: Callable[[bytes], bytes]) -> str:
    header = {"alg": ALGORITHM, "kid": key_id, "typ": kind}
    signed = ".".join(
        (VERSION, b64url_encode(canonical_json(header)), b64url_encode(canonical_json(body)))
    )
    return f"{signed}.{b64url_encode(sign(signed.encode('ascii')))}"


def open_envelope(text: object, kind: Kind, max_chars: int) -> Sealed:
    """Split and decode ``text``; raise ``InvalidLicense`` naming the first problem."""
    name = NAMES[kind]
    if not isinstance(text, str):
        raise InvalidLicense(f"the {name} must be text, not {type(text).__name__}")
    text = text.strip()
    if len(text) > max_chars:
        raise InvalidLicense(
            f"the {name} is {len(text)} characters long, more than the {max_chars} allowed;"
            f" copy only the {name} itself"
        )
    parts = text.split(".")
    _check_version(parts[0], name)
    if len(parts) != 4:
        raise InvalidLicense(
            f"the {name} is incomplete (expected 4 dot-separated parts, found {len(parts)});"
            f" copy the whole {name} again"
        )
    header = json_object(b64url_decode(parts[1], f"{name} header"), f"{name} header")
    key_id = _check_header(header, kind, name)
    body = json_object(b64url_decode(parts[2], f"{name} body"), f"{name} body")
    signature = b64url_decode(parts[3], f"{name} signature")
    if len(signature) != SIGNATURE_BYTES:
        raise InvalidLicense(f"the {name} signature is truncated; copy the whole {name} again")
    signed = ".".join(parts[:3]).encode("ascii")
    return Sealed(kind, key_id, body, signed, signature)


def _check_version(prefix: str, name: str) -> None:
    if prefix == VERSION:
        return
    if _OTHER_VERSION.fullmatch(prefix):
        raise InvalidLicense(
            f"the {name} uses format {prefix}, which this workhorse-licensing does not"
            " understand; upgrade workhorse-licensing"
        )
    raise InvalidLicense(f"this is not a workhorse {name} (it must start with '{VERSION}.')")


def _check_header(header: dict[str, Any], kind: Kind, name: str) -> str:
    if set(header) != {"alg", "kid", "typ"}:
        raise InvalidLicense(f"the {name} header has unexpected fields; ask for a reissued key")
    if header["alg"] != ALGORITHM:
        raise InvalidLicense(f"the {name} is signed with an unsupported algorithm")
    if header["typ"] != kind:
        raise InvalidLicense(f"this is a workhorse {_describe_typ(header['typ'])}, not a {name}")
    key_id = header["kid"]
    if not isinstance(key_id, str) or not KEY_ID.fullmatch(key_id):
        raise InvalidLicense(f"the {name} names no valid signing key id")
    return key_id


def _describe_typ(typ: object) -> str:
    labels = [label for kind, label in NAMES.items() if kind == typ]
    return labels[0] if labels else "document of unknown type"
