"""``workhorse version`` and ``workhorse doctor``: what is installed, and what is wrong."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from cli_support import Invoke, as_json  # type: ignore[import-not-found]

from workhorse import plugins
from workhorse.cli import doctor_cmd
from workhorse.errors import PluginLoadError
from workhorse.types import PluginReport
from workhorse.version import __version__


@pytest.fixture
def no_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if only the free core were installed."""
    monkeypatch.setattr(plugins, "diagnostics", lambda *_: [])
    monkeypatch.setattr(plugins, "failures", lambda: [])


def test_version_lists_core_and_every_plugin_with_its_license_state(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        plugins,
        "diagnostics",
        lambda *_: [
            PluginReport("workhorse-pro", "1.2.0", "valid"),
            PluginReport(
                "workhorse-enterprise",
                "1.1.0",
                "missing",
                ok=False,
                problems=("set WORKHORSE_LICENSE",),
            ),
        ],
    )
    data = as_json(cli("version", "--json", url=""))
    assert data["workhorse"] == __version__
    assert [(p["name"], p["license_state"]) for p in data["plugins"]] == [
        ("workhorse-pro", "valid"),
        ("workhorse-enterprise", "missing"),
    ]
    text = cli("version", url="").output
    assert f"workhorse {__version__}" in text and "workhorse-enterprise" in text


def test_version_says_when_only_the_free_core_is_installed(cli: Invoke, no_plugins: None) -> None:
    assert "no plugins installed" in cli("version", url="").output


def checks(result: Any) -> dict[str, dict[str, str]]:
    import json

    return {c["name"]: c for c in json.loads(result.stdout)["checks"]}


def test_doctor_passes_on_a_healthy_installation(cli: Invoke, no_plugins: None) -> None:
    result = cli("doctor", "--json")
    assert result.exit_code == 0, result.output
    found = checks(result)
    assert found["redis"]["level"] == "ok" and "answered in" in found["redis"]["detail"]
    assert found["redis version"]["level"] == "ok"
    assert found["clock"]["level"] == "ok"
    assert "no problems found" in cli("doctor").output


def test_doctor_fails_with_a_fix_when_redis_is_unreachable(cli: Invoke, no_plugins: None) -> None:
    result = cli("doctor", "--json", "--redis-url", "redis://127.0.0.1:1/0")
    assert result.exit_code == 1
    redis_check = checks(result)["redis"]
    assert redis_check["level"] == "fail" and "--redis-url" in redis_check["fix"]


def test_doctor_reports_a_plugin_that_failed_to_load(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plugins, "diagnostics", lambda *_: [])
    monkeypatch.setattr(
        plugins, "failures", lambda: [PluginLoadError("broken", ImportError("no module x"))]
    )
    result = cli("doctor", "--json")
    assert result.exit_code == 1
    assert "no module x" in checks(result)["plugin load"]["detail"]


def test_doctor_fails_on_an_unlicensed_plugin_and_says_how_to_license_it(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plugins, "failures", lambda: [])
    monkeypatch.setattr(
        plugins,
        "diagnostics",
        lambda *_: [
            PluginReport("workhorse-pro", "1.0.0", "expired", ok=False, problems=("expired",))
        ],
    )
    result = cli("doctor", "--json")
    assert result.exit_code == 1
    assert "WORKHORSE_LICENSE" in checks(result)["plugin"]["fix"]


def test_doctor_warns_about_an_eviction_policy_that_can_drop_jobs(
    cli: Invoke, r: redis.Redis, no_plugins: None
) -> None:
    r.config_set("maxmemory-policy", "allkeys-lru")
    try:
        relaxed, strict = cli("doctor", "--json"), cli("doctor", "--json", "--strict")
    finally:
        r.config_set("maxmemory-policy", "noeviction")
    assert relaxed.exit_code == 0 and strict.exit_code == 1
    assert "noeviction" in checks(relaxed)["eviction"]["fix"]


class SkewedRedis:
    def __init__(self, offset: float) -> None:
        self.offset = offset

    def time(self) -> tuple[int, int]:
        import time

        now = time.time() + self.offset
        return int(now), int((now % 1) * 1e6)


def test_clock_skew_between_host_and_redis_is_a_problem_with_a_fix() -> None:
    skewed = doctor_cmd.check_clock(SkewedRedis(5.0))  # type: ignore[arg-type]
    assert skewed.level == "fail" and "+5" in skewed.detail and "NTP" in skewed.fix
    assert doctor_cmd.check_clock(SkewedRedis(0.0)).level == "ok"  # type: ignore[arg-type]
