"""Printing for commands: rich tables for people, JSON for scripts.

Exit codes and the exceptions that carry them are in ``workhorse.cli.exits``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

WIDE = 200

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def console() -> Console:
    # Built per call: CliRunner swaps sys.stdout, and a pipe should get no colour codes.
    # Off a terminal (pipes, CI logs) use wide lines so ids never fold across lines.
    width = None if sys.stdout.isatty() else WIDE
    return Console(file=sys.stdout, highlight=False, soft_wrap=False, width=width)


def print_json(value: object) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=False, default=str))


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Table:
    out = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    for index, name in enumerate(columns):
        out.add_column(name, overflow="fold", no_wrap=index == 0)  # the id column stays whole
    for row in rows:
        # Plain Text: job args such as ["bold"] must not be read as rich markup.
        out.add_row(
            *(
                cell if isinstance(cell, Text) else Text("" if cell is None else str(cell))
                for cell in row
            )
        )
    return out


def ago(epoch: float | None, now: float | None = None) -> str:
    """``3s ago``, ``in 2m``: short relative times for tables."""
    if not epoch:
        return ""
    delta = (time.time() if now is None else now) - epoch
    text = duration(abs(delta))
    return f"{text} ago" if delta >= 0 else f"in {text}"


def duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
