"""The wire format of a license key: only the exact bytes the vendor signed verify."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest
from workhorse_testkeys import SigningKey, sample_license

from workhorse_licensing import InvalidLicense, verify_license
from workhorse_licensing.codec import b64url_encode
from workhorse_licensing.keyring import Keyring


def keyring_of(*keys: SigningKey, retired: frozenset[str] = frozenset()) -> Keyring:
    return Keyring({k.key_id: k.public_key for k in keys}, retired)


def parts(token: str) -> list[str]:
    return token.split(".")


def reencode(token: str, index: int, value: dict[str, object]) -> str:
    pieces = parts(token)
    pieces[index] = b64url_encode(json.dumps(value).encode())
    return ".".join(pieces)


def decoded(token: str, index: int) -> dict[str, object]:
    piece = parts(token)[index]
    value: dict[str, object] = json.loads(base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4)))
    return value


def rejection(token: object, keyring: Keyring) -> str:
    with pytest.raises(InvalidLicense) as caught:
        verify_license(token, keyring)
    return str(caught.value)


def test_an_issued_key_verifies_to_the_same_license(vendor_key: SigningKey) -> None:
    lic = sample_license(features=("batches",), max_processes=4, max_threads=50)
    assert verify_license(vendor_key.issue(lic), keyring_of(vendor_key)) == replace(
        lic, key_id=vendor_key.key_id
    )


def test_the_key_has_four_parts_and_names_its_signing_key(vendor_key: SigningKey) -> None:
    token = vendor_key.issue(sample_license())
    assert parts(token)[0] == "wh1" and len(parts(token)) == 4
    assert decoded(token, 1) == {"alg": "Ed25519", "kid": "test-2026", "typ": "license"}


def test_surrounding_whitespace_from_a_file_is_ignored(vendor_key: SigningKey) -> None:
    token = vendor_key.issue(sample_license())
    assert verify_license(f"  {token}\n", keyring_of(vendor_key)).license_id == "lic_123"


def test_altered_claims_fail_the_signature_check(vendor_key: SigningKey) -> None:
    token = vendor_key.issue(sample_license())
    claims = decoded(token, 2) | {"tiers": ["pro", "enterprise"]}
    assert "signature does not match any workhorse signing key" in rejection(
        reencode(token, 2, claims), keyring_of(vendor_key)
    )


def test_a_forged_signature_is_rejected(vendor_key: SigningKey) -> None:
    pieces = parts(vendor_key.issue(sample_license()))
    pieces[3] = b64url_encode(bytes(64))
    assert "signature does not match" in rejection(".".join(pieces), keyring_of(vendor_key))


def test_a_key_signed_by_another_key_with_the_same_id_is_rejected(
    vendor_key: SigningKey, stranger_key: SigningKey
) -> None:
    forged = stranger_key.issue(sample_license(tiers=("pro", "enterprise")))
    assert "signature does not match" in rejection(forged, keyring_of(vendor_key))


def test_a_key_naming_an_unknown_signing_key_is_rejected(vendor_key: SigningKey) -> None:
    other = SigningKey.generate("homemade")
    message = rejection(other.issue(sample_license()), keyring_of(vendor_key))
    assert message.startswith("the license key names signing key 'homemade', which is not")


def test_a_retired_signing_key_no_longer_verifies(vendor_key: SigningKey) -> None:
    token = vendor_key.issue(sample_license())
    message = rejection(token, keyring_of(vendor_key, retired=frozenset({"test-2026"})))
    assert "retired key 'test-2026'" in message


@pytest.mark.parametrize("cut", [1, 10, 100, -1, -30])
def test_a_truncated_key_is_rejected(vendor_key: SigningKey, cut: int) -> None:
    token = vendor_key.issue(sample_license())
    rejection(token[:cut], keyring_of(vendor_key))


def test_an_oversized_key_is_rejected_before_decoding(vendor_key: SigningKey) -> None:
    message = rejection("wh1." + "A" * 5000, keyring_of(vendor_key))
    assert "more than the 4096 allowed" in message


@pytest.mark.parametrize("bad", ["e30=", "e3+0", "e3/0", "e 30", "é30"])
def test_a_non_base64url_part_is_rejected(vendor_key: SigningKey, bad: str) -> None:
    pieces = parts(vendor_key.issue(sample_license()))
    pieces[2] = bad
    assert "base64url" in rejection(".".join(pieces), keyring_of(vendor_key))


def test_non_canonical_base64_spelling_is_rejected(vendor_key: SigningKey) -> None:
    pieces = parts(vendor_key.issue(sample_license()))
    sig = pieces[3]
    # 64 bytes encode to 86 chars with 4 unused bits; setting one gives the same bytes.
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    pieces[3] = sig[:-1] + last[last.index(sig[-1]) | 1]
    if pieces[3] != sig:
        assert "canonical" in rejection(".".join(pieces), keyring_of(vendor_key))


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'"text"', b"\xff\xfe", b'{"a": 1, "a": 2}', b'{"n": NaN}']
)
def test_a_body_that_is_not_one_json_object_is_rejected(
    vendor_key: SigningKey, body: bytes
) -> None:
    pieces = parts(vendor_key.issue(sample_license()))
    pieces[2] = b64url_encode(body)
    rejection(".".join(pieces), keyring_of(vendor_key))


def test_an_unknown_format_version_asks_for_an_upgrade(vendor_key: SigningKey) -> None:
    token = "wh2" + vendor_key.issue(sample_license())[3:]
    assert rejection(token, keyring_of(vendor_key)) == (
        "the license key uses format wh2, which this workhorse-licensing does not understand;"
        " upgrade workhorse-licensing"
    )


def test_something_else_entirely_is_not_a_workhorse_key(vendor_key: SigningKey) -> None:
    assert "not a workhorse license key" in rejection("ghp_abcdef", keyring_of(vendor_key))
    assert "must be text" in rejection(b"wh1.a.b.c", keyring_of(vendor_key))


def test_a_revocation_list_cannot_pose_as_a_license(vendor_key: SigningKey) -> None:
    from datetime import UTC, datetime

    revocations = vendor_key.sign_revocations(["lic_9"], datetime(2026, 1, 1, tzinfo=UTC))
    assert "is a workhorse revocation list, not a license key" in rejection(
        revocations, keyring_of(vendor_key)
    )


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "none", "kid": "test-2026", "typ": "license"},
        {"alg": "Ed25519", "kid": "test-2026", "typ": "license", "x5u": "https://evil"},
        {"alg": "Ed25519", "kid": "../../etc", "typ": "license"},
    ],
)
def test_a_tampered_header_is_rejected(vendor_key: SigningKey, header: dict[str, object]) -> None:
    rejection(reencode(vendor_key.issue(sample_license()), 1, header), keyring_of(vendor_key))


def _signed_claims(key: SigningKey, claims: dict[str, object]) -> str:
    from workhorse_licensing.envelope import seal

    return seal("license", claims, key.key_id, key._private_key.sign)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"hosts": ["a"]}, "unknown field 'hosts'; upgrade workhorse-licensing"),
        ({"tiers": []}, "field 'tiers' must be a non-empty list"),
        ({"tiers": ["platinum"]}, "field 'tiers' must be a non-empty list"),
        ({"grace_days": True}, "field 'grace_days' must be a whole number"),
        ({"expires_at": "2027-01-01"}, "field 'expires_at' must be a time"),
        ({"expires_at": 1000}, "expires before it was issued"),
        ({"customer_name": ""}, "field 'customer_name' must be a name"),
        ({"max_threads": 0}, "field 'max_threads' must be a positive count"),
        ({"features": ["Batches!"]}, "field 'features' must be a list"),
    ],
)
def test_signed_but_malformed_claims_are_rejected_with_the_field_named(
    vendor_key: SigningKey, change: dict[str, object], expected: str
) -> None:
    from workhorse_licensing.claims import license_to_claims

    claims = license_to_claims(sample_license()) | change
    assert expected in rejection(_signed_claims(vendor_key, claims), keyring_of(vendor_key))


def test_a_missing_claim_is_named(vendor_key: SigningKey) -> None:
    from workhorse_licensing.claims import license_to_claims

    claims = license_to_claims(sample_license())
    del claims["customer_id"]
    assert "lacks field 'customer_id'" in rejection(
        _signed_claims(vendor_key, claims), keyring_of(vendor_key)
    )
