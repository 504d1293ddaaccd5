"""The encryption key ring: versioned AES-256 keys from the environment or a file.

``WORKHORSE_ENCRYPTION_KEYS`` (or the file named by
``WORKHORSE_ENCRYPTION_KEYS_FILE``) holds ``VERSION:BASE64KEY`` entries
separated by commas, spaces or newlines (``#`` starts a comment in a file).
The highest version encrypts; every listed version decrypts. Rotation: add a
new, higher version; remove an old one only once no queued, scheduled, retrying
or dead job still needs it. ``workhorse encryption keygen N`` prints a new entry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from workhorse.errors import ConfigError

ENV = "WORKHORSE_ENCRYPTION_KEYS"
FILE_ENV = "WORKHORSE_ENCRYPTION_KEYS_FILE"
KEY_BYTES = 32  # AES-256
_ENTRY = re.compile(r"(\d{1,3}):(\S+)")
_DIGEST_LABEL = b"workhorse unique-job identity v1"


class KeyRing:
    """Versions 1..255 mapped to AES-GCM ciphers; ``newest`` encrypts."""

    def __init__(self, keys: Mapping[int, bytes]) -> None:
        if not keys:
            raise ConfigError(
                f"no encryption keys: set {ENV} (or {FILE_ENV}) to "
                "VERSION:BASE64KEY entries; `workhorse encryption keygen 1` "
                "prints one"
            )
        self.ciphers = {version: AESGCM(key) for version, key in keys.items()}
        self.newest = max(keys)
        # A separate key for keyed digests (unique-job identities of encrypted jobs), derived
        # from the newest key so the AES key itself is never used for anything but AES-GCM.
        self.digest_key = hmac.digest(keys[self.newest], _DIGEST_LABEL, hashlib.sha256)

    @property
    def versions(self) -> list[int]:
        return sorted(self.ciphers)

    @classmethod
    def parse(cls, text: str, source: str) -> KeyRing:
        """Read entries from ``text``; errors name ``source`` and never echo key material."""
        keys: dict[int, bytes] = {}
        lines = (line.split("#", 1)[0] for line in text.splitlines())
        for position, entry in enumerate(" ".join(lines).replace(",", " ").split(), 1):
            keys.update([_entry(entry, position, source)])
        return cls(keys)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KeyRing:
        env = os.environ if environ is None else environ
        if env.get(ENV):
            return cls.parse(env[ENV], ENV)
        if env.get(FILE_ENV):
            path = Path(env[FILE_ENV]).expanduser()
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(
                    f"cannot read the encryption key file {path} ({FILE_ENV}): {exc.strerror}"
                ) from None
            return cls.parse(text, str(path))
        return cls({})


def _entry(entry: str, position: int, source: str) -> tuple[int, bytes]:
    match = _ENTRY.fullmatch(entry)
    where = f"entry {position} of {source}"
    if match is None:
        raise ConfigError(
            f"{where} is not VERSION:BASE64KEY (e.g. as printed by `workhorse encryption keygen 1`)"
        )
    version = int(match[1])
    if not 1 <= version <= 255:
        raise ConfigError(f"{where}: key version {version} is outside 1..255")
    try:
        key = base64.b64decode(match[2], validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{where} (version {version}): the key is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise ConfigError(
            f"{where} (version {version}): the key has {len(key)} bytes; AES-256 needs {KEY_BYTES}"
        )
    return version, key


def generate(version: int) -> str:
    """A new ``VERSION:BASE64KEY`` entry with a random 256-bit key."""
    if not 1 <= version <= 255:
        raise ConfigError(f"key version must be within 1..255, got {version}")
    return f"{version}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"
