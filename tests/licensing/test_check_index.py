"""``workhorse license check-index URL``: a refused customer learns why, in one sentence.

pip shows "No matching distribution found" for a 403, so the customer asks
the index directly. The honest index runs for real on a loopback port; the
hostile answers (a proxy's HTML, odd JSON, a flood) come from httpx's mock
transport, because no real index sends them.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from index_support import ThreadedServer, seed_accounts

from workhorse import plugins
from workhorse.cli import main
from workhorse_licensing import customer_cli
from workhorse_licensing.index_check import (
    MAX_ANSWER_BYTES,
    IndexCheckError,
    IndexTarget,
    check_index,
    target,
)
from workhorse_licensing.issuer.index.accounts import Accounts
from workhorse_licensing.issuer.index.app import IndexConfig, create_app


class Live:
    def __init__(self, server: ThreadedServer, data: Path, tokens: dict[str, str]) -> None:
        self.server, self.data, self.tokens = server, data, tokens

    def url(self, customer: str | None = None, token: str | None = None) -> str:
        if customer is not None and token is None:
            token = self.tokens[customer]
        return self.server.url(customer, token) + "/simple/"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data = tmp_path_factory.mktemp("check-index") / "data"
    _admin, tokens = seed_accounts(data)
    accounts = Accounts(data)
    accounts.add_customer("cus_former", "Former Customer", ("pro",))
    accounts.revoke_token("cus_former", accounts.issue_token("cus_former")[0])
    with ThreadedServer(create_app(IndexConfig(data))) as server:
        yield Live(server, data, tokens)


def check(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["license", "check-index", *args], env=env)


def test_the_command_comes_with_workhorse_licensing_not_a_paid_tier() -> None:
    """A customer with only the free packages installed must be able to run it."""
    registered = plugins.manager().get_plugin("licensing")
    assert registered is not None
    assert [c.name for c in registered.workhorse_cli_commands()] == ["license"]
    paid_commands = [
        command.name
        for name, plugin in plugins.manager().list_name_plugin()
        if name.startswith(("pro", "enterprise")) and hasattr(plugin, "workhorse_cli_commands")
        for command in plugin.workhorse_cli_commands()
    ]
    assert "license" not in paid_commands


def test_a_pro_customer_learns_the_credentials_work_and_what_they_cover(live: Live) -> None:
    result = check(live.url("cus_pro"))
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1
    assert "the credentials of customer id 'cus_pro' work; the plan covers workhorse-pro" in (
        result.output
    )
    assert "workhorse-enterprise" not in result.output
    assert live.tokens["cus_pro"] not in result.output


def test_credentials_can_come_from_options_or_the_environment(live: Live) -> None:
    by_option = check(live.url(), "--customer", "cus_ent", "--token", live.tokens["cus_ent"])
    assert by_option.exit_code == 0, by_option.output
    assert "covers workhorse-enterprise, workhorse-pro" in by_option.output
    by_env = check(
        live.url(),
        env={
            "WORKHORSE_INDEX_CUSTOMER": "cus_pro",
            "WORKHORSE_INDEX_TOKEN": live.tokens["cus_pro"],
        },
    )
    assert by_env.exit_code == 0 and "covers workhorse-pro " in by_env.output


@pytest.mark.parametrize(
    ("customer", "token", "expected"),
    [
        ("cus_pro", "whd_wrong", "refused the credentials of customer id 'cus_pro'"),
        ("cus_nobody", "whd_wrong", "refused the credentials of customer id 'cus_nobody'"),
        ("cus_former", "no such customer", "refused the credentials of customer id 'cus_former'"),
        (
            "cus_off",
            None,
            "work, but the index serves them nothing: access for this account is"
            " suspended; contact licensing@workhorse.dev",
        ),
    ],
)
def test_a_refused_customer_learns_why_and_the_exit_code_says_so(
    live: Live, customer: str, token: str | None, expected: str
) -> None:
    result = check(live.url(customer, token))
    assert result.exit_code == 1
    assert expected in result.output and result.output.count("\n") == 1
    assert (token or live.tokens[customer]) not in result.output


def test_a_revoked_license_is_named_as_the_reason(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from workhorse_testkeys import SigningKey, trusted_keys

    data = tmp_path / "data"
    _admin, tokens = seed_accounts(data)
    key = SigningKey.generate("check-1")
    (data / "revocations.wh").write_text(
        key.sign_revocations(["lic_pro"], datetime(2026, 1, 1, tzinfo=UTC))
    )
    with trusted_keys(key), ThreadedServer(create_app(IndexConfig(data))) as server:
        result = check(server.url("cus_pro", tokens["cus_pro"]) + "/simple/")
    assert result.exit_code == 1 and "the license of this account was revoked" in result.output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:9/simple/", "no credentials"),
        ("ftp://cus:tok@example.invalid/simple/", "is not an index URL"),
        ("https://cus:tok@[::1/simple/", "is not an index URL"),
        ("packages.workhorse.dev/simple/", "is not an index URL"),
    ],
)
def test_unusable_urls_are_a_usage_error_that_never_echoes_the_token(
    url: str, expected: str
) -> None:
    result = check(url)
    assert result.exit_code == 2 and expected in result.output
    assert "tok@" not in result.output


def test_an_unreachable_index_is_reported_as_such() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = check(f"http://cus:whd_secret@127.0.0.1:{port}/simple/", "--timeout", "5")
    assert result.exit_code == 1
    assert f"could not reach the index at http://127.0.0.1:{port}/simple/" in result.output
    assert "whd_secret" not in result.output


def test_a_host_name_httpx_cannot_use_is_reported_not_raised() -> None:
    result = check("https://cus:whd_secret@bad host/simple/")
    assert result.exit_code == 1 and "could not reach the index at https://bad host/simple/" in (
        result.output
    )
    assert "whd_secret" not in result.output


def test_the_url_is_turned_into_the_entitlement_endpoint_without_credentials() -> None:
    where = target("https://cus%5Facme:whd%2Fx@packages.example:8443/pypi/simple/")
    assert where == IndexTarget(
        "https://packages.example:8443/pypi/api/entitlements",
        "https://packages.example:8443/pypi/simple/",
        "cus_acme",
        "whd/x",
    )
    with pytest.raises(IndexCheckError, match="no credentials"):
        target("https://packages.example/simple/")


# -- hostile or broken answers ------------------------------------------------------------

Handler = Callable[[httpx.Request], httpx.Response]
WHERE = IndexTarget(
    "https://idx.example/api/entitlements", "https://idx.example/simple/", "cus_acme", "whd_secret"
)


def answer(handler: Handler) -> tuple[bool, str]:
    result = check_index(WHERE, transport=httpx.MockTransport(handler))
    assert "whd_secret" not in result.sentence and "\n" not in result.sentence
    return result.ok, result.sentence


def test_the_credentials_travel_as_basic_auth_to_the_endpoint_only() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"packages": ["workhorse-pro"], "problem": None})

    assert answer(handler)[0] is True
    (request,) = seen
    assert str(request.url) == "https://idx.example/api/entitlements"
    assert (
        request.headers["authorization"] == httpx.BasicAuth("cus_acme", "whd_secret")._auth_header
    )


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b"<html>Welcome to our proxy</html>", "not the expected JSON"),
        (200, b"[1, 2]", "not the expected JSON"),
        (200, b'{"packages": "workhorse-pro"}', "not the expected JSON"),
        (200, b'{"packages": [1], "problem": null}', "not the expected JSON"),
        (200, b'{"packages": [], "problem": 7}', "not the expected JSON"),
        (200, b"[" * 60_000, "not the expected JSON"),  # deeper than the parser goes
        (200, b'{"packages": ["x"]}' + b" " * MAX_ANSWER_BYTES, "not the expected JSON"),
        (
            200,
            b'{"packages": ["workhorse", "workhorse-licensing"], "problem": null}',
            "covers no paid package",
        ),
        (404, b"Not Found", "answered HTTP 404"),
        (500, b"Traceback", "answered HTTP 500"),
    ],
)
def test_odd_answers_get_a_clear_sentence_and_a_failure(
    status: int, body: bytes, expected: str
) -> None:
    ok, sentence = answer(lambda request: httpx.Response(status, content=body))
    assert not ok and expected in sentence


def test_a_redirect_is_not_followed_with_the_credentials() -> None:
    ok, sentence = answer(
        lambda request: httpx.Response(
            302, headers={"Location": "https://user:pw@elsewhere.example/x"}
        )
    )
    assert not ok and "redirects to 'https://elsewhere.example/x'" in sentence


def test_control_characters_from_the_server_never_reach_the_terminal() -> None:
    problem = "suspended\x1b[2J\x07" + "!" * 1000
    ok, sentence = answer(
        lambda request: httpx.Response(
            200, content=json.dumps({"packages": [], "problem": problem}).encode()
        )
    )
    assert not ok and "\x1b" not in sentence and "\x07" not in sentence
    assert len(sentence) < 500


# -- bare `workhorse license` -----------------------------------------------------------------


def test_bare_license_shows_each_installed_tier_and_fails_without_a_key() -> None:
    result = CliRunner().invoke(main, ["license"])
    assert result.exit_code == 1
    assert "workhorse-pro 1.0 is not licensed (no license key found" in result.output


def test_bare_license_with_no_paid_tier_installed_says_none_is_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(customer_cli, "find_spec", lambda name: None)
    result = CliRunner().invoke(main, ["license"])
    assert result.exit_code == 0
    assert "no paid tier is installed" in result.output
