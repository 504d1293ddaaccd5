"""Signing license keys and revocation lists with an Ed25519 private key.

Lives in the base package (it needs only ``cryptography``) so that the
vendor CLI and the test helpers share one writer for what ``verify`` reads.
Holding this code gives nothing: trust comes from the private key.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from .claims import IDENTIFIER, License, license_to_claims
from .codec import b64url_encode
from .envelope import KEY_ID, seal
from .errors import InvalidLicense


class SigningKey:
    """A private key and the id under which its public half is trusted."""

    def __init__(self, key_id: str, private_key: Ed25519PrivateKey) -> None:
        if not KEY_ID.fullmatch(key_id):
            raise InvalidLicense(f"key id {key_id!r} must be letters, digits, '.', '_' or '-'")
        self.key_id = key_id
        self._private_key = private_key

    @classmethod
    def generate(cls, key_id: str) -> SigningKey:
        return cls(key_id, Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, key_id: str, pem: bytes) -> SigningKey:
        private = load_pem_private_key(pem, password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise InvalidLicense(f"key {key_id!r} is not an Ed25519 private key")
        return cls(key_id, private)

    def to_pem(self) -> bytes:
        """PKCS#8 PEM, for the vendor key store's 0600 file only."""
        return self._private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._private_key.public_key()

    def public_text(self) -> str:
        """The public key as built into ``builtin_keys.py``: raw bytes, base64url."""
        return b64url_encode(self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))

    def issue(self, lic: License) -> str:
        return seal("license", license_to_claims(lic), self.key_id, self._private_key.sign)

    def sign_revocations(self, license_ids: Iterable[str], issued_at: datetime) -> str:
        revoked = sorted(set(license_ids))
        bad = [i for i in revoked if not IDENTIFIER.fullmatch(i)]
        if bad:
            raise InvalidLicense(f"{bad[0]!r} is not a license id")
        body = {"issued_at": int(issued_at.timestamp()), "revoked": revoked}
        return seal("revocations", body, self.key_id, self._private_key.sign)

    def __repr__(self) -> str:
        # Never show key material, even by accident in a log or traceback.
        return f"SigningKey({self.key_id!r})"
