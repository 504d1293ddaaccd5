"""Customers and tokens: the ``workhorse-index`` management commands and the account store."""

from __future__ import annotations

import hmac
import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from workhorse_licensing.issuer.index.accounts import Accounts
from workhorse_licensing.issuer.index.cli import main


def run(data: Path, *args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(main, [*args, "--data", str(data)])
    assert (result.exit_code == 0) == ok, result.output
    return result


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "index"
    run(folder, "customers", "add", "cus_acme", "--name", "ACME Corp", "--tier", "pro")
    return folder


def test_an_issued_token_authenticates_its_customer_only(data: Path) -> None:
    token = run(data, "tokens", "issue", "cus_acme").stdout.strip()
    accounts = Accounts(data)
    customer = accounts.authenticate("cus_acme", token)
    assert customer is not None and customer.tiers == ("pro",)
    assert accounts.authenticate("cus_other", token) is None


def test_a_revoked_token_stops_working_and_others_keep_working(data: Path) -> None:
    first = CliRunner().invoke(main, ["tokens", "issue", "--data", str(data), "cus_acme"])
    token_id = first.stderr.split()[-1]
    second = run(data, "tokens", "issue", "cus_acme").stdout.strip()
    run(data, "tokens", "revoke", "cus_acme", token_id)
    accounts = Accounts(data)
    assert accounts.authenticate("cus_acme", first.stdout.strip()) is None
    assert accounts.authenticate("cus_acme", second) is not None


def test_the_account_file_holds_hashes_only_and_is_private(data: Path) -> None:
    token = run(data, "tokens", "issue", "cus_acme").stdout.strip()
    admin = run(data, "admin-token").stdout.strip()
    text = (data / "accounts.json").read_text()
    assert token not in text and admin not in text
    assert stat.S_IMODE((data / "accounts.json").stat().st_mode) == 0o600
    assert Accounts(data).is_admin(admin) and not Accounts(data).is_admin(token)


def test_list_shows_customers_without_secrets(data: Path) -> None:
    token = run(data, "tokens", "issue", "cus_acme").stdout.strip()
    listing = run(data, "customers", "list").stdout
    assert "cus_acme\tACME Corp\tpro" in listing and token not in listing


def test_suspending_and_upgrading_a_customer(data: Path) -> None:
    run(data, "customers", "update", "cus_acme", "--tier", "enterprise", "--suspend")
    (customer,) = Accounts(data).customers()
    assert customer.tiers == ("enterprise",) and customer.suspended
    run(data, "customers", "update", "cus_acme", "--reinstate")
    assert not Accounts(data).customers()[0].suspended


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("customers", "add", "cus_acme", "--name", "Again", "--tier", "pro"), "already exists"),
        (("customers", "add", "../evil", "--name", "E", "--tier", "pro"), "must be letters"),
        (("tokens", "issue", "cus_nobody"), "no customer 'cus_nobody'"),
        (("tokens", "revoke", "cus_acme", "nope"), "has no token 'nope'"),
    ],
)
def test_mistakes_get_one_clear_sentence(data: Path, args: tuple[str, ...], message: str) -> None:
    assert message in run(data, *args, ok=False).output


def test_every_check_compares_in_constant_time_even_for_unknown_customers(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown ids do the same hashing and comparing as known ones: no timing oracle."""
    run(data, "tokens", "issue", "cus_acme")
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    accounts = Accounts(data)
    assert accounts.authenticate("cus_nobody", "whd_guess") is None
    assert accounts.authenticate("cus_acme", "whd_guess") is None
    assert accounts.is_admin("wha_guess") is False
    assert len(calls) == 3
    assert all(len(a) == len(b) == 64 for a, b in calls)  # sha256 hex digests, never raw tokens
    stored = json.loads((data / "accounts.json").read_text())
    assert "whd_guess" not in json.dumps(stored)


# The stand-in digest unknown ids are compared with once had a known preimage;
# these are the passwords an attacker would try first against a tokenless account.
FIXED_GUESSES = ("no such customer", "", "whd_guess")


@pytest.mark.parametrize("state", ["no token yet", "every token revoked", "suspended"])
def test_a_customer_without_a_live_token_cannot_log_in(data: Path, state: str) -> None:
    accounts = Accounts(data)
    if state == "every token revoked":
        for _ in range(2):
            token_id, _token = accounts.issue_token("cus_acme")
            accounts.revoke_token("cus_acme", token_id)
    if state == "suspended":
        accounts.update_customer("cus_acme", suspended=True)
    for guess in FIXED_GUESSES:
        assert accounts.authenticate("cus_acme", guess) is None, guess


def test_a_live_token_logs_in_and_a_suspended_account_is_marked_for_its_403(data: Path) -> None:
    accounts = Accounts(data)
    _token_id, token = accounts.issue_token("cus_acme")
    live = accounts.authenticate("cus_acme", token)
    assert live is not None and not live.suspended
    assert all(accounts.authenticate("cus_acme", guess) is None for guess in FIXED_GUESSES)
    accounts.update_customer("cus_acme", suspended=True)
    suspended = accounts.authenticate("cus_acme", token)
    assert suspended is not None and suspended.suspended  # the index answers 403 "suspended"


def test_a_tokenless_customer_costs_the_same_comparisons_as_one_with_a_token(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append(b)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    accounts = Accounts(data)
    assert accounts.authenticate("cus_acme", "whd_guess") is None
    accounts.issue_token("cus_acme")
    assert accounts.authenticate("cus_acme", "whd_guess") is None
    assert len(calls) == 2 and all(len(digest) == 64 for digest in calls)
