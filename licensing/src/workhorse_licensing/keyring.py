"""Which Ed25519 public keys this process trusts, by key id.

The trusted set is the vendor's keys built into the package
(``builtin_keys.py``); DESIGN.md section 5 forbids adding a key from the
environment or a config file, so the only override is the code-level
``workhorse_licensing.testing.trusted_keys``. Rotation: the vendor adds a new
key id while old ones keep verifying; a key id moved to ``retired`` stops
verifying even though its public key is still known, which is what a leaked
private key needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import builtin_keys
from .codec import b64url_decode
from .envelope import NAMES, Sealed
from .errors import InvalidLicense


@dataclass(frozen=True)
class Keyring:
    keys: Mapping[str, Ed25519PublicKey]
    retired: frozenset[str] = field(default_factory=frozenset)

    def verify(self, sealed: Sealed) -> None:
        """Raise ``InvalidLicense`` unless a trusted, unretired key signed ``sealed``."""
        name = NAMES[sealed.kind]
        if sealed.key_id in self.retired:
            raise InvalidLicense(
                f"the {name} is signed with retired key {sealed.key_id!r};"
                " ask workhorse for a reissued one"
            )
        key = self.keys.get(sealed.key_id)
        if key is None:
            raise InvalidLicense(
                f"the {name} names signing key {sealed.key_id!r}, which is not a workhorse"
                " signing key; upgrade workhorse-licensing or ask for a reissued one"
            )
        try:
            key.verify(sealed.signature, sealed.signed)
        except InvalidSignature:
            raise InvalidLicense(
                f"the {name} signature does not match any workhorse signing key"
                " (it was altered or forged); copy the original again"
            ) from None


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """A public key from its raw 32 bytes in base64url (the built-in form)."""
    raw = b64url_decode(text, "public key")
    if len(raw) != 32:
        raise InvalidLicense("a public key must be 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def builtin_keyring() -> Keyring:
    return Keyring(
        {kid: public_key_from_text(text) for kid, text in builtin_keys.PUBLIC_KEYS.items()},
        frozenset(builtin_keys.RETIRED_KEY_IDS),
    )


_override: Keyring | None = None


def trusted_keyring() -> Keyring:
    """The keyring in force: the test override if one is set, else the built-in keys."""
    return _override if _override is not None else builtin_keyring()


def set_override(keyring: Keyring | None) -> Keyring | None:
    """Install (or clear, with None) the test keyring; return the previous one."""
    global _override
    previous, _override = _override, keyring
    return previous
