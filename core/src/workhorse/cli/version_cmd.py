"""``workhorse version``: core, Python, redis-py, and every plugin with its license state."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import click
from rich.markup import escape

from workhorse import plugins
from workhorse.cli.output import console, json_option, print_json, table
from workhorse.version import __version__


def _installed(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def collect() -> dict[str, Any]:
    reports = plugins.diagnostics()
    return {
        "workhorse": __version__,
        "python": platform.python_version(),
        "redis-py": _installed("redis"),
        "plugins": [
            {
                "name": r.name,
                "version": r.version,
                "license_state": r.license_state,
                "ok": r.ok,
                "problems": list(r.problems),
                "notes": list(r.notes),
            }
            for r in reports
        ],
        "plugin_load_failures": [{"plugin": f.plugin, "error": str(f)} for f in plugins.failures()],
    }


@click.command("version")
@json_option
def version_command(as_json: bool) -> None:
    """Versions of workhorse and its plugins, with each plugin's license state."""
    data = collect()
    if as_json:
        print_json(data)
        return
    out = console()
    out.print(
        f"workhorse {data['workhorse']} (Python {data['python']}, redis-py {data['redis-py']})"
    )
    if data["plugins"]:
        out.print(
            table(
                "Plugins",
                ["plugin", "version", "license", "notes"],
                (
                    [
                        p["name"],
                        p["version"],
                        p["license_state"],
                        "; ".join(p["problems"] + p["notes"]),
                    ]
                    for p in data["plugins"]
                ),
            )
        )
    else:
        out.print("no plugins installed (free core only)")
    for failure in data["plugin_load_failures"]:
        out.print(f"[red]failed to load[/] {escape(failure['error'])}")
