"""Which Ed25519 public keys this process trusts, by key id.

The trusted set is the vendor's keys built into the package
(``builtin_keys.py``), read once at import into a read-only keyring. DESIGN.md
section 5: nothing in a shipped distribution can add a key: no environment
variable, config file, entry point or public function. (The test suite swaps
the private ``_trusted`` from its own never-published distribution,
``tests/testkeys``; code already running in the process can patch anything,
so this is a policy boundary, not a sandbox.) Rotation: the vendor adds a new
key id while old ones keep verifying; a key id moved to ``retired`` stops
verifying even though its public key is still known, which is what a leaked
private key needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

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

    def __post_init__(self) -> None:
        # Read-only, so a keyring handed out cannot be extended in place.
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))

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


# Fixed when the package is imported, so editing builtin_keys.PUBLIC_KEYS later
# changes nothing. Deliberately no setter (see the module docstring).
_trusted: Keyring = builtin_keyring()


def trusted_keyring() -> Keyring:
    """The keys this process trusts: the vendor's built-in keys."""
    return _trusted
