"""Sealing one argument: AES-256-GCM, the jid and class as associated data.

A sealed argument is the base64 text of ``version byte | 12-byte nonce |
ciphertext+tag``. The associated data binds it to its job, so a ciphertext
copied into another job (another jid or class) fails to open.
"""

from __future__ import annotations

import base64
import binascii
import json
import json.scanner
import secrets
from collections.abc import Callable
from typing import NoReturn

from cryptography.exceptions import InvalidTag

from workhorse.errors import WorkhorseError
from workhorse_enterprise.encryption.keyring import ENV, KeyRing

NONCE = 12
TAG = 16
# Built once: json.dumps/json.loads with options build a coder per call, which cost more
# than the AES-GCM work itself on a no-op job (see tests/benchmarks/bench_unique_encryption).
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode
# The C scanner itself: (value, end) for the JSON text at an index, with no Python frame
# around it (JSONDecoder.raw_decode is one, on every job).
_SCAN: Callable[[str, int], tuple[object, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]  # typeshed types it as taking a scanner
)


class UndecryptableArgument(WorkhorseError):
    """An encrypted argument that cannot be opened: the job goes to the dead set."""


class MissingKey(UndecryptableArgument):
    """The key version an argument was sealed with is not in this process's key ring."""


def _aad(jid: str, name: str) -> bytes:
    return f"workhorse-encrypt\n{name}\n{jid}".encode()


def seal(ring: KeyRing, value: object, jid: str, name: str) -> str:
    plain = _ENCODE(value).encode()
    nonce = secrets.token_bytes(NONCE)
    sealed = ring.ciphers[ring.newest].encrypt(nonce, plain, _aad(jid, name))
    return base64.b64encode(bytes([ring.newest]) + nonce + sealed).decode("ascii")


def open_sealed(ring: KeyRing, token: object, jid: str, name: str) -> object:
    """The plaintext value; ``UndecryptableArgument``/``MissingKey`` say why not."""
    return Opener(ring).open(token, jid, name)


class Opener:
    """Opens sealed arguments with one key ring: the worker's decryption, once per job.

    A value that opens costs one strict base64 pass, one AES-GCM call and one JSON
    scan, and nothing is checked up front: a value that does not open makes one of
    them raise, and only then is it examined to say why (:meth:`refuse`).
    """

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self.ciphers = ring.ciphers

    def open(self, token: object, jid: object, name: str) -> object:
        """``token``'s plaintext value, sealed by ``seal(ring, value, str(jid), name)``."""
        try:
            blob = binascii.a2b_base64(token, strict_mode=True)  # type: ignore[arg-type]
            plain = self.ciphers[blob[0]].decrypt(
                blob[1 : 1 + NONCE],
                blob[1 + NONCE :],
                # _aad() inlined; a jid that is not a str (a hand-made payload) formats
                # as the str() the client sealed with.
                f"workhorse-encrypt\n{name}\n{jid}".encode(),
            )
        except (binascii.Error, ValueError, TypeError, IndexError, KeyError, InvalidTag):
            self.refuse(token, str(jid), name)
        # Authenticated, so it is the JSON text seal() wrote: no whitespace, nothing after it.
        return _SCAN(plain.decode(), 0)[0]

    def refuse(self, token: object, jid: str, name: str) -> NoReturn:
        """Raise why ``token`` does not open: it is no sealed value, this process lacks its
        key version, or it was altered or sealed for another job."""
        try:
            blob = binascii.a2b_base64(token, strict_mode=True) if type(token) is str else b""
        except (binascii.Error, ValueError):
            blob = b""
        if len(blob) < 1 + NONCE + TAG:
            raise UndecryptableArgument(
                f"the last argument of encrypted job {name} jid={jid} is not a sealed value"
            )
        version = blob[0]
        if version not in self.ciphers:
            have = ",".join(map(str, self.ring.versions)) or "none"
            raise MissingKey(
                f"job {name} jid={jid} was encrypted with key version {version}, which this "
                f"process does not have (it has: {have}); add that key to {ENV} and retry the "
                "job from the dead set"
            )
        raise UndecryptableArgument(
            f"the encrypted argument of job {name} jid={jid} does not open with key version "
            f"{version}: it was altered, or copied from another job"
        )
