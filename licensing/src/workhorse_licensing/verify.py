"""Token text -> verified ``License``: envelope, then signature, then claims.

The signature is checked before the claims are interpreted, so a forged or
altered key is always reported as such and never as a schema problem.
"""

from __future__ import annotations

from .claims import License, license_from_claims
from .envelope import open_envelope
from .keyring import Keyring

# A real key is ~500 characters; the cap bounds the work an attacker-supplied
# value can cause while leaving room for long feature lists.
MAX_LICENSE_CHARS = 4096


def verify_license(token: object, keyring: Keyring) -> License:
    """Return the license ``token`` carries, or raise ``InvalidLicense``.

    Expiry, tier and revocation are policy, decided in ``evaluation``.
    """
    sealed = open_envelope(token, "license", MAX_LICENSE_CHARS)
    keyring.verify(sealed)
    return license_from_claims(sealed.body, sealed.key_id)
