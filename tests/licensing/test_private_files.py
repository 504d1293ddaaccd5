"""The vendor's secret files are private from their first byte, whatever the umask.

Account store (hashed tokens) and key directory (private signing keys):
temporary files are unpredictable, exclusive and get their mode before any
data is written; the directories are 0700 (issue 16).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from workhorse_licensing.issuer.cli import main as license_cli
from workhorse_licensing.issuer.files import write_atomic
from workhorse_licensing.issuer.index.accounts import Accounts
from workhorse_licensing.issuer.keystore import KeyStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("permissive_umask")
def test_the_account_store_is_private_under_a_permissive_umask(tmp_path: Path) -> None:
    data = tmp_path / "index-data"
    accounts = Accounts(data)
    accounts.add_customer("cus_acme", "ACME Corp", ("pro",))
    accounts.issue_token("cus_acme")
    assert mode(data) == 0o700
    assert mode(data / "accounts.json") == 0o600
    assert sorted(p.name for p in data.iterdir()) == ["accounts.json"]  # no temporary left


@pytest.mark.usefixtures("permissive_umask")
def test_an_existing_data_directory_is_closed_on_the_first_write(tmp_path: Path) -> None:
    data = tmp_path / "index-data"
    data.mkdir(mode=0o777)
    Accounts(data).set_admin_token()
    assert mode(data) == 0o700


@pytest.mark.usefixtures("permissive_umask")
def test_the_key_directory_and_its_files_are_private_under_a_permissive_umask(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "vendor-keys"
    result = CliRunner().invoke(license_cli, ["keygen", "--keys", str(keys), "--key-id", "k1"])
    assert result.exit_code == 0, result.output
    assert mode(keys) == 0o700 and mode(keys / "k1.pem") == 0o600
    KeyStore(keys).create("k2")
    assert mode(keys / "k2.pem") == 0o600
    keys.chmod(0o755)  # someone opened it up; the next change closes it again
    KeyStore(keys).retire("k1")
    assert mode(keys) == 0o700
    assert not [p for p in keys.iterdir() if p.name.endswith(".tmp")]


def test_a_file_planted_at_a_guessable_temporary_name_is_never_written_through(
    tmp_path: Path,
) -> None:
    """A world-readable file or a symlink waiting where a temp file might go changes nothing."""
    data = tmp_path / "index-data"
    Accounts(data).set_admin_token()
    decoy = tmp_path / "decoy"
    decoy.write_text("untouched")
    planted = data / f".accounts.json.{os.getpid()}.tmp"
    planted.symlink_to(decoy)
    world = data / f".accounts.json.{os.getpid() + 1}.tmp"
    world.touch(mode=0o666)
    Accounts(data).add_customer("cus_acme", "ACME Corp", ("pro",))
    assert decoy.read_text() == "untouched"
    assert mode(data / "accounts.json") == 0o600
    assert not (data / "accounts.json").is_symlink()


def test_write_atomic_sets_the_mode_before_writing_and_cleans_up_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    real_fchmod = os.fchmod

    def record(fd: int, wanted: int) -> None:
        real_fchmod(fd, wanted)
        seen.append(os.fstat(fd).st_size)  # nothing written yet when the mode is set

    monkeypatch.setattr(os, "fchmod", record)
    write_atomic(tmp_path / "secret", b"x" * 100, 0o600)
    assert seen == [0] and mode(tmp_path / "secret") == 0o600

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(tmp_path / "other", b"y", 0o600)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret"]
