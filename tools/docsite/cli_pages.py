"""MkDocs hook: one page per `workhorse` command, generated from click (issue 25).

The pages are built from the commands themselves (usage, help, options,
subcommands), so the CLI reference cannot drift from the CLI. Commands of the
paid tiers appear when those packages are installed, as in the dev
environment, and say which distribution provides them; commands of other
plugins (say, a test fixture's) are left out.
"""

from __future__ import annotations

from typing import Any

import click
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

SECTION = "CLI commands"
FOLDER = "commands"
PROVIDERS = {
    "workhorse": "workhorse",
    "workhorse_pro": "workhorse-pro",
    "workhorse_enterprise": "workhorse-enterprise",
    "workhorse_licensing": "workhorse-licensing",
}


def commands() -> dict[str, click.Command]:
    """Every documented top-level command by name, core's and the installed tiers'."""
    from workhorse.cli import main

    ctx = click.Context(main, info_name="workhorse")
    found = {name: main.get_command(ctx, name) for name in main.list_commands(ctx)}
    return {name: cmd for name, cmd in found.items() if cmd is not None and provider(cmd)}


def provider(command: click.Command) -> str | None:
    module = getattr(command.callback, "__module__", "") or type(command).__module__
    return PROVIDERS.get(module.split(".")[0])


def render(command: click.Command, ctx: click.Context, depth: int = 1) -> str:
    """Markdown for ``command`` (``ctx`` names how it is called); a group's subcommands too."""
    lines = [f"{'#' * depth} `{ctx.command_path}`", ""]
    if depth == 1 and (source := provider(command)) != "workhorse":
        lines += [f"Provided by `{source}`.", ""]
    lines += [_help(command), "", "```text", command.get_usage(ctx), "```", ""]
    lines += _options(command, ctx)
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                lines.append(render(sub, click.Context(sub, info_name=name, parent=ctx), depth + 1))
    return "\n".join(lines)


def page(name: str, command: click.Command) -> str:
    from workhorse.cli import main

    root = click.Context(main, info_name="workhorse")
    return render(command, click.Context(command, info_name=name, parent=root)) + "\n"


def _help(command: click.Command) -> str:
    text = command.help or command.short_help or ""
    return click.unstyle(text.split("\f")[0]).strip() or "(no description)"


def _options(command: click.Command, ctx: click.Context) -> list[str]:
    rows = [
        (opts, text or ("argument" if isinstance(param, click.Argument) else ""))
        for param in command.get_params(ctx)
        if (record := param.get_help_record(ctx)) is not None
        for opts, text in [record]
    ]
    if not rows:
        return []
    table = ["| option | meaning |", "|---|---|"]
    table += [f"| `{_cell(opts)}` | {_cell(text)} |" for opts, text in rows]
    return [*table, ""]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def index_page(found: dict[str, click.Command]) -> str:
    lines = [
        "# CLI commands",
        "",
        "Every `workhorse` command, generated from the installed CLI. Commands",
        "marked with a tier come with that package.",
        "",
        "| command | what it does | from |",
        "|---|---|---|",
    ]
    for name, cmd in sorted(found.items()):
        summary = cmd.get_short_help_str(limit=90)
        lines.append(f"| [`workhorse {name}`]({name}.md) | {_cell(summary)} | `{provider(cmd)}` |")
    return "\n".join(lines) + "\n"


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    """Add the generated pages, and list them in the nav section named SECTION."""
    found = commands()
    files.append(File.generated(config, f"{FOLDER}/index.md", content=index_page(found)))
    entries = []
    for name, cmd in sorted(found.items()):
        files.append(File.generated(config, f"{FOLDER}/{name}.md", content=page(name, cmd)))
        entries.append({f"workhorse {name}": f"{FOLDER}/{name}.md"})
    for item in config.nav or []:
        if isinstance(item, dict) and SECTION in item:
            item[SECTION] = [*item[SECTION], *entries]
    return files
