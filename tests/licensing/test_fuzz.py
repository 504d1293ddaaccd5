"""Property tests: whatever text arrives, only LicenseError escapes the parser."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workhorse_testkeys import SigningKey, sample_license

from workhorse_licensing import LicenseError, verify_license
from workhorse_licensing.keyring import Keyring
from workhorse_licensing.revocation import parse_revocation_list

KEY = SigningKey.generate("fuzz-1")
KEYRING = Keyring({KEY.key_id: KEY.public_key})
TOKEN = KEY.issue(sample_license(features=("batches",), max_threads=10))
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def verifies(text: object) -> bool:
    try:
        verify_license(text, KEYRING)
    except LicenseError:
        return False
    return True


@FUZZ
@given(st.text(max_size=600))
def test_arbitrary_text_raises_only_license_error(text: str) -> None:
    assert not verifies(text)


@FUZZ
@given(st.lists(st.text(alphabet=B64, max_size=120), min_size=0, max_size=6))
def test_dot_separated_base64_pieces_raise_only_license_error(pieces: list[str]) -> None:
    assert not verifies(".".join(["wh1", *pieces]))


@FUZZ
@given(st.integers(min_value=0, max_value=len(TOKEN) - 1), st.sampled_from(B64 + "."))
def test_changing_any_one_character_breaks_the_key(position: int, char: str) -> None:
    mutated = TOKEN[:position] + char + TOKEN[position + 1 :]
    assert verifies(mutated) == (mutated == TOKEN)


@FUZZ
@given(st.integers(min_value=0, max_value=len(TOKEN)), st.text(alphabet=B64 + ".", max_size=8))
def test_inserting_characters_breaks_the_key(position: int, extra: str) -> None:
    mutated = TOKEN[:position] + extra + TOKEN[position:]
    assert verifies(mutated) == (mutated == TOKEN)


@FUZZ
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
        ),
        max_leaves=20,
    )
)
def test_any_signed_json_body_raises_only_license_error_or_verifies(body: object) -> None:
    from workhorse_licensing.envelope import seal

    claims = body if isinstance(body, dict) else {"value": body}
    token = seal("license", claims, KEY.key_id, KEY._private_key.sign)
    verifies(token)  # must not raise anything but LicenseError


@FUZZ
@given(st.binary(max_size=300))
def test_revocation_lists_raise_only_license_error(data: bytes) -> None:
    with contextlib.suppress(LicenseError):
        parse_revocation_list(data.decode("latin-1"), KEYRING)
