"""The vendor's ``workhorse-license`` command: keys, issuing, inspecting, revoking, rotating."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import cast

import pytest
from click.testing import CliRunner, Result
from workhorse_testkeys import trusted_keys

from workhorse_licensing import InvalidLicense, verify_license
from workhorse_licensing.issuer.cli import main
from workhorse_licensing.issuer.keystore import KeyStore
from workhorse_licensing.revocation import parse_revocation_list


def run(*args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert (result.exit_code == 0) == ok, result.output
    return result


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    folder = tmp_path / "vendor-keys"
    run("keygen", "--keys", str(folder), "--key-id", "k1")
    return folder


def issue(keys: Path, *extra: str) -> str:
    return run(
        "issue",
        "--keys",
        str(keys),
        "--customer-id",
        "cus_acme",
        "--customer-name",
        "ACME Corp",
        "--tier",
        "pro",
        "--expires",
        "2027-01-01",
        *extra,
    ).output.strip()


def test_keygen_writes_a_private_key_only_its_owner_can_read(keys: Path) -> None:
    pem = keys / "k1.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert b"PRIVATE KEY" in pem.read_bytes()


def test_keygen_never_prints_the_private_key(tmp_path: Path) -> None:
    output = run("keygen", "--keys", str(tmp_path / "k"), "--key-id", "k1").output
    body = (tmp_path / "k" / "k1.pem").read_text().splitlines()[1]
    assert "PRIVATE" not in output and body not in output


def test_keygen_refuses_to_replace_existing_keys(keys: Path) -> None:
    assert "already holds keys; use `rotate`" in run("keygen", "--keys", str(keys), ok=False).output


def test_an_issued_license_verifies_with_the_store_keys(keys: Path) -> None:
    token = issue(keys, "--max-processes", "4", "--license-id", "lic_acme")
    lic = verify_license(token, KeyStore(keys).keyring())
    assert (lic.license_id, lic.tiers, lic.max_processes) == ("lic_acme", ("pro",), 4)
    assert lic.expires_at.date().isoformat() == "2027-01-01"


def test_issuing_enterprise_includes_pro_in_the_claims(keys: Path) -> None:
    token = run(
        "issue",
        "--keys",
        str(keys),
        "--customer-id",
        "c",
        "--customer-name",
        "C",
        "--tier",
        "enterprise",
    ).output.strip()
    assert verify_license(token, KeyStore(keys).keyring()).tiers == ("pro", "enterprise")


def test_inspect_shows_the_claims_and_todays_state(keys: Path) -> None:
    output = run("inspect", "--keys", str(keys), issue(keys, "--license-id", "lic_1")).output
    assert "license id:    lic_1" in output and "customer:      ACME Corp (cus_acme)" in output
    assert "state today:" in output


def test_inspect_rejects_a_tampered_key_with_the_reason(keys: Path) -> None:
    token = issue(keys)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert (
        "signature does not match" in run("inspect", "--keys", str(keys), tampered, ok=False).output
    )


def test_rotation_keeps_old_licenses_valid_until_their_key_is_retired(keys: Path) -> None:
    old = issue(keys)
    run("rotate", "--keys", str(keys), "--key-id", "k2")
    new = issue(keys)
    keyring = KeyStore(keys).keyring()
    assert verify_license(old, keyring).key_id == "k1"
    assert verify_license(new, keyring).key_id == "k2"
    run("retire", "--keys", str(keys), "k1")
    with pytest.raises(InvalidLicense, match="retired key 'k1'"):
        verify_license(old, KeyStore(keys).keyring())
    assert verify_license(new, KeyStore(keys).keyring()).key_id == "k2"


def test_the_signing_key_cannot_be_retired_before_a_rotation(keys: Path) -> None:
    assert (
        "run `rotate` before retiring it"
        in run("retire", "--keys", str(keys), "k1", ok=False).output
    )


def test_export_public_writes_the_builtin_module_with_no_private_material(
    keys: Path, tmp_path: Path
) -> None:
    run("rotate", "--keys", str(keys), "--key-id", "k2")
    run("retire", "--keys", str(keys), "k1")
    out = tmp_path / "builtin_keys.py"
    run("export-public", "--keys", str(keys), "-o", str(out))
    namespace: dict[str, object] = {}
    exec(out.read_text(), namespace)
    assert set(cast(dict[str, str], namespace["PUBLIC_KEYS"])) == {"k1", "k2"}
    assert namespace["RETIRED_KEY_IDS"] == frozenset({"k1"})
    assert "PRIVATE" not in out.read_text()


def test_revoke_creates_and_extends_a_signed_list(keys: Path, tmp_path: Path) -> None:
    path = tmp_path / "revocations.wh"
    run("revoke", "--keys", str(keys), "--list", str(path), "lic_1")
    run("revoke", "--keys", str(keys), "--list", str(path), "lic_2", "lic_1")
    store = KeyStore(keys)
    assert parse_revocation_list(path.read_text(), store.keyring()).revoked == {"lic_1", "lic_2"}


def test_the_builtin_vendor_key_is_a_real_ed25519_public_key() -> None:
    from workhorse_licensing import builtin_keys
    from workhorse_licensing.keyring import builtin_keyring

    assert builtin_keys.PUBLIC_KEYS, "the package must ship the vendor's public key"
    assert set(builtin_keyring().keys) == set(builtin_keys.PUBLIC_KEYS)


def test_test_keys_are_trusted_only_inside_the_block(keys: Path) -> None:
    token = issue(keys)
    from workhorse_licensing.keyring import trusted_keyring

    with trusted_keys(("k1", KeyStore(keys).keys()[0].public)):
        assert verify_license(token, trusted_keyring()).key_id == "k1"
    with pytest.raises(InvalidLicense):
        verify_license(token, trusted_keyring())


def test_export_public_refuses_to_replace_an_existing_file_without_force(
    keys: Path, tmp_path: Path
) -> None:
    committed = tmp_path / "builtin_keys.py"
    committed.write_text("PUBLIC_KEYS = {'the-real-key': '...'}\n")
    refused = run("export-public", "--keys", str(keys), "-o", str(committed), ok=False)
    assert f"{committed} already exists" in refused.output and "--force" in refused.output
    assert committed.read_text() == "PUBLIC_KEYS = {'the-real-key': '...'}\n"
    run("export-public", "--keys", str(keys), "-o", str(committed), "--force")
    assert '"k1":' in committed.read_text()


def test_the_docs_never_use_a_real_signing_key_id_as_an_example() -> None:
    """Copying a command from the docs must not create, rotate or retire the real key."""
    from workhorse_licensing import builtin_keys

    docs = Path(__file__).resolve().parents[2] / "docs"
    pages = {page.name: page.read_text() for page in docs.glob("*.md")}
    real = set(builtin_keys.PUBLIC_KEYS) | set(builtin_keys.RETIRED_KEY_IDS)
    assert real and pages
    assert {(name, kid) for name, text in pages.items() for kid in real if kid in text} == set()
