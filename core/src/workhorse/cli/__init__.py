"""The ``workhorse`` command: a click group; each command lives in its own module."""

from __future__ import annotations

from workhorse.cli.group import main

__all__ = ["main"]
