"""Plugin discovery through entry points, and every seam firing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from support.waiting import wait_for

import workhorse
from workhorse import plugins
from workhorse.cli import main
from workhorse.client import Client
from workhorse.errors import ConfigError
from workhorse.worker.launcher import WorkerProcess


@pytest.fixture
def broken_plugin_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A distribution whose plugin module raises at import, visible to importlib.metadata."""
    dist = tmp_path / "wh_broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: wh-broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[workhorse.plugins]\nbroken = wh_broken_module\n")
    (tmp_path / "wh_broken_module.py").write_text("raise ImportError('broken on purpose')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.reset()
    yield
    plugins.reset()


def test_installed_test_plugin_is_discovered() -> None:
    assert "testplugin" in plugins.names()
    reports = plugins.diagnostics()
    assert any(r.name == "workhorse-testplugin" for r in reports)


def test_broken_plugin_is_reported_and_skipped(broken_plugin_on_path: None) -> None:
    assert "testplugin" in plugins.names()
    (failure,) = [f for f in plugins.failures() if f.plugin == "broken"]
    assert "broken on purpose" in str(failure) and "skipped" in str(failure)


def test_plugin_job_options_are_accepted_and_validated() -> None:
    @workhorse.job(name="colored", testplugin_color="red")
    def colored() -> None: ...

    assert colored.options["testplugin_color"] == "red"
    with pytest.raises(ConfigError, match="red or blue"):
        colored.set(testplugin_color="green")


def test_plugin_cli_commands_join_the_workhorse_group() -> None:
    result = CliRunner().invoke(main, ["testplugin-hello"])
    assert result.exit_code == 0 and "hello from testplugin" in result.output


def test_lifecycle_events_and_services_fire_in_order(
    wh_client: Client, r: redis.Redis, start_worker: Callable[..., WorkerProcess]
) -> None:
    worker = start_worker()
    wait_for(lambda: r.get("testplugin:beat"), "a heartbeat event")
    worker.stop()
    worker.shutdown()
    assert r.lrange("testplugin:events", 0, -1) == [
        "startup",
        "service-start",
        "quiet",
        "service-stop",
        "shutdown",
    ]
